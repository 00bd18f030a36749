"""The results store: every measurement is on disk the moment the suite takes it.

A compliance run can die half-way: the operator closes the laptop, pytest is killed by a
CI timeout, the bench PC crashes. What was measured before that must survive, and the run
must say honestly that it did not finish. So the store works like a lab notebook in ink:

* **One row per measurement, committed at once.** ``append`` writes one row in its own
  short transaction. Once it returns, the row survives the process being killed (even by
  SIGKILL): a committed SQLite transaction is in the operating system's file cache, which
  outlives the process. Rows are never updated or deleted (append-only), so nothing
  already written can be damaged by a later crash.
* **Power loss is a different promise.** The default ``durability="normal"`` (SQLite WAL
  journal with ``synchronous=NORMAL``) may lose the last few commits if the *machine*
  loses power, though the file stays consistent. ``durability="fsync"``
  (``synchronous=FULL``) flushes to the disk on every commit: power-safe, but slower.
* **A run that stopped without saying so is found later.** A run row is ``running`` until
  its tests end, then ``sealing`` while its evidence is sealed (``set_status``), then its
  outcome. At the start of each new run, ``mark_stale_runs`` looks for runs of this host
  whose process is gone: ``running`` ones become ``incomplete``, ``sealing`` ones
  ``unsealed`` (``StaleRuns`` says which, so the operator is told).
* **Several writers at once.** Parallel pytest processes may share one store file: each
  write transaction waits (``busy_timeout``) for the others instead of failing.
* **The layout is versioned.** Table ``schema_info`` holds ``STORE_SCHEMA_VERSION``; a
  harness refuses a store written by a version it does not know instead of misreading it.
* **Damage is refused.** A new store file is created whole or not at all; an empty, cut,
  foreign or unreadable one is a one-line input error (``harness.recording.store.check``).

A plain path is an embedded SQLite file; anything with ``://`` is a SQLAlchemy URL.
``postgresql://host/db`` puts every bench's results in one PostgreSQL database through
the psycopg 3 driver (``pip install microcurrent-hil[postgres]``); there each append is
a transaction of its own too, ``(run_id, seq)`` is the primary key, so rows from many
benches never collide and a row is never written twice. A lost connection (the server
restarted) is replaced on the next call. Only portable SQLAlchemy Core types are used
(JSON kept as text), so the same code serves both; the SQLite PRAGMAs are applied to
SQLite only. ``hil db upgrade`` creates or migrates the layout (``harness.cli.db``).
"""

from __future__ import annotations

import json
import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import String, event, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from harness.recording.provenance import process_alive
from harness.recording.record import RECORD_SCHEMA_VERSION, Measurement, RunRecord, RunStatus
from harness.recording.store.check import refuse_damaged_file, refuse_unusable_file, unusable
from harness.recording.store.engine import open_engine, sqlite_file
from harness.recording.store.schema import (
    FIXED_RUN_FIELDS,
    JSON_FIELDS,
    PID_REUSE_TOLERANCE_S,
    SCHEMA_NAME,
    STALE_BECOMES,
    STORE_SCHEMA_VERSION,
    Durability,
    StaleRuns,
    StoreError,
    StoreRefused,
    StoreSchemaError,
    StoreUnreachable,
    UTCDateTime,
    check_status,
    create_schema,
    json_text,
    lock_schema,
    measurement_from_row,
    measurements_table,
    metadata,
    no_layout,
    read_version,
    require_aware,
    run_row,
    runs_table,
    schema_info,
    upgrade_schema,
    version_refused,
)


