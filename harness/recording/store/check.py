"""Is the results store whole? Refuse damage before a run starts, in one line.

The store holds every measurement a lab has taken. A store file can be damaged by things
no harness controls: a disk that filled up (a 0-byte file), a copy cut short (a
truncated file), a wrong file copied over it, a bad sector. Using such a file is worse
than stopping: a 0-byte file silently becomes a new, empty store (the history is gone
and nobody is told), and a half-readable one lets the bench start and then fails every
test with driver errors. So:

* **The file is judged before it is used.** ``refuse_damaged_file`` reads the first
  100 bytes (the SQLite header) and the file's size: empty, shorter than its header says,
  or not SQLite at all is refused at once, by ``ResultsStore.open`` too. The harness
  never creates a new store over an existing file; a new one is created whole or not at
  all (``store_engine.create_store_file``), so an existing file is a store or damage.
* **A preflight before any instrument is touched.** ``check_store`` adds SQLite's
  ``PRAGMA quick_check`` (every page and record readable and well-formed) and the layout
  version; for a database server it connects (bounded) and reads the version. Every
  problem is a ``StoreRefused`` or ``StoreUnreachable``: an ``InputError`` of one line
  naming the file or server and what was expected (exit status 2, as for a bad spec).
* **A deeper look on demand.** ``inspect_store`` (``hil db check``) runs the full
  ``PRAGMA integrity_check`` (indexes against tables too) and counts runs and
  measurements, to report every finding rather than the first.

A server's password is never printed: servers are named by ``host:port/database`` and
the URL with its password hidden.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from harness.recording.store.engine import open_engine, sqlite_file
from harness.recording.store.schema import (
    A_STORE,
    SCHEMA_NAME,
    STORE_SCHEMA_VERSION,
    StoreRefused,
    StoreUnreachable,
    measurements_table,
    read_version,
    runs_table,
    version_refused,
)

_MAGIC = b"SQLite format 3\x00"
_HEADER = 100
_SQLITE = "a results database (SQLite)"
_NEVER = "the harness never creates a new store over an existing file"
_ADVICE = "restore it from a backup or move it away (hil db check says more)"
_DEFAULT_PORTS = {"postgresql": 5432}


def check_store(
    url_or_path: str | Path, *, connect_timeout_s: float = 5.0, unreachable_ok: bool = False
) -> None:
    """Preflight: raise ``StoreRefused``/``StoreUnreachable`` (``InputError``) unless the
    store can be used as it is; a store file that does not exist yet is fine.

    ``unreachable_ok``: a server that does not answer passes (a run writing through a
    local journal starts during an outage); one that answers is still checked.

    Cost: for SQLite a read of every page (``quick_check``), about 4 ms per MB (0.03 s
    for a store of 40 000 measurements, 3-4 s for one of a gigabyte); nothing is
    written. For a server one connection (at most ``connect_timeout_s`` when it does not
    answer, at once when it refuses) and one query.
    """
    path = sqlite_file(url_or_path)
    if path is None:
        try:
            _check_server(str(url_or_path), connect_timeout_s)
        except StoreUnreachable:
            if not unreachable_ok:
                raise
        return
    if path.exists() or path.is_symlink():
        refuse_unusable_file(path, quick_check=True)


def refuse_unusable_file(path: Path, *, quick_check: bool = False) -> None:
    """``StoreRefused`` unless the existing file at ``path`` is a store this harness
    reads: its header, its layout version, and with ``quick_check`` every page.

    Only reads: a file that is refused is left exactly as it was (not even switched to
    WAL). Without ``quick_check`` it costs about a millisecond, whatever the size.
    """
    refuse_damaged_file(path)
    where = str(path)
    with open_sqlite(path) as db:
        if quick_check and (problems := _rows(db, where, "PRAGMA quick_check")) != ["ok"]:
            _refuse_pages(where, problems)
        version = _sqlite_version(db, where)
    refused = version_refused(where, version)
    if refused is not None:
        raise refused


def refuse_damaged_file(path: Path) -> None:
    """``StoreRefused`` when the file at ``path`` cannot be a whole SQLite database."""
    got = sqlite_file_problem(path)
    if got is None:
        return
    raise StoreRefused(str(path), f"{_SQLITE} — got {got}; {_NEVER}; {_ADVICE}")


def sqlite_file_problem(path: Path) -> str | None:
    """What is wrong with the file judged by its size and header; None if it looks whole.

    The header records the page size and (when its two change counters agree) the
    number of pages: a file shorter than that was cut. While a write-ahead log or a
    rollback journal holds changes not yet in the file, its size may differ for good
    reason, so the size is then not judged.
    """
    if path.is_dir():
        return "a folder"
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size == 0:
        return "an empty file (0 bytes)"
    with path.open("rb") as f:
        head = f.read(_HEADER)
    if not (head.startswith(_MAGIC) or _MAGIC.startswith(head)):
        return f"not an SQLite database (it begins {head[:16]!r})"
    if size < _HEADER:
        return f"a truncated file ({size} bytes, shorter than an SQLite header)"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"a damaged SQLite header (page size {page_size})"
    pages = int.from_bytes(head[28:32], "big")
    in_flight = any(_nonempty(Path(f"{path}{s}")) for s in ("-wal", "-journal"))
    if pages and head[24:28] == head[92:96] and not in_flight and size < pages * page_size:
        return f"a truncated SQLite database ({size} bytes; its header says {pages * page_size})"
    return None


def unusable(url: URL, exc: DBAPIError) -> StoreRefused | StoreUnreachable | None:
    """The one-line error for a driver error met while opening a store; None if the
    error is none of the store's business (the caller re-raises it)."""
    orig = exc.orig
    if url.get_backend_name() == "sqlite":
        name = getattr(orig, "sqlite_errorname", "")
        if isinstance(orig, sqlite3.DatabaseError) and name.startswith(
            ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        ):
            where = url.database or str(url)
            return StoreRefused(where, f"{_SQLITE} — got a damaged database ({orig}); {_ADVICE}")
        return None
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return unreachable(url, orig or exc)
    return None


