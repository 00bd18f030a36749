"""What a run needs of a results store, whatever holds the rows.

A run writes to an embedded SQLite file (``ResultsStore``) or, on a production line, to
a database server behind a local journal (``BufferedStore``). The run life cycle and the
recorder ask only for these operations, so either store (or a test's own) serves, and a
new kind of store is one class that has them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from harness.recording.record import Measurement, RunRecord, RunStatus
from harness.recording.store.results_store import ResultsStore
from harness.recording.store.schema import StaleRuns


class Store(Protocol):
    """A results store as a compliance run uses it: runs and their measurements."""

    where: str
    """Where the rows go, for messages (a path, or a URL without its password)."""

    @property
    def local(self) -> ResultsStore:
        """The bench's own copy of the rows (the journal when a server is behind it):
        complete even while a server is away, so the run's files are written from it."""
        ...

    def begin_run(self, record: RunRecord) -> None: ...
    def update_run(self, record: RunRecord) -> None: ...
    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        outcome: RunStatus | None = None,
        ended_at: datetime | None = None,
    ) -> None: ...
    def finish_run(self, run_id: str, status: RunStatus, ended_at: datetime) -> None: ...
    def mark_stale_runs(self, host: str) -> StaleRuns: ...
    def get_run(self, run_id: str) -> RunRecord: ...
    def append(self, m: Measurement) -> None: ...
    def next_seq(self, run_id: str) -> int: ...
    def measurements(self, run_id: str | None = None) -> list[Measurement]: ...
    def close(self) -> None: ...
