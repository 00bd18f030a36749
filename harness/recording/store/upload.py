"""Uploading a bench's journal to the central results database, exactly once.

``harness.recording.store.journal`` writes every measurement to a local journal first; this module
brings the journal's rows to the server, both behind a running run (``JournalUpload``,
driven by the store's uploader thread) and afterwards for journals left by runs that
ended or died during an outage (``flush_journals``, used at the next run's start and by
``hil db flush``).

Nothing is written twice: rows are keyed by ``(run_id, seq)``, and before each batch the
upload asks the server which of its rows it already has (a commit whose answer was lost
with the connection), checks they are the same, and inserts only the others. A row or a
run that exists on the server *differently* is a conflict: ``StoreError``, the journal
kept. A journal is only touched while its lock file can be taken, which its process
holds until it ends (the kernel frees it even after SIGKILL).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import IO

from filelock import lock_descriptor
from sqlalchemy import func, literal_column, select
from sqlalchemy.engine import Connection

from harness.recording.provenance import host_name
from harness.recording.record import Measurement
from harness.recording.store.results_store import ResultsStore, StaleRuns, measurement_from_row
from harness.recording.store.schema import (
    FIXED_RUN_FIELDS,
    STORE_SCHEMA_VERSION,
    StoreError,
    measurements_table,
    runs_table,
)

_BATCH = 500


class JournalUpload:
    """Copies one journal's runs and measurements to a central store, idempotently."""

    def __init__(self, local: ResultsStore, *, all_runs_dirty: bool = False) -> None:
        self.local = local
        self.after_rowid = 0  # journal rows up to this rowid are on the server
        self._present: set[str] = set()  # runs known to exist on the server
        self._guard = threading.Lock()
        self._dirty = {r.run_id for r in local.runs()} if all_runs_dirty else set()

    def mark_dirty(self, run_id: str) -> None:
        with self._guard:
            self._dirty.add(run_id)

    def pending(self) -> int:
        """Journal rows not yet uploaded, plus run records not yet brought up to date."""
        with self.local.reading() as conn:
            rows = conn.execute(
                select(func.count()).where(literal_column("rowid") > self.after_rowid)
                .select_from(measurements_table)
            ).scalar_one()  # fmt: skip
        with self._guard:
            return int(rows) + len(self._dirty)

    def run(self, central: ResultsStore) -> int:
        """Upload everything the journal holds now; the number of rows inserted."""
        inserted = 0
        while batch := self._next_batch():
            for run_id, group in groupby(batch, key=lambda row: row[1].run_id):
                self._ensure_run(central, run_id)
                inserted += self._copy(central, run_id, [m for _, m in group])
            self.after_rowid = batch[-1][0]
        with self._guard:
            todo, self._dirty = self._dirty, set()
        try:
            for run_id in sorted(todo):
                self._sync_run(central, run_id)
                todo.discard(run_id)
        finally:
            with self._guard:
                self._dirty |= todo
        return inserted

    def _next_batch(self) -> list[tuple[int, Measurement]]:
        query = (
            select(literal_column("rowid").label("rowid_"), measurements_table)
            .where(literal_column("rowid") > self.after_rowid)
            .order_by(literal_column("rowid"))
            .limit(_BATCH)
        )
        with self.local.reading() as conn:
            rows = [row._asdict() for row in conn.execute(query)]
        return [(int(row.pop("rowid_")), measurement_from_row(row)) for row in rows]

    def _ensure_run(self, central: ResultsStore, run_id: str) -> None:
        if run_id in self._present:
            return
        mine = self.local.get_run(run_id)
        with central.reading() as conn:
            there = has_run(conn, run_id)
        if there:
            theirs = central.get_run(run_id)
            changed = [f for f in FIXED_RUN_FIELDS if getattr(theirs, f) != getattr(mine, f)]
            if changed:
                raise StoreError(
                    f"{central.where}: run {run_id!r} exists there as another run "
                    f"({', '.join(changed)} differ); journal kept, nothing uploaded"
                )
        else:  # its end, if any, is written after its measurements (_sync_run)
            central.begin_run(mine.model_copy(update={"status": "running", "ended_at": None}))
        self._present.add(run_id)

    def _copy(self, central: ResultsStore, run_id: str, rows: list[Measurement]) -> int:
        m = measurements_table
        query = select(m).where(m.c.run_id == run_id, m.c.seq.in_([r.seq for r in rows]))
        with central.reading() as conn:
            there = {r.seq: measurement_from_row(r._asdict()) for r in conn.execute(query)}
        for row in rows:
            if row.seq in there and there[row.seq] != row:
                raise StoreError(
                    f"{central.where}: run {run_id!r} seq {row.seq} differs from the "
                    "journal's; journal kept"
                )
        missing = [row for row in rows if row.seq not in there]
        central.append_many(missing)
        return len(missing)

    def _sync_run(self, central: ResultsStore, run_id: str) -> None:
        self._ensure_run(central, run_id)
        mine, theirs = self.local.get_run(run_id), central.get_run(run_id)
        if mine == theirs or (mine.status == "running" and theirs.status != "running"):
            return  # never reopen a run the server already saw closed
        central.update_run(mine)


