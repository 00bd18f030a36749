"""Finding the phases of a long record on its block means, then timing them at full rate.

Cutting a record into phases (`phases.find_phases`) compares every sample with the
thresholds, after a moving average over every sample when the record is noisy: several
passes over a capture of ten million samples, for an answer (where each phase begins
and ends) that needs full resolution only at the edges. So a long record is first
summed in blocks (`blocks`, one pass, whose sums also serve every later span sum), the
phases are found on the block means, and each phase's start and stop are then placed
at full rate in small windows around the blocks where it begins and ends:

1. **Coarse.** Block means are `size`-sample averages, so they carry the noise divided
   by sqrt(size); the same thresholds and hysteresis (with that noise) find the phases
   to within a block, with a further moving average over blocks if the noise still
   needs one.
2. **Accepted only where it resolves the train** (`_resolves`): the phases found are
   at least `_MIN_BLOCKS` blocks long and stand at their full height through their
   middle; otherwise the next smaller size is tried, down to the full-rate path (a
   300 Hz train at 12 kSa/s has phases of six samples, which no block can hold). The
   limit: two phases of one polarity separated by a gap under about 40 % of a block
   (26 samples at 64) and under three blocks are read as one, where the full-rate path
   would separate them; a train that tight (a duty cycle over 97 % at 1000 samples per
   phase) has no stimulator the harness knows.
3. **Refined.** On the full-rate trace (the moving average the full-rate path would
   use, computed only inside the search windows), each phase's start is the first
   sample beyond the enter threshold, searched forward from two blocks before its
   coarse start (a monotone edge crosses a threshold within one block of where the
   block means do, and a neighbouring phase of the same polarity is at least three
   blocks away, or the two would have been merged), and its stop the first sample
   back inside the exit threshold after the middle of the phase (where it stands on
   its plateau: a noisy slow tail may already be inside two blocks before the coarse
   stop). These are the bounds the full-rate path gives (to within noise on a slow
   edge, where the full-rate path's hysteresis may pick a later first passage), so
   every later step is unchanged.

A record that starts or ends inside a phase keeps that phase incomplete, as the
full-rate path does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from harness.analysis.blocks import BlockSums, block_sums
from harness.analysis.crossings import search
from harness.analysis.levels import Levels
from harness.analysis.phases import (
    Phases,
    detection_signal,
    enter_exit,
    find_phases,
    smoothing_length,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BLOCK_SIZES = (64, 8)
_MIN_BLOCKS = 16
"""Median phase length, in blocks, for a block size to be used."""
_PLATEAU_SHARE = 0.6
"""Lowest block mean in a phase's middle half, as a share of its step (see _resolves)."""
_MIN_RECORD_BLOCKS = 2048
_MARGIN = 2
"""Blocks searched beyond the coarse bounds."""


@dataclass(frozen=True, eq=False)
class Detection:
    """Phases at full rate, and how to time and sum the record they were found in.

    `timed` is the trace crossings are timed on, under a further `smoothing`-sample
    moving average (1: none); `sums` the block sums (None on the full-rate path).
    """

    phases: Phases
    timed: npt.NDArray[np.floating]
    smoothing: int
    sums: BlockSums | None


def detect_phases(signal: npt.NDArray[np.floating], levels: Levels, smoothing: int) -> Detection:
    """The phases of `signal` (see module doc); `smoothing` is the full-rate average."""
    n = signal.size
    for size in BLOCK_SIZES:
        if n // size < _MIN_RECORD_BLOCKS:
            continue
        sums = block_sums(signal, size)
        coarse_levels = replace(levels, noise=levels.noise / math.sqrt(size))
        means = detection_signal(sums.means, smoothing_length(coarse_levels))
        coarse = find_phases(means, coarse_levels)
        if _resolves(coarse, sums.means, levels):
            phases = _refine(signal, levels, coarse, size, smoothing, sums)
            return Detection(phases, signal, smoothing, sums)
    detect = detection_signal(signal, smoothing)
    return Detection(find_phases(detect, levels), detect, 1, None)


