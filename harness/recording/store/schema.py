"""The results store's table layout: what is stored where, and which version it is.

Kept apart from `harness.recording.store.results_store` (how rows are written and read)
so that the layout, the
thing a migration changes and a reader must agree on, can be read on one page. Only
portable SQLAlchemy Core types are used: JSON is kept as text, times are UTC-aware
(`UTCDateTime`), so the same layout serves SQLite and PostgreSQL. Beside the layout: how
a record maps to a row (`run_row`, `measurement_from_row`), and which statuses a run may
take (`check_status`) and what a run left by a dead process becomes (`StaleRuns`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from harness.errors import HilError, InputError
from harness.recording.record import RECORD_SCHEMA_VERSION, Measurement, RunRecord, RunStatus

STORE_SCHEMA_VERSION = 2
"""Version of the table layout below; bump it (and write a migration) on any change.

2: ``measurements.uncertainty_budget_json``, each measurement's uncertainty budget."""

SCHEMA_NAME = "microcurrent-hil results"
A_STORE = "a results database (microcurrent-hil)"
Durability = Literal["normal", "fsync"]

# Fields fixed when a run begins: changing them later would break traceability.
FIXED_RUN_FIELDS = (
    "bench_id", "station", "operator", "spec_id", "spec_version", "spec_sha256",
    "harness_version", "started_at", "host", "pid",
)  # fmt: skip
PID_REUSE_TOLERANCE_S = 60.0


class StoreError(HilError):
    """The store refused an operation: unknown run, duplicate row, changed identity."""


class StoreSchemaError(StoreError):
    """The database is not a results store, or one of a layout version we do not know."""


class StoreRefused(InputError, StoreSchemaError):
    """A store this harness will not use as it is: a damaged file, someone else's database,
    or a layout version it does not read. An input error (one line, exit status 2, raised
    before anything is written): the operator restores, moves or migrates it."""

    def __init__(self, where: str, expected: str) -> None:
        super().__init__(where, "store", expected)


