"""Bench fixtures: the open bench and its instruments, by role, for the compliance suites.

The bench is opened once per session, from the bench file the plugin validated (or the
default simulated bench when a harness test asks for one directly), and put in its safe
state at start-up and at every end of the session: passed, failed, interrupted (Ctrl-C,
SIGTERM) or stopped by an instrument or the unit going silent. A bench that cannot be
opened (an instrument or the unit's port that does not answer, a VISA library that does
not load) or whose instrument does not answer ``*IDN?`` stops the session at once with
one line naming the part, its resource and the reason, and exit status 2: every test
would only fail the same way. What had been opened is left safe by ``open_bench``.
After each compliance test every instrument's error queue is drained; an error fails
that test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bench.station import Bench, open_bench
from harness.data import SIM_BENCH, bench_path
from harness.definitions.bench_file import load_bench
from harness.dut.testport import TestPort
from harness.errors import HilError
from harness.instruments.protocols import Ammeter, Clock, LoadSwitch, Oscilloscope, PowerSupply
from harness.plugin.session import compliance_run
from harness.recording.record import InstrumentIdentity

log = logging.getLogger(__name__)


def _check_hint(request: pytest.FixtureRequest) -> str:
    run = compliance_run(request.config)
    path = run.bench.path if run is not None else request.config.getoption("bench", None)
    return f"; `hil bench check {path}` checks every part" if path else ""


@pytest.fixture(scope="session")
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    """The open bench; safe state at start and at every end of the session."""
    run = compliance_run(request.config)
    try:
        if run is not None:
            file = run.bench
            faults, serial = run.options.sim_faults, run.options.expected_serial
        else:
            option = request.config.getoption("bench", None)
            path = bench_path(option) if option else SIM_BENCH
            file = load_bench(path)
            faults, serial = list(request.config.getoption("sim_fault", []) or []), None
        given = request.config.getoption("operator_input", None)
        opened = open_bench(
            file, faults=faults, serial=serial, operator_input=Path(given) if given else None
        )
    except HilError as error:  # one message and exit 2, not one error per test
        pytest.exit(f"cannot start the session: {error}{_check_hint(request)}", returncode=2)
    try:
        problems = opened.safe_state()
        if problems:
            pytest.exit(f"bench {opened.file.id}: safe state failed at start-up: {problems}", 2)
        try:
            wrong = opened.identity_problems()
        except HilError as error:  # opened, but it does not answer *IDN?
            pytest.exit(f"bench {opened.file.id}: {error}{_check_hint(request)}", 2)
        if wrong:
            pytest.exit(f"bench {opened.file.id} ({opened.file.path}): {'; '.join(wrong)}", 2)
        yield opened
    finally:
        problems = opened.safe_state()
        if problems:
            log.error("bench %s: safe state incomplete: %s", opened.file.id, problems)
        opened.close()


@pytest.fixture(scope="session")
def ammeter(bench: Bench) -> Ammeter:
    return bench.ammeter


@pytest.fixture(scope="session")
def scope(bench: Bench) -> Oscilloscope:
    return bench.scope


@pytest.fixture(scope="session")
def supply(bench: Bench) -> PowerSupply:
    return bench.supply


@pytest.fixture(scope="session")
def load_switch(bench: Bench) -> LoadSwitch:
    return bench.switch


@pytest.fixture(scope="session")
def clock(bench: Bench) -> Clock:
    return bench.clock


@pytest.fixture(scope="session")
def dut(bench: Bench) -> TestPort:
    return bench.dut


@pytest.fixture(scope="session")
def bench_identities(bench: Bench) -> list[InstrumentIdentity]:
    """Every instrument's ``*IDN?`` with its calibration date, for the run record."""
    return bench.identities()


DRAIN_ERRORS = "_instrument_errors_fail_the_test"


@pytest.fixture
def _instrument_errors_fail_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Drain ``SYST:ERR?`` of every instrument after each compliance test on the bench.

    Set up first and torn down last of the test's own fixtures, as an autouse fixture
    would be, but given only to the tests that can have used an instrument
    (``pytest_collection_modifyitems`` below): as an autouse fixture it cost every
    other test ~0.1 ms of pytest's fixture machinery for nothing.
    """
    yield
    if request.node.get_closest_marker("requirement") is None:
        return
    if "bench" not in request.fixturenames:
        return
    found = request.getfixturevalue("bench").check_errors()
    if found:
        pytest.fail(f"instrument errors after the test: {found}", pytrace=False)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The error drain goes first in the fixtures of each compliance test on the bench."""
    for item in items:
        names: list[str] | None = getattr(item, "fixturenames", None)
        if (
            names is not None
            and "bench" in names
            and DRAIN_ERRORS not in names
            and item.get_closest_marker("requirement") is not None
        ):
            names.insert(0, DRAIN_ERRORS)