def _resolves(coarse: Phases, means: FloatArray, levels: Levels) -> bool:
    """Whether the block means show the train's phases, not a blur of several.

    The phases must be at least `_MIN_BLOCKS` blocks long (median), and the middle half
    of a typical phase must stay at its plateau: its lowest block mean at least
    `_PLATEAU_SHARE` of the polarity's step (from the samples, `levels`). Pulses shorter
    than a block average to a fraction of their height (a 300 Hz train at 60 kSa/s in
    64-sample blocks looks like one long phase per polarity burst at half height), and
    phases of one polarity merged across a gap show it as a dip.
    """
    if not len(coarse):
        return False
    length = coarse.stop - coarse.start
    if float(np.median(length)) < _MIN_BLOCKS:
        return False
    a = coarse.start + length // 4
    c = np.maximum(coarse.stop - length // 4, a + 1)
    bounds = np.empty(2 * a.size, dtype=np.int64)
    bounds[0::2], bounds[1::2] = a, np.minimum(c, means.size - 1)
    bounds = np.minimum(np.maximum.accumulate(bounds), means.size - 1)
    sign = coarse.polarity.astype(np.float64)
    lowest = np.minimum.reduceat((means - levels.base)[:, None] * np.array([1.0, -1.0]), bounds)
    low = np.where(sign > 0, lowest[0::2, 0], lowest[0::2, 1])
    step = np.where(sign > 0, levels.plateau_pos or np.nan, levels.plateau_neg or np.nan)
    return bool(np.nanmedian(low / step) >= _PLATEAU_SHARE)


def _refine(
    signal: npt.NDArray[np.floating],
    levels: Levels,
    coarse: Phases,
    size: int,
    smoothing: int,
    sums: BlockSums,
) -> Phases:
    """Full-rate start and stop of each coarse phase (module doc, step 3)."""
    n, blocks = signal.size, sums.sums.size
    base = levels.base
    sign = coarse.polarity.astype(np.float64)
    start_b, stop_b = coarse.start, coarse.stop
    length = stop_b - start_b
    enter = np.full(sign.size, np.nan)
    leave = np.full(sign.size, np.nan)
    for polarity, plateau in ((1, levels.plateau_pos), (-1, levels.plateau_neg)):
        if plateau is not None:
            enter[sign == polarity], leave[sign == polarity] = enter_exit(plateau, levels.noise)
    limit = (length + 2 * _MARGIN + 1) * size
    first = float(signal[0]) - base
    last = float(signal[-1]) - base
    open_start = (start_b == 0) & (first * sign > leave)
    open_stop = (stop_b >= blocks) & (last * sign > leave)

    def find(level: FloatArray, anchor: IntArray, forward: bool, rising: bool) -> FloatArray:
        return search(
            signal, base, sign, level, anchor, limit,
            forward=forward, rising=rising, smoothing=smoothing, blocks=sums,
        )  # fmt: skip

    rise_anchor = np.where(open_start, -1, np.maximum(start_b - _MARGIN, 0) * size)
    into = find(enter, rise_anchor, True, True)
    fall_anchor = np.where(open_stop, -1, (start_b + length // 2) * size)
    out = find(leave, fall_anchor, True, False)
    start = np.where(np.isfinite(into), _after(into), start_b * size)
    stop = np.where(np.isfinite(out), _after(out), np.minimum(stop_b * size, n))
    start = np.where(open_start, 0, start)
    stop = np.where(open_stop | (stop_b >= blocks) & ~np.isfinite(out), n, stop)
    stop = np.maximum(stop, start + 1)
    complete = (start > 0) & (stop < n)
    return Phases(coarse.polarity, start.astype(np.int64), stop.astype(np.int64), complete)


def _after(crossing: FloatArray) -> IntArray:
    """The sample after a crossing (the first one at or beyond the level); -1 if none."""
    return np.where(np.isfinite(crossing), np.floor(np.nan_to_num(crossing)) + 1, -1).astype(
        np.int64
    )