class StoreUnreachable(InputError):
    """The database server did not let us in (not running, the network, credentials).

    Deliberately no ``StoreError``: a bench writing through a journal treats it as an
    outage and goes on, whereas a ``StoreError`` is a conflict that stops the upload.
    """

    def __init__(self, where: str, expected: str) -> None:
        super().__init__(where, "store", expected)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no timezone type, so it gets naive UTC text (which sorts correctly);
    other databases get ``TIMESTAMP WITH TIME ZONE``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Text wherever the value comes from a person or a file (a parametrised pytest node id
# easily passes 255 characters): PostgreSQL enforces VARCHAR lengths, SQLite ignores
# them, so bounded strings stay only where the harness itself bounds the value. (SQLite
# gives VARCHAR(n) and TEXT the same affinity, so files written with the earlier
# declarations are the same version-1 layout.)
metadata = MetaData()
schema_info = Table(
    "schema_info", metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)  # fmt: skip
runs_table = Table(
    "runs", metadata,
    Column("run_id", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("spec_id", Text, nullable=False),
    Column("spec_version", Text, nullable=False),
    Column("bench_id", Text, nullable=False),
    Column("unit_serial", Text),
    Column("unit_model", Text),
    Column("unit_firmware", Text),
    Column("operator", Text, nullable=False),
    Column("station", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("record_schema_version", Integer, nullable=False),
    Column("record_json", Text, nullable=False),
    Index("ix_runs_spec_started", "spec_id", "started_at"),
    Index("ix_runs_host_status", "host", "status"),
)  # fmt: skip
measurements_table = Table(
    "measurements", metadata,
    Column("run_id", String(128), ForeignKey("runs.run_id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("requirement_id", Text, nullable=False),
    Column("test_id", Text, nullable=False),
    Column("quantity", Text, nullable=False),
    Column("value", Double),
    Column("unit", Text, nullable=False),
    Column("expanded_uncertainty", Double, nullable=False),
    Column("coverage_factor", Double, nullable=False),
    Column("nominal", Double),
    Column("lower_limit", Double),
    Column("upper_limit", Double),
    Column("decision_rule", String(64), nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("conditions_json", Text, nullable=False),
    Column("instruments_json", Text, nullable=False),
    Column("attachments_json", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("uncertainty_budget_json", Text),  # version 2; NULL: no budget recorded
    PrimaryKeyConstraint("run_id", "seq", name="pk_measurements_run_seq"),
)  # fmt: skip
JSON_FIELDS = {"conditions_json": "conditions", "instruments_json": "instruments",
                "attachments_json": "attachments",
                "uncertainty_budget_json": "uncertainty_budget"}  # fmt: skip
NULLABLE_JSON = frozenset({"uncertainty_budget_json"})
"""JSON columns whose NULL means the field is absent (rows written before it existed)."""


_COMPACT = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(value, separators=(",", ":"))`` without building an encoder per call
(three JSON columns a row: a tenth of ``append``'s time)."""


def json_text(value: Any) -> str | None:
    """A ``Measurement`` field as its JSON column holds it (a model by its JSON form)."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return _COMPACT.encode(value)


# -- run states ------------------------------------------------------------------------

STALE_BECOMES: dict[str, RunStatus] = {"running": "incomplete", "sealing": "unsealed"}
"""What a run left behind by a dead process becomes (``ResultsStore.mark_stale_runs``)."""
_NEEDS_OUTCOME = ("sealing", "unsealed")
_OUTCOMES = ("passed", "failed", "interrupted", "error")


@dataclass(frozen=True)
class StaleRuns:
    """What ``mark_stale_runs`` found: runs of this host whose process had died.

    ``incomplete``: it died while testing. ``unsealed``: it died after its tests, while
    its report was built or its evidence sealed; a late ``hil evidence seal`` finishes it.
    """

    incomplete: list[str]
    unsealed: list[str]

    def __bool__(self) -> bool:
        return bool(self.incomplete or self.unsealed)

    def messages(self, reports_dir: str | Path = "reports") -> list[str]:
        """One line per run for the operator, saying what happened and what to do."""
        folder = Path(reports_dir)
        return [
            *(f"run {run_id} was left incomplete (its process ended while testing)"
              for run_id in self.incomplete),
            *(f"run {run_id} was left unsealed (its process ended while reporting or "
              f"sealing): seal it late with hil evidence seal {folder / run_id}"
              for run_id in self.unsealed),
        ]  # fmt: skip


def check_status(where: str, status: RunStatus, outcome: RunStatus | None) -> None:
    """Refuse a status a run cannot take: ``running`` again, or an outcome that does not fit.

    ``sealing`` and ``unsealed`` carry the tests' outcome (``passed``, ``failed``,
    ``interrupted``, ``error``); every other status has none.
    """
    if status == "running":
        raise StoreError(f"{where}: a finished run cannot be 'running'")
    if status in _NEEDS_OUTCOME and outcome not in _OUTCOMES:
        raise StoreError(
            f"{where}: status {status!r} needs the tests' outcome, one of "
            f"{', '.join(_OUTCOMES)}; got {outcome!r}"
        )
    if status not in _NEEDS_OUTCOME and outcome is not None:
        raise StoreError(f"{where}: status {status!r} has no outcome; got {outcome!r}")


# -- rows and records ------------------------------------------------------------------


def measurement_from_row(row: dict[str, Any]) -> Measurement:
    """Rebuild a validated ``Measurement`` from a ``measurements`` table row."""
    if row["schema_version"] != RECORD_SCHEMA_VERSION:
        raise StoreSchemaError(f"measurement schema version {row['schema_version']} unknown")
    for column, field in JSON_FIELDS.items():
        text = row.pop(column, None)  # absent: a query over a version-1 layout
        row[field] = None if text is None and column in NULLABLE_JSON else json.loads(text)
    return Measurement.model_validate(row)


def run_row(record: RunRecord) -> dict[str, Any]:
    """The ``runs`` table row of a run record (its indexed fields, and the whole as JSON)."""
    require_aware(record.started_at, "started_at")
    if record.ended_at is not None:
        require_aware(record.ended_at, "ended_at")
    unit = record.unit
    return {
        "run_id": record.run_id, "status": record.status, "spec_id": record.spec_id,
        "spec_version": record.spec_version, "bench_id": record.bench_id,
        "unit_serial": unit and unit.serial, "unit_model": unit and unit.model,
        "unit_firmware": unit and unit.firmware, "operator": record.operator,
        "station": record.station, "started_at": record.started_at,
        "ended_at": record.ended_at, "host": record.host, "pid": record.pid,
        "record_schema_version": record.schema_version, "record_json": record.model_dump_json(),
    }  # fmt: skip


def require_aware(moment: datetime, field: str) -> None:
    """Refuse a naive datetime: the store keeps UTC, and a naive one could be any zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StoreError(f"{field}: a naive datetime is ambiguous; give a timezone-aware one")


# -- versions and migrations -----------------------------------------------------------

Migration = Callable[[Connection], None]


def _v1_to_v2(conn: Connection) -> None:
    """Version 2 keeps each measurement's uncertainty budget; older rows get NULL, read as
    "no budget recorded" (``Measurement.uncertainty_budget`` None), never invented."""
    conn.execute(text("ALTER TABLE measurements ADD COLUMN uncertainty_budget_json TEXT"))


MIGRATIONS: dict[int, Migration] = {2: _v1_to_v2}
"""The step that turns a layout of version N-1 into version N, keyed by N.

Version 1 is the baseline: an empty database is given the current layout at once
(``create_schema``), so no step leads to it. To change the layout: edit the tables above,
bump ``STORE_SCHEMA_VERSION`` and add ``N: _v<N-1>_to_v<N>``, a function that issues the
``ALTER``/``CREATE`` statements on the connection it is given (as ``_v1_to_v2`` does).
``upgrade_schema`` runs each step in its own transaction together with the version it
records (PostgreSQL and SQLite both roll DDL back), so an interrupted upgrade leaves a
consistent version.
"""

_PG_SCHEMA_LOCK = 0x68696C  # "hil": serialises schema changes between benches


def lock_schema(conn: Connection) -> None:
    """Hold the schema lock until this transaction ends.

    Two benches starting against a fresh PostgreSQL database would otherwise both see no
    tables and both create them. SQLite needs nothing: a write transaction already
    excludes every other writer (``BEGIN IMMEDIATE``).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK})


def read_version(conn: Connection, where: str) -> int | None:
    """The layout version recorded in the database; None for an empty database.

    A database holding our table names without ``schema_info`` is someone else's (or
    damaged): it is refused rather than adopted.
    """
    tables = set(inspect(conn).get_table_names())
    if "schema_info" not in tables:
        if tables & {"runs", "measurements"}:
            raise StoreRefused(
                where,
                f"{A_STORE} — got a database that is not a microcurrent-hil results store "
                "(tables runs/measurements but no schema_info)",
            )
        return None
    version = conn.execute(
        select(schema_info.c.version).where(schema_info.c.name == SCHEMA_NAME)
    ).scalar()
    if version is None:
        raise StoreRefused(where, f"{A_STORE} — got a schema_info naming no {SCHEMA_NAME!r}")
    return int(version)


def no_layout(where: str) -> StoreRefused:
    """An existing database without tables that the harness will not fill by itself."""
    return StoreRefused(
        where,
        f"{A_STORE} — got a database with no tables, not a microcurrent-hil results store; "
        f"hil db upgrade --store {where} gives it the layout",
    )


def version_refused(where: str, version: int) -> StoreRefused | None:
    """Why a store of layout ``version`` cannot be used by this harness; None when it can."""
    if version == STORE_SCHEMA_VERSION:
        return None
    action = (
        "upgrade the harness"
        if version > STORE_SCHEMA_VERSION
        else f"migrate the store: hil db upgrade --store {where}"
    )
    return StoreRefused(
        where,
        f"results store schema version {STORE_SCHEMA_VERSION}, the one this harness reads — "
        f"got schema version {version}; {action}",
    )


def create_schema(conn: Connection) -> None:
    """Give an empty database the current layout and record its version."""
    metadata.create_all(conn)
    conn.execute(schema_info.insert(), {"name": SCHEMA_NAME, "version": STORE_SCHEMA_VERSION})


def upgrade_schema(
    transaction: Callable[[], AbstractContextManager[Connection]], where: str
) -> tuple[int | None, int]:
    """Bring the database to ``STORE_SCHEMA_VERSION``; return (version before, after).

    ``transaction`` opens a write transaction. A database newer than this harness is
    refused: going back would need the newer harness's knowledge of its layout.
    """
    before: int | None = None
    for step in range(STORE_SCHEMA_VERSION + 1):
        with transaction() as conn:
            lock_schema(conn)
            version = read_version(conn, where)
            if step == 0:
                before = version
            if version is None:
                create_schema(conn)
                continue
            if version > STORE_SCHEMA_VERSION:
                raise StoreSchemaError(
                    f"{where}: results store schema version {version} is newer than this "
                    f"harness (version {STORE_SCHEMA_VERSION}); upgrade the harness"
                )
            if version == STORE_SCHEMA_VERSION:
                return before, version
            migrate = MIGRATIONS.get(version + 1)
            if migrate is None:
                raise StoreSchemaError(f"{where}: no migration from version {version}")
            migrate(conn)
            conn.execute(
                update(schema_info)
                .where(schema_info.c.name == SCHEMA_NAME)
                .values(version=version + 1)
            )
    raise AssertionError("unreachable: each step raises the version by one")
