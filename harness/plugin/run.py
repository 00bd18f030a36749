"""One compliance run: its inputs, its record, its recorder, and how it ends.

``ComplianceRun`` is created when pytest has collected compliance tests (tests with a
``requirement`` marker). At that point the spec and bench file have been validated but
nothing has been touched. ``begin`` is called with the unit's identity (read over its
test port) once the bench is open: it checks the serial the operator expects, writes
the run record to the store and hands out the ``Recorder``. ``finish`` closes the run
with its status and writes the tidy results table to ``reports/<run-id>/`` whatever the
outcome: passed, failed or interrupted.

With ``--store postgresql://…`` the run writes through a local journal
(``harness.recording.store.journal``): a database that goes away mid-run costs nothing but a
warning, and what it missed is uploaded when it answers again (at the run's end, the
next run's start, or ``hil db flush``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from harness import __version__
from harness.bench.environment import judged
from harness.definitions.bench_file import BenchFile
from harness.errors import InputError
from harness.judging.names import check_identifier, check_person_or_place
from harness.judging.spec import Spec
from harness.recording.equipment import reference_standards, with_calibration
from harness.recording.measure import Recorder
from harness.recording.provenance import git_commit, host_name, package_versions, python_version
from harness.recording.record import (
    Accreditation,
    Approver,
    EnvironmentReading,
    InstrumentIdentity,
    LaboratoryRecord,
    RunRecord,
    RunStatus,
    UnitIdentity,
    utc_now,
)
from harness.recording.store import Store, open_store
from harness.recording.store.results_store import ResultsStore

_progress = logging.getLogger("harness.progress")
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
    sign_key: Path | None = None
    """The private key the evidence package is signed with (None: unsigned)."""
    laboratory: LaboratoryRecord | None = None
    """The laboratory of the bench's lab file (name, address, accreditation, approvers)."""
    measured_conditions: list[EnvironmentReading] = field(default_factory=list)
    """Conditions read from the bench's environment sensor; they replace entered ones."""


def signing_key_for(option: str | None, bench: BenchFile) -> Path | None:
    """The key a run signs with: ``--sign-key``, else the bench's laboratory file's.

    The key is loaded once here, before anything is opened: a run that was meant to be
    signed must fail at its start, not end unsigned (``InputError`` naming the file).
    """
    if option:
        from harness.reporting.signing import load_private_key  # cryptography: when signing

        load_private_key(Path(option))
        return Path(option)
    if bench.lab_path is None:
        return None
    from harness.reporting.trust import load_lab

    return load_lab(bench.lab_path).usable_signing_key()


def laboratory_for(bench: BenchFile) -> LaboratoryRecord | None:
    """The laboratory of the bench's lab file, copied into the run record at its start.

    The report prints it (name, address, accreditation) and lists its approvers in the
    signature block; None when the bench names no lab file.
    """
    if bench.lab_path is None:
        return None
    from harness.reporting.trust import load_lab

    lab = load_lab(bench.lab_path)
    acc = lab.accreditation
    return LaboratoryRecord(
        name=lab.name,
        address=lab.address,
        accreditation=None
        if acc is None
        else Accreditation(body=acc.body, number=acc.number, scope=acc.scope),
        approvers=[Approver(name=a.name, role=a.role) for a in lab.approvers],
    )


def operator_for(option: str | None, bench: BenchFile) -> str:
    """Who performs the run: ``--operator``; on a simulated bench the login by default.

    A report names the person who performed the test (ISO/IEC 17025 7.8.2.1 o). On a
    real bench the login of a shared test PC is not that person, so the name must be
    given; a simulated run may fall back to the login, as it tests no unit.
    """
    if option:
        return option
    if bench.document.simulation is None:
        raise InputError(
            "--operator", "operator",
            f"the name of the person performing the test (required on real bench {bench.id})",
        )  # fmt: skip
    from harness.recording.provenance import login_name

    return login_name()


def check_serial(expected: str | None, reported: str | None, source: str) -> str:
    """The unit's serial, or InputError when it is unknown or not what was expected.

    A serial the unit reports is checked like one typed by the operator: it becomes part
    of the record, the report and the Allure identity of every test.
    """
    reported = (reported or "").strip() or None
    if reported is None and expected is None:
        raise InputError(source, "serial", "a serial given with --serial or reported by the unit")
    if reported is not None:
        check_identifier(reported, source=source, field="serial reported by the unit")
    if expected is not None and reported is not None and expected != reported:
        raise InputError(
            source, "serial", f"the unit to report serial {expected!r} (--serial)", got=reported
        )
    return reported or expected or ""


