"""The recent past of the simulated bench, kept so instruments can look back at it.

Instruments observe *after* the fact: a scope is triggered, the clock advances over its
record, and then it asks what the voltage was at each of a million sample times. The
model therefore keeps a history of what happened, as a list of segments: stretches of
virtual time during which nothing changed (same drive, same load, same supply voltage).
Inside a segment every observable is a closed-form function of time (`physics`), so a
past observation is exact, not interpolated.

The history is bounded (by default the last 120 s of virtual time) so a 20-minute run
does not grow without limit; asking for a time older than that is an error, not a guess.

Three shapes of history live here: `SegmentHistory` (the output stage), `StepHistory`
(a piecewise-constant value such as a supply voltage), and `IntervalSet` (on/off
intervals such as the buzzer).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from harness.sim.physics import BoolArray, FloatArray, Segment

_GAUSS_X = np.array([-math.sqrt(0.6), 0.0, math.sqrt(0.6)])
_GAUSS_W = np.array([5.0, 8.0, 5.0]) / 9.0

SegmentFunction = Callable[[Segment, FloatArray], FloatArray]
BreakpointFunction = Callable[[Segment, float, float], FloatArray]
SpanTest = Callable[[Segment, float, float], bool]


class SegmentHistory:
    """Segments in time order; each lasts until the next one starts."""

    def __init__(self, first: Segment, retention_s: float = 120.0) -> None:
        self.retention_s = retention_s
        self._segments: list[Segment] = [first]
        self._starts: list[float] = [first.start]
        self._array: FloatArray | None = None
        self._pruned = False

    @property
    def last(self) -> Segment:
        return self._segments[-1]

    @property
    def earliest(self) -> float:
        """Oldest time that can still be observed (-inf until anything was forgotten)."""
        return self._starts[0] if self._pruned else -math.inf

    def __len__(self) -> int:
        return len(self._segments)

    def segments(self) -> list[Segment]:
        return list(self._segments)

    def append(self, seg: Segment) -> None:
        """Start a new segment; one identical to the last but for its start is dropped."""
        last = self._segments[-1]
        if seg.start < last.start:
            raise ValueError(f"segment at {seg.start} precedes the last one at {last.start}")
        if replace(seg, start=last.start) == last:
            return
        if seg.start == last.start:
            self._segments[-1] = seg
        else:
            self._segments.append(seg)
            self._starts.append(seg.start)
        self._array = None

    def prune(self, now: float) -> None:
        """Forget segments that ended more than `retention_s` before `now`."""
        keep_from = bisect.bisect_right(self._starts, now - self.retention_s) - 1
        if keep_from > 0:
            del self._segments[:keep_from]
            del self._starts[:keep_from]
            self._pruned = True
            self._array = None

    def extended(self, future: list[Segment]) -> SegmentHistory:
        """A copy with `future` appended (a projection; this history is untouched)."""
        copy = SegmentHistory(self._segments[0], self.retention_s)
        copy._segments = list(self._segments)
        copy._starts = list(self._starts)
        copy._pruned = self._pruned
        for seg in future:
            copy.append(seg)
        return copy

    def _start_array(self) -> FloatArray:
        if self._array is None:
            self._array = np.array(self._starts, dtype=np.float64)
        return self._array

    def evaluate(self, fn: SegmentFunction, t: FloatArray) -> FloatArray:
        """fn applied piecewise: each time goes to the segment that covers it.

        fn is given each segment's times in ascending order (unsorted times are sorted
        first and their values put back in place).
        """
        flat = np.ascontiguousarray(t, dtype=np.float64).ravel()
        n = flat.size
        if n == 0:
            return np.zeros(t.shape)
        order = None
        if n > 1 and not bool(np.all(flat[1:] >= flat[:-1])):
            order = np.argsort(flat, kind="stable")
            flat = flat[order]
        starts = self._start_array()
        first = max(int(np.searchsorted(starts, flat[0], side="right")) - 1, 0)
        last = max(int(np.searchsorted(starts, flat[-1], side="right")) - 1, 0)
        if first == last and order is None:  # one segment (a scope record, usually)
            values = np.asarray(fn(self._segments[first], flat), dtype=np.float64)
            return values.reshape(np.shape(t))
        cuts = [0, *np.searchsorted(flat, starts[first + 1 : last + 1], side="left"), n]
        out = np.empty(n)
        for k, index in enumerate(range(first, last + 1)):
            lo, hi = int(cuts[k]), int(cuts[k + 1])
            if hi > lo:
                out[lo:hi] = fn(self._segments[index], flat[lo:hi])
        if order is not None:
            unsorted = np.empty(n)
            unsorted[order] = out
            out = unsorted
        return out.reshape(np.shape(t))

    def integrate(
        self, fn: SegmentFunction, kinks: BreakpointFunction, t0: float, t1: float
    ) -> float:
        """Integral of fn over [t0, t1]: 3-point Gauss between the kinks of each segment.

        The waveform is piecewise polynomial of degree <= 2 between kinks (trapezoid
        edges times a linear ramp), which a 3-point rule integrates exactly.
        """
        starts = self._start_array()
        first = max(int(np.searchsorted(starts, t0, side="right")) - 1, 0)
        last = max(int(np.searchsorted(starts, t1, side="right")) - 1, 0)
        total = 0.0
        for index in range(first, last + 1):
            a = t0 if index == first else max(t0, float(starts[index]))
            b = t1 if index == last else min(t1, float(starts[index + 1]))
            if b <= a:
                continue
            seg = self._segments[index]
            points = kinks(seg, a, b)
            lo, hi = points[:-1], points[1:]
            half = 0.5 * (hi - lo)
            nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * _GAUSS_X[None, :]
            values = fn(seg, nodes.ravel()).reshape(nodes.shape)
            total += float(np.dot(half, values @ _GAUSS_W))
        return total

    def integrate_windows(
        self,
        fn: SegmentFunction,
        kinks: BreakpointFunction,
        windows: Sequence[tuple[float, float]],
        together: SpanTest,
    ) -> list[float]:
        """`integrate` over each of `windows`, to the bit, in one pass per segment.

        A DMM burst integrates a few short apertures back to back, and integrating them
        one by one repeats for each what depends only on the segment: finding its kinks,
        and a call of fn, which at a few dozen points costs its overhead, not its
        arithmetic. Here each segment finds its kinks once over the span its windows
        cover; each window takes those strictly inside it, between its own ends (the
        points `kinks` returns for the window alone); and fn is called once at every
        window's Gauss nodes when `together(seg, a, b)` says it computes any times in
        [a, b] alike however they are split between calls (else once per window). Each
        window's sum is then formed as `integrate` forms it, segment by segment in time
        order, with the same products and dot products.
        """
        starts = self._start_array()
        t0s = np.array([w[0] for w in windows], dtype=np.float64)
        t1s = np.array([w[1] for w in windows], dtype=np.float64)
        firsts = np.maximum(np.searchsorted(starts, t0s, side="right") - 1, 0).tolist()
        lasts = np.maximum(np.searchsorted(starts, t1s, side="right") - 1, 0).tolist()
        pieces: dict[int, list[tuple[int, float, float]]] = {}
        for w, (t0, t1) in enumerate(windows):
            first, last = firsts[w], lasts[w]
            for index in range(first, last + 1):
                a = t0 if index == first else max(t0, float(starts[index]))
                b = t1 if index == last else min(t1, float(starts[index + 1]))
                if b > a:
                    pieces.setdefault(index, []).append((w, a, b))
        totals = [0.0] * len(windows)
        for index in sorted(pieces):
            group = pieces[index]
            parts = _window_parts(fn, kinks, self._segments[index], group, together)
            for (w, _, _), part in zip(group, parts, strict=True):
                totals[w] += part
        return totals


def _window_parts(
    fn: SegmentFunction,
    kinks: BreakpointFunction,
    seg: Segment,
    group: list[tuple[int, float, float]],
    together: SpanTest,
) -> list[float]:
    """The integral of fn over each window's part [a, b] of `seg` (`integrate_windows`)."""
    lo = min(a for _, a, _ in group)
    hi = max(b for _, _, b in group)
    span = kinks(seg, lo, hi)
    ends = np.array([(a, b) for _, a, b in group], dtype=np.float64)
    inner = zip(
        np.searchsorted(span, ends[:, 0], side="right").tolist(),
        np.searchsorted(span, ends[:, 1], side="left").tolist(),
        strict=True,
    )
    inside = [span[i:j] for i, j in inner]  # each window's kinks, its ends aside
    pairs = list(zip(group, inside, strict=True))
    lower = np.concatenate([x for (_, a, _), k in pairs for x in ((a,), k)])
    upper = np.concatenate([x for (_, _, b), k in pairs for x in (k, (b,))])
    half = 0.5 * (upper - lower)
    nodes = (0.5 * (upper + lower))[:, None] + half[:, None] * _GAUSS_X[None, :]
    cuts = np.cumsum([k.size + 1 for k in inside]).tolist()
    windows = list(zip([0, *cuts[:-1]], cuts, strict=True))
    if len(group) == 1 or together(seg, lo, hi):
        values = fn(seg, nodes.ravel()).reshape(nodes.shape)
    else:
        values = np.concatenate([fn(seg, nodes[i:j].ravel()).reshape(-1, 3) for i, j in windows])
    return [float(np.dot(half[i:j], values[i:j] @ _GAUSS_W)) for i, j in windows]


