"""Reaction times: how long the output takes to stop after something happens to the unit.

Several safety requirements share one measurand: the time from an event the bench
causes (the protection self-test forcing an over-current, the load opening as the
spheres lift off the skin, the charger plugged in mid-session) to the moment the output
stops for good. They share the method too, and this module is it: arm the scope on the
event's edge, cause the event, record long enough that "stopped" can be told from
"between pulses", archive the record as evidence, find the event and the stop on it
(``events.py``), and budget the interval between the two brackets. Every such time then
carries the same budget and the same kind of evidence, whichever bench it comes from.

What stays with the suite is what defines each requirement: the edge to arm on, the
action that causes the event, where on the record the event lies (the onset of an
over-current, lift-off, the charger's input rising), the level below which the output
counts as stopped, and the words for each outcome. The time is read on the scope only;
the unit's own account of its reaction is never evidence (see ``events.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from harness.bench.station import Bench
from harness.instruments.protocols import Slope
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.capture import CurrentCapture, keep, timing_budget
from harness.procedures.events import (
    Bracket,
    FloatArray,
    interval_budget,
    output_stop,
    smoothed,
    smoothing_samples,
    triggered_capture,
)
from harness.procedures.waiting import WaitResult
from harness.recording.captures import CaptureArchive

TIMING_RESOLUTION_S = 50e-6
"""The sample interval a reaction time is read at; a time that could not be read
carries the budget of this interval at zero (timebase and one sample)."""


class EventRecord(TypedDict):
    """How the event is recorded (``events.triggered_capture``): armed on ``trigger``
    (channel, level, slope), ``action`` performed once the pre-trigger memory is full,
    ``duration_s`` of record of which ``pre_trigger_s`` before the trigger, scaled for
    ±``peak_a``; the trigger must come within ``timeout_s`` of the action."""

    trigger: tuple[int, float, Slope]
    action: Callable[[], object]
    peak_a: float
    duration_s: float
    resolution_s: float
    pre_trigger_s: float
    timeout_s: float


@dataclass(frozen=True)
class StopCriterion:
    """When the output counts as stopped: its magnitude (smoothed) stays below ``level``
    from some instant to the end of the record, and that instant is at least ``hold_s``
    before the end (``events.output_stop``; ``pulsed`` for a pulse train).

    ``level`` is in amperes on the load current, or in volts on the load channel when
    ``on_voltage``: with the load open there is no current through the load resistor,
    only the open-circuit voltage of the spheres.
    """

    level: float
    hold_s: float
    pulsed: bool
    on_voltage: bool = False


@dataclass(frozen=True)
class ReactionTime:
    """One reaction read off one record: the event, the stop, and a note saying which of
    them was found. ``seconds`` is None unless both were; ``capture`` is None when the
    scope never triggered."""

    note: str
    capture: CurrentCapture | None = None
    event: Bracket | None = None
    stop: Bracket | None = None
    attachments: tuple[str, ...] = ()

    @property
    def seconds(self) -> float | None:
        if self.event is None or self.stop is None:
            return None
        return self.stop.estimate - self.event.estimate

    def stop_on_bench_clock(self, action_from: float, action_to: float) -> WaitResult | None:
        """The stop as an instant on the bench clock, given when (bench time) the action
        that made the event began and returned (a relay command takes milliseconds): the
        record's own time axis starts at an unknown trigger instant, but the event it
        shows is that action. None unless both were found; the bracket carries both
        brackets' widths and the action's own."""
        if self.event is None or self.stop is None:
            return None
        return WaitResult(
            action_from + self.stop.before - self.event.after,
            action_to + self.stop.after - self.event.before,
            polls=1,
        )

    @property
    def budget(self) -> UncertaintyBudget:
        """Both brackets, the sample interval, the smoothing window and the timebase."""
        if self.capture is None or self.event is None or self.stop is None:
            return timing_budget(0.0, TIMING_RESOLUTION_S)
        dt = self.capture.dt
        return interval_budget(
            self.event, self.stop, sample_s=dt, smoothing_s=smoothing_samples(dt) * dt
        )


def load_magnitude(capture: CurrentCapture, *, on_voltage: bool = False) -> FloatArray:
    """|load current| (or |load voltage|), smoothed against the scope's front-end noise."""
    signal = capture.waveform.volts if on_voltage else capture.current_a
    return np.abs(smoothed(signal, smoothing_samples(capture.dt)))


def time_reaction(
    bench: Bench,
    load_ohms: float,
    *,
    record: EventRecord,
    event: Callable[[CurrentCapture], Bracket | None],
    stop: StopCriterion,
    archive: CaptureArchive,
    name: str,
    no_event: str,
    not_stopped: str,
    timed: str = "stop bracket {stop_ms:.2f} ms",
) -> ReactionTime:
    """Cause and record the event, archive the record as ``name``, time the stop.

    ``event`` finds the event on the record; the stop is looked for after the event's
    later bound. The note is ``no_event``, ``not_stopped``, or ``timed`` formatted with
    the half-widths of the two brackets in milliseconds (``event_ms``, ``stop_ms``).

    Raises ``InstrumentError`` when the trigger does not come: whether that is a finding
    about the unit or a fault of the bench is the suite's to say.
    """
    capture = triggered_capture(bench, load_ohms, **record)
    attachments = (keep(archive, name, capture),)
    start = event(capture)
    if start is None:
        return ReactionTime(no_event, capture, attachments=attachments)
    end = output_stop(
        capture.times,
        load_magnitude(capture, on_voltage=stop.on_voltage),
        stop.level,
        after=start.after,
        hold_s=stop.hold_s,
        pulsed=stop.pulsed,
    )
    if end is None:
        return ReactionTime(not_stopped, capture, start, attachments=attachments)
    note = timed.format(event_ms=start.half_width * 1e3, stop_ms=end.half_width * 1e3)
    return ReactionTime(note, capture, start, end, attachments)
