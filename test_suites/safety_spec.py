"""Values the safety suites take from the spec, and the set-ups they share.

Every limit and nominal here comes from the spec (never from test code); the constants
are the bench's measurement choices, each with its reason.
"""

from __future__ import annotations

import numpy as np

from harness.bench.station import Bench
from harness.judging.spec import Spec
from harness.judging.units import convert
from harness.plugin.fixtures import MeasureForCurrentTest
from harness.procedures.auxiliary import WorstReading
from harness.procedures.conditions import nominal_period_s
from harness.procedures.events import (
    wait_for_positive_half_cycle,
)
from harness.procedures.shared_power_on import PowerOnShare
from harness.procedures.treatment import (
    Conditions,
    conditions_for,
    start_treatment,
)

TRIP_OFF_A = 10e-6
"""SAF-OC-TRIP's measurand: the trip is when the output falls below 10 µA."""
TIMING_FREQUENCY = 3
"""F3 (40 Hz): the shortest pulse gap, so "stopped" is told from "between pulses" soonest."""
HOLD_PERIODS = 4
"""The output counts as stopped once it stays quiet this many pulse periods."""
FINEST_V_PER_DIV = 1e-3
"""The most sensitive vertical scale the bench's scope accepts (DSOX1204G: 1 mV/div)."""


# --- values taken from the spec --------------------------------------------------------


def nominal(spec: Spec, rid: str, unit: str) -> float:
    req = spec.requirement(rid)
    assert req.nominal_value is not None, f"{rid} has no nominal value"
    return convert(req.nominal_value, req.unit, unit)


def upper(spec: Spec, rid: str, unit: str) -> float:
    req = spec.requirement(rid)
    assert req.upper_limit is not None, f"{rid} has no upper limit"
    return convert(req.upper_limit, req.unit, unit)


def lower(spec: Spec, rid: str, unit: str) -> float:
    req = spec.requirement(rid)
    assert req.lower_limit is not None, f"{rid} has no lower limit"
    return convert(req.lower_limit, req.unit, unit)


def l5_peak_a(spec: Spec) -> float:
    return nominal(spec, "OUT-AMP-L5", "A")


def screen_a(spec: Spec) -> float:
    """Scale that keeps every conforming L5 pulse on screen (OUT-AMP-L5 upper limit)."""
    return upper(spec, "OUT-AMP-L5", "A")


def period_s(spec: Spec, frequency: int | None) -> float:
    period = nominal_period_s(spec, frequency)
    assert period is not None, "the RMD-1's safety timing needs its frequency settings"
    return period


def half_cycle_s(spec: Spec) -> float:
    return nominal(spec, "WAV-REV", "s")


def nominal_charger_v(spec: Spec) -> float:
    return spec.header.nominal("charger", "V")


def timing_conditions(spec: Spec, rid: str) -> Conditions:
    return conditions_for(spec, spec.requirement(rid)).but(frequency=TIMING_FREQUENCY)


def start_early_in_positive_half_cycle(
    bench: Bench, spec: Spec, c: Conditions, share: PowerOnShare | None = None
) -> None:
    """Start the treatment (or join ``share``'s); return two pulse periods into a
    positive half-cycle."""
    assert c.load_ohms is not None
    period = period_s(spec, c.frequency)
    if share is None:
        start_treatment(bench, c)
    else:
        share.start(bench, c)
    wait_for_positive_half_cycle(
        bench,
        c.load_ohms,
        peak_a=screen_a(spec),
        half_cycle_s=half_cycle_s(spec),
        lead_s=2 * period,
        pulse_period_s=period,
    )


def readings_over_cycle(bench: Bench, spec: Spec) -> int:
    """Enough 200 ms readings to span a whole polarity cycle and then some."""
    bench.ammeter.configure_dc_current(1e-3, 10.0)
    return int(np.ceil(2 * half_cycle_s(spec) / bench.ammeter.aperture_s)) + 2


def record_worst_window(
    measure: MeasureForCurrentTest,
    requirement_id: str,
    reading: WorstReading,
    *,
    instruments: list[str],
    conditions: dict[str, str],
) -> None:
    """Record the largest |current| of short ammeter windows (a d.c. limit no window
    may exceed), with the aperture as a condition and the signed value in the note."""
    measure(
        requirement_id,
        abs(reading.value_a),
        "A",
        uncertainty=reading.budget,
        instruments=instruments,
        conditions=conditions
        | {"aperture": f"{reading.aperture_s:g} s x {len(reading.readings_a)}"},
        note=f"largest |reading| of {len(reading.readings_a)}; signed {reading.value_a:.3e} A",
    )
