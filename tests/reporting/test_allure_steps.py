"""The bench-step decorator: one event-log line per action, Allure steps, nothing when off."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from harness.events import steps
from harness.events.steps import EVENTS_LOGGER, EventFormatter, bench_step


class FakeMeter:
    """A driver-shaped object: a ``name`` and decorated actions, one calling another."""

    def __init__(self) -> None:
        self.name = "dmm"
        self.calls = 0

    @bench_step
    def configure(self, range_a: float, nplc: float = 10.0) -> None:
        self.calls += 1

    @bench_step
    def read(self) -> float:
        self.calls += 1
        return 4.0e-4

    @bench_step
    def read_twice(self) -> list[float]:
        return [self.read(), self.read()]

    @bench_step
    def fail(self, code: int) -> None:
        raise RuntimeError(f"overload {code}")


@pytest.fixture
def event_lines() -> Iterator[io.StringIO]:
    """The events logger writing JSON lines into a buffer, as the Allure plugin sets it up."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(EventFormatter(lambda: {"test": "t::x"}))
    logger = logging.getLogger(EVENTS_LOGGER)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield buffer
    logger.removeHandler(handler)
    logger.setLevel(saved[0])
    logger.propagate = saved[1]


def events(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_one_line_per_action_with_arguments_duration_and_result(event_lines):
    meter = FakeMeter()
    meter.configure(1e-3, nplc=0.2)
    assert meter.read() == 4.0e-4
    first, second = events(event_lines)
    assert first["instrument"] == "dmm" and first["action"] == "configure"
    assert first["args"] == "0.001, nplc=0.2" and first["outcome"] == "ok"
    assert isinstance(first["duration_s"], float) and first["duration_s"] >= 0.0
    assert str(first["t"]).endswith("Z") and len(str(first["t"])) == len("2026-01-01T00:00:00.000Z")
    assert first["test"] == "t::x" and "depth" not in first
    assert second["result"] == 4.0e-4
    assert meter.calls == 2


def test_nested_actions_each_logged_with_their_depth(event_lines):
    FakeMeter().read_twice()
    lines = events(event_lines)
    # a line is written when its action ends: the inner reads come first
    assert [(e["action"], e.get("depth", 0)) for e in lines] == [
        ("read", 1),
        ("read", 1),
        ("read_twice", 0),
    ]


def test_a_failing_action_is_logged_as_an_error_and_raises_unchanged(event_lines):
    with pytest.raises(RuntimeError, match="overload 7"):
        FakeMeter().fail(7)
    (line,) = events(event_lines)
    assert line["outcome"] == "error" and line["error"] == "RuntimeError: overload 7"
    assert line["args"] == "7"


def test_bulky_arguments_are_named_not_printed(event_lines):
    import numpy as np

    FakeMeter().configure(np.zeros(100_000), nplc=(1, 2))
    (line,) = events(event_lines)
    assert line["args"] == "<ndarray>, nplc=(1, 2)"


def test_nothing_is_formatted_without_a_handler_or_allure(monkeypatch):
    """The fast path: no event is built, so no argument is ever repr'd. The events
    logger is set as a session without an event log has it (an earlier test in the same
    process may have left it enabled: this failed in one order of pytest-xdist's)."""
    monkeypatch.setattr(steps._Sinks, "allure", False)
    events = logging.getLogger(EVENTS_LOGGER)
    level = events.level
    events.setLevel(logging.WARNING)
    try:
        assert not events.isEnabledFor(logging.INFO)
        _formats_nothing()
    finally:
        events.setLevel(level)


def _formats_nothing() -> None:

    class Loud:
        def __repr__(self) -> str:
            raise AssertionError("formatted on the fast path")

    meter = FakeMeter()
    meter.configure(Loud())  # type: ignore[arg-type]
    assert meter.calls == 1


@pytest.fixture
def allure_steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Allure steps switched on; each start (title) and stop (exception type) seen."""
    from allure_commons import hookimpl, plugin_manager

    seen: list[tuple[str, str]] = []

    class Listener:
        @hookimpl
        def start_step(self, uuid, title, params):
            seen.append(("start", title))

        @hookimpl
        def stop_step(self, uuid, exc_type, exc_val, exc_tb):
            seen.append(("stop", exc_type.__name__ if exc_type else ""))

    listener = Listener()
    plugin_manager.register(listener)
    monkeypatch.setattr(steps._Sinks, "allure", True)
    yield seen
    plugin_manager.unregister(listener)


def test_allure_steps_open_and_close_around_each_action(allure_steps):
    seen = allure_steps
    meter = FakeMeter()
    meter.read_twice()
    with pytest.raises(RuntimeError):
        meter.fail(1)
    assert seen == [
        ("start", "dmm: read_twice()"),
        ("start", "dmm: read()"),
        ("stop", ""),
        ("start", "dmm: read()"),
        ("stop", ""),
        ("stop", ""),
        ("start", "dmm: fail(1)"),
        ("stop", "RuntimeError"),
    ]


def test_every_driver_action_of_the_role_protocols_is_a_bench_step():
    """Each public method a role protocol names is decorated in every concrete driver."""
    import inspect

    from harness.dut.rmd1_port import Rmd1TestPort
    from harness.dut.testport import TestPort
    from harness.instruments import protocols
    from harness.instruments.clock import SimClockInstrument, WallClock
    from harness.instruments.keithley_2450 import Keithley2450
    from harness.instruments.keysight_34465a import Keysight34465A
    from harness.instruments.keysight_34980a import Keysight34980A
    from harness.instruments.keysight_dsox1204g import KeysightDSOX1204G
    from harness.instruments.keysight_e36312a import KeysightE36312A
    from harness.instruments.rigol_dp832 import RigolDP832
    from harness.instruments.rigol_ds1054z import RigolDS1054Z
    from harness.instruments.serial_relay_board import SerialRelayBoard

    roles = {
        protocols.Ammeter: (Keysight34465A, Keithley2450),
        protocols.Oscilloscope: (KeysightDSOX1204G, RigolDS1054Z),
        protocols.PowerSupply: (KeysightE36312A, RigolDP832),
        protocols.LoadSwitch: (Keysight34980A, SerialRelayBoard),
        protocols.Clock: (WallClock, SimClockInstrument),
        TestPort: (Rmd1TestPort,),
    }
    missing = []
    for role, drivers in roles.items():
        actions = [
            name
            for name, member in inspect.getmembers(role)
            if not name.startswith("_") and inspect.isfunction(member)
        ]
        for driver in drivers:
            for name in actions:
                method = inspect.getattr_static(driver, name, None)
                for klass in driver.__mro__:  # the defining class's attribute
                    if name in vars(klass):
                        method = vars(klass)[name]
                        break
                if getattr(method, "__wrapped__", None) is None:
                    missing.append(f"{driver.__name__}.{name}")
    assert missing == []


def test_a_summary_step_stands_for_its_polls_which_stay_in_the_event_log(allure_steps, event_lines):
    meter = FakeMeter()
    with steps.summary_step("wait until ready") as outcome:
        for _ in range(5):
            meter.read()
        outcome("seen after 5 reads")
    meter.read()  # after the block: a step again
    assert allure_steps == [
        ("start", "wait until ready"),
        ("start", "seen after 5 reads"),
        ("stop", ""),
        ("stop", ""),
        ("start", "dmm: read()"),
        ("stop", ""),
    ]
    assert [e["action"] for e in events(event_lines)] == ["read"] * 6


def test_a_summary_step_left_by_an_exception_is_failed(allure_steps):
    with pytest.raises(RuntimeError), steps.summary_step("wait until ready") as outcome:
        outcome("not seen within 5 s")
        FakeMeter().fail(3)
    assert allure_steps == [
        ("start", "wait until ready"),
        ("start", "not seen within 5 s"),
        ("stop", ""),
        ("stop", "RuntimeError"),
    ]
    FakeMeter().read()  # the event-log-only state was restored
    assert allure_steps[-2:] == [("start", "dmm: read()"), ("stop", "")]


def test_a_wait_is_one_allure_step_with_its_outcome(allure_steps):
    from harness.procedures.waiting import wait_until

    class StepClock:
        name = "clock"
        t = 0.0

        @bench_step
        def now(self) -> float:
            return self.t

        @bench_step
        def sleep(self, seconds: float) -> None:
            self.t += seconds

    clock = StepClock()
    wait_until(clock, lambda: clock.t >= 30, what="unit off", timeout_s=60, step_s=10.0)
    assert allure_steps == [
        ("start", "wait until unit off (every 10 s, at most 60 s)"),
        ("start", "seen after 30 s (4 observations)"),
        ("stop", ""),
        ("stop", ""),
    ]
