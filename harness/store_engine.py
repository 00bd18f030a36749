"""How the harness reaches a results database: a file path or a SQLAlchemy URL.

A plain path is an embedded SQLite file (created with its folder when ``create``); a
string with ``://`` is a SQLAlchemy URL, ``postgresql://`` meaning the psycopg 3 driver.
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

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url

from harness.store_schema import Durability, StoreError

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
    text = str(url_or_path)
    if isinstance(url_or_path, Path) or "://" not in text:
        path = Path(text).expanduser().absolute()
        if not create and not path.is_file():
            raise StoreError(f"{path}: no results store there")
        path.parent.mkdir(parents=True, exist_ok=True)
        url: URL = URL.create("sqlite", database=str(path))
    else:
        url = make_url(text)
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