def has_run(conn: Connection, run_id: str) -> bool:
    query = select(runs_table.c.run_id).where(runs_table.c.run_id == run_id)
    return conn.execute(query).first() is not None


@dataclass(frozen=True)
class FlushResult:
    """What ``flush_journals`` did with one journal."""

    journal: Path
    inserted: int
    complete: bool
    error: str | None = None
    stale: StaleRuns = field(default_factory=lambda: StaleRuns([], []))
    """Runs of the journal whose process had died, marked before the upload."""

    def summary(self) -> str:
        """One line, then one per dead run (journals live in ``<reports>/.store-journal``)."""
        state = "uploaded, removed" if self.complete else f"kept ({self.error or 'pending'})"
        told = self.stale.messages(self.journal.parent.parent)
        return "\n".join([f"{self.journal}: {self.inserted} measurements inserted, {state}", *told])


def flush_journals(
    url: str,
    folder: Path,
    *,
    skip: Path | None = None,
    central: ResultsStore | None = None,
) -> list[FlushResult]:
    """Upload the journals in ``folder`` that no running process holds, then remove them.

    Runs a dead process left ``running`` are marked ``incomplete`` first, ``sealing`` ones
    ``unsealed`` (its lock being free shows the process is gone; ``FlushResult.stale``).
    A damaged journal is kept and reported, the others still uploaded. A server that
    does not answer raises (``StoreUnreachable``).
    """
    results: list[FlushResult] = []
    paths = sorted(p for p in folder.glob("*.db") if p != skip) if folder.is_dir() else []
    if not paths:
        return results
    with _store(url, central) as server:
        for path in paths:
            with _locked(path.with_suffix(".lock")) as held:
                if not held or not path.exists():
                    continue  # its run is still going, or another flush just took it
                try:
                    local = _open_journal(path)
                except StoreError as exc:  # a damaged journal: kept, the others go on
                    results.append(FlushResult(path, 0, False, str(exc)))
                    continue
                try:
                    stale = local.mark_stale_runs(host_name())
                    upload = JournalUpload(local, all_runs_dirty=True)
                    try:
                        inserted = upload.run(server)
                        error = None
                    except StoreError as exc:
                        inserted, error = 0, str(exc)
                    complete = error is None and upload.pending() == 0
                finally:
                    local.close()
                if complete:
                    remove_journal(path)
                results.append(FlushResult(path, inserted, complete, error, stale))
    return results


def _open_journal(path: Path) -> ResultsStore:
    """A journal, its layout first brought to this harness's version.

    A journal is the harness's own file, not a shared database: one left by an older
    harness during an outage is migrated here, so its rows are not stranded after an
    upgrade (a newer one is still refused). Its older rows read as they were written.
    """
    with ResultsStore.open(path, create=False, check_schema=False) as raw:
        version = raw.schema_version()
        if version is not None and version < STORE_SCHEMA_VERSION:
            raw.upgrade_schema()
    return ResultsStore.open(path, create=False)


@contextmanager
def _store(url: str, given: ResultsStore | None) -> Iterator[ResultsStore]:
    if given is not None:
        yield given
        return
    with ResultsStore.open(url) as opened:
        yield opened


@contextmanager
def _locked(path: Path) -> Iterator[bool]:
    handle = lock_file(path)
    try:
        yield handle is not None
    finally:
        if handle is not None:
            handle.close()


def lock_file(path: Path) -> IO[str] | None:
    """An exclusive lock held while the file stays open; None when another holds it.

    The kernel releases it when its process dies, even by SIGKILL. The lock is
    filelock's native one (``flock`` on POSIX, ``LockFileEx`` on Windows), so a bench PC
    on either keeps two processes off one journal.
    """
    handle = path.open("a")
    try:
        locked = lock_descriptor(handle.fileno(), blocking=False)
    except BaseException:
        handle.close()
        raise
    if not locked:
        handle.close()
        return None
    return handle


def remove_journal(path: Path) -> None:
    for suffix in ("-wal", "-shm", ""):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # Windows refuses to remove the file of a lock still held (ours, released just after);
    # an empty lock file left behind is harmless
    with contextlib.suppress(PermissionError):
        path.with_suffix(".lock").unlink(missing_ok=True)


def close_quietly(store: ResultsStore) -> None:
    try:
        store.close()
    except Exception:  # a connection already broken has nothing left to release
        logging.getLogger(__name__).debug("closing a lost connection", exc_info=True)
