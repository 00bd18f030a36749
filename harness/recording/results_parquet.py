"""A run's ``results.parquet`` written with pyarrow alone, read by pandas as if pandas wrote it.

Every ``hil run`` ends by writing its tidy table (``harness.recording.results``) to
``results.parquet``. Going through pandas to do it cost the run about 0.3 s of importing
pandas, for a frame nobody in that process looks at. This writes the same file from
the same columns (``results_rows``) with pyarrow: the Arrow types pandas gives those
columns (``large_string`` text, ``double``, ``int64``, ``list<string>``,
``timestamp[us, tz=UTC]``) and the ``pandas`` schema metadata pandas adds, which is
what makes ``pd.read_parquet`` give back ``string``/``float64``/``int64``/object/
``datetime64[us, UTC]`` columns without a RangeIndex column (the frame ``load`` gives;
tests/store/test_results_parquet.py compares the two on the same rows).

Differences from the pandas writer: a table of zero rows keeps its list columns' type
(``list<string>``) where pandas, seeing no values, wrote ``null`` (both read back as an
empty object column); and a sealed run's ``run_status`` reads back as ``string`` like
every text column, where setting it on the read-back frame had left pandas 3's ``str``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyarrow as pa

from harness.recording import arrow_arrays
from harness.recording.results_rows import Columns, run_columns
from harness.recording.store.results_store import ResultsStore

_PANDAS_TYPES: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "string": ("object", "string", None),
    "int64": ("int64", "int64", None),
    "float64": ("float64", "float64", None),
    "object": ("list[unicode]", "object", None),
    "datetime64[us, UTC]": ("datetimetz", "datetime64[us]", {"timezone": "UTC"}),
}
"""Column type -> (pandas_type, numpy_type, metadata) as pandas records them; the only
object columns of the table are its lists of names."""

_BUILDERS: dict[str, Callable[[Any], pa.Array]] = {
    "string": arrow_arrays.strings,
    "int64": arrow_arrays.integers,
    "float64": arrow_arrays.floats,
    "object": arrow_arrays.string_lists,
    "datetime64[us, UTC]": arrow_arrays.utc_times,
}
"""Column type -> its Arrow array (never ``pa.array``: it imports pandas)."""


def write_run_parquet(
    store: str | Path | ResultsStore,
    run_id: str,
    path: str | Path,
    *,
    run_status: str | None = None,
) -> Path:
    """Write run ``run_id``'s tidy table to ``path`` and return it.

    ``run_status`` replaces the store's status in the table (the run's own package
    carries its outcome while the store still says ``sealing``). Written to a
    temporary name and renamed, so a reader never sees half a file; an unknown run is
    a ``StoreError`` and writes nothing.
    """
    columns = run_columns(store, run_id, run_status=run_status)
    return write_parquet(columns, path)


def write_parquet(columns: Columns, path: str | Path) -> Path:
    """Write ``columns`` to ``path`` (through a temporary file renamed into place)."""
    import pyarrow.parquet as pq

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    pq.write_table(arrow_table(columns), partial)
    os.replace(partial, target)
    return target


def arrow_table(columns: Columns) -> pa.Table:
    """The columns as an Arrow table carrying the ``pandas`` schema metadata."""
    types = columns.types()
    arrays = [_BUILDERS[types[name]](columns.values[name]) for name in types]
    schema = pa.schema(
        [pa.field(name, array.type) for name, array in zip(types, arrays, strict=True)],
        metadata={b"pandas": _pandas_metadata(types, pa.__version__).encode("utf-8")},
    )
    return pa.Table.from_arrays(arrays, schema=schema)


def _pandas_metadata(types: dict[str, str], arrow_version: str) -> str:
    """The JSON pandas writes beside a frame without its index (``index=False``)."""
    described: list[dict[str, Any]] = []
    for name, kind in types.items():
        pandas_type, numpy_type, metadata = _PANDAS_TYPES[kind]
        described.append(
            {"name": name, "field_name": name, "pandas_type": pandas_type,
             "numpy_type": numpy_type, "metadata": metadata}
        )  # fmt: skip
    document = {
        "index_columns": [],
        "column_indexes": [],
        "columns": described,
        "attributes": {},
        "creator": {"library": "pyarrow", "version": arrow_version},
        "pandas_version": _pandas_version(),
    }
    return json.dumps(document)


@cache
def _pandas_version() -> str | None:
    """The installed pandas's version, from its package metadata (pandas not imported)."""
    try:
        return version("pandas")
    except PackageNotFoundError:
        return None
