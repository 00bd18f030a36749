"""Results as a table: one row per measurement, ready for pandas, Parquet or a spreadsheet.

The store keeps runs and measurements apart, as a database should. An analyst wants them
together: "every output-current reading of firmware 1.4 on bench 2 since March" is one
filter on one table. ``load`` gives that *tidy* table: each row is one measurement, its
columns are every field of the measurement plus the identity of the run it belongs to
(unit serial, model and firmware, bench, operator, station, spec and its SHA-256, harness
version, run status). Each test condition becomes its own column, ``cond_<name>``, so
"load = 2k" is a column filter, not a dictionary lookup.

Types do not depend on the data: text columns are pandas ``string``, numbers ``float64``
(a missing value is NaN), ``seq`` ``int64``, times UTC-aware ``datetime64[us, UTC]``,
``instruments``/``attachments`` are lists of names, and ``uncertainty_budget`` is JSON
text (``harness.recording.record.RecordedBudget``). An empty result has the same columns.

``export`` writes one run's table to Parquet (types kept) or CSV (lists as JSON text),
through a temporary file renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from harness.recording.results_parquet import write_parquet
from harness.recording.results_rows import (
    CONDITION_PREFIX,
    MEASUREMENT_COLUMNS,
    RUN_COLUMNS,
    Columns,
    columns_of,
    opened,
    query,
    read_rows,
    run_columns,
)
from harness.recording.store.results_store import ResultsStore
from harness.recording.store.schema import StoreError

__all__ = [
    "CONDITION_PREFIX", "MEASUREMENT_COLUMNS", "RUN_COLUMNS", "export", "finite_or_none",
    "frame_of", "load",
]  # fmt: skip

_LIST_COLUMNS = ("instruments", "attachments")


def load(
    store: str | Path | ResultsStore,
    run_id: str | None = None,
    *,
    spec_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bench_id: str | None = None,
) -> pd.DataFrame:
    """The tidy table of measurements, filtered by run.

    ``since``/``until`` select runs that *started* in ``[since, until)``, so a run is
    never cut in half. They must be timezone-aware. A path is opened read-only in the
    sense that a missing file is an error rather than a new, empty store.
    """
    selected = query(run_id, spec_id=spec_id, since=since, until=until, bench_id=bench_id)
    with opened(store) as found:
        rows = read_rows(found, selected)
    return frame_of(columns_of(rows))


def export(
    store: str | Path | ResultsStore,
    run_id: str,
    fmt: Literal["parquet", "csv"],
    path: str | Path,
) -> Path:
    """Write one run's tidy table to ``path`` and return it; an unknown run is an error.

    Parquet is written by pyarrow alone (``results_parquet``); ``pd.read_parquet`` gives
    back the frame ``load`` gives.
    """
    if fmt not in ("parquet", "csv"):
        raise StoreError(f"export format {fmt!r}: expected 'parquet' or 'csv'")
    columns = run_columns(store, run_id)
    if fmt == "parquet":
        return write_parquet(columns, path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    frame = frame_of(columns)
    for column in _LIST_COLUMNS:
        frame[column] = frame[column].map(json.dumps)
    frame.to_csv(partial, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    os.replace(partial, target)
    return target


def frame_of(columns: Columns) -> pd.DataFrame:
    """The pandas frame of the table's columns, each with its type from ``types()``."""
    types = columns.types()
    return pd.DataFrame({name: _series(columns.values[name], types[name]) for name in types})


def finite_or_none(value: object) -> float | None:
    """A cell of the tidy table as a Python float, or None when it holds no number.

    In the table a missing number is NaN (``float64``) and a missing text is ``pd.NA``;
    a reader of single cells (a report's limits, a chart's spec lines) wants a plain
    ``float | None`` instead, so ``x is None`` is the one test for "not recorded". NaN,
    ±inf, None, ``pd.NA`` and anything that is not a number all give None; numpy and
    Python numbers give a Python float.
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _series(values: list[Any], dtype: str) -> pd.Series:
    if dtype.startswith("datetime64"):
        return pd.Series(pd.to_datetime(values, utc=True), dtype=dtype)
    if dtype == "float64":
        return pd.Series([float("nan") if v is None else v for v in values], dtype=dtype)
    return pd.Series(values, dtype=dtype)
