"""A battery ramp watched step by step: low-battery warning, cut-off and restart.

The low-battery requirements give thresholds "with the battery ramped at 10 mV/s". The
bench's battery is a supply channel, so the ramp is a staircase: one step of
``rate × step_s`` every ``step_s`` of bench time. Each step is one scope record that
*contains* the step: the scope is armed free-running (AUTO sweep) with a pre-trigger
stretch, the supply is stepped once that stretch has filled, and the record runs on to
the end of the dwell. So nothing the unit does in answer to a step can fall between two
records (a record made *after* the step could miss a beep that sounded at once).

What a record shows, read on instruments only:

* **output**: pulses across the load on channel 1, judged on the last part of the
  dwell (after the firmware has had time to poll its battery and act);
* **warning**: the low-battery beep on the buzzer test point (channel 2), a pair of
  short beeps in quick succession, unlike the relocate beep (one beep every 5 s) or
  the session-end triple. That sound is the warning the user gets, so it is what is
  judged (a relocate beep landing on top of the pair would mask it; the firmware's
  ``lowbatt`` status flag, recorded beside the result, would show that).

The threshold is the supply voltage read back (``MEAS:VOLT?``) at the step where the
change was first seen; the threshold itself lies within one step above it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from harness.bench.station import Bench
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.budgets import supply_readback
from harness.procedures.capture import BUZZER_CHANNEL, LOAD_CHANNEL
from harness.procedures.events import (
    free_running,
    prime_record_length,
    smoothed,
    smoothing_samples,
)
from harness.procedures.treatment import BATTERY_CHANNEL, set_battery

PRE_STEP_S = 0.1
"""Record before the step: longer than the scope's AUTO-trigger timeout, so the record
always starts before the step."""
REACTION_S = 0.3
"""The output is judged only this long after the step: the firmware polls its battery
every 100 ms; three polls of margin."""
BUZZER_HIGH_V = 1.65
"""Half the buzzer drive (3.3 V logic)."""
BEEP_PAIR_MAX_S = 0.3
"""Two beeps starting closer than this form one pattern (relocate beeps are 5 s apart)."""
SHORT_BEEP_MAX_S = 0.075
"""Low-battery beeps last 50 ms, relocate beeps 100 ms, the power-off beep 300 ms; the
boundary sits between 50 and 100 ms with room for a crystal off by ±20 %."""
RECORD_POINTS = 1000


@dataclass(frozen=True)
class StepObservation:
    """What one step of the ramp showed."""

    set_v: float
    readback_v: float
    output_active: bool
    warning_beep: bool
    at_s: float


def warning_beeps(times: np.ndarray, volts: np.ndarray) -> bool:
    """True when the buzzer record holds the low-battery pattern: two short beeps
    (each under ``SHORT_BEEP_MAX_S``) whose starts are less than ``BEEP_PAIR_MAX_S``
    apart. Beeps cut by the record's edges are ignored."""
    high = volts > BUZZER_HIGH_V
    rising = np.flatnonzero(~high[:-1] & high[1:]) + 1
    falling = np.flatnonzero(high[:-1] & ~high[1:]) + 1
    beeps = []
    for r in rising:
        after = falling[falling > r]
        if after.size:
            beeps.append((float(times[r]), float(times[after[0]] - times[r])))
    for (t1, w1), (t2, w2) in itertools.pairwise(beeps):
        if w1 < SHORT_BEEP_MAX_S and w2 < SHORT_BEEP_MAX_S and t2 - t1 < BEEP_PAIR_MAX_S:
            return True
    return False


def observe_step(
    bench: Bench,
    volts: float,
    *,
    dwell_s: float,
    load_ohms: float,
    activity_threshold_a: float,
    full_scale_a: float,
) -> StepObservation:
    """Step the battery to ``volts`` inside one record of about ``dwell_s``."""
    duration = dwell_s - PRE_STEP_S
    scope = bench.scope
    scope.configure_channel(LOAD_CHANNEL, full_scale_a * load_ohms / 3.0, 0.0)
    scope.configure_channel(BUZZER_CHANNEL, 1.0, 0.0)
    scope.configure_timebase(
        scope.limits.seconds_per_div_for(duration), duration / 2.0 - PRE_STEP_S
    )
    free_running(bench)
    prime_record_length(bench, RECORD_POINTS)
    scope.arm_single()
    bench.clock.sleep(PRE_STEP_S)
    at = bench.clock.now()
    set_battery(bench, volts)
    scope.wait_acquired(10.0 + dwell_s)
    load = scope.read_waveform(LOAD_CHANNEL, RECORD_POINTS)
    buzzer = scope.read_waveform(BUZZER_CHANNEL, RECORD_POINTS)
    readback = bench.supply.measure_voltage(BATTERY_CHANNEL)
    amps = np.abs(smoothed(load.volts / load_ohms, smoothing_samples(load.dt)))
    late = load.times >= load.times[0] + PRE_STEP_S + REACTION_S
    active = bool(np.any(amps[late] > activity_threshold_a))
    return StepObservation(
        set_v=volts,
        readback_v=readback,
        output_active=active,
        warning_beep=warning_beeps(buzzer.times, buzzer.volts),
        at_s=at,
    )


def threshold_budget(bench: Bench, readback_v: float, step_v: float) -> UncertaintyBudget:
    """Supply readback accuracy (bench file, 6 V range) and the ramp step (one-sided:
    the change happened somewhere within one step above the reading; a symmetric
    rectangular bound of a whole step covers it)."""
    budget = supply_readback(UncertaintyBudget(), bench.file, readback_v)
    budget.add_rectangular("ramp step", step_v)
    return budget


__all__ = [
    "BATTERY_CHANNEL",
    "StepObservation",
    "observe_step",
    "threshold_budget",
    "warning_beeps",
]
