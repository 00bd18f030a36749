"""Current waveforms from the oscilloscope: i = v / R across the selected load.

The scope's channel 1 sits across the load resistor, so the device's current is the
voltage divided by the resistor's value. ``capture_current`` picks a vertical scale that
keeps the expected peak on screen in both polarities (about 3 of the 4 divisions each
side), a timebase whose screen spans the requested duration (duration over the model's
own number of divisions: 10 on an InfiniiVision, 12 on a DS1000Z), and the record length
that gives at least the requested resolution, then acquires (free-running, or armed on an
edge and released by the test's own action) and returns the record as current.

Every value derived from a capture carries a budget built by ``scope_budget``: the
scope's vertical accuracy (bench file), the load resistor's tolerance (bench file), the
8-bit quantisation step, and the repeatability over the phases that were averaged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.analysis.waveform import WaveformMetrics, analyze_current
from harness.bench.station import Bench
from harness.definitions.bench_file import LoadEntry
from harness.instruments.protocols import Slope, Waveform
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.budgets import load_tolerance, scope_gain, scope_timebase
from harness.recording.captures import CaptureArchive

LOAD_CHANNEL, BUZZER_CHANNEL, CHARGER_CHANNEL, BATTERY_CHANNEL = 1, 2, 3, 4
RECORD_POINTS = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
DIVISIONS_USED = 3.0
AUTORANGE_TRIES = 3


@dataclass(frozen=True)
class CurrentCapture:
    """A captured record as current through the load (A), with its provenance."""

    t0: float
    dt: float
    current_a: npt.NDArray[np.float64]
    load: LoadEntry
    step_a: float
    waveform: Waveform

    @property
    def times(self) -> npt.NDArray[np.float64]:
        return self.t0 + self.dt * np.arange(self.current_a.size, dtype=np.float64)


def _points_for(duration_s: float, resolution_s: float) -> int:
    wanted = duration_s / resolution_s
    return next((p for p in RECORD_POINTS if p >= wanted), RECORD_POINTS[-1])


def configure_current_channel(bench: Bench, load: LoadEntry, peak_a: float) -> float:
    """Vertical scale for ±``peak_a`` across ``load``; returns volts per division."""
    volts_per_div = max(peak_a * load.ohms / DIVISIONS_USED, 0.5e-3)
    bench.scope.configure_channel(LOAD_CHANNEL, volts_per_div, 0.0)
    return volts_per_div


def capture_current(
    bench: Bench,
    load_ohms: float,
    *,
    peak_a: float,
    duration_s: float,
    resolution_s: float = 20e-6,
    trigger: tuple[int, float, Slope] | None = None,
    pre_trigger_s: float = 0.0,
    action: Callable[[], None] | None = None,
    timeout_s: float = 30.0,
) -> CurrentCapture:
    """Acquire ``duration_s`` of the load current.

    Without ``trigger`` the scope digitises at once. With ``trigger`` (channel, level,
    slope) it is armed, given ``pre_trigger_s`` to fill its pre-trigger buffer, then
    ``action`` is performed (the event under test: a relay, the charger, a self-test),
    and the record holds ``pre_trigger_s`` before the trigger.
    """
    load = bench.file.load_for(load_ohms)
    position = duration_s / 2.0 - pre_trigger_s if trigger is not None else 0.0
    points = _points_for(duration_s, resolution_s)
    scale = peak_a
    for _attempt in range(AUTORANGE_TRIES):
        configure_current_channel(bench, load, scale)
        bench.scope.configure_timebase(bench.scope.limits.seconds_per_div_for(duration_s), position)
        bench.scope.configure_record(points)
        if trigger is None:
            free_run(bench)
            bench.scope.digitize((LOAD_CHANNEL,))
        else:
            channel, level, slope = trigger
            bench.scope.configure_edge_trigger(channel, level, slope, "normal")
            bench.scope.arm_single()
            # a scope accepts a trigger only once its pre-trigger buffer has filled
            bench.clock.sleep(pre_trigger_s)
            if action is not None:
                action()
            bench.scope.wait_acquired(timeout_s)
        wave = bench.scope.read_waveform(LOAD_CHANNEL, points)
        if trigger is not None or not clipped(wave):
            break
        scale *= 2.5  # off screen: a free-running capture can simply be taken again
    step = _step_volts(wave)
    return CurrentCapture(
        t0=wave.t0,
        dt=wave.dt,
        current_a=wave.volts / load.ohms,
        load=load,
        step_a=step / load.ohms,
        waveform=wave,
    )


def free_run(bench: Bench, channel: int = LOAD_CHANNEL) -> None:
    """Auto sweep: an acquisition completes even when no trigger event comes.

    A previous test may have left a normal-sweep edge trigger at a level the present
    signal never reaches; :DIGitize honours the trigger, so it would wait forever.
    """
    bench.scope.configure_edge_trigger(channel, 0.0, "rising", "auto")


def clipped(wave: Waveform) -> bool:
    """True when the record hit the top or bottom code (the trace left the screen)."""
    return bool(wave.codes.size) and (int(wave.codes.min()) == 0 or int(wave.codes.max()) == 255)


def analyse(capture: CurrentCapture, area_cm2: float | None = None) -> WaveformMetrics:
    """The waveform metrics of a capture (harness.analysis), at its load."""
    return analyze_current(
        capture.t0,
        capture.dt,
        capture.current_a,
        load_ohms=capture.load.ohms,
        electrode_area_cm2=area_cm2,
    )


def capture_channel(
    bench: Bench,
    channel: int,
    *,
    volts_per_div: float,
    duration_s: float,
    resolution_s: float,
    offset_v: float = 0.0,
) -> Waveform:
    """Digitise one auxiliary channel (buzzer, charger, battery) free-running."""
    points = _points_for(duration_s, resolution_s)
    bench.scope.configure_channel(channel, volts_per_div, offset_v)
    bench.scope.configure_timebase(bench.scope.limits.seconds_per_div_for(duration_s), 0.0)
    bench.scope.configure_record(points)
    free_run(bench, channel)
    bench.scope.digitize((channel,))
    return bench.scope.read_waveform(channel, points)


def _step_volts(wave: Waveform) -> float:
    """The 8-bit code step in volts, from two distinct codes of the record."""
    codes = wave.codes.astype(np.int64)
    if codes.size < 2 or codes.min() == codes.max():
        return abs(float(wave.volts[0])) / 128.0 if wave.volts.size else 0.0
    i, j = int(np.argmin(codes)), int(np.argmax(codes))
    return abs(float(wave.volts[j] - wave.volts[i])) / float(codes[j] - codes[i])


def scope_budget(
    bench: Bench,
    value: float,
    capture: CurrentCapture,
    *,
    spread: npt.ArrayLike | None = None,
    step: float | None = None,
) -> UncertaintyBudget:
    """Budget of a quantity proportional to v/R (a current, a charge, a density).

    ``value`` and ``step`` (the quantisation step, default the capture's current step)
    are in the quantity's own unit; ``spread`` holds per-phase values for repeatability.
    """
    samples = np.asarray(spread if spread is not None else [], dtype=float)
    n = max(int(samples.size), 1)
    q = capture.step_a if step is None else step
    budget = scope_gain(UncertaintyBudget(), bench.file, value)
    load_tolerance(budget, capture.load, value)
    budget.add_quantisation("8-bit step, averaged over phases", q / math.sqrt(n))
    if samples.size >= 2:
        budget.add_repeatability("repeatability over phases", samples.tolist())
    return budget


def timing_budget(value_s: float, resolution_s: float) -> UncertaintyBudget:
    """Budget of a time read off a record: timebase accuracy and the sample interval."""
    return scope_timebase(UncertaintyBudget(), value_s).add_rectangular(
        "sample interval", resolution_s
    )


def keep(
    archive: CaptureArchive,
    name: str,
    capture: CurrentCapture | Waveform,
    load_ohms: float | None = None,
) -> str:
    """Archive a record as evidence; returns the attachment path for ``measure``."""
    if isinstance(capture, CurrentCapture):
        wave, load_ohms = capture.waveform, capture.load.ohms
    else:
        wave = capture
    return archive.save(
        name, wave.t0, wave.dt, wave.volts, load_ohms=load_ohms, preamble=wave.preamble
    )
