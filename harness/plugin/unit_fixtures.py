"""Unit-under-test fixtures: its identity and a freshly powered unit for each test.

``unit_identity`` powers the battery at the spec's nominal voltage (the unit's
microcontroller runs from the cell even when stimulation is off) and asks the unit who
it is over its test port; the plugin checks the serial against ``--serial`` and writes
the run record. ``fresh_unit`` gives each test a unit in a known state: bench safe,
battery at nominal, charger off, load open, unit powered on in standby.

A unit that restarts mid-test (watchdog, brown-out) is back off with its defaults; what
the test measures after that says nothing about the requirement. So a test that used
``fresh_unit`` ends with one more ``STAT?``, and the hook below turns a restart during
the test into the test's outcome (a ``DeviceResetError``, filed by Allure under device
communication errors), even if the body had already recorded a limit failure or broken
on the unit's unexpected state. Any device-port error that ends a test puts the bench in
its safe state at once, since the harness no longer knows what the unit is doing; the
next test's ``fresh_unit`` sets everything up again, so the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator

import pytest

from harness.bench.station import Bench
from harness.dut.buttons import DECLARED, declared
from harness.dut.operator import OperatorAbort, OperatorScriptError
from harness.dut.testport import DeviceResetError, TestPort
from harness.errors import DeviceCommError
from harness.judging.spec import Spec, load_spec
from harness.plugin.session import compliance_run
from harness.procedures.unit_control import power_cycle
from harness.recording.record import UnitIdentity

BATTERY_CH, CHARGER_CH = 1, 2
SUPPLY_LIMIT_A = 0.5

log = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def spec(request: pytest.FixtureRequest, bench: Bench) -> Spec:
    """The spec this run judges against (the plugin's, or the bench file's)."""
    run = compliance_run(request.config)
    return run.spec if run is not None else load_spec(bench.file.spec_path)


def power_battery(bench: Bench, spec: Spec, volts: float | None = None) -> None:
    """Battery supply channel at ``volts`` (default: the spec's nominal), output on."""
    v = spec.header.nominal("battery", "V") if volts is None else volts
    bench.supply.set_output(BATTERY_CH, v, SUPPLY_LIMIT_A)
    bench.supply.enable(BATTERY_CH, True)


@pytest.fixture(scope="session")
def unit_identity(request: pytest.FixtureRequest, bench: Bench, spec: Spec) -> UnitIdentity:
    """The unit as it reports itself (COM-ID), read with the battery connected; a unit
    without a test port as the bench file, the label and the operator declare it."""
    power_battery(bench, spec)
    if not bench.has_port:
        return declared_identity(bench, request.config.getoption("serial", None))
    ident = bench.dut.identify()
    return UnitIdentity(
        model=ident.model, serial=ident.serial, firmware=ident.firmware, hardware=ident.hardware
    )


@pytest.fixture
def fresh_unit(bench: Bench, spec: Spec, unit_identity: UnitIdentity) -> TestPort:
    """A unit in standby: load open, charger off, battery nominal, power-cycled on.

    The power cycle clears whatever the previous test left (a latched fault, BOOST, a
    finished session) the way an operator would, with the on/off command. The closing
    ``STAT?`` gives the port the boot count that the check after the test compares
    with. A restart that happened before this test (between tests) is logged and the
    set-up done again: nothing of this test had happened yet.
    """
    set_up_fresh_unit(bench, spec)
    return bench.dut


def set_up_fresh_unit(bench: Bench, spec: Spec) -> None:
    """What ``fresh_unit`` does, for fixtures that do it only sometimes."""

    def set_up() -> None:
        bench.select_load(None)
        bench.supply.enable(CHARGER_CH, False)
        power_battery(bench, spec)
        if not bench.has_port:  # buttons: each press confirmed by measurement
            stop_on_operator(bench, lambda: power_cycle(bench))
            return
        bench.dut.power_off()
        bench.dut.power_on()
        bench.dut.status()

    try:
        set_up()
    except DeviceResetError as restart:
        log.warning("the unit restarted before the test; setting it up again: %s", restart)
        set_up()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After a test on ``fresh_unit``: a restart during it becomes its error (see the
    module docstring); a device-port error ending it sends the bench to safe state."""
    funcargs: dict[str, object] = getattr(item, "funcargs", {})
    bench = funcargs.get("bench")
    on_unit = "fresh_unit" in funcargs or "shared_unit" in funcargs
    if not on_unit or not isinstance(bench, Bench):
        return (yield)
    if not bench.has_port:  # no port to ask whether it restarted; the operator may stop
        return (yield from _stopping_on_operator(bench))
    try:
        outcome = yield
    except DeviceCommError:
        _make_safe(bench)
        raise
    except (Exception, pytest.fail.Exception) as failure:
        _raise_if_restarted(bench, failure)
        raise
    _raise_if_restarted(bench, None)
    return outcome


def _stopping_on_operator(bench: Bench) -> Generator[None, object, object]:
    try:
        return (yield)
    except (OperatorAbort, OperatorScriptError) as stop:
        _stop_session(bench, stop)
        raise


def stop_on_operator(bench: Bench, action: Callable[[], None]) -> None:
    """Run ``action``; an operator's abort, or a script that does not answer what is
    asked, makes the bench safe and ends the session (one line, no test verdicts)."""
    try:
        action()
    except (OperatorAbort, OperatorScriptError) as stop:
        _stop_session(bench, stop)


def _stop_session(bench: Bench, stop: Exception) -> None:
    """End the session with the bench safe. An abort is an interruption, as Ctrl-C is
    (pytest's exit status 2, recorded as ``interrupted``: what was measured stands, the
    rest was never shown); a script that does not answer is an input error (also 2)."""
    _make_safe(bench)
    pytest.exit(
        f"stopped safely (bench {bench.file.id} made safe): {stop}",
        returncode=pytest.ExitCode.INTERRUPTED,
    )


def declared_identity(bench: Bench, expected_serial: str | None) -> UnitIdentity:
    """A unit without a test port: the model from the bench file, the serial from its
    label (``--serial``, or the operator, or the simulated unit's), and what only its
    firmware could tell (firmware version, hardware revision, the battery's state of
    charge) declared by the operator and marked so, or "not known": a battery the
    harness cannot read is never a measured PASS, yet a reader of the report needs the
    operator's word on it (a low cell changes the output's headroom)."""
    device = bench.file.document.device
    timeout_s = device.operator_timeout_s
    serial = expected_serial
    if serial is None and bench.operator is not None:
        answer = declared(
            bench.operator, "serial", "Type the serial on the unit's label", timeout_s
        )
        serial = answer.removesuffix(f" ({DECLARED})")
    if serial is None and bench.file.document.simulation is not None:
        serial = bench.file.document.simulation.unit_serial
    firmware = declared(
        bench.operator, "firmware", "Type the firmware version (box or menu)", timeout_s
    )
    hardware = declared(bench.operator, "hardware", "Type the hardware revision", timeout_s)
    battery = declared(
        bench.operator, "battery",
        "Type the battery's state of charge as the unit shows it (e.g. '3 of 4 bars')",
        timeout_s,
    )  # fmt: skip
    return UnitIdentity(
        model=device.model, serial=serial or "unknown", firmware=firmware, hardware=hardware,
        battery=battery,
    )  # fmt: skip


def _raise_if_restarted(bench: Bench, failure: BaseException | None) -> None:
    """Ask the unit (``STAT?``) whether it restarted during the test; if it did, or its
    port fails, that device error replaces the test's own outcome."""
    try:
        bench.dut.status()
    except DeviceCommError as error:
        _make_safe(bench)
        raise error from failure


def _make_safe(bench: Bench) -> None:
    problems = bench.safe_state()
    if problems:
        log.error("bench %s: safe state after a device error: %s", bench.file.id, problems)
