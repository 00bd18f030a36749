"""The test plan: which tests share one power-on, in what order, and the bench time.

Sequentially, every compliance test powers the unit on afresh, so the 20-minute auto-off
alone keeps the bench idle for 20 minutes. Tests marked
``@pytest.mark.shares_power_on("<window>")`` are timed on one power-on: the *members*
(timers) and, with ``guest=True``, *guests* that use the running treatment meanwhile
(``procedures.shared_power_on`` says what a guest may do). The plan puts a window's
first member first, then as many guests as fit in its guest span (each test's
``@pytest.mark.bench_time(seconds)``, ``DEFAULT_BENCH_S`` where it has none), then the
other members; guests that do not fit keep their place, on a power-on of their own. The
guest span is ``GUEST_SHARE`` of the lower limit of the member marked
``hosts_guests=True`` (the session: guests must be done well before it can end). Each
test gets its share of the window through the ``shared_unit`` fixture and joins the
running treatment only if it still holds. ``--sequential`` keeps every test on its own
power-on, in collection order.

Before the first test the terminal says the plan and the bench time it expects (a
window counts as its longest member). The plan is in the event log, each shared
measurement names whom it shared the power-on with in its conditions (``power_on``),
and each test's span on the bench clock is in the run's ``test_plan.json``
(``plan_record``). A guest whose shared session
stops treating before a measurement is recorded (a faulty unit's early end) is run
again at once on a power-on of its own (``pytest_pyfunc_call``): its measurements
recorded while the session ran stand, and the rest are taken again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import pytest

from harness.bench.station import Bench
from harness.judging.spec import Spec
from harness.plugin.session import BEFORE_RECORD_KEY, compliance_run, declared
from harness.plugin.unit_fixtures import set_up_fresh_unit
from harness.procedures.shared_power_on import PowerOnShare, SharedPowerOn, SharedSessionEnded
from harness.recording.record import UnitIdentity

log = logging.getLogger(__name__)

GUEST_SHARE = 0.85
"""Of the hosting member's lower limit: guests use the session's first 85 % of treatment
(RMD-1: 252 s of 297; their own lift-off pauses do not count), and the session's own
lift-off may come ``GUEST_OVERRUN_S`` (30 s) later still, 15 s before the lower limit:
the pause and the return stay inside any session long enough to pass."""
DEFAULT_BENCH_S = 5.0
"""The bench time expected of a test that states none: a power-on, a settle, a few
captures (a test expected to take longer says so)."""


@dataclass
class TestPlan:
    """The windows of this session and the bench time expected of the selection."""

    __test__ = False  # not a pytest test class

    sequential: bool
    windows: dict[str, SharedPowerOn] = field(default_factory=dict)
    member_of: dict[str, str] = field(default_factory=dict)
    """Test node id → the window it shares a power-on in."""
    guests: dict[str, int] = field(default_factory=dict)
    expected_s: float = 0.0
    sequential_s: float = 0.0

    def share_for(self, item: pytest.Item) -> PowerOnShare:
        """The test's share of its window (a window of its own if it is in none)."""
        name = self.member_of.get(item.nodeid)
        window = SharedPowerOn(item.nodeid) if name is None else self.windows[name]
        guest = name is not None and _is_guest(item)
        return PowerOnShare(window, tuple(declared(item)), _bench_s(item) if guest else None)

    def lines(self) -> list[str]:
        """What the operator is told before the start."""
        order = "one after another (--sequential)" if self.sequential else "planned"
        saved = self.sequential_s - self.expected_s
        head = f"bench time expected: {_minutes(self.expected_s)} ({order}"
        head += f"; {_minutes(saved)} less than one after another)" if saved > 0 else ")"
        shared = [
            f"  one power-on shared by {', '.join(w.members)} (window {w.name!r}), "
            f"with {self.guests[n]} guest tests in its first {w.guest_until_s:.0f} s"
            for n, w in self.windows.items()
        ]
        return [head, *shared]


_PLAN = pytest.StashKey[TestPlan]()


