"""Timing an event on the scope: from what the bench did to when the output reacted.

Safety requirements are about reaction times (the over-current trip, the suspension
after contact loss, the stop when the charger connects). The unit's own event log is
not evidence: a firmware that believes it stopped is exactly the bug these tests hunt.
So every time here is read off one scope record that contains both ends:

* **the event**: an edge the scope triggers on (the charger input rising on channel 3,
  the open-circuit voltage appearing on channel 1 when the load opens, the current
  rising past anything a healthy setting delivers when the protection self-test
  forces an over-current). The scope is armed first; the action is performed only
  after its pre-trigger memory has filled, because a real scope ignores triggers
  until then (so does the simulated one).
* **the reaction**: the output stopping, i.e. the time after which the load signal
  stays below a threshold until the end of the record. A pulse train is silent
  between pulses too, so "stopped" needs the record to run on for longer than a pulse
  gap, and the stop instant is only known to lie between the end of the last pulse and
  the moment the next one was due (unless that last pulse was visibly cut short). That
  interval is returned as a :class:`Bracket`; its half-width goes into the budget. At
  F3 (40 Hz) the gap is 12.5 ms, which is why the suites time pulse trains at F3.

A bracketed time is (estimate, half-width) like ``waiting.WaitResult``; a trip time
is the difference of two brackets and carries both half-widths plus the scope's
timebase accuracy.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.bench.station import Bench
from harness.instruments.protocols import Slope
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.budgets import scope_timebase
from harness.procedures.capture import (
    LOAD_CHANNEL,
    RECORD_POINTS,
    CurrentCapture,
    capture_current,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PRE_TRIGGER_FILL_MARGIN = 1.2
"""Wait this multiple of the pre-trigger time after arming before acting."""
SMOOTHING_S = 0.5e-3
"""Box-car window applied before comparing with a threshold: it takes the scope's
front-end noise well below a µA-level threshold and is still 25× shorter than a pulse
at F3 (12.5 ms). Its half-width is a component of every budget that uses it."""


@dataclass(frozen=True)
class Bracket:
    """An instant known to lie in [before, after] (seconds on the record's time axis)."""

    before: float
    after: float

    @property
    def estimate(self) -> float:
        return (self.before + self.after) / 2.0

    @property
    def half_width(self) -> float:
        return (self.after - self.before) / 2.0


def interval_budget(
    start: Bracket, stop: Bracket, *, sample_s: float, smoothing_s: float = 0.0
) -> UncertaintyBudget:
    """Budget of ``stop.estimate - start.estimate`` read off one scope record."""
    value = stop.estimate - start.estimate
    budget = (
        scope_timebase(UncertaintyBudget(), value)
        .add_rectangular("event bracket (start)", start.half_width)
        .add_rectangular("reaction bracket (stop)", stop.half_width)
        .add_rectangular("sample interval", sample_s)
    )
    if smoothing_s > 0.0:
        budget.add_rectangular("noise smoothing window", smoothing_s / 2.0)
    return budget


def smoothed(signal: npt.ArrayLike, window: int) -> FloatArray:
    """Centred moving average over ``window`` samples (1: the signal itself)."""
    x = np.asarray(signal, dtype=np.float64)
    if window <= 1 or x.size < window:
        return x.copy()
    kernel = np.full(window, 1.0 / window)
    return np.convolve(x, kernel, mode="same")


def smoothing_samples(dt: float, smoothing_s: float = SMOOTHING_S) -> int:
    return max(1, round(smoothing_s / dt))


def _runs(active: BoolArray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start and stop (exclusive) indices of each run of True."""
    padded = np.concatenate(([False], active, [False])).astype(np.int8)
    change = np.diff(padded)
    return np.flatnonzero(change == 1), np.flatnonzero(change == -1)


def first_crossing(
    times: FloatArray, signal: FloatArray, level: float, *, after: float
) -> Bracket | None:
    """The two samples between which ``signal`` first rises through ``level``."""
    above = signal >= level
    candidates = np.flatnonzero(~above[:-1] & above[1:] & (times[1:] >= after))
    if candidates.size == 0:
        return None
    i = int(candidates[0])
    return Bracket(float(times[i]), float(times[i + 1]))


def output_stop(
    times: FloatArray,
    magnitude: FloatArray,
    threshold: float,
    *,
    after: float,
    hold_s: float,
    pulsed: bool,
) -> Bracket | None:
    """When the output stopped for good: None if it was still active within ``hold_s``
    of the end of the record (not stopped, or stopped too late to tell).

    ``magnitude`` is |signal| (smoothed as needed). For a pulse train (``pulsed``) the
    last pulse after ``after`` ends at ``t_end``; if it is as long as the pulses before
    it, the output may have stopped anywhere until the next pulse was due (one median
    gap later); if it was cut short, it stopped at ``t_end``.
    """
    dt = float(times[1] - times[0])
    active = magnitude >= threshold
    starts, stops = _runs(active)
    keep = times[np.minimum(stops, times.size - 1)] >= after
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return Bracket(after, after + dt)
    last_end = float(times[stops[-1] - 1]) + dt
    if float(times[-1]) - last_end < hold_s:
        return None
    if not pulsed or starts.size < 3:
        return Bracket(last_end - dt, last_end)
    widths = (stops - starts)[:-1]
    gaps = (starts[1:] - stops[:-1])[:-1] if starts.size > 2 else np.array([], dtype=np.intp)
    last_width = int(stops[-1] - starts[-1])
    if widths.size and last_width < float(np.median(widths)) - 3:
        return Bracket(last_end - dt, last_end)
    gap = float(np.median(gaps)) * dt if gaps.size else dt
    return Bracket(last_end - dt, last_end + gap)


def last_level_before(
    times: FloatArray, magnitude: FloatArray, low: float, high: float, *, before: float
) -> float | None:
    """End of the last stretch (two samples or more) before ``before`` whose magnitude
    lies in [low, high): e.g. the last pulse at the contact level before lift-off.
    A single sample in the band is an edge passing through it, not a level."""
    band = (magnitude >= low) & (magnitude < high) & (times < before)
    level = band[1:] & band[:-1]
    index = np.flatnonzero(level)
    return None if index.size == 0 else float(times[index[-1] + 1])


def triggered_capture(
    bench: Bench,
    load_ohms: float,
    *,
    peak_a: float,
    duration_s: float,
    resolution_s: float,
    trigger: tuple[int, float, Slope],
    pre_trigger_s: float,
    action: Callable[[], object],
    timeout_s: float,
) -> CurrentCapture:
    """``capture_current`` armed on ``trigger``; ``action`` runs once the pre-trigger
    memory is full; ``timeout_s`` is how long the edge may take after that (the record's
    own length is added). The trigger is put back to free-running (AUTO on channel 1) after,
    so later free-running captures of any suite are not left waiting for a stale edge.
    """

    prime_record_length(bench, record_points(duration_s, resolution_s))

    def act() -> None:
        bench.clock.sleep(pre_trigger_s * PRE_TRIGGER_FILL_MARGIN)
        action()

    try:
        return capture_current(
            bench,
            load_ohms,
            peak_a=peak_a,
            duration_s=duration_s,
            resolution_s=resolution_s,
            trigger=trigger,
            pre_trigger_s=pre_trigger_s,
            action=act,
            timeout_s=timeout_s + pre_trigger_s * PRE_TRIGGER_FILL_MARGIN + duration_s,
        )
    finally:
        with contextlib.suppress(Exception):  # restoring is best effort; errors surface later
            free_running(bench)


def record_points(duration_s: float, resolution_s: float) -> int:
    """The transfer length ``capture_current`` asks for (same rule)."""
    wanted = duration_s / resolution_s
    return next((p for p in RECORD_POINTS if p >= wanted), RECORD_POINTS[-1])


def prime_record_length(bench: Bench, points: int, channel: int = LOAD_CHANNEL) -> None:
    """Set the transfer length before arming, by re-reading the last record.

    In RAW points mode an InfiniiVision sizes the next acquisition by the
    ``:WAV:POINts`` in force when it acquires: ``configure_record`` sets it first.
    """
    bench.scope.configure_record(points)


def free_running(bench: Bench) -> None:
    """Edge trigger back to its power-on state: channel 1, 0 V, rising, AUTO sweep."""
    bench.scope.configure_edge_trigger(LOAD_CHANNEL, 0.0, "rising", "auto")


def positive_half_cycle_start(
    capture: CurrentCapture, threshold_a: float, half_cycle_s: float
) -> float | None:
    """Record time at which the present or next positive polarity half-cycle starts.

    Pulses above ``threshold_a`` in magnitude are classified by sign; the last change of
    sign is a polarity reversal. None when the record shows no pulses.
    """
    i = capture.current_a
    t = capture.times
    big = np.abs(i) >= threshold_a
    if not big.any():
        return None
    signs = np.sign(i[big])
    ts = t[big]
    changes = np.flatnonzero(signs[1:] != signs[:-1])
    if changes.size:
        k = int(changes[-1])
        reversal = (float(ts[k]) + float(ts[k + 1])) / 2.0
    else:
        reversal = float(ts[0])
    present_sign = float(signs[-1])
    return reversal if present_sign > 0 else reversal + half_cycle_s


def wait_for_positive_half_cycle(
    bench: Bench,
    load_ohms: float,
    *,
    peak_a: float,
    half_cycle_s: float,
    lead_s: float,
    pulse_period_s: float,
) -> None:
    """Sleep until ``lead_s`` into a positive polarity half-cycle of the output.

    Events whose reaction is read on one polarity (an over-current forced in the
    present polarity, the open-circuit pulses after lift-off) are placed early in a
    positive half-cycle so the whole reaction happens before the next reversal. The
    polarity is found on a record a little longer than one half-cycle; the record's end
    is taken as "now" (on a real bench the transfer makes now a little later, which
    only delays the event within the half-cycle).
    """
    duration = half_cycle_s * 1.1 + 2 * pulse_period_s
    prime_record_length(bench, record_points(duration, pulse_period_s / 25))
    cap = capture_current(
        bench, load_ohms, peak_a=peak_a, duration_s=duration, resolution_s=pulse_period_s / 25
    )
    start = positive_half_cycle_start(cap, peak_a / 2.0, half_cycle_s)
    if start is None:
        return
    record_end = float(cap.times[-1]) + cap.dt
    target = start + lead_s
    while target < record_end:
        target += 2.0 * half_cycle_s
    wait = target - record_end
    if wait > 0 and math.isfinite(wait):
        bench.clock.sleep(wait)
