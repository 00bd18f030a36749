"""Measurements survive the central database going away in the middle of a run.

On a production line every bench writes to one PostgreSQL server over the network. The
network or the server can fail for minutes while a unit is on the bench; the run must
neither stop nor lose a number. So a bench never depends on the server *during* a run:

* **Local first.** ``BufferedStore`` writes every run record and measurement to a local
  journal before ``append`` returns: a small SQLite results store of its own (same
  layout, ``durability="fsync"`` by default: flushed to the disk on each commit), in
  ``<reports>/.store-journal/`` (not in the run folder: that folder is sealed into the
  evidence manifest, which a journal removed after upload would then contradict). It
  is a complete copy of the run, so ``results.parquet`` can always be written from it
  (``.local``). The flush to disk costs about 3 ms per row on an ordinary disk;
  ``durability="normal"`` (as the embedded store) costs 0.1 ms and survives a crash of
  the process, not a power cut during an outage.
* **Uploaded behind the run.** A background thread copies new rows to the central store
  in batches. When the server does not answer, the thread says so once and retries every
  few seconds; the test goes on meanwhile.
* **Nothing twice.** Rows are keyed by ``(run_id, seq)``. Before each batch the uploader
  asks the server which of its rows it already has (a commit whose answer was lost with
  the connection) and checks they are the same, then inserts only the others.
* **Flushed at the end, and at the next start.** ``finish_run`` tries to upload the rest.
  A journal not fully uploaded stays on disk; the next ``BufferedStore.open`` on this
  machine (the next run) uploads it, as does ``hil db flush``. A journal whose process
  still holds its lock is never touched: another run on this PC is using it.
* **A crash loses nothing committed.** After SIGKILL the journal holds every
  acknowledged row; its run, still ``running``, is marked ``incomplete`` before upload.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import IO

from sqlalchemy import func, literal_column, select
from sqlalchemy.engine import Connection, make_url

from harness.provenance import host_name
from harness.record import Measurement, RunRecord, RunStatus, utc_now
from harness.store import ResultsStore, measurement_from_row
from harness.store_schema import (
    _FIXED_RUN_FIELDS,
    Durability,
    StoreError,
    measurements_table,
    runs_table,
)

_log = logging.getLogger("harness.progress")  # shown on the operator's terminal
_BATCH = 500


def open_store(url_or_path: str | Path, reports_dir: Path) -> ResultsStore | BufferedStore:
    """The store a run writes to: a local file as is, a database server buffered."""
    text = str(url_or_path)
    if isinstance(url_or_path, Path) or "://" not in text:
        return ResultsStore.open(url_or_path)
    if make_url(text).get_backend_name() == "sqlite":
        return ResultsStore.open(text)
    return BufferedStore.open(text, reports_dir / ".store-journal")


class _Upload:
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
            there = _has_run(conn, run_id)
        if there:
            theirs = central.get_run(run_id)
            changed = [f for f in _FIXED_RUN_FIELDS if getattr(theirs, f) != getattr(mine, f)]
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


def _has_run(conn: Connection, run_id: str) -> bool:
    query = select(runs_table.c.run_id).where(runs_table.c.run_id == run_id)
    return conn.execute(query).first() is not None


class BufferedStore:
    """A central results store behind a local journal; the interface of ``ResultsStore``
    for a run (``begin_run``, ``update_run``, ``append``, ``next_seq``, ``finish_run``,
    ``mark_stale_runs``, ``close``). Use ``BufferedStore.open``.
    """

    def __init__(
        self,
        url: str,
        journal_dir: Path,
        *,
        durability: Durability = "fsync",
        retry_interval_s: float = 5.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        journal_dir.mkdir(parents=True, exist_ok=True)
        name = f"{utc_now():%Y%m%dT%H%M%S}-{os.getpid()}-{secrets.token_hex(3)}"
        self.url = url
        self.journal = journal_dir / f"{name}.db"
        self._lock_file: IO[str] | None = _lock(journal_dir / f"{name}.lock")
        self.local = ResultsStore.open(self.journal, durability=durability)
        self.where = f"{self.local.where} -> {url}"
        self._upload = _Upload(self.local)
        self._retry_s, self._connect_s = retry_interval_s, connect_timeout_s
        self._central: ResultsStore | None = None
        self._central_lock = threading.RLock()
        self._next_try = 0.0
        self.behind = False  # the last attempt to reach the server failed
        self.error: StoreError | None = None  # a conflict: uploading stopped
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._work, name="store-upload", daemon=True)

    @classmethod
    def open(
        cls,
        url: str,
        journal_dir: Path,
        *,
        durability: Durability = "fsync",
        retry_interval_s: float = 5.0,
        connect_timeout_s: float = 5.0,
    ) -> BufferedStore:
        """Connect once (a layout this harness cannot use is refused here, as without a
        buffer), upload journals left by earlier runs, and start the uploader."""
        store = cls(
            url,
            journal_dir,
            durability=durability,
            retry_interval_s=retry_interval_s,
            connect_timeout_s=connect_timeout_s,
        )
        try:
            with store._central_lock:
                central = store._connect()
                if central is not None:
                    store._flush_earlier(central)
        except BaseException:
            store.close()
            raise
        store._thread.start()
        return store

    # -- the run's interface ---------------------------------------------------------

    def begin_run(self, record: RunRecord) -> None:
        """Record the run locally; when the server answers, it refuses a duplicate run id."""
        with self._central_lock:
            central = self._connect()
            if central is not None:
                try:
                    with central.reading() as conn:
                        duplicate = _has_run(conn, record.run_id)
                except Exception as exc:  # the server went away: decided at upload
                    self._lost(exc)
                    duplicate = False
                if duplicate:
                    raise StoreError(f"{central.where}: run {record.run_id!r} already exists")
        self.local.begin_run(record)
        self._changed(record.run_id)

    def update_run(self, record: RunRecord) -> None:
        self.local.update_run(record)
        self._changed(record.run_id)

    def append(self, m: Measurement) -> None:
        """Commit the row to the journal now; the uploader sends it on."""
        self.local.append(m)
        self._wake.set()

    def next_seq(self, run_id: str) -> int:
        return self.local.next_seq(run_id)

    def get_run(self, run_id: str) -> RunRecord:
        return self.local.get_run(run_id)

    def measurements(self, run_id: str | None = None) -> list[Measurement]:
        """This journal's measurements (the run as this bench took it)."""
        return self.local.measurements(run_id)

    def finish_run(self, run_id: str, status: RunStatus, ended_at: datetime) -> None:
        """Close the run locally, then try to upload the rest.

        During an outage this costs one connection attempt (``connect_timeout_s`` at most,
        a refused connection at once); what is not uploaded waits in the journal.
        """
        self.local.finish_run(run_id, status, ended_at)
        self._upload.mark_dirty(run_id)
        self.flush()

    def mark_stale_runs(self, host: str) -> list[str]:
        """Mark this host's abandoned runs on the server (nothing when it is away)."""
        with self._central_lock:
            central = self._connect()
            if central is None:
                return []
            try:
                return central.mark_stale_runs(host)
            except Exception as exc:
                self._lost(exc)
                return []

    def pending(self) -> int:
        """Rows and run records the server does not have yet."""
        return self._upload.pending()

    def flush(self) -> bool:
        """Upload everything now if the server answers; True when nothing is pending."""
        with self._central_lock:
            self._next_try = 0.0
            self._try_upload()
        return self.error is None and self.pending() == 0

    def close(self) -> None:
        """Stop the uploader; delete the journal when the server has all of it."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._central_lock:
            if not self.behind:
                self.flush()
            done = self.error is None and self.pending() == 0
            if self._central is not None:
                _quietly_close(self._central)
                self._central = None
        self.local.close()
        if done:
            _remove_journal(self.journal)
        elif self.journal.exists():
            _log.warning(f"results of this run kept in {self.journal}; they are uploaded at "
                         "the next run's start or by `hil db flush`")  # fmt: skip
        if self._lock_file is not None:
            self._lock_file.close()

    def __enter__(self) -> BufferedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _flush_earlier(self, central: ResultsStore) -> None:
        folder = self.journal.parent
        try:
            for result in flush_journals(self.url, folder, skip=self.journal, central=central):
                (_log.info if result.complete else _log.warning)(result.summary())
        except StoreError as exc:  # a damaged journal must not stop today's run
            _log.error(f"earlier journals in {folder} not uploaded: {exc}")
        except Exception as exc:
            self._lost(exc)

    def _changed(self, run_id: str) -> None:
        self._upload.mark_dirty(run_id)
        self._wake.set()

    def _work(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self._retry_s if self.behind else None)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._central_lock:
                self._try_upload()

    def _try_upload(self) -> None:
        if self.error is not None:
            return
        try:
            central = self._connect()
            if central is not None:
                self._upload.run(central)
        except StoreError as exc:  # a conflict: retrying cannot help; keep the journal
            self.error = exc
            _log.error(f"upload to the results database stopped: {exc}")
        except Exception as exc:  # the server or the network: keep and retry
            self._lost(exc)

    def _connect(self) -> ResultsStore | None:
        if self._central is not None:
            return self._central
        if time.monotonic() < self._next_try:
            return None
        try:
            self._central = ResultsStore.open(
                self.url, create=True, connect_timeout_s=self._connect_s
            )
        except StoreError:
            raise
        except Exception as exc:
            self._lost(exc)
            return None
        if self.behind:
            _log.info(f"results database {self._central.where} is back; uploading")
        self.behind = False
        return self._central

    def _lost(self, exc: BaseException) -> None:
        if not self.behind:
            _log.warning(f"results database unreachable ({type(exc).__name__}); measurements "
                         f"are kept in {self.journal} and uploaded when it returns")  # fmt: skip
        self.behind = True
        self._next_try = time.monotonic() + self._retry_s
        if self._central is not None:
            _quietly_close(self._central)
            self._central = None


@dataclass(frozen=True)
class FlushResult:
    """What ``flush_journals`` did with one journal."""

    journal: Path
    inserted: int
    complete: bool
    error: str | None = None

    def summary(self) -> str:
        state = "uploaded, removed" if self.complete else f"kept ({self.error or 'pending'})"
        return f"{self.journal}: {self.inserted} measurements inserted, {state}"


def flush_journals(
    url: str,
    folder: Path,
    *,
    skip: Path | None = None,
    central: ResultsStore | None = None,
) -> list[FlushResult]:
    """Upload the journals in ``folder`` that no running process holds, then remove them.

    Runs a dead process left ``running`` are marked ``incomplete`` first (its lock being
    free shows the process is gone). A server that does not answer raises.
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
                local = ResultsStore.open(path, create=False)
                try:
                    local.mark_stale_runs(host_name())
                    upload = _Upload(local, all_runs_dirty=True)
                    try:
                        inserted = upload.run(server)
                        error = None
                    except StoreError as exc:
                        inserted, error = 0, str(exc)
                    complete = error is None and upload.pending() == 0
                finally:
                    local.close()
                if complete:
                    _remove_journal(path)
                results.append(FlushResult(path, inserted, complete, error))
    return results


@contextmanager
def _store(url: str, given: ResultsStore | None) -> Iterator[ResultsStore]:
    if given is not None:
        yield given
        return
    with ResultsStore.open(url) as opened:
        yield opened


@contextmanager
def _locked(path: Path) -> Iterator[bool]:
    handle = _lock(path)
    try:
        yield handle is not None
    finally:
        if handle is not None:
            handle.close()


def _lock(path: Path) -> IO[str] | None:
    """An exclusive lock held while the file stays open; None when another holds it.

    The kernel releases it when its process dies, even by SIGKILL.
    """
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _remove_journal(path: Path) -> None:
    for suffix in ("-wal", "-shm", ""):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.with_suffix(".lock").unlink(missing_ok=True)


def _quietly_close(store: ResultsStore) -> None:
    try:
        store.close()
    except Exception:  # a connection already broken has nothing left to release
        logging.getLogger(__name__).debug("closing a lost connection", exc_info=True)
