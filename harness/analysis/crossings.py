"""Finding where a trace crosses a level, near where it is expected to.

Every time the analysis reports (a 50 % point, a 10 % or 90 % point, where a phase
begins and ends) is a crossing of a level between two samples, interpolated linearly.
`search` looks for it outward from an anchor in windows that grow fourfold (64, 256,
1024 ... samples) until it is found or a limit is reached, so an edge spanning hundreds
of samples (a first-order output filter) costs a few gathers, never a pass over the
record.

Two things keep a long record cheap:

- **Block means first.** With the record's block sums (`blocks`), the crossing is
  first looked for on the block means (a trace `size` times shorter), which places it
  within the two blocks where the block means cross on a monotone edge; the samples
  are then searched only there (wider by half the moving average, which can move a
  crossing). Where that window holds no crossing, the plain search from the anchor
  runs, so nothing is lost; a crossing the block means do not see (a noise excursion
  ahead of a slow edge, inside blocks whose means stay on one side) is skipped for the
  edge's own, which keeps a noisy slow edge's first passage from running early.
- **Smoothing in the windows only.** A noisy record is timed on its centred moving
  average (`phases.detection_signal`). For a long record that average is not computed
  over the whole record: `smoothing` averages only the samples of each window, with the
  same definition (the mean of ``smoothing`` samples centred on each one, the record's
  ends repeated), so the crossing found is the one the full smoothed trace would give.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from harness.analysis.blocks import BlockSums

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_FIRST_WINDOW = 64
_GATHER = 1 << 22
"""Most samples gathered at once (rows x window)."""


def search(
    signal: npt.NDArray[np.floating],
    base: float,
    sign: FloatArray,
    level: FloatArray,
    anchor: IntArray,
    limit: IntArray,
    *,
    forward: bool,
    rising: bool,
    smoothing: int = 1,
    blocks: BlockSums | None = None,
) -> FloatArray:
    """Fractional index of the crossing of `level` (from `base`) nearest `anchor`.

    Forward: the first pair of samples (j - 1, j) with j - 1 >= anchor that crosses;
    backward: the last with j <= anchor. `rising` crossings go from below to at-or-above
    the level, falling ones the other way (levels and values are multiplied by `sign`,
    so a negative phase rises away from the baseline too). Windows grow fourfold until
    the crossing is found or `limit` samples have been searched; not found: NaN.
    `smoothing` > 1: the trace is the centred moving average of that many samples.
    `blocks`: the record's block sums, to place the crossing on them first.
    """
    anchor = np.asarray(anchor, dtype=np.int64)
    limit = np.asarray(limit, dtype=np.int64)
    out = np.full(anchor.size, np.nan)
    todo = np.flatnonzero((anchor >= 0) & (anchor < signal.size) & np.isfinite(level) & (limit > 0))
    if blocks is not None and blocks.size > 1 and todo.size:
        todo = _via_blocks(signal, base, sign, level, anchor, limit, forward, rising,
                           smoothing, blocks, todo, out)  # fmt: skip
    _scan(signal, base, sign, level, anchor, limit, forward, rising, smoothing, todo, out)
    return out


def _via_blocks(
    signal: npt.NDArray[np.floating],
    base: float,
    sign: FloatArray,
    level: FloatArray,
    anchor: IntArray,
    limit: IntArray,
    forward: bool,
    rising: bool,
    smoothing: int,
    blocks: BlockSums,
    todo: IntArray,
    out: FloatArray,
) -> IntArray:
    """Crossings placed on the block means and found in a few blocks of samples there.

    Fills `out` where found; returns the rows still to search from their anchors.
    """
    size = blocks.size
    nb = blocks.means.size
    # one block further back than the anchor's own, whose mean may already be across
    block_anchor = np.clip(anchor // size + (-1 if forward else 1), 0, nb - 1)
    block_limit = limit // size + 2
    rows = np.zeros(anchor.size, dtype=bool)
    rows[todo] = True
    coarse = np.full(anchor.size, np.nan)
    todo_b = todo[block_anchor[todo] < nb]
    _scan(blocks.means, base, sign, level, block_anchor, block_limit, forward, rising, 1,
          todo_b, coarse)  # fmt: skip
    placed = todo[np.isfinite(coarse[todo])]
    if not placed.size:
        return todo
    k = np.floor(coarse[placed]).astype(np.int64)
    # a monotone edge whose block means cross between blocks k and k + 1 crosses inside
    # them; no wider, so that noise ahead of a slow edge is not taken for it
    lo = k * size - smoothing // 2
    hi = (k + 2) * size + smoothing // 2
    if forward:
        start = np.maximum(anchor[placed], lo)
        window = np.minimum(hi - start, limit[placed] - (start - anchor[placed]))
    else:
        start = np.minimum(anchor[placed], hi)
        window = np.minimum(start - lo, limit[placed] - (anchor[placed] - start))
    local_anchor = anchor.copy()
    local_limit = np.zeros_like(limit)
    local_anchor[placed], local_limit[placed] = start, window
    found = np.full(anchor.size, np.nan)
    usable = placed[(window > 0) & (start >= 0) & (start < signal.size)]
    _scan(signal, base, sign, level, local_anchor, local_limit, forward, rising, smoothing,
          usable, found)  # fmt: skip
    hit = usable[np.isfinite(found[usable])]
    out[hit] = found[hit]
    rows[hit] = False
    return np.flatnonzero(rows)


def _scan(
    signal: npt.NDArray[np.floating],
    base: float,
    sign: FloatArray,
    level: FloatArray,
    anchor: IntArray,
    limit: IntArray,
    forward: bool,
    rising: bool,
    smoothing: int,
    todo: IntArray,
    out: FloatArray,
) -> None:
    """The plain search of rows `todo` (see `search`), results into `out`."""
    n = signal.size
    window = _FIRST_WINDOW
    while todo.size:
        width = int(min(window, max(int(limit[todo].max()), 1)))
        rows_per_block = max(1, _GATHER // (width + smoothing))
        unresolved: list[IntArray] = []
        columns = np.arange(width)
        for b in range(0, todo.size, rows_per_block):
            rows = todo[b : b + rows_per_block]
            first = anchor[rows] if forward else anchor[rows] - width
            # values x sign against (base x sign + level), in units of `smoothing` samples
            v = _values(signal, first, width + 1, smoothing)
            s = sign[rows, None]
            v *= s
            threshold = (base * sign[rows] + level[rows])[:, None] * smoothing
            before, after = v[:, :-1], v[:, 1:]
            if rising:
                hit = (before < threshold) & (after >= threshold)
            else:
                hit = (before >= threshold) & (after < threshold)
            # both samples of a pair inside the record and within the limit of the anchor
            if forward:
                last = np.minimum(limit[rows], n - 1 - first) - 1
                hit &= columns[None, :] <= last[:, None]
            else:
                low = np.maximum(width - limit[rows], -first)
                hit &= columns[None, :] >= low[:, None]
            found = hit.any(axis=1)
            k = np.argmax(hit, axis=1) if forward else width - 1 - np.argmax(hit[:, ::-1], axis=1)
            r = np.arange(rows.size)
            b0 = before[r, k] - threshold[:, 0]
            b1 = after[r, k] - threshold[:, 0]
            frac = np.divide(b0, b0 - b1, out=np.zeros_like(b0), where=b0 != b1)
            out[rows[found]] = (first + k + frac)[found]
            more = ~found & (limit[rows] > width)
            unresolved.append(rows[more])
        todo = np.concatenate(unresolved) if unresolved else todo[:0]
        window *= 4


def _values(
    signal: npt.NDArray[np.floating], first: IntArray, count: int, smoothing: int
) -> FloatArray:
    """Rows of `count` values from each `first` (indices clipped to the record).

    With smoothing, each value is the *sum* of the `smoothing` samples centred on it
    (the caller scales the threshold instead of dividing every value).
    """
    if smoothing <= 1:
        index = first[:, None] + np.arange(count)[None, :]
        values: FloatArray = signal.take(index, mode="clip").astype(np.float64)
        return values
    half = smoothing // 2
    index = (first - half)[:, None] + np.arange(count + smoothing - 1)[None, :]
    raw = signal.take(index, mode="clip")
    c = np.zeros((first.size, raw.shape[1] + 1))
    np.cumsum(raw, axis=1, dtype=np.float64, out=c[:, 1:])
    sums: FloatArray = c[:, smoothing : smoothing + count] - c[:, :count]
    return sums
