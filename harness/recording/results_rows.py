"""The tidy results table as plain columns: what ``results`` and ``results_parquet`` share.

The table's shape (its columns and their types), the store query behind it and the
unpacking of each stored row into one value per column live here, free of pandas, so
that a run's end can write ``results.parquet`` with pyarrow alone
(``harness.recording.results_parquet``): importing pandas costs a ``hil run`` about 0.3 s
for a table it never looks at. ``harness.recording.results`` builds the pandas frame
from the same columns, so the two can never disagree on what a row holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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

COLUMN_TYPES: dict[str, str] = {**MEASUREMENT_COLUMNS, **RUN_COLUMNS}
"""Every fixed column in table order; the ``cond_*`` columns (``string``) follow them."""

CONDITION_PREFIX = "cond_"
CONDITION_TYPE = "string"
LIST_COLUMNS = ("instruments", "attachments")
"""Lists of names: lists in pandas and Parquet, JSON text in CSV."""

_RECORD_FIELDS = ("bench_id", "operator", "station", "spec_id", "spec_version",
                  "spec_sha256", "harness_version")  # fmt: skip


@dataclass
class Columns:
    """The table as one Python list per column, in table order.

    Text is ``str`` or None, numbers ``float``/``int`` or None, times UTC-aware
    ``datetime`` or None, list columns lists of ``str``; ``cond_*`` columns are sorted
    by name and hold None where a row lacks that condition.
    """

    values: dict[str, list[Any]]
    rows: int

    def types(self) -> dict[str, str]:
        """Each column's pandas type name (``COLUMN_TYPES``, then ``string`` conditions)."""
        return {name: COLUMN_TYPES.get(name, CONDITION_TYPE) for name in self.values}


def query(
    run_id: str | None = None,
    *,
    spec_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bench_id: str | None = None,
) -> Any:
    """The store query of the table's rows, ordered by run start, run and ``seq``.

    ``since``/``until`` select runs that *started* in ``[since, until)``, so a run is
    never cut in half; they must be timezone-aware (``StoreError`` otherwise).
    """
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise StoreError(f"{name}: a naive datetime is ambiguous; give a timezone-aware one")
    m, r = measurements_table, runs_table
    selected = (
        select(m, r.c.record_json, r.c.status, r.c.started_at, r.c.ended_at)
        .join(r, r.c.run_id == m.c.run_id)
        .order_by(r.c.started_at, m.c.run_id, m.c.seq)
    )
    for column, wanted in ((m.c.run_id, run_id), (r.c.spec_id, spec_id), (r.c.bench_id, bench_id)):
        if wanted is not None:
            selected = selected.where(column == wanted)
    if since is not None:
        selected = selected.where(r.c.started_at >= since)
    if until is not None:
        selected = selected.where(r.c.started_at < until)
    return selected


def read_rows(store: ResultsStore, selected: Any) -> Sequence[Any]:
    """The rows of ``selected`` (from ``query``), read in one transaction."""
    with store.reading() as conn:
        return conn.execute(selected).mappings().all()


def columns_of(rows: Sequence[Any], *, run_status: str | None = None) -> Columns:
    """Unpack stored rows into the table's columns.

    ``run_status`` replaces the store's status on every row: a run's own table is
    written while the store says ``sealing``, but carries the tests' outcome.
    """
    values: dict[str, list[Any]] = {name: [] for name in COLUMN_TYPES}
    conditions: list[dict[str, str]] = []
    records: dict[str, dict[str, Any]] = {}
    for row in rows:
        for name in MEASUREMENT_COLUMNS:
            if name in LIST_COLUMNS:
                values[name].append(json.loads(row[f"{name}_json"]))
            elif name == "uncertainty_budget":
                values[name].append(row["uncertainty_budget_json"])
            else:
                values[name].append(row[name])
        conditions.append(json.loads(row["conditions_json"]))
        record = records.get(row["run_id"])
        if record is None:
            record = records[row["run_id"]] = json.loads(row["record_json"])
        unit = record.get("unit") or {}
        for name in ("serial", "model", "firmware"):
            values[f"unit_{name}"].append(unit.get(name))
        for name in _RECORD_FIELDS:
            values[name].append(record[name])
        values["run_status"].append(row["status"] if run_status is None else run_status)
        values["run_started_at"].append(row["started_at"])
        values["run_ended_at"].append(row["ended_at"])
    for name in sorted({name for found in conditions for name in found}):
        values[f"{CONDITION_PREFIX}{name}"] = [found.get(name) for found in conditions]
    return Columns(values, len(conditions))


def run_columns(
    store: str | Path | ResultsStore, run_id: str, *, run_status: str | None = None
) -> Columns:
    """One run's columns; ``StoreError`` for a run the store does not have."""
    with opened(store) as found:
        found.get_run(run_id)  # refuse an unknown run rather than write an empty table
        return columns_of(read_rows(found, query(run_id)), run_status=run_status)


@contextmanager
def opened(store: str | Path | ResultsStore) -> Iterator[ResultsStore]:
    """Use a store given by the caller as is, or open one by path and close it after."""
    if isinstance(store, ResultsStore):
        yield store
        return
    found = ResultsStore.open(store, create=False)
    try:
        yield found
    finally:
        found.close()