def _window_name(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("shares_power_on")
    return None if marker is None or not marker.args else str(marker.args[0])


def _flag(item: pytest.Item, name: str) -> bool:
    """A keyword of the test's ``shares_power_on`` marker (``guest``, ``hosts_guests``)."""
    marker = item.get_closest_marker("shares_power_on")
    return marker is not None and bool(marker.kwargs.get(name, False))


def _is_guest(item: pytest.Item) -> bool:
    return _flag(item, "guest")


def _bench_s(item: pytest.Item) -> float:
    marker = item.get_closest_marker("bench_time")
    return float(marker.args[0]) if marker is not None and marker.args else DEFAULT_BENCH_S


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def plan_items(
    items: list[pytest.Item],
    sequential: bool,
    lower_limit: Callable[[str], float | None],
    *,
    guests: bool = True,
) -> TestPlan:
    """Order ``items`` in place (each window's tests together) and make the plan.

    ``lower_limit``: a requirement's lower limit in seconds (None if it has none), for
    the guest span of the member that hosts guests; ``guests``: whether the unit can
    host any (False: only the members share the power-on).
    """
    plan = TestPlan(sequential=sequential)
    plan.sequential_s = sum(_bench_s(item) for item in items)
    by_window: dict[str, list[pytest.Item]] = {}
    for item in items:
        name = _window_name(item)
        if name is not None:
            by_window.setdefault(name, []).append(item)
    chosen: dict[str, list[pytest.Item]] = {}
    for name, tests in ({} if sequential else by_window).items():
        members = [t for t in tests if not _is_guest(t)]
        if len(members) < 2:
            continue
        window = SharedPowerOn(name, tuple(r for m in members for r in declared(m)))
        window.guest_until_s = _guest_span(members, lower_limit) if guests else 0.0
        used, hosted = _bench_s(members[0]), []
        for guest in (t for t in tests if _is_guest(t)):
            if used + _bench_s(guest) <= window.guest_until_s:
                hosted.append(guest)
                used += _bench_s(guest)
        chosen[name] = [members[0], *hosted, *members[1:]]
        plan.windows[name], plan.guests[name] = window, len(hosted)
        plan.member_of.update((t.nodeid, name) for t in chosen[name])
    ordered: list[pytest.Item] = []
    for item in items:
        name = plan.member_of.get(item.nodeid)
        if name is None:
            ordered.append(item)
        elif item is chosen[name][0]:
            ordered.extend(chosen[name])
    items[:] = ordered
    alone = [item for item in items if item.nodeid not in plan.member_of]
    plan.expected_s = sum(_bench_s(item) for item in alone) + sum(
        max(_bench_s(t) for t in tests if not _is_guest(t)) for tests in chosen.values()
    )
    return plan


def _guest_span(members: list[pytest.Item], lower_limit: Callable[[str], float | None]) -> float:
    """``GUEST_SHARE`` of the hosting member's lower limit (0: no guests)."""
    for member in members:
        if _flag(member, "hosts_guests"):
            limits = [lower_limit(rid) for rid in declared(member)]
            known = [limit for limit in limits if limit is not None]
            return GUEST_SHARE * min(known) if known else 0.0
    return 0.0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = compliance_run(config)

    def lower_limit(rid: str) -> float | None:
        if run is None or rid not in run.spec.requirements:
            return None
        return run.spec.requirement(rid).lower_limit

    # guests set their level over the test port: a unit worked by buttons hosts none
    hosts = run is not None and run.bench.document.device.how_controlled == "port"
    plan = plan_items(items, bool(config.getoption("sequential", False)), lower_limit, guests=hosts)
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
    """A test of a window that raised (or was skipped) closes the window: whatever
    stopped it may have left the unit anywhere, and the next one then starts a
    treatment of its own. A test that only measured a non-conforming number (a FAIL,
    its body run to the end) leaves the unit as a passing one does: the window stays."""
    report = yield
    plan = item.config.stash.get(_PLAN, None)
    name = None if plan is None else plan.member_of.get(item.nodeid)
    if plan is not None and name is not None and call.excinfo is not None:
        plan.windows[name].close(f"{item.name} ended in {report.when} with {call.excinfo.typename}")
    return report


@pytest.fixture
def shared_unit(
    request: pytest.FixtureRequest, bench: Bench, spec: Spec, unit_identity: UnitIdentity
) -> Generator[PowerOnShare, None, None]:
    """This test's share of the power-on of its window (or of one of its own).

    When there is nothing to join, the unit is set up as ``fresh_unit`` does; a test
    that may join leaves the unit as the test before it left it. A guest's every
    measurement is checked to be taken while the shared session still runs, and the
    unit it leaves behind is checked too (``PowerOnShare.leave``).
    """
    plan = request.config.stash.get(_PLAN, None)
    share = plan.share_for(request.node) if plan is not None else None
    share = share or PowerOnShare(SharedPowerOn(request.node.nodeid), ())
    if not share.window.open:
        set_up_fresh_unit(bench, spec)

    def before_record() -> dict[str, str]:
        share.check_still_treating(bench)
        return share.record()

    request.node.stash[BEFORE_RECORD_KEY] = before_record
    yield share
    share.leave(bench)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A guest whose shared session ended before it had recorded everything runs again
    at once, on a power-on of its own (its window is closed by then)."""
    share = pyfuncitem.funcargs.get("shared_unit")
    if not isinstance(share, PowerOnShare) or share.guest_s is None:
        return None
    names = pyfuncitem._fixtureinfo.argnames
    arguments = {name: pyfuncitem.funcargs[name] for name in names}
    try:
        pyfuncitem.obj(**arguments)
    except SharedSessionEnded as ended:
        log.warning("%s: %s; measuring again on a power-on of its own", pyfuncitem.name, ended)
        pyfuncitem.obj(**arguments)
    return True


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "shares_power_on(window, guest=False, hosts_guests=False): timed on one power-on "
        "with the window's other tests unless --sequential (harness.plugin.test_plan)",
    )
    config.addinivalue_line(
        "markers", "bench_time(seconds): the bench time this test is expected to take"
    )
