"""``hil db``: look after the results database's layout, and upload kept measurements.

A results database outlives many harness versions: benches on a production line are
upgraded one by one, and the central PostgreSQL database must not change under a bench
that does not know the new layout. So a harness never changes an existing database's
layout by itself; an operator does it once, on purpose:

* ``hil db status [--store URL]`` prints the layout version the database records and
  whether this harness can use it (exit 0 when it can as it is, 1 otherwise).
* ``hil db upgrade [--store URL]`` creates the tables in an empty database, or migrates
  an older layout step by step to this harness's version (``store_schema.MIGRATIONS``).
  A database newer than the harness is refused: upgrade the harness instead.
* ``hil db flush [--store URL] [--journal DIR]`` uploads measurements that benches kept
  locally while the database was away (``harness.recording.store.journal``); runs do this by
  themselves at their end and at the next run's start, this is for a bench that has no
  next run.

* ``hil db check [--store URL]`` looks for damage: SQLite's full integrity check (every
  page, record and index), the layout version, and how many runs and measurements the
  store holds. One line per finding, then a summary; exit 0 whole, 1 damaged, 2 when
  there is nothing to check (no file, server away). Damage is what a disk, a copy or a
  crash did; the harness refuses such a store rather than use it (``store_check``).
* ``hil db backup --store PATH --out FILE`` copies an SQLite store with SQLite's online
  backup: one consistent moment of it, even while benches write (WAL readers do not
  block writers), never over an existing file, and checked before it is called a
  backup. A database server is backed up with its own tool; the command says how.

``--store`` takes a file path (embedded SQLite) or a SQLAlchemy URL such as
``postgresql://user@dbhost/hil``; the default is ``reports/results.db``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_STORE = Path("reports") / "results.db"


def add_parser(subparsers: Any) -> None:
    """Add ``hil db`` (status, upgrade, flush, check, backup) to the ``hil`` command line."""
    db = subparsers.add_parser("db", help="results database: layout version, upgrade, upload")
    actions = db.add_subparsers(dest="db_action", required=True)
    status = actions.add_parser("status", help="print the database's layout version")
    upgrade = actions.add_parser("upgrade", help="create or migrate the database's layout")
    flush = actions.add_parser("flush", help="upload measurements kept while it was away")
    check = actions.add_parser("check", help="look for damage: integrity, version, counts")
    backup = actions.add_parser("backup", help="copy an SQLite store safely while in use")
    for action in (status, upgrade, flush, check, backup):
        action.add_argument(
            "--store", help=f"file path or SQLAlchemy URL (default: {DEFAULT_STORE})"
        )
    backup.add_argument("--out", required=True, help="the copy to write (must not exist)")
    flush.add_argument(
        "--journal",
        help="folder of local journals (default: .store-journal beside the default store)",
    )
    db.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``hil db <action>``; the exit status (errors raise ``StoreError``)."""
    # SQLAlchemy is loaded when a db command runs, not whenever `hil`'s parser is built
    from harness.recording.store import schema as store_schema
    from harness.recording.store.engine import sqlite_file
    from harness.recording.store.results_store import ResultsStore

    where = str(args.store or DEFAULT_STORE)
    if args.db_action == "flush":
        return _flush(where, args)
    if args.db_action == "check":
        return _check(where)
    if args.db_action == "backup":
        print(backup(where, Path(args.out)))
        return 0
    create = args.db_action == "upgrade"
    path = sqlite_file(where)
    new_file = path is not None and not path.exists()  # created whole by open
    with ResultsStore.open(where, create=create, check_schema=False) as store:
        if args.db_action == "upgrade":
            before, after = store.upgrade_schema()
            if before is None or new_file:
                print(f"{store.where}: created the results layout, version {after}")
            elif before == after:
                print(f"{store.where}: schema version {after}, already current")
            else:
                print(f"{store.where}: upgraded schema version {before} -> {after}")
            return 0
        version = store.schema_version()
    current = store_schema.STORE_SCHEMA_VERSION
    if version is None:
        state = "empty: run `hil db upgrade` (or a first run) to create the layout"
    elif version == current:
        state = "current"
    elif version < current:
        state = f"older than this harness ({current}): run `hil db upgrade`"
    else:
        state = f"NEWER than this harness ({current}): upgrade the harness"
    print(f"{store.where}: schema version {version if version is not None else '-'}, {state}")
    return 0 if version == current else 1


def _check(where: str) -> int:
    from harness.recording.store.check import inspect_store

    findings = inspect_store(where)
    for finding in findings:
        print(finding.text)
    damaged = [f for f in findings if not f.ok]
    print(f"db check: DAMAGED ({len(damaged)} findings)" if damaged else "db check: OK")
    return 1 if damaged else 0


def _flush(where: str, args: argparse.Namespace) -> int:
    from harness.recording.store.upload import flush_journals

    folder = Path(args.journal) if args.journal else DEFAULT_STORE.parent / ".store-journal"
    results = flush_journals(where, folder)
    for result in results:
        print(result.summary())
    if not results:
        print(f"{folder}: no journals waiting")
    return 0 if all(r.complete for r in results) else 1


def backup(where: str, out: Path) -> str:
    """Copy the SQLite store at ``where`` to ``out`` (which must not exist); one line.

    SQLite's online backup API copies the store as of one moment: in WAL mode a reader
    sees a fixed snapshot and never blocks the writers, so benches may go on measuring.
    The copy is written beside ``out`` under a private name, checked with
    ``PRAGMA integrity_check`` and its layout version, and only then linked to ``out``
    (a link never replaces a file). ``InputError`` for a server URL (with the
    ``pg_dump`` command that backs it up), a missing store, or an existing ``out``;
    ``StoreRefused`` when the copy is not whole (the store itself is damaged).
    """
    import os
    import secrets
    import sqlite3
    from contextlib import closing

    from sqlalchemy.engine import URL, make_url

    from harness.errors import InputError
    from harness.recording.store.check import inspect_store, open_sqlite, refuse_damaged_file
    from harness.recording.store.engine import sqlite_file
    from harness.recording.store.schema import StoreRefused

    path = sqlite_file(where)
    if path is None:
        given = make_url(where)
        url = URL.create(given.get_backend_name(), given.username, None, given.host,
                         given.port, given.database)  # fmt: skip
        dump = f"pg_dump --format=custom --file {out} '{url.render_as_string()}'"
        raise InputError(
            url.render_as_string(), "store", f"an SQLite store (a server has its own: {dump})"
        )
    if out.exists() or out.is_symlink():
        raise InputError(out, "--out", "a file that does not exist (a backup overwrites none)")
    if not path.exists():
        raise InputError(path, "store", "an existing results store to back up")
    refuse_damaged_file(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    try:
        with open_sqlite(path) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)  # all pages in one step: one consistent snapshot
        findings = inspect_store(partial)
        damaged = [f.text for f in findings if not f.ok]
        if damaged:
            raise StoreRefused(str(path), f"a store whose copy is whole — the copy is not "
                               f"({damaged[0]}); copy the file as it is (cp) to keep it, "
                               "then hil db check")  # fmt: skip
        try:
            os.link(partial, out)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: the same, less atomic
            if out.exists():
                raise FileExistsError(out) from None
            os.replace(partial, out)
    except FileExistsError as exc:  # written meanwhile by someone else
        raise InputError(
            out, "--out", "a file that does not exist (a backup overwrites none)"
        ) from exc
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
    summary = findings[-1].text.split(": ", 1)[-1]
    return f"{path} -> {out}: {summary}, integrity check ok"
