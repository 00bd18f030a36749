"""How the harness reaches a results database: a file path or a SQLAlchemy URL.

A plain path (or ``sqlite:///path``) is an embedded SQLite file; a string with ``://`` is
a SQLAlchemy URL, ``postgresql://`` meaning the psycopg 3 driver. A new SQLite store is
created whole or not at all (``create_store_file``), and never over an existing file:
whatever lies at the path is either a store or damage (``harness.recording.store.check``).
Each backend gets what a bench needs of it:

* **SQLite**: WAL journal (readers never block the writer), ``synchronous`` from the
  store's durability, a busy timeout so that parallel benches on one file wait for each
  other instead of failing, and foreign keys on. ``BEGIN`` is issued by the store itself
  (``ResultsStore._sqlite_begin``), so the driver's own transaction handling is off.
* **PostgreSQL**: a bounded connect and TCP keepalives, so that a bench notices a
  vanished server within seconds rather than after the kernel's two hours.

A missing database driver is a ``StoreError`` saying what to install.
"""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url

from harness.recording.store.schema import Durability, StoreError, create_schema

_POSTGRES_DRIVER = "postgresql+psycopg"


def open_engine(
    url_or_path: str | Path,
    *,
    durability: Durability = "normal",
    busy_timeout_s: float = 30.0,
    create: bool = True,
    connect_timeout_s: float = 10.0,
) -> Engine:
    """The SQLAlchemy engine for a store's path or URL, set up for its backend."""
    path = sqlite_file(url_or_path)
    if path is not None:
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no results store there")
            create_store_file(path)
        url: URL = URL.create("sqlite", database=str(path))
    else:
        url = make_url(str(url_or_path))
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername=_POSTGRES_DRIVER)
    try:
        engine = create_engine(url, connect_args=_connect_args(url, connect_timeout_s))
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"{url.render_as_string()}: database driver {exc.name!r} is not installed"
            " (for PostgreSQL: pip install 'microcurrent-hil[postgres]')"
        ) from exc
    if engine.dialect.name == "sqlite":
        _apply_sqlite_pragmas(engine, durability, busy_timeout_s)
    return engine


def sqlite_file(url_or_path: str | Path) -> Path | None:
    """The absolute path of an SQLite store (a plain path or ``sqlite:///…``); None for a
    database server or an in-memory database."""
    text = str(url_or_path)
    if isinstance(url_or_path, Path) or "://" not in text:
        return Path(text).expanduser().absolute()
    url = make_url(text)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().absolute()


def create_store_file(path: Path) -> None:
    """Create a new SQLite store at ``path``, whole, or leave nothing there.

    The layout is written to a private file beside it, committed, and only then linked
    to ``path``; a link fails if ``path`` exists, so a store is never created over an
    existing file, and a reader never finds a half-made store (a 0-byte ``path`` is
    therefore always damage, never a store in the making). Two processes creating the
    same store at once: one link wins, the other uses that store. The private file is
    in rollback-journal mode, so the commit leaves everything in that one file; the
    store switches to WAL when first opened.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    engine = create_engine(URL.create("sqlite", database=str(partial)))

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # BEGIN below, so the DDL is one transaction
        dbapi_conn.execute("PRAGMA synchronous = FULL")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with engine.begin() as conn:
            create_schema(conn)
        engine.dispose()
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another process created it a moment ago: that store is as good
        except OSError:  # a file system without hard links: the same, less atomic
            if not path.exists():
                os.replace(partial, path)
    finally:
        engine.dispose()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)


def _connect_args(url: URL, connect_timeout_s: float) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend == "sqlite":
        # The lock in ResultsStore serialises use of the one connection across threads.
        return {"check_same_thread": False}
    if backend == "postgresql":
        # A bench must notice a vanished server within seconds, not the kernel's hours:
        # a bounded connect and TCP keepalives on the open connection.
        return {"connect_timeout": max(2, round(connect_timeout_s)), "keepalives": 1,
                "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}  # fmt: skip
    return {}


def _apply_sqlite_pragmas(engine: Engine, durability: Durability, busy_timeout_s: float) -> None:
    synchronous = {"normal": "NORMAL", "fsync": "FULL"}[durability]

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        _switch_to_wal(cursor, busy_timeout_s)
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    event.listen(engine, "connect", on_connect)


def _switch_to_wal(cursor: Any, timeout_s: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another connection holds the file.

    Two benches starting together on a new store both convert it at once. Each reads the
    file (a shared lock) and then needs it alone; SQLite refuses one of them at once
    ("database is locked") instead of waiting its busy timeout, since waiting could
    deadlock. Once the other has finished, the switch succeeds (or finds WAL set).
    """
    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause * (1 + random.random()))  # apart, so they do not collide again
        pause = min(pause * 2, 0.2)
