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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select

from harness.recording.store.results_store import ResultsStore
from harness.recording.store.schema import StoreError, measurements_table, runs_table

MEASUREMENT_COLUMNS: dict[str, str] = {
    "run_id": "string", "seq": "int64", "schema_version": "int64",
    "requirement_id": "string", "test_id": "string", "quantity": "string",
    "value": "float64", "unit": "string", "expanded_uncertainty": "float64",
    "coverage_factor": "float64", "nominal": "float64", "lower_limit": "float64",
    "upper_limit": "float64", "decision_rule": "string", "verdict": "string",
    "instruments": "object", "attachments": "object", "note": "string",
    "taken_at": "datetime64[us, UTC]", "uncertainty_budget": "string",
}  # fmt: skip
"""Every ``Measurement`` field except ``conditions`` (which becomes ``cond_*`` columns).

``uncertainty_budget`` is the ``RecordedBudget`` as JSON text (lines, u_c, ν_eff, k), the
same in Parquet and CSV; missing (NA) where none was recorded: U given as a number, a
check, or a row from before budgets were kept."""

RUN_COLUMNS: dict[str, str] = {
    "unit_serial": "string", "unit_model": "string", "unit_firmware": "string",
    "bench_id": "string", "operator": "string", "station": "string", "spec_id": "string",
    "spec_version": "string", "spec_sha256": "string", "harness_version": "string",
    "run_status": "string", "run_started_at": "datetime64[us, UTC]",
    "run_ended_at": "datetime64[us, UTC]",
}  # fmt: skip
"""The run's identity, repeated on each of its measurements."""

CONDITION_PREFIX = "cond_"
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
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise StoreError(f"{name}: a naive datetime is ambiguous; give a timezone-aware one")
    m, r = measurements_table, runs_table
    query = (
        select(m, r.c.record_json, r.c.status, r.c.started_at, r.c.ended_at)
        .join(r, r.c.run_id == m.c.run_id)
        .order_by(r.c.started_at, m.c.run_id, m.c.seq)
    )
    for column, wanted in ((m.c.run_id, run_id), (r.c.spec_id, spec_id), (r.c.bench_id, bench_id)):
        if wanted is not None:
            query = query.where(column == wanted)
    if since is not None:
        query = query.where(r.c.started_at >= since)
    if until is not None:
        query = query.where(r.c.started_at < until)
    with _opened(store) as opened, opened.reading() as conn:
        rows = conn.execute(query).mappings().all()
    return _frame(rows)


def export(
    store: str | Path | ResultsStore,
    run_id: str,
    fmt: Literal["parquet", "csv"],
    path: str | Path,
) -> Path:
    """Write one run's tidy table to ``path`` and return it; an unknown run is an error."""
    target = Path(path)
    with _opened(store) as opened:
        opened.get_run(run_id)  # refuse an unknown run rather than write an empty file
        frame = load(opened, run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    if fmt == "parquet":
        frame.to_parquet(partial, index=False)
    elif fmt == "csv":
        for column in _LIST_COLUMNS:
            frame[column] = frame[column].map(json.dumps)
        frame.to_csv(partial, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        raise StoreError(f"export format {fmt!r}: expected 'parquet' or 'csv'")
    os.replace(partial, target)
    return target


def _frame(rows: Any) -> pd.DataFrame:
    columns: dict[str, list[Any]] = {name: [] for name in (*MEASUREMENT_COLUMNS, *RUN_COLUMNS)}
    conditions: list[dict[str, str]] = []
    records: dict[str, dict[str, Any]] = {}
    for row in rows:
        for name in MEASUREMENT_COLUMNS:
            if name in _LIST_COLUMNS:
                columns[name].append(json.loads(row[f"{name}_json"]))
            elif name == "uncertainty_budget":
                columns[name].append(row["uncertainty_budget_json"])
            else:
                columns[name].append(row[name])
        conditions.append(json.loads(row["conditions_json"]))
        record = records.get(row["run_id"])
        if record is None:
            record = records[row["run_id"]] = json.loads(row["record_json"])
        unit = record.get("unit") or {}
        for name in ("serial", "model", "firmware"):
            columns[f"unit_{name}"].append(unit.get(name))
        for name in ("bench_id", "operator", "station", "spec_id", "spec_version",
                     "spec_sha256", "harness_version"):  # fmt: skip
            columns[name].append(record[name])
        columns["run_status"].append(row["status"])
        columns["run_started_at"].append(row["started_at"])
        columns["run_ended_at"].append(row["ended_at"])
    frame = pd.DataFrame(
        {
            name: _series(values, {**MEASUREMENT_COLUMNS, **RUN_COLUMNS}[name])
            for name, values in columns.items()
        }
    )
    names = sorted({name for found in conditions for name in found})
    for name in names:
        values = [found.get(name) for found in conditions]
        frame[f"{CONDITION_PREFIX}{name}"] = pd.Series(values, dtype="string")
    return frame


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


@contextmanager
def _opened(store: str | Path | ResultsStore) -> Iterator[ResultsStore]:
    """Use a store given by the caller as is, or open one by path and close it after."""
    if isinstance(store, ResultsStore):
        yield store
        return
    opened = ResultsStore.open(store, create=False)
    try:
        yield opened
    finally:
        opened.close()
