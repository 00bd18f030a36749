"""Block sums of a record: one pass that makes every later span sum cheap.

Most of what the analysis needs from the bulk of a long record is a sum: a phase's
charge, the mean of a phase's middle half, the mean over whole cycles. Summing each
span from the samples again costs a pass over most of the record per quantity (and,
for a float32 capture, a float64 copy of it to keep the digits). Instead the record is
summed once in blocks of `size` samples (in its own dtype: 64 float32 values lose at
most a few parts in 10^6 of a block, far below what any metric asks), and the block
sums are accumulated in float64. A span sum is then two prefix look-ups plus the
partial blocks at its ends, gathered from the samples (fewer than 2 x `size` of them).

The block means are also what phases are found on in a long record (`coarse`): a
block mean is a `size`-sample average, so it is both `size` times shorter and quieter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK = 1 << 20
"""Samples summed per call (a multiple of every block size used)."""


@dataclass(frozen=True, eq=False)
class BlockSums:
    """Sums of consecutive `size`-sample blocks; `prefix[k]` = sum of blocks 0..k-1.

    The last ``n % size`` samples belong to no block; span sums read them directly.
    """

    signal: npt.NDArray[np.floating]
    size: int
    sums: npt.NDArray[np.floating]
    prefix: FloatArray
    means: FloatArray
    """Block means (float64): the record `size` times shorter and quieter."""

    def span_sums(self, a: IntArray, c: IntArray) -> FloatArray:
        """Sum of signal[a:c] for each span (float64); empty spans sum to 0."""
        a = np.asarray(a, dtype=np.int64)
        c = np.maximum(np.asarray(c, dtype=np.int64), a)
        size, blocks = self.size, self.sums.size
        first = np.minimum(-(-a // size), blocks)  # first whole block at or after a
        last = np.minimum(c // size, blocks)  # blocks end before c
        whole = last > first
        total = np.where(whole, self.prefix[last] - self.prefix[np.where(whole, first, last)], 0.0)
        # loose samples: [a, first*size) and [last*size, c), or all of [a, c) if no block
        head_end = np.where(whole, first * size, c)
        tail_start = np.where(whole, last * size, c)
        total += self._loose(a, head_end) + self._loose(tail_start, c)
        return total

    def _loose(self, a: IntArray, c: IntArray) -> FloatArray:
        """Sums of short spans (under two blocks, or the record's tail) from the samples."""
        count = c - a
        out = np.zeros(a.size)
        if not count.size or count.max() <= 0:
            return out
        width = int(count.max())
        rows = np.flatnonzero(count > 0)
        step = max(1, (1 << 22) // width)
        for lo in range(0, rows.size, step):
            r = rows[lo : lo + step]
            index = a[r, None] + np.arange(width)[None, :]
            inside = index < c[r, None]
            values = self.signal[np.minimum(index, self.signal.size - 1)].astype(np.float64)
            out[r] = np.where(inside, values, 0.0).sum(axis=1)
        return out


def block_sums(signal: npt.NDArray[np.floating], size: int) -> BlockSums:
    """Sums of `size`-sample blocks of `signal` (see module doc), one pass."""
    n = signal.size
    blocks = n // size
    if size == 1:
        sums: npt.NDArray[np.floating] = signal
    else:
        sums = np.empty(blocks, dtype=signal.dtype)
        chunk = max(size, _CHUNK - _CHUNK % size)
        for a in range(0, blocks * size, chunk):
            b = min(blocks * size, a + chunk)
            sums[a // size : b // size] = np.add.reduceat(signal[a:b], np.arange(0, b - a, size))
    prefix = np.empty(blocks + 1)
    prefix[0] = 0.0
    np.cumsum(sums, dtype=np.float64, out=prefix[1:])
    means: FloatArray = sums.astype(np.float64) / size
    return BlockSums(signal, size, sums, prefix, means)
