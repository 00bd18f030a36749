"""The test plan: which tests share one power-on, in what order, and the bench time.

Sequentially, every compliance test powers the unit on afresh, so the 20-minute auto-off
alone keeps the bench idle for 20 minutes. Tests marked
``@pytest.mark.shares_power_on("<window>")`` may be timed on one power-on: the plan
puts a window's selected tests next to each other (in file order, at the first one's
place) and gives each the window's ``SharedPowerOn`` through the ``shared_unit``
fixture; each member then joins the running treatment only if it still holds
(``procedures.shared_power_on``). ``--sequential`` keeps every test on its own power-on,
in collection order.

Before the first test the terminal says the plan and the bench time it expects: the sum
of each test's ``@pytest.mark.bench_time(seconds)`` (``DEFAULT_BENCH_S`` where a test
has none), a window counting as its longest member. The plan is in the event log
(``plan``), each shared measurement names whom it shared the power-on with in its
conditions, and each test's bench time as run is logged when it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest

from harness.bench.station import Bench
from harness.judging.spec import Spec
from harness.plugin.session import declared
from harness.plugin.unit_fixtures import set_up_fresh_unit
from harness.procedures.shared_power_on import SharedPowerOn
from harness.recording.record import UnitIdentity

log = logging.getLogger(__name__)

DEFAULT_BENCH_S = 5.0
"""The bench time expected of a test that states none: a power-on, a settle, a few
captures (a test expected to take longer says so)."""


@dataclass
class TestPlan:
    """The windows of this session and the bench time expected of the selection."""

    sequential: bool
    windows: dict[str, SharedPowerOn] = field(default_factory=dict)
    member_of: dict[str, str] = field(default_factory=dict)
    """Test node id → the window it shares a power-on in."""
    expected_s: float = 0.0
    sequential_s: float = 0.0

    def window_for(self, item: pytest.Item) -> SharedPowerOn:
        name = self.member_of.get(item.nodeid)
        if name is None:  # on its own power-on
            return SharedPowerOn(_window_name(item) or item.nodeid)
        return self.windows[name]

    def lines(self) -> list[str]:
        """What the operator is told before the start."""
        order = "one after another (--sequential)" if self.sequential else "planned"
        saved = self.sequential_s - self.expected_s
        head = f"bench time expected: {_minutes(self.expected_s)} ({order}"
        head += f"; {_minutes(saved)} less than one after another)" if saved > 0 else ")"
        shared = [
            f"  one power-on shared by {', '.join(w.members)} (window {w.name!r})"
            for w in self.windows.values()
        ]
        return [head, *shared]


_PLAN = pytest.StashKey[TestPlan]()


def _window_name(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("shares_power_on")
    return None if marker is None or not marker.args else str(marker.args[0])


def _bench_s(item: pytest.Item) -> float:
    marker = item.get_closest_marker("bench_time")
    return float(marker.args[0]) if marker is not None and marker.args else DEFAULT_BENCH_S


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def plan_items(items: list[pytest.Item], sequential: bool) -> TestPlan:
    """Order ``items`` in place (each window's members together) and make the plan."""
    plan = TestPlan(sequential=sequential)
    plan.sequential_s = sum(_bench_s(item) for item in items)
    by_window: dict[str, list[pytest.Item]] = {}
    for item in items:
        name = _window_name(item)
        if name is not None:
            by_window.setdefault(name, []).append(item)
    windows = {} if sequential else {n: m for n, m in by_window.items() if len(m) > 1}
    ordered: list[pytest.Item] = []
    for item in items:
        name = _window_name(item)
        if name not in windows:
            ordered.append(item)
        elif item is windows[name][0]:
            ordered.extend(windows[name])
    items[:] = ordered
    for name, members in windows.items():
        ids = tuple(rid for member in members for rid in declared(member))
        plan.windows[name] = SharedPowerOn(name, members=ids)
        plan.member_of.update((member.nodeid, name) for member in members)
    alone = [item for item in items if item.nodeid not in plan.member_of]
    plan.expected_s = sum(_bench_s(item) for item in alone) + sum(
        max(_bench_s(member) for member in members) for members in windows.values()
    )
    return plan


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    plan = plan_items(items, bool(config.getoption("sequential", False)))
    config.stash[_PLAN] = plan
    if items and any(declared(item) for item in items):
        for line in plan.lines():
            log.info("plan: %s", line)


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    plan = config.stash.get(_PLAN, None)
    if plan is None or config.option.collectonly or not any(declared(i) for i in items):
        return []  # not a compliance run (the harness's own tests, say)
    return plan.lines()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test outside a window closes the windows it runs between (it may power-cycle)."""
    plan = item.config.stash.get(_PLAN, None)
    if plan is None:
        return
    own = plan.member_of.get(item.nodeid)
    for name, window in plan.windows.items():
        if name != own and window.contact is not None:
            window.close(f"{item.name} ran since the shared treatment started")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A member that did not pass closes its window: whatever stopped it may have left
    the unit anywhere, and the next member then starts a treatment of its own."""
    report = yield
    plan = item.config.stash.get(_PLAN, None)
    name = None if plan is None else plan.member_of.get(item.nodeid)
    if plan is not None and name is not None and not report.passed:
        plan.windows[name].close(f"{item.name} did not pass ({report.when})")
    return report


@pytest.fixture
def shared_unit(
    request: pytest.FixtureRequest, bench: Bench, spec: Spec, unit_identity: UnitIdentity
) -> SharedPowerOn:
    """The power-on this test may share with others of its window (or its own).

    When there is nothing to join yet, the unit is set up as ``fresh_unit`` does; a
    member that may join leaves the unit as the previous member left it.
    """
    plan = request.config.stash.get(_PLAN, None)
    window = plan.window_for(request.node) if plan is not None else SharedPowerOn("own")
    if window.contact is None or window.broken is not None:
        set_up_fresh_unit(bench, spec)
    start = bench.clock.now()
    request.addfinalizer(
        lambda: log.info("bench time of %s: %.1f s", request.node.name, bench.clock.now() - start)
    )
    return window


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "shares_power_on(window): timed on one power-on with the window's other tests "
        "unless --sequential (harness.plugin.test_plan)",
    )
    config.addinivalue_line(
        "markers", "bench_time(seconds): the bench time this test is expected to take"
    )
