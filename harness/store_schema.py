"""The results store's table layout: what is stored where, and which version it is.

Kept apart from `harness.store` (how rows are written and read) so that the layout, the
thing a migration changes and a reader must agree on, can be read on one page. Only
portable SQLAlchemy Core types are used: JSON is kept as text, times are UTC-aware
(`UTCDateTime`), so the same layout serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

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
)
from sqlalchemy.types import TypeDecorator

from harness.errors import HilError

STORE_SCHEMA_VERSION = 1
"""Version of the table layout below; bump it (and write a migration) on any change."""

SCHEMA_NAME = "microcurrent-hil results"
Durability = Literal["normal", "fsync"]

# Fields fixed when a run begins: changing them later would break traceability.
_FIXED_RUN_FIELDS = (
    "bench_id", "station", "operator", "spec_id", "spec_version", "spec_sha256",
    "harness_version", "started_at", "host", "pid",
)  # fmt: skip
_PID_REUSE_TOLERANCE_S = 60.0


class StoreError(HilError):
    """The store refused an operation: unknown run, duplicate row, changed identity."""


class StoreSchemaError(StoreError):
    """The database is not a results store, or one of a layout version we do not know."""


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
    Column("spec_id", String(128), nullable=False),
    Column("spec_version", String(64), nullable=False),
    Column("bench_id", String(128), nullable=False),
    Column("unit_serial", String(128)),
    Column("unit_model", String(128)),
    Column("unit_firmware", String(128)),
    Column("operator", String(128), nullable=False),
    Column("station", String(128), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("host", String(255), nullable=False),
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
    Column("requirement_id", String(128), nullable=False),
    Column("test_id", String(255), nullable=False),
    Column("quantity", String(128), nullable=False),
    Column("value", Double),
    Column("unit", String(32), nullable=False),
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
    PrimaryKeyConstraint("run_id", "seq", name="pk_measurements_run_seq"),
)  # fmt: skip
_JSON_FIELDS = {"conditions_json": "conditions", "instruments_json": "instruments",
                "attachments_json": "attachments"}  # fmt: skip
