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
* **Nothing twice.** Rows are keyed by ``(run_id, seq)``; the upload
  (``harness.recording.store.upload``) asks the server which rows of a batch it already has (a
  commit whose answer was lost with the connection), checks they are the same, and
  inserts only the others.
* **Flushed at the end, and at the next start.** ``finish_run`` tries to upload the rest.
  A journal not fully uploaded stays on disk; the next ``BufferedStore.open`` on this
  machine (the next run) uploads it, as does ``hil db flush``. A journal whose process
  still holds its lock is never touched: another run on this PC is using it.
* **A crash loses nothing committed.** After SIGKILL the journal holds every
  acknowledged row; its run, still ``running``, is marked ``incomplete`` before upload.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from harness.recording.record import Measurement, RunRecord, RunStatus, utc_now
from harness.recording.store.protocol import Store
from harness.recording.store.results_store import ResultsStore, StaleRuns
from harness.recording.store.schema import Durability, StoreError
from harness.recording.store.upload import (
    JournalUpload,
    close_quietly,
    flush_journals,
    has_run,
    lock_file,
    remove_journal,
)

_log = logging.getLogger("harness.progress")  # shown on the operator's terminal
_BATCH = 500


def open_store(url_or_path: str | Path, reports_dir: Path) -> Store:
    """The store a run writes to: a local file as is, a database server buffered."""
    text = str(url_or_path)
    if isinstance(url_or_path, Path) or "://" not in text:
        return ResultsStore.open(url_or_path)
    if make_url(text).get_backend_name() == "sqlite":
        return ResultsStore.open(text)
    return BufferedStore.open(text, reports_dir / ".store-journal")


class BufferedStore:
    """A central results store behind a local journal; the interface of ``ResultsStore``
    for a run (``begin_run``, ``update_run``, ``append``, ``next_seq``, ``finish_run``,
    ``set_status``, ``mark_stale_runs``, ``close``). Use ``BufferedStore.open``.
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
        self._lock_file: IO[str] | None = lock_file(journal_dir / f"{name}.lock")
        self.local = ResultsStore.open(self.journal, durability=durability)
        self.where = f"{self.local.where} -> {url}"
        self._upload = JournalUpload(self.local)
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
                        duplicate = has_run(conn, record.run_id)
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

    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        outcome: RunStatus | None = None,
        ended_at: datetime | None = None,
    ) -> None:
        """Change the run's status in the journal now; the uploader sends it on."""
        self.local.set_status(run_id, status, outcome=outcome, ended_at=ended_at)
        self._changed(run_id)

    def mark_stale_runs(self, host: str) -> StaleRuns:
        """Mark this host's abandoned runs on the server (nothing when it is away)."""
        with self._central_lock:
            central = self._connect()
            if central is None:
                return StaleRuns([], [])
            try:
                return central.mark_stale_runs(host)
            except Exception as exc:
                self._lost(exc)
                return StaleRuns([], [])

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
                close_quietly(self._central)
                self._central = None
        self.local.close()
        if done:
            remove_journal(self.journal)
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
            close_quietly(self._central)
            self._central = None
