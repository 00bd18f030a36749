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
  locally while the database was away (``harness.store_buffer``); runs do this by
  themselves at their end and at the next run's start, this is for a bench that has no
  next run.

``--store`` takes a file path (embedded SQLite) or a SQLAlchemy URL such as
``postgresql://user@dbhost/hil``; the default is ``reports/results.db``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness import store_schema

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = _PROJECT_ROOT / "reports" / "results.db"


def add_parser(subparsers: Any) -> None:
    """Add ``hil db`` (status, upgrade, flush) to the ``hil`` command line."""
    db = subparsers.add_parser("db", help="results database: layout version, upgrade, upload")
    actions = db.add_subparsers(dest="db_action", required=True)
    status = actions.add_parser("status", help="print the database's layout version")
    upgrade = actions.add_parser("upgrade", help="create or migrate the database's layout")
    flush = actions.add_parser("flush", help="upload measurements kept while it was away")
    for action in (status, upgrade, flush):
        action.add_argument(
            "--store", help=f"file path or SQLAlchemy URL (default: {DEFAULT_STORE})"
        )
    flush.add_argument(
        "--journal",
        help="folder of local journals (default: .store-journal beside the default store)",
    )
    db.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``hil db <action>``; the exit status (errors raise ``StoreError``)."""
    from harness.store import ResultsStore

    where = str(args.store or DEFAULT_STORE)
    if args.db_action == "flush":
        return _flush(where, args)
    create = args.db_action == "upgrade"
    with ResultsStore.open(where, create=create, check_schema=False) as store:
        if args.db_action == "upgrade":
            before, after = store.upgrade_schema()
            if before is None:
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


def _flush(where: str, args: argparse.Namespace) -> int:
    from harness.store_upload import flush_journals

    folder = Path(args.journal) if args.journal else DEFAULT_STORE.parent / ".store-journal"
    results = flush_journals(where, folder)
    for result in results:
        print(result.summary())
    if not results:
        print(f"{folder}: no journals waiting")
    return 0 if all(r.complete for r in results) else 1