def check_options(options: RunOptions) -> None:
    """Every name the operator typed, and that the run id is new; before anything opens.

    A run id names one run forever: one that already has a folder under the reports
    folder, or a row in a local results store, is refused (``InputError``), so a re-used
    id can never rewrite, re-seal or append to another run's evidence.
    """
    check_identifier(options.run_id, source="--run-id", field="run id")
    if options.expected_serial is not None:
        check_identifier(options.expected_serial, source="--serial", field="serial")
    check_person_or_place(options.operator, source="--operator", field="operator")
    if options.station is not None:
        check_person_or_place(options.station, source="--station", field="station")
    folder = options.reports_dir / options.run_id
    if folder.is_symlink() or (folder.exists() and _holds_a_run(folder)):
        raise InputError(
            "--run-id", "run id", "a run id not used before (a run id names one run forever)",
            got=f"{options.run_id} (its folder {folder} exists)",
        )  # fmt: skip
    if _run_in_local_store(options.store_url, options.run_id):
        raise InputError(
            "--run-id", "run id", "a run id not used before (a run id names one run forever)",
            got=f"{options.run_id} (in the results store {options.store_url})",
        )  # fmt: skip


def _holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` holds more than the Allure results folder this very session
    made when it started (allure-pytest creates ``--alluredir`` at configuration)."""
    if not folder.is_dir():
        return True
    return any(entry.name != "allure-results" for entry in folder.iterdir())


def _run_in_local_store(store_url: str, run_id: str) -> bool:
    """Whether a local (SQLite) store already holds ``run_id``; False if there is no store.

    A database server is not asked here: it may be away at the start of a run, which the
    local journal is there to survive; the upload refuses a run id the server already has.
    """
    from harness.recording.store.schema import StoreError

    if "://" in store_url and not store_url.startswith("sqlite"):
        return False
    path = Path(store_url.removeprefix("sqlite:///")) if "://" in store_url else Path(store_url)
    if not path.is_file():
        return False
    store = ResultsStore.open(store_url, create=False)
    try:
        store.get_run(run_id)
    except StoreError:
        return False
    finally:
        store.close()
    return True


class ComplianceRun:
    """Inputs, record and recorder of one run; the plugin drives its life cycle."""

    def __init__(self, options: RunOptions, bench: BenchFile, spec: Spec) -> None:
        self.options = options
        self.bench = bench
        self.spec = spec
        self.record: RunRecord | None = None
        self.recorder: Recorder | None = None
        self.store: Store | None = None

    @property
    def run_dir(self) -> Path:
        return self.options.reports_dir / self.options.run_id

    def begin(self, unit: UnitIdentity, instruments: list[InstrumentIdentity]) -> Recorder:
        """Write the run record (after the serial check) and return the recorder."""
        serial = check_serial(self.options.expected_serial, unit.serial, f"unit {unit.model}")
        unit = unit.model_copy(update={"serial": serial})
        header = self.bench.document.bench
        environment = {**header.environment, **self.options.environment}
        measured = {c.quantity: c for c in self.options.measured_conditions}
        conditions = [*self.options.measured_conditions] + [
            judged(EnvironmentReading(quantity=name, value=value, source="entered"),
                   header.allowed_conditions)
            for name, value in environment.items()
            if name not in measured
        ]  # fmt: skip
        environment.update({c.quantity: c.value for c in measured.values()})
        store = self.store or self.open_store()
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
            instruments=with_calibration(instruments, self.bench),
            reference_standards=reference_standards(self.bench),
            laboratory=self.options.laboratory,
            environment=environment,
            conditions=conditions,
            overrides=list(self.options.overrides),
            sim_faults=list(self.options.sim_faults),
            started_at=utc_now(),
            host=host_name(),
            pid=_pid(),
        )
        store.begin_run(self.record)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.recorder = Recorder(self.options.run_id, self.spec, store)
        return self.recorder

    def add_conditions(self, readings: list[EnvironmentReading]) -> None:
        """Add conditions read after the run began (the sensor at the run's end) to the
        record, in the store now and in ``run.json`` when the run finishes."""
        if self.record is None or not readings:
            return
        conditions = [*self.record.conditions, *readings]
        self.record = self.record.model_copy(update={"conditions": conditions})
        if self.store is not None:
            self.store.update_run(self.record)

    def open_store(self) -> Store:
        """Open the results store and say what earlier runs on this host left behind.

        Called before the bench is opened, so a damaged store stops the run before any
        instrument is touched. A run whose process died while testing becomes
        ``incomplete``, one that died while its evidence was being sealed ``unsealed``;
        each is named on the terminal with what to do, and its folder gets the
        ``run.json`` and ``results.parquet`` it lacks from the store, so it can be sealed
        late (a run stopped before its process had written them: killed, or interrupted,
        between its last test and its results).
        """
        if self.store is not None:
            return self.store
        self.store = open_store(self.options.store_url, self.options.reports_dir)
        stale = self.store.mark_stale_runs(host_name())
        for run_id in stale.incomplete:
            folder = self.options.reports_dir / run_id
            kept = _write_left_behind(self.store, run_id, folder)
            _progress.warning(
                f"run {run_id} ended while testing (its process is gone): marked incomplete"
                + (f"; its results are in {folder}; seal it late: hil evidence seal {folder}"
                   if kept else "")
            )  # fmt: skip
        for run_id in stale.unsealed:
            folder = self.options.reports_dir / run_id
            _write_left_behind(self.store, run_id, folder)
            _progress.warning(
                f"run {run_id} ended while its evidence was being sealed: marked unsealed; "
                f"seal it late: hil evidence seal {folder}"
            )
        return self.store

    def finish(self, exitstatus: int, *, sealing: bool = False) -> Path | None:
        """Close the tests of the run and write ``results.parquet`` and ``run.json``.

        With ``sealing`` the evidence package is built next (``sealed`` or
        ``left_unsealed`` must follow): the store says ``sealing`` meanwhile, with the
        tests' outcome beside it, so a process killed while reporting or sealing leaves
        a state the next start finds. None if the run never began.
        """
        if self.record is None or self.store is None:
            self.close()
            return None
        from harness.recording.results_parquet import write_run_parquet  # pyarrow, no pandas

        outcome = _EXIT_STATUS.get(int(exitstatus), "error")
        ended = utc_now()
        self.record = self.record.model_copy(update={"status": outcome, "ended_at": ended})
        if sealing:
            self.store.update_run(
                self.record.model_copy(update={"status": "sealing", "outcome": outcome})
            )
        else:
            self.store.finish_run(self.record.run_id, outcome, ended)
        # From the bench's own copy: with a database server it is the journal, complete
        # even while the server is away (the upload catches up behind the run).
        # With ``sealing`` the table carries the tests' outcome as its run status: the
        # store says ``sealing`` (so a kill from this instant on is found), but the
        # table is part of the sealed package, where ``sealing`` would no longer hold.
        table = write_run_parquet(
            self.store.local,
            self.record.run_id,
            self.run_dir / "results.parquet",
            run_status=outcome if sealing else None,
        )
        _write_run_json(self.run_dir, self.record)
        if not sealing:
            self.close()
        return table

    def sealed(self) -> None:
        """The evidence package is sealed: the store takes the tests' outcome as status."""
        if self.record is not None and self.store is not None:
            self.store.update_run(self.record)
        self.close()

    def left_unsealed(self) -> None:
        """The evidence package could not be sealed: the store says ``unsealed``."""
        if self.record is not None and self.store is not None:
            outcome = self.record.status
            self.store.update_run(
                self.record.model_copy(update={"status": "unsealed", "outcome": outcome})
            )
        self.close()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _write_run_json(run_dir: Path, record: RunRecord) -> None:
    """``run.json``: the package's own copy of the run record (its outcome as status)."""
    data = record.model_copy(update={"outcome": None}).model_dump(mode="json")
    partial = run_dir / ".run.json.partial"  # renamed into place: whole or absent
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, run_dir / "run.json")


def _write_left_behind(store: Store, run_id: str, folder: Path) -> bool:
    """Give an abandoned run's folder its ``run.json`` and ``results.parquet`` from the
    store (never replacing one), so it can be sealed late. False without a folder.

    An ``unsealed`` run's files carry its tests' outcome as status, as ``finish`` writes
    them: the package holds how the tests ended, the store how the sealing did."""
    from harness.recording.results_parquet import write_run_parquet

    if not folder.is_dir() or (folder / "run.json").exists():
        return False
    local = store.local
    try:
        record = local.get_run(run_id)
    except Exception:  # the store has no row: nothing to write (the folder says enough)
        return False
    outcome = record.outcome if record.status == "unsealed" else None
    if outcome is not None:
        record = record.model_copy(update={"status": outcome})
    write_run_parquet(local, run_id, folder / "results.parquet", run_status=outcome)
    _write_run_json(folder, record)
    return True


def _pid() -> int:
    return os.getpid()
