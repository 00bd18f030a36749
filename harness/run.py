"""One compliance run: its inputs, its record, its recorder, and how it ends.

``ComplianceRun`` is created when pytest has collected compliance tests (tests with a
``requirement`` marker). At that point the spec and bench file have been validated but
nothing has been touched. ``begin`` is called with the unit's identity (read over its
test port) once the bench is open: it checks the serial the operator expects, writes
the run record to the store and hands out the ``Recorder``. ``finish`` closes the run
with its status and writes the tidy results table to ``reports/<run-id>/`` whatever the
outcome: passed, failed or interrupted.

With ``--store postgresql://…`` the run writes through a local journal
(``harness.store_buffer``): a database that goes away mid-run costs nothing but a
warning, and what it missed is uploaded when it answers again (at the run's end, the
next run's start, or ``hil db flush``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from harness import __version__
from harness.benchfile import BenchFile
from harness.errors import InputError
from harness.measure import Recorder
from harness.provenance import git_commit, host_name, package_versions, python_version
from harness.record import InstrumentIdentity, RunRecord, RunStatus, UnitIdentity, utc_now
from harness.spec import Spec
from harness.store import ResultsStore
from harness.store_buffer import BufferedStore, open_store

_EXIT_STATUS: dict[int, RunStatus] = {0: "passed", 1: "failed", 2: "interrupted"}


def new_run_id(moment: datetime | None = None) -> str:
    """A unique, sortable run id: UTC start time plus 24 random bits."""
    moment = moment or utc_now()
    return f"{moment:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"


@dataclass
class RunOptions:
    """What the operator asked for (command line), after defaults are applied."""

    run_id: str
    operator: str
    station: str | None
    expected_serial: str | None
    reports_dir: Path
    store_url: str
    environment: dict[str, str] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    sim_faults: list[str] = field(default_factory=list)


def check_serial(expected: str | None, reported: str | None, source: str) -> str:
    """The unit's serial, or InputError when it is unknown or not what was expected."""
    reported = (reported or "").strip() or None
    if reported is None and expected is None:
        raise InputError(source, "serial", "a serial given with --serial or reported by the unit")
    if expected is not None and reported is not None and expected != reported:
        raise InputError(
            source, "serial", f"the unit to report serial {expected!r} (--serial)", got=reported
        )
    return reported or expected or ""


class ComplianceRun:
    """Inputs, record and recorder of one run; the plugin drives its life cycle."""

    def __init__(self, options: RunOptions, bench: BenchFile, spec: Spec) -> None:
        self.options = options
        self.bench = bench
        self.spec = spec
        self.record: RunRecord | None = None
        self.recorder: Recorder | None = None
        self.store: ResultsStore | BufferedStore | None = None

    @property
    def run_dir(self) -> Path:
        return self.options.reports_dir / self.options.run_id

    def begin(self, unit: UnitIdentity, instruments: list[InstrumentIdentity]) -> Recorder:
        """Write the run record (after the serial check) and return the recorder."""
        serial = check_serial(self.options.expected_serial, unit.serial, f"unit {unit.model}")
        unit = unit.model_copy(update={"serial": serial})
        header = self.bench.document.bench
        environment = {**header.environment, **self.options.environment}
        self.store = open_store(self.options.store_url, self.options.reports_dir)
        self.store.mark_stale_runs(host_name())
        self.record = RunRecord(
            run_id=self.options.run_id,
            unit=unit,
            bench_id=self.bench.id,
            station=self.options.station or header.station,
            operator=self.options.operator,
            spec_id=self.spec.id,
            spec_version=self.spec.version,
            spec_sha256=self.spec.sha256,
            harness_version=__version__,
            git_commit=git_commit(Path(__file__).parent),
            python_version=python_version(),
            packages=package_versions(),
            instruments=instruments,
            environment=environment,
            overrides=list(self.options.overrides),
            sim_faults=list(self.options.sim_faults),
            started_at=utc_now(),
            host=host_name(),
            pid=_pid(),
        )
        self.store.begin_run(self.record)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.recorder = Recorder(self.options.run_id, self.spec, self.store)
        return self.recorder

    def finish(self, exitstatus: int) -> Path | None:
        """Close the run and write ``results.parquet`` and ``run.json``; None if never begun."""
        if self.record is None or self.store is None:
            return None
        from harness.results import export  # pandas: imported only when a run ends

        status = _EXIT_STATUS.get(int(exitstatus), "error")
        ended = utc_now()
        self.store.finish_run(self.record.run_id, status, ended)
        self.record = self.record.model_copy(update={"status": status, "ended_at": ended})
        # From the bench's own copy: with a database server it is the journal, complete
        # even while the server is away (the upload catches up behind the run).
        local = self.store.local if isinstance(self.store, BufferedStore) else self.store
        table = export(local, self.record.run_id, "parquet", self.run_dir / "results.parquet")
        (self.run_dir / "run.json").write_text(
            json.dumps(self.record.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
        )
        self.store.close()
        return table


def _pid() -> int:
    import os

    return os.getpid()
