"""The fixtures a compliance test uses: ``measure``, ``captures`` and the run behind them.

``hil_run`` begins the run when the first compliance test needs it: the unit's identity
comes from the ``unit_identity`` fixture (``harness.plugin.unit_fixtures``), the
instruments' from ``bench_identities`` when the session's tests use the bench. A bench
with an environment sensor is read at the run's start and again at its end
(``harness.bench.environment``): the conditions in the record are then measured, not
the bench file's entered values.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import HilError, InputError
from harness.plugin.session import (
    BEFORE_RECORD_KEY,
    CURRENT_ITEM_KEY,
    MEASURE_KEY,
    RECORDER_KEY,
    compliance_run,
    declared,
    exit_on_input_error,
)

if TYPE_CHECKING:
    from harness.judging.verdict import Verdict
    from harness.recording.captures import CaptureArchive
    from harness.recording.measure import Measure, Recorder


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
    bench = request.getfixturevalue("bench") if uses_bench else None
    if bench is not None:
        from harness.bench.environment import read_conditions

        try:
            run.options.measured_conditions = read_conditions(bench, "start")
        except HilError as error:  # a run that claims measured conditions must have them
            pytest.exit(f"cannot start the run: environment sensor: {error}", returncode=2)
    try:
        recorder = run.begin(unit, list(identities))
    except InputError as error:
        exit_on_input_error(error)
        raise
    request.config.stash[RECORDER_KEY] = recorder
    yield recorder
    if bench is not None:  # the bench closes after this fixture: it is still open here
        from harness.bench.environment import read_conditions

        run.add_conditions(read_conditions(bench, "end", tolerate_failure=True))


class MeasureForCurrentTest:
    """The ``measure`` fixture: records against the requirements the running test declares.

    One object serves the whole session and forwards to a per-test ``Measure`` created on
    first use: a function-scoped fixture would cost every test ~0.3 ms of pytest's
    fixture machinery, as much as taking the measurement itself.
    """

    def __init__(self, config: pytest.Config) -> None:
        self._stash = config.stash

    def _current(self) -> tuple[Measure, pytest.Item]:
        item = self._stash.get(CURRENT_ITEM_KEY, None)
        if item is None:
            raise RuntimeError("measure used outside a running test")
        m = measure_of(item)
        if m is None:  # the fixture depends on hil_run, which stashes the recorder
            raise RuntimeError("measure used before the run began")
        return m, item

    def current(self) -> Measure:
        return self._current()[0]

    def __call__(
        self, requirement_id: str, value: float | None, unit: str | None = None, **kwargs: Any
    ) -> Verdict:
        m, item = self._current()
        return m(requirement_id, value, unit, **_before_record(item, kwargs))

    def check(self, requirement_id: str, conforms: bool, **kwargs: Any) -> Verdict:
        m, item = self._current()
        return m.check(requirement_id, conforms, **_before_record(item, kwargs))


def _before_record(item: pytest.Item, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The running test's check before recording, and the conditions it adds."""
    before_record = item.stash.get(BEFORE_RECORD_KEY, None)
    if before_record is None:
        return kwargs
    added = before_record()
    return {**kwargs, "conditions": {**(kwargs.get("conditions") or {}), **added}}


def measure_of(item: pytest.Item, recorder: Recorder | None = None) -> Measure | None:
    """The test's ``Measure`` (created on first use); None before the run has begun."""
    from harness.recording.measure import Measure

    m = item.stash.get(MEASURE_KEY, None)
    if m is None:
        recorder = recorder or item.config.stash.get(RECORDER_KEY, None)
        if recorder is None:
            return None
        m = item.stash[MEASURE_KEY] = Measure(recorder, item.nodeid, declared(item))
    return m


SESSION_FIXTURES = "harness-session-fixtures"
_NEED_THE_RUN_KEY = pytest.StashKey[frozenset[object]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register this session's ``measure`` and ``captures``: closures over its config.

    Both need the run (``hil_run``) but declare no argument at all, so that a test using
    them pays pytest's fixture resolution for one cached value and nothing more:
    declaring ``request`` or ``hil_run`` (which takes ``request``) made pytest resolve
    ``request`` again for every test, cached or not (9.2 builds a ``RequestFixtureDef``
    each time, reading the signature of a new function), and put ``hil_run`` and
    ``request`` among each test's own fixtures: ~0.05 ms of CPU a test, a tenth of what
    the plugin added to a one-measurement test. ``pytest_fixture_setup`` below sets
    ``hil_run`` up as their first setup begins, where a declared dependency would
    have (the run begins, and ends, in the same order as before). They reach the config
    by closure, held by a module object made for the session and registered as a
    plugin (pytest reads a module's fixtures; a class's would be methods, which pytest 9
    deprecates for session fixtures): no module global, so two sessions in one process
    keep their own.
    """

    def captures() -> CaptureArchive:
        """Where a compliance test keeps the raw records its verdicts come from."""
        from harness.recording.captures import CaptureArchive

        run = compliance_run(config)
        assert run is not None
        return CaptureArchive(run.run_dir)

    def measure() -> MeasureForCurrentTest:
        """Record measurements against the requirements the running test declares."""
        return MeasureForCurrentTest(config)

    config.stash[_NEED_THE_RUN_KEY] = frozenset((captures, measure))
    holder = ModuleType(f"{__name__}.session_fixtures")
    holder.__file__ = __file__  # where its fixtures are written (pytest shows it with them)
    holder.captures = pytest.fixture(scope="session")(captures)  # type: ignore[attr-defined]
    holder.measure = pytest.fixture(scope="session")(measure)  # type: ignore[attr-defined]
    config.pluginmanager.register(holder, SESSION_FIXTURES)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    """The run begins before ``measure`` or ``captures`` is first made (their dependency on
    ``hil_run``, undeclared for speed: ``pytest_configure`` above). Called only when a
    fixture is set up, not when a cached value is reused."""
    if fixturedef.func in request.config.stash.get(_NEED_THE_RUN_KEY, frozenset()):
        request.getfixturevalue("hil_run")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[CURRENT_ITEM_KEY] = item