class StepHistory:
    """A value that changes in steps (a supply's output voltage), with its past."""

    def __init__(self, value: float, start: float = -math.inf) -> None:
        self._times: list[float] = [start]
        self._values: list[float] = [value]

    @property
    def value(self) -> float:
        return self._values[-1]

    def set(self, t: float, value: float) -> None:
        if t < self._times[-1]:
            raise ValueError(f"step at {t} precedes the last one at {self._times[-1]}")
        if value == self._values[-1]:
            return
        if t == self._times[-1]:
            self._values[-1] = value
        else:
            self._times.append(t)
            self._values.append(value)

    def at(self, t: FloatArray) -> FloatArray:
        if np.ndim(t) == 1 and np.size(t) > 1:
            times = np.asarray(t)
            if bool(np.all(times[1:] >= times[:-1])):
                return self._at_sorted(times)
        index = np.searchsorted(np.array(self._times), t, side="right") - 1
        values = np.array(self._values)
        return np.asarray(values[np.clip(index, 0, len(values) - 1)], dtype=np.float64)

    def _at_sorted(self, times: FloatArray) -> FloatArray:
        """`at` for ascending times (a scope record's grid): each step fills one slice,
        found by bisection, instead of a search per time."""
        cuts = np.searchsorted(times, np.array(self._times[1:]), side="left").tolist()
        out = np.empty(times.shape, dtype=np.float64)
        for value, lo, hi in zip(self._values, [0, *cuts], [*cuts, times.size], strict=True):
            out[lo:hi] = value
        return out

    def prune(self, horizon: float) -> None:
        keep_from = bisect.bisect_right(self._times, horizon) - 1
        if keep_from > 0:
            del self._times[:keep_from]
            del self._values[:keep_from]