class ResultsStore:
    """A connection to one results database; use ``ResultsStore.open``, then ``close``.

    One connection is reused for every call (a new one per row would cost more than the
    row), guarded by a lock so that threads of one process may share the store.
    """

    def __init__(self, engine: Engine, *, create: bool = True, check_schema: bool = True) -> None:
        self._engine = engine
        self.where = engine.url.render_as_string(hide_password=True)
        self._lock = threading.RLock()
        self._immediate = False
        self._sqlite = engine.dialect.name == "sqlite"
        if self._sqlite:
            event.listen(engine, "begin", self._sqlite_begin)
        try:
            self._conn = engine.connect()
            self._prepare_insert()
            if check_schema:
                self._init_schema(create)
        except BaseException as exc:
            self.close() if hasattr(self, "_conn") else engine.dispose()
            if isinstance(exc, DBAPIError) and (why := unusable(engine.url, exc)) is not None:
                raise why from exc  # one line naming the server or the damaged file
            raise

    @classmethod
    def open(
        cls,
        url_or_path: str | Path,
        *,
        durability: Durability = "normal",
        busy_timeout_s: float = 30.0,
        create: bool = True,
        connect_timeout_s: float = 10.0,
        check_schema: bool = True,
    ) -> ResultsStore:
        """Open (and with ``create``, create) the store at a file path or SQLAlchemy URL.

        ``connect_timeout_s`` bounds how long a server that does not answer may hold up the
        caller. ``check_schema=False`` skips the layout check (``hil db status|upgrade``).
        """
        path = sqlite_file(url_or_path)
        if path is not None and (path.exists() or path.is_symlink()):
            # judged before SQLite writes a byte to it (it would switch it to WAL)
            refuse_unusable_file(path) if check_schema else refuse_damaged_file(path)
        engine = open_engine(
            url_or_path,
            durability=durability,
            busy_timeout_s=busy_timeout_s,
            create=create,
            connect_timeout_s=connect_timeout_s,
        )
        return cls(engine, create=create, check_schema=check_schema)

    # -- runs ------------------------------------------------------------------------

    @property
    def local(self) -> ResultsStore:
        """The bench's own copy of the rows: this store itself (see ``Store.local``)."""
        return self

    def begin_run(self, record: RunRecord) -> None:
        """Insert the run row; a run_id already present is refused, never overwritten."""
        row = run_row(record)
        try:
            with self._tx(write=True) as conn:
                conn.execute(runs_table.insert(), row)
        except IntegrityError as exc:
            raise StoreError(f"{self.where}: run {record.run_id!r} already exists") from exc
        except DataError as exc:  # e.g. a run id longer than the column allows
            raise StoreError(f"{self.where}: run {record.run_id!r}: {exc.orig}") from exc

    def update_run(self, record: RunRecord) -> None:
        """Rewrite the run row (unit once known, instruments, status…); never measurements.

        Fields that identify the run (spec, bench, operator, start, host, pid) may not
        change: a record whose identity moves after measurements were taken is not
        traceable.
        """
        with self._tx(write=True) as conn:
            old = self._run(conn, record.run_id)
            changed = [f for f in FIXED_RUN_FIELDS if getattr(old, f) != getattr(record, f)]
            if changed:
                raise StoreError(f"{self.where}: run {record.run_id!r}: cannot change {changed}")
            self._write_run(conn, record)

    def finish_run(self, run_id: str, status: RunStatus, ended_at: datetime) -> None:
        """Close the run with its final status and end time (``outcome`` cleared)."""
        self.set_status(run_id, status, ended_at=ended_at)

    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        outcome: RunStatus | None = None,
        ended_at: datetime | None = None,
    ) -> None:
        """Move the run to ``status``; ``ended_at`` when given, else the one recorded.

        ``sealing`` and ``unsealed`` need ``outcome``, how the tests ended (``passed``,
        ``failed``, ``interrupted``, ``error``); every other status has none, so going
        from ``sealing`` to the outcome clears it. No run goes back to ``running``.
        """
        check_status(f"{self.where}: run {run_id!r}", status, outcome)
        if ended_at is not None:
            require_aware(ended_at, "ended_at")
        with self._tx(write=True) as conn:
            old = self._run(conn, run_id)
            change = {"status": status, "outcome": outcome, "ended_at": ended_at or old.ended_at}
            self._write_run(conn, old.model_copy(update=change))

    def mark_stale_runs(self, host: str) -> StaleRuns:
        """Mark this host's runs whose process is gone: ``running`` ones ``incomplete``,
        ``sealing`` ones ``unsealed`` (their ``outcome`` kept).

        Their ``ended_at`` stays as it was (empty for a run that died testing): nobody saw
        them end. Only this host's runs are judged, because a pid means nothing on another
        machine. Oldest first.
        """
        r = runs_table.c
        with self._tx(write=True) as conn:
            rows = conn.execute(
                select(r.run_id, r.status, r.pid, r.started_at)
                .where(r.host == host, r.status.in_(STALE_BECOMES))
                .order_by(r.started_at, r.run_id)
            ).all()
            stale = StaleRuns([], [])
            for row in rows:
                if process_alive(row.pid, row.started_at, PID_REUSE_TOLERANCE_S):
                    continue
                old = self._run(conn, row.run_id)
                self._write_run(conn, old.model_copy(update={"status": STALE_BECOMES[row.status]}))
                (stale.incomplete if row.status == "running" else stale.unsealed).append(row.run_id)
        return stale

    def get_run(self, run_id: str) -> RunRecord:
        """The run's record as last written."""
        with self._tx(write=False) as conn:
            return self._run(conn, run_id)

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        query = select(runs_table.c.record_json).order_by(
            runs_table.c.started_at, runs_table.c.run_id
        )
        with self._tx(write=False) as conn:
            return [self._parse_run(text) for text in conn.execute(query).scalars()]

    # -- measurements ----------------------------------------------------------------

    def append(self, m: Measurement) -> None:
        """Write and commit one measurement now, in its own short transaction.

        This is the hot path (thousands of rows per run), so it skips SQLAlchemy's
        per-statement machinery: the INSERT was compiled once for this database and is
        sent straight to the driver with the column types' own converters.
        """
        params = self._insert_params(m)
        with self._lock:
            dbapi_conn = self._conn.connection.dbapi_connection
            assert dbapi_conn is not None
            cursor = dbapi_conn.cursor()
            try:
                if self._engine.dialect.name == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(
                    self._insert_sql,
                    params
                    if self._positional
                    else dict(zip(self._insert_keys, params, strict=True)),
                )
                dbapi_conn.commit()
            except self._engine.dialect.loaded_dbapi.Error as exc:
                if self._engine.dialect.is_disconnect(exc, dbapi_conn, cursor):
                    self._conn.invalidate()  # the next call connects afresh
                    raise
                dbapi_conn.rollback()
                if isinstance(exc, self._engine.dialect.loaded_dbapi.IntegrityError):
                    raise StoreError(self._why_refused(m)) from exc
                raise
            finally:
                cursor.close()

    def append_many(self, measurements: list[Measurement]) -> None:
        """Write several measurements in one transaction: all of them, or none.

        For uploading rows kept while the database was away (``harness.recording.store.journal``);
        a row already present refuses the whole batch, so nothing is written twice.
        """
        params = [self._insert_params(m) for m in measurements]
        if not params:
            return
        rows: list[Any] = (
            [tuple(p) for p in params]
            if self._positional
            else [dict(zip(self._insert_keys, p, strict=True)) for p in params]
        )
        try:
            with self._tx(write=True) as conn:
                conn.exec_driver_sql(self._insert_sql, rows)
        except IntegrityError as exc:
            raise StoreError(
                f"{self.where}: a batch of {len(rows)} measurements was refused "
                f"(a (run_id, seq) already present, or an unknown run): {exc.orig}"
            ) from exc

    def next_seq(self, run_id: str) -> int:
        """The next free ``seq`` of the run: one more than the largest, 1 for an empty run."""
        with self._tx(write=False) as conn:
            self._run(conn, run_id)
            largest = conn.execute(
                select(func.max(measurements_table.c.seq)).where(
                    measurements_table.c.run_id == run_id
                )
            ).scalar()
        return 1 if largest is None else int(largest) + 1

    def measurements(self, run_id: str | None = None) -> list[Measurement]:
        """The measurements of one run, or of all runs, in (run_id, seq) order."""
        query = select(measurements_table).order_by(
            measurements_table.c.run_id, measurements_table.c.seq
        )
        if run_id is not None:
            query = query.where(measurements_table.c.run_id == run_id)
        with self._tx(write=False) as conn:
            return [measurement_from_row(row._asdict()) for row in conn.execute(query)]

    def schema_version(self) -> int | None:
        """The layout version the database records; None when it is empty."""
        with self._tx(write=False) as conn:
            return read_version(conn, self.where)

    def upgrade_schema(self) -> tuple[int | None, int]:
        """Create the layout in an empty database or migrate an older one, step by step.

        Returns the version before (None: empty) and after. Refuses a newer version.
        """
        return upgrade_schema(lambda: self._tx(write=True), self.where)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction on the store's connection, for queries such as ``results``."""
        with self._tx(write=False) as conn:
            yield conn

    def close(self) -> None:
        """Release the connection; the store's file stays as it is."""
        with self._lock:
            self._conn.close()
            self._engine.dispose()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Connection]:
        with self._lock:
            self._immediate = write
            try:
                with self._conn.begin():
                    yield self._conn
            except DBAPIError as exc:  # a damaged page met while reading: one line
                if self._sqlite and (why := unusable(self._engine.url, exc)) is not None:
                    raise why from exc
                raise

    def _insert_params(self, m: Measurement) -> list[Any]:
        """The INSERT's parameters for ``m``, in the compiled statement's order.

        The plain columns are read in one step (``operator.itemgetter`` over the model's
        fields); only the columns that need it are then turned into what the driver
        takes: JSON text, a column type's own converter, an enum's text (``_plain``).
        """
        require_aware(m.taken_at, "taken_at")
        params = list(self._insert_fields(m.__dict__))
        for index, to_column in self._insert_steps:
            params[index] = to_column(params[index])
        return params

    def _prepare_insert(self) -> None:
        dialect = self._engine.dialect
        compiled = measurements_table.insert().compile(dialect=dialect)
        keys = list(compiled.positiontup or compiled.params)
        self._insert_sql = str(compiled)
        self._insert_keys = keys
        self._positional = compiled.positional
        self._insert_fields = operator.itemgetter(*(JSON_FIELDS.get(key, key) for key in keys))
        steps: list[tuple[int, Callable[[Any], Any]]] = []
        for index, key in enumerate(keys):
            column_type = measurements_table.c[key].type
            processor = column_type.bind_processor(dialect)
            if key in JSON_FIELDS:
                steps.append((index, _json_column(processor)))
            elif processor is not None:
                steps.append((index, processor))
            elif isinstance(column_type, String):  # Text too: an enum is bound as its text
                steps.append((index, _plain))
        self._insert_steps = steps

    def _sqlite_begin(self, conn: Connection) -> None:
        # Take the write lock up front: a deferred transaction that upgrades from read to
        # write can fail at once with "database is locked" instead of waiting its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if self._immediate else "BEGIN")

    def _init_schema(self, create: bool) -> None:
        # A new SQLite file was created whole (store_engine.create_store_file); one
        # without the layout is not ours to fill. An empty server database gets it.
        adopt = create and not (self._engine.dialect.name == "sqlite" and self._engine.url.database)
        for attempt in range(3):  # two benches may create a fresh server database at once
            try:
                with self._tx(write=True) as conn:
                    lock_schema(conn)
                    version = read_version(conn, self.where)
                    if version is None:
                        if not adopt:
                            raise no_layout(self.where)
                        create_schema(conn)
                break
            except DBAPIError:
                if attempt == 2:
                    raise
        if version is not None and (refused := version_refused(self.where, version)):
            raise refused

    def _run(self, conn: Connection, run_id: str) -> RunRecord:
        query = select(runs_table.c.record_json).where(runs_table.c.run_id == run_id)
        text = conn.execute(query).scalar()
        if text is None:
            raise StoreError(f"{self.where}: no run {run_id!r}")
        return self._parse_run(text)

    def _parse_run(self, text: str) -> RunRecord:
        version = json.loads(text).get("schema_version")
        if version != RECORD_SCHEMA_VERSION:
            raise StoreSchemaError(f"{self.where}: run record schema version {version} unknown")
        return RunRecord.model_validate_json(text)

    def _write_run(self, conn: Connection, record: RunRecord) -> None:
        row = run_row(record)
        conn.execute(update(runs_table).where(runs_table.c.run_id == record.run_id).values(row))

    def _why_refused(self, m: Measurement) -> str:
        with self._tx(write=False) as conn:
            known = conn.execute(
                select(runs_table.c.run_id).where(runs_table.c.run_id == m.run_id)
            ).first()
        if known is None:
            return f"{self.where}: no run {m.run_id!r}; call begin_run before append"
        return (
            f"{self.where}: run {m.run_id!r} already has seq {m.seq}; measurements are "
            "append-only (use next_seq)"
        )