def unreachable(url: URL, error: BaseException) -> StoreUnreachable:
    """``StoreUnreachable`` naming the server by ``host:port/database``, password never."""
    detail = " ".join(str(error).split("\n", 1)[0].split())
    if url.password:
        detail = detail.replace(str(url.password), "***")
    detail = detail.removeprefix("connection failed: ")
    return StoreUnreachable(
        url.render_as_string(hide_password=True),
        f"a results database server answering at {server_name(url)} — it did not ({detail})",
    )


def server_name(url: URL) -> str:
    """``host:port/database`` of a server URL (the driver's default port if none given)."""
    port = url.port or _DEFAULT_PORTS.get(url.get_backend_name())
    host = url.host or "localhost"
    return f"{host}{f':{port}' if port else ''}/{url.database or ''}"


# -- the full check (hil db check) ----------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One line of ``hil db check``: ``ok`` false for damage."""

    ok: bool
    text: str


def inspect_store(url_or_path: str | Path, *, connect_timeout_s: float = 10.0) -> list[Finding]:
    """Every finding about the store, for ``hil db check``; raises ``StoreUnreachable``
    (server away) or ``StoreRefused`` only when there is nothing to inspect."""
    path = sqlite_file(url_or_path)
    if path is not None and not path.exists():
        raise StoreRefused(str(path), f"{_SQLITE} — there is no file there")
    if path is not None:
        got = sqlite_file_problem(path)
        if got is not None:
            return [Finding(False, f"{path}: {got}")]
        try:
            with open_sqlite(path) as db:
                problems = [str(row[0]) for row in db.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:  # not even readable enough to be checked
            problems = [str(exc)]
        if problems != ["ok"]:
            shown = [Finding(False, f"{path}: integrity: {p}") for p in problems[:20]]
            more = len(problems) - len(shown)
            return shown + ([Finding(False, f"{path}: … and {more} more")] if more else [])
        findings = [Finding(True, f"{path}: integrity check ok")]
        engine = open_engine(path, create=False)
    else:
        engine = open_engine(str(url_or_path), create=False, connect_timeout_s=connect_timeout_s)
        findings = []
    with _connected(engine) as (where, conn):
        try:
            version = read_version(conn, where)
        except StoreRefused as foreign:
            return [*findings, Finding(False, str(foreign))]
        if version is None:
            return [*findings, Finding(False, f"{where}: no results layout (empty database)")]
        refused = version_refused(where, version)
        if refused is not None:
            return [*findings, Finding(False, str(refused))]
        status = runs_table.c.status
        query = select(status, func.count()).group_by(status)
        by_status: dict[str, int] = {s: int(n) for s, n in conn.execute(query).all()}
        count = select(func.count()).select_from(measurements_table)
        measurements = conn.execute(count).scalar_one()
    runs = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
    return [
        *findings,
        Finding(True, f"{where}: schema version {version} (current)"),
        Finding(True, f"{where}: runs: {sum(by_status.values())} ({runs or 'none'}), "
                      f"measurements: {measurements}"),
    ]  # fmt: skip


# -- internals ---------------------------------------------------------------------


def _check_server(url_text: str, connect_timeout_s: float) -> None:
    engine = open_engine(url_text, create=False, connect_timeout_s=connect_timeout_s)
    with _connected(engine) as (where, conn):
        version = read_version(conn, where)
    if version is not None and (refused := version_refused(where, version)) is not None:
        raise refused


@contextmanager
def _connected(engine: Engine) -> Iterator[tuple[str, Connection]]:
    where = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite":
        where = engine.url.database or where
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            if (why := unusable(engine.url, exc)) is not None:
                raise why from exc
            raise
        with conn:
            yield where, conn
    finally:
        engine.dispose()


@contextmanager
def open_sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain ``sqlite3`` connection to an existing file (never creates one), for reading;
    ``StoreRefused`` when it cannot be opened (permissions, a folder)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise StoreRefused(str(path), f"{_SQLITE} this user can open — got {exc}") from exc
    with closing(db):
        yield db


def _rows(db: sqlite3.Connection, where: str, query: str) -> list[str]:
    try:
        return [str(row[0]) for row in db.execute(query)]
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        _refuse_pages(where, [str(exc)])
    except sqlite3.DatabaseError as exc:
        _refuse_pages(where, [str(exc)])


def _refuse_pages(where: str, problems: list[str]) -> NoReturn:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise StoreRefused(
        where,
        f"{_SQLITE} that passes SQLite's integrity check — got {problems[0]}{more}; {_ADVICE}",
    )


def _sqlite_version(db: sqlite3.Connection, where: str) -> int:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_info" in tables:
        query = "SELECT version FROM schema_info WHERE name = ?"
        row = db.execute(query, (SCHEMA_NAME,)).fetchone()
        if row is not None:
            return int(row[0])
    what = "no tables" if not tables else "tables " + ", ".join(sorted(tables))
    raise StoreRefused(
        where, f"{A_STORE} — got an SQLite database that is not a microcurrent-hil results "
        f"store ({what}); {_ADVICE}, or give it the layout with hil db upgrade --store {where}",
    )  # fmt: skip


def _nonempty(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


__all__ = [
    "STORE_SCHEMA_VERSION",
    "Finding",
    "StoreRefused",
    "StoreUnreachable",
    "check_store",
    "inspect_store",
    "open_sqlite",
    "refuse_damaged_file",
    "refuse_unusable_file",
    "server_name",
    "sqlite_file_problem",
    "unreachable",
    "unusable",
]