class IntervalSet:
    """Disjoint [start, end) intervals (buzzer sounding), merged as they are added."""

    def __init__(self) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []

    def add(self, start: float, end: float) -> None:
        if end <= start:
            return
        pairs = sorted([*zip(self._starts, self._ends, strict=True), (start, end)])
        merged: list[tuple[float, float]] = []
        for s, e in pairs:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def contains(self, t: FloatArray) -> BoolArray:
        if not self._starts:
            return np.zeros(np.shape(t), dtype=bool)
        if np.ndim(t) == 1 and np.size(t) > 1:
            times = np.asarray(t)
            if bool(np.all(times[1:] >= times[:-1])):
                return self._contains_sorted(times)
        index = np.searchsorted(np.array(self._starts), t, side="right") - 1
        ends = np.array(self._ends)
        inside: BoolArray = (index >= 0) & (t < ends[np.clip(index, 0, len(ends) - 1)])
        return inside

    def level(self, t: FloatArray, high: float) -> FloatArray:
        """`high` where an interval contains t, else 0.0: for ascending times (a scope
        record's grid) written a slice per interval into zeros, with no mask between."""
        if not self._starts:
            return np.zeros(np.shape(t))
        if np.ndim(t) == 1 and np.size(t) > 1:
            times = np.asarray(t)
            if bool(np.all(times[1:] >= times[:-1])):
                out = np.zeros(times.shape)
                lo = np.searchsorted(times, np.array(self._starts), side="left")
                hi = np.searchsorted(times, np.array(self._ends), side="left")
                for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                    out[a:b] = high
                return out
        return np.where(self.contains(t), high, 0.0)

    def _contains_sorted(self, times: FloatArray) -> BoolArray:
        """`contains` for ascending times (a scope record's grid): each interval covers
        one slice, found by bisection, instead of a search per time."""
        lo = np.searchsorted(times, np.array(self._starts), side="left")
        hi = np.searchsorted(times, np.array(self._ends), side="left")
        inside: BoolArray = np.zeros(times.shape, dtype=bool)
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            inside[a:b] = True
        return inside

    def active_at(self, t: float) -> bool:
        return bool(self.contains(np.array([t]))[0])

    def intervals(self) -> list[tuple[float, float]]:
        return list(zip(self._starts, self._ends, strict=True))

    def copy(self) -> IntervalSet:
        twin = IntervalSet()
        twin._starts, twin._ends = list(self._starts), list(self._ends)
        return twin

    def cut(self, t: float) -> None:
        """End everything at t: what was still to sound after t never sounds."""
        keep = [(s, min(e, t)) for s, e in zip(self._starts, self._ends, strict=True) if s < t]
        self._starts = [s for s, _ in keep]
        self._ends = [e for _, e in keep]

    def prune(self, horizon: float) -> None:
        keep_from = bisect.bisect_left(self._ends, horizon)
        if keep_from > 0:
            del self._starts[:keep_from]
            del self._ends[:keep_from]