def _json_column(processor: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A JSON column's value: its field as JSON text (``json_text``), through the column
    type's converter if it has one.

    Conditions and instrument lists repeat from row to row (a requirement's conditions,
    the same meter), so their text is kept by value, at most ``_MEMO_SIZE`` of each
    column: the encoder's own overhead was most of a row's parameter building. A dict
    key is its items in order, so equal keys give the same text.
    """
    memo: dict[tuple[str, ...], str | None] = {}

    def to_column(value: Any) -> Any:
        key: tuple[str, ...] | None = None
        if isinstance(value, dict):  # kept only when all text: 1 == True, but not in JSON
            if _ALL_TEXT.issuperset(map(type, value)) and _ALL_TEXT.issuperset(
                map(type, value.values())
            ):
                key = (*value, *value.values())  # keys then values: half the length each
        elif isinstance(value, list) and _ALL_TEXT.issuperset(map(type, value)):
            key = tuple(value)
        if key is None:  # None, a model (the budget), or not all text: not kept
            text = json_text(value)
        elif (text := memo.get(key, _MISSING)) is _MISSING:
            text = json_text(value)
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[key] = text
        return text if processor is None else processor(text)

    return to_column


_MEMO_SIZE = 1024
_ALL_TEXT = frozenset({str})
_MISSING: Any = object()


def _plain(value: Any) -> Any:
    """A verdict or decision rule as the text the column holds (``Verdict.value``).

    They are ``str`` enums, which sqlite3 and psycopg 3 bind as their text; handing the
    driver the plain value keeps the column's text the same for any driver (psycopg
    dumps an ``Enum`` that is not a ``str`` by its *name*, ``CONDITIONAL_PASS``).
    """
    return value.value if isinstance(value, Enum) else value


__all__ = [
    "SCHEMA_NAME",
    "STORE_SCHEMA_VERSION",
    "Durability",
    "ResultsStore",
    "StaleRuns",
    "StoreError",
    "StoreRefused",
    "StoreSchemaError",
    "StoreUnreachable",
    "UTCDateTime",
    "measurement_from_row",
    "measurements_table",
    "metadata",
    "runs_table",
    "schema_info",
]
