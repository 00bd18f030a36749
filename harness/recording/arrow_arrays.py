"""Python lists to Arrow arrays, built from their buffers so that pandas is never imported.

``pyarrow.array(a_list)`` asks pandas whether the list is "array-like" before anything
else, and that first question imports pandas (about 0.3 s), even for a list of
strings. The results table of a run (``results_parquet``) is a few columns of five
kinds; each is built here from its Arrow buffers (validity bitmap, offsets, data)
with numpy, which every run has loaded anyway. ``Array.validate(full=True)`` is run on
each, so a wrong buffer is an error here, never a file pandas misreads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def strings(values: Sequence[str | None], *, large: bool = True) -> pa.Array:
    """``large_string`` (or ``string``) array; None is null."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = _offsets([len(e) for e in encoded], np.int64 if large else np.int32)
    validity, nulls = _validity(values)
    kind = pa.large_string() if large else pa.string()
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return _checked(pa.Array.from_buffers(kind, len(values), buffers, null_count=nulls))


def floats(values: Sequence[float | None]) -> pa.Array:
    """``double`` array; None is null (as pandas writes a missing number, NaN)."""
    data = np.array([0.0 if v is None else v for v in values], dtype=np.float64)
    validity, nulls = _validity(values)
    buffers = [validity, pa.py_buffer(data)]
    return _checked(pa.Array.from_buffers(pa.float64(), len(values), buffers, null_count=nulls))


def integers(values: Sequence[int | None]) -> pa.Array:
    """``int64`` array; None is null."""
    data = np.array([0 if v is None else v for v in values], dtype=np.int64)
    validity, nulls = _validity(values)
    buffers = [validity, pa.py_buffer(data)]
    return _checked(pa.Array.from_buffers(pa.int64(), len(values), buffers, null_count=nulls))


def utc_times(values: Sequence[datetime | None]) -> pa.Array:
    """``timestamp[us, tz=UTC]`` array of the instants; a naive time is taken as UTC."""
    micros = [
        0 if v is None else (v if v.tzinfo else v.replace(tzinfo=UTC)) - _EPOCH for v in values
    ]
    data = np.array([m if isinstance(m, int) else m // _MICROSECOND for m in micros], np.int64)
    validity, nulls = _validity(values)
    kind = pa.timestamp("us", tz="UTC")
    buffers = [validity, pa.py_buffer(data)]
    return _checked(pa.Array.from_buffers(kind, len(values), buffers, null_count=nulls))


def string_lists(values: Sequence[Sequence[str] | None]) -> pa.Array:
    """``list<string>`` array (the type pandas gives a column of lists of text)."""
    offsets = _offsets([0 if v is None else len(v) for v in values], np.int32)
    child = strings([item for v in values if v is not None for item in v], large=False)
    validity, nulls = _validity(values)
    array = pa.Array.from_buffers(
        pa.list_(pa.string()), len(values), [validity, pa.py_buffer(offsets)],
        null_count=nulls, children=[child],
    )  # fmt: skip
    return _checked(array)


def _offsets(lengths: list[int], dtype: type[np.signedinteger]) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=dtype)
    np.cumsum(np.array(lengths, dtype=dtype), out=offsets[1:])
    return offsets


def _validity(values: Sequence[object]) -> tuple[pa.Buffer | None, int]:
    """The validity bitmap (least significant bit first) and the null count."""
    present = np.array([v is not None for v in values], dtype=bool)
    nulls = len(values) - int(present.sum())
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(present, bitorder="little")), nulls


def _checked(array: pa.Array) -> pa.Array:
    array.validate(full=True)
    return array
