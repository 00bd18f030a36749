"""The pytest plugin: turns a pytest session into a traceable compliance run.

Registered through the ``pytest11`` entry point, so it is active wherever the harness is
installed, but it stays inert unless the session collects *compliance tests*: tests
marked ``@pytest.mark.requirement("OUT-AMP-L5", ...)``. For such a session it

1. validates every input before anything is touched: the bench file, the spec, the
   simulated faults, and that each marker names a requirement the spec has (a bad input
   ends the session with exit status 2 and a one-line message naming file and field);
2. begins the run when the first compliance test needs it (``hil_run`` fixture): the
   unit's identity comes from the ``unit_identity`` fixture (``fixtures/dut.py``), the
   instruments' from ``bench_identities`` when a bench is open;
3. gives each test a ``measure`` object, and after the test body has run fails the test
   if any of its measurements did not conform or a declared requirement went unmeasured
   (every number is recorded first, the failure comes last);
4. at the end, whatever happened, closes the run record and writes the results table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.data import SIM_BENCH
from harness.data import bench_path as packaged_or_given
from harness.errors import HilError, InputError

if TYPE_CHECKING:
    from harness.judging.verdict import Verdict
    from harness.plugin.run import ComplianceRun
    from harness.recording.captures import CaptureArchive
    from harness.recording.measure import Measure, Recorder

# Allure labels, attachments and the instrument event log come from their own plugin
# module, loaded with this one (an import here would be circular).
pytest_plugins = [
    "harness.plugin.allure",
    "harness.plugin.evidence",
    "harness.plugin.bench_fixtures",
    "harness.plugin.unit_fixtures",
]

RUN_KEY = pytest.StashKey["ComplianceRun"]()
_PROGRESS = pytest.StashKey["_ProgressToTerminal"]()
RECORDER_KEY = pytest.StashKey["Recorder"]()
MEASURE_KEY = pytest.StashKey["Measure"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "microcurrent-hil compliance run")
    group.addoption("--bench", help="bench file (default: fixtures/benches/sim.yaml)")
    group.addoption("--spec", help="spec file (default: the one the bench file names)")
    group.addoption("--serial", help="serial number the operator expects the unit to report")
    group.addoption("--operator", help="operator name (default: login name)")
    group.addoption("--station", help="station name (default: from the bench file)")
    group.addoption("--run-id", help="run id (default: generated)")
    group.addoption("--reports-dir", help="where reports/<run-id>/ is written (default: reports)")
    group.addoption(
        "--store",
        help="results store: a file path or SQLAlchemy URL (default: <reports-dir>/results.db)",
    )
    group.addoption(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environmental condition to record (repeatable)",
    )
    group.addoption(
        "--sim-fault",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="fault of the simulated unit (repeatable)",
    )
    group.addoption("--bench-pool", help="bench pool file: worker k of --workers uses bench k")
    group.addoption("--serials", help="unit serials for the workers: SN1,SN2 or @file")
    group.addoption(
        "--allow-expired-calibration",
        action="store_true",
        default=False,
        help="run with instruments past calibration; recorded as an override",
    )


class _ProgressToTerminal(logging.Handler):
    """Shows what an operator must see at once on the terminal, past pytest's capture:
    long waits ("waiting for auto power-off: 600 s elapsed…") and the results database
    going away or coming back.

    While a test runs, pytest has the terminal's file descriptors redirected into its
    capture, so a plain write would only appear if the test failed. A message from the
    main thread suspends the capture for its line, as pytest's live logging does. A
    message from another thread (the store's uploader) is held and written by the main
    thread at the next report, never swapping file descriptors under a running test.
    """

    def __init__(self, config: pytest.Config) -> None:
        super().__init__(logging.INFO)
        self._config = config
        self._held: list[str] = []
        self._held_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = f"hil: {record.getMessage()}"
        if threading.current_thread() is not threading.main_thread():
            with self._held_lock:
                self._held.append(line)
            return
        self.write_held()
        self._write(line)

    def write_held(self) -> None:
        """Write the lines other threads left (called by the main thread)."""
        with self._held_lock:
            lines, self._held = self._held, []
        for line in lines:
            self._write(line)

    def _write(self, line: str) -> None:
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = self._config.pluginmanager.get_plugin("capturemanager")
        suspended = capture.global_and_fixture_disabled() if capture else nullcontext()
        with suspended:
            reporter.ensure_newline()
            reporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the spec requirement ids this compliance test covers"
    )
    _one_blas_thread()
    progress = logging.getLogger("harness.progress")
    progress.setLevel(logging.INFO)
    handler = _ProgressToTerminal(config)
    progress.addHandler(handler)
    config.stash[_PROGRESS] = handler

    def remove() -> None:
        handler.write_held()
        progress.removeHandler(handler)

    config.add_cleanup(remove)
    _sigterm_as_interrupt(config)


def _sigterm_as_interrupt(config: pytest.Config) -> None:
    """SIGTERM behaves like Ctrl-C for the whole session, evidence included.

    A service manager or a line controller stops a run with SIGTERM; its default action
    ends the process at once, without the bench's safe state, the run's results or a
    word about the evidence package. As a ``KeyboardInterrupt`` it takes the same path
    as Ctrl-C: bench made safe, results written, the run marked interrupted or unsealed.
    """
    import signal

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    config.add_cleanup(restore)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After each test, write what background threads had to say."""
    handler = item.config.stash.get(_PROGRESS, None)
    if handler is not None:
        handler.write_held()


def _one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in a bench process.

    The analysis and the simulation hand BLAS vectors of a few thousand points; extra
    OpenBLAS threads gain no time on those, but spin while they wait and so burn about
    a fifth of a run's CPU (measured: 11.1 s of user time -> 9.0 s, wall time the same).
    On a production line each worker is a process of its own, and that spinning takes
    the other benches' cores (benchmarks/bench_parallel.py). The limit applies to the
    libraries loaded when it is set, so numpy (and with it its BLAS) is loaded first.
    """
    import numpy  # noqa: F401  (loads the BLAS library the limit is set on)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _exit_on_input_error(error: HilError) -> None:
    pytest.exit(f"input error: {error}", returncode=2)


def _declared(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids.extend(str(a) for a in marker.args)
    return ids


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    compliance = [item for item in items if _declared(item)]
    if not compliance or config.option.collectonly:
        if compliance:
            _prepare(config, compliance, check_only=True)
        return
    _prepare(config, compliance, check_only=False)


def _prepare(config: pytest.Config, items: list[pytest.Item], *, check_only: bool) -> None:
    from harness.plugin.run import (
        ComplianceRun,
        RunOptions,
        check_options,
        new_run_id,
        signing_key_for,
    )

    try:
        bench, spec = _load_inputs(config)
        for item in items:
            for rid in _declared(item):
                if rid not in spec.requirements:
                    path, line, _ = item.location
                    raise InputError(
                        path,
                        f"requirement marker of {item.name}",
                        f"a requirement id of spec {spec.id} {spec.version}",
                        line=None if line is None else line + 1,
                        got=rid,
                    )
        faults = _check_faults(config, bench)
        overrides = _calibration_overrides(config, bench)
        sign_key = signing_key_for(config.getoption("sign_key", None), bench)
    except HilError as error:
        _exit_on_input_error(error)
        return
    if check_only:
        return
    from harness.recording.provenance import login_name

    root = Path(str(config.rootpath))
    reports = Path(config.getoption("reports_dir") or root / "reports")
    env = {}
    for text in config.getoption("env"):
        key, sep, value = text.partition("=")
        if not sep or not key:
            _exit_on_input_error(InputError("--env", "env", "KEY=VALUE", got=text))
        env[key.strip()] = value.strip()
    index = _worker(config)
    run_id = config.getoption("run_id") or new_run_id()
    serial = config.getoption("serial")
    if index is not None:
        run_id = f"{run_id}-gw{index}"
        serials_opt = config.getoption("serials")
        if serials_opt:
            from harness.definitions.bench_pool import parse_serials

            try:
                serials = parse_serials(serials_opt)
            except HilError as error:
                _exit_on_input_error(error)
                return
            if index >= len(serials):
                _exit_on_input_error(
                    InputError(
                        "--serials", "serials", f"a serial for worker gw{index}", got=serials_opt
                    )
                )
            serial = serials[index]
        elif bench.document.simulation is not None and serial is None:
            serial = f"{bench.document.simulation.unit_serial.rsplit('-', 1)[0]}-{index + 1:04d}"
    options = RunOptions(
        run_id=run_id,
        operator=config.getoption("operator") or login_name(),
        station=config.getoption("station"),
        expected_serial=serial,
        reports_dir=reports,
        store_url=config.getoption("store") or str(reports / "results.db"),
        environment=env,
        overrides=overrides,
        sim_faults=faults,
        sign_key=sign_key,
    )
    run = ComplianceRun(options, bench, spec)
    try:
        check_options(options)
        run.open_store()  # a damaged store stops the run before the bench is opened
    except HilError as error:
        _exit_on_input_error(error)
        return
    config.stash[RUN_KEY] = run


def _worker(config: pytest.Config) -> int | None:
    """This process's index among pytest-xdist workers (None when not a worker)."""
    from harness.definitions.bench_pool import worker_index

    workerinput = getattr(config, "workerinput", None)
    return worker_index(workerinput.get("workerid") if workerinput else None)


def _load_inputs(config: pytest.Config) -> tuple[Any, Any]:
    from harness.definitions.bench_file import load_bench
    from harness.judging.spec import load_spec

    bench_opt = config.getoption("bench")
    bench_path = packaged_or_given(bench_opt) if bench_opt else SIM_BENCH
    pool_opt, index = config.getoption("bench_pool"), _worker(config)
    if pool_opt:
        from harness.definitions.bench_pool import load_pool

        pool = load_pool(packaged_or_given(pool_opt))
        bench_path = pool[(index or 0) % len(pool)]
    bench = load_bench(bench_path)
    spec_opt = config.getoption("spec")
    spec = load_spec(Path(spec_opt) if spec_opt else bench.spec_path)
    return bench, spec


def _check_faults(config: pytest.Config, bench: Any) -> list[str]:
    faults = list(config.getoption("sim_fault"))
    sim = bench.document.simulation
    if faults and sim is None:
        raise InputError(
            "--sim-fault", "sim-fault", f"a simulated bench (bench {bench.id} is real)"
        )
    if sim is not None:
        faults = [*sim.faults, *faults]
        try:
            from harness.sim.faults import parse_fault
        except ImportError:
            return faults
        for text in faults:
            parse_fault(text, source="--sim-fault")
    return faults


def _calibration_overrides(config: pytest.Config, bench: Any) -> list[str]:
    import datetime as dt

    expired = bench.expired(dt.date.today())
    if not expired:
        return []
    names = ", ".join(f"{i.name} ({i.model} {i.serial}, due {i.calibration_due})" for i in expired)
    if not config.getoption("allow_expired_calibration"):
        raise InputError(
            bench.path,
            "calibration_due",
            "instruments within calibration (or --allow-expired-calibration)",
            got=names,
        )
    return [f"instrument past calibration used by operator override: {names}"]


def compliance_run(config: pytest.Config) -> ComplianceRun | None:
    """The run of this session, or None when it has no compliance tests."""
    return config.stash.get(RUN_KEY, None)


@pytest.fixture(scope="session")
def hil_run(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """Begin the run (identity and serial check, run record) and yield its recorder."""
    run = compliance_run(request.config)
    if run is None:
        pytest.fail("hil_run needs a compliance test (one with a requirement marker)")
    unit = request.getfixturevalue("unit_identity")
    # the instruments are part of the record when the session's tests use the bench
    # (a suite whose unit identity comes from elsewhere may never open it)
    uses_bench = any("bench" in getattr(i, "fixturenames", ()) for i in request.session.items)
    identities = request.getfixturevalue("bench_identities") if uses_bench else []
    try:
        recorder = run.begin(unit, list(identities))
    except InputError as error:
        _exit_on_input_error(error)
        raise
    request.config.stash[RECORDER_KEY] = recorder
    yield recorder


class MeasureForCurrentTest:
    """The ``measure`` fixture: records against the requirements the running test declares.

    One object serves the whole session and forwards to a per-test ``Measure`` created on
    first use: a function-scoped fixture would cost every test ~0.3 ms of pytest's
    fixture machinery, as much as taking the measurement itself.
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def current(self) -> Measure:
        item = self._request.config.stash.get(CURRENT_ITEM_KEY, None)
        if item is None:
            raise RuntimeError("measure used outside a running test")
        m = _measure_of(item)
        if m is None:
            recorder = self._request.getfixturevalue("hil_run")
            m = _measure_of(item, recorder)
        assert m is not None
        return m

    def __call__(
        self, requirement_id: str, value: float | None, unit: str | None = None, **kwargs: Any
    ) -> Verdict:
        return self.current()(requirement_id, value, unit, **kwargs)

    def check(self, requirement_id: str, conforms: bool, **kwargs: Any) -> Verdict:
        return self.current().check(requirement_id, conforms, **kwargs)


CURRENT_ITEM_KEY = pytest.StashKey[pytest.Item]()


def _measure_of(item: pytest.Item, recorder: Recorder | None = None) -> Measure | None:
    """The test's ``Measure`` (created on first use); None before the run has begun."""
    from harness.recording.measure import Measure

    m = item.stash.get(MEASURE_KEY, None)
    if m is None:
        recorder = recorder or item.config.stash.get(RECORDER_KEY, None)
        if recorder is None:
            return None
        m = item.stash[MEASURE_KEY] = Measure(recorder, item.nodeid, _declared(item))
    return m


@pytest.fixture(scope="session")
def captures(request: pytest.FixtureRequest, hil_run: Recorder) -> CaptureArchive:
    """Where a compliance test keeps the raw records its verdicts come from."""
    from harness.recording.captures import CaptureArchive

    run = compliance_run(request.config)
    assert run is not None
    return CaptureArchive(run.run_dir)


@pytest.fixture(scope="session")
def measure(request: pytest.FixtureRequest, hil_run: Recorder) -> MeasureForCurrentTest:
    """Record measurements against the requirements the running test declares."""
    return MeasureForCurrentTest(request)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[CURRENT_ITEM_KEY] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and call.excinfo is not None and _declared(item):
        _record_not_shown(item, report, call.excinfo)
    m = item.stash.get(MEASURE_KEY, None)
    if m is None or call.when != "call" or not report.passed:
        return report
    problems = [
        f"{f.requirement_id}: {f.verdict}: {f.note}"
        if f.decision_rule == "check"
        else f"{f.requirement_id}: {f.verdict}: no value: {f.note or 'not measurable'}"
        if f.value is None
        else f"{f.requirement_id}: {f.verdict}: {f.value} {f.unit} "
        f"(U = {f.expanded_uncertainty:.3g}, limits {f.lower_limit}..{f.upper_limit}, "
        f"{f.decision_rule})"
        for f in m.failures
    ]
    problems += [
        f"{rid}: declared by the requirement marker but never measured" for rid in m.missing()
    ]
    if problems:
        report.outcome = "failed"
        report.longrepr = "non-conforming measurements:\n  " + "\n  ".join(problems)
    return report


def _record_not_shown(
    item: pytest.Item, report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException]
) -> None:
    """A compliance test that raised in set-up, body or tear-down did not show its
    requirements conform: record so (``Measure.not_shown``), naming the error, so that
    the results, the report and the yield never read such a test as a pass."""
    m = _measure_of(item)
    if m is None:  # the run never began (the bench did not open): nothing to record in
        return
    text = excinfo.exconly().strip()
    error = text.splitlines()[0] if text else excinfo.typename
    reason = f"not shown to conform: the test ended in {report.when} with {error}"
    try:
        m.not_shown(reason[:500])
    except Exception as failure:  # the store itself failing: the test's error says enough
        logging.getLogger(__name__).error(
            "%s: could not record %r: %s", item.nodeid, reason, failure
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = compliance_run(session.config)
    if run is None:
        return
    sealing = session.config.getoption("evidence", None) is not None
    table = run.finish(exitstatus, sealing=sealing)
    if table is not None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"hil: run {run.options.run_id} results: {table}")
