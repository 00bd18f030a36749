"""The test plan: windows formed from the selection, ordering, and the expected time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from harness.plugin.test_plan import DEFAULT_BENCH_S, GUEST_SHARE, plan_items

SESSION_LOWER_S = 297.0


def lower_limit(rid: str) -> float | None:
    return SESSION_LOWER_S if rid == "TIM-SESSION" else None


@dataclass
class FakeMarker:
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeItem:
    nodeid: str
    markers: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)
    stash: pytest.Stash = field(default_factory=pytest.Stash)

    @property
    def name(self) -> str:
        return self.nodeid

    def get_closest_marker(self, name: str) -> FakeMarker | None:
        if name not in self.markers:
            return None
        return FakeMarker(self.markers[name], self.kwargs if name == "shares_power_on" else {})

    def iter_markers(self, name: str) -> list[FakeMarker]:
        marker = self.get_closest_marker(name)
        return [] if marker is None else [marker]


def item(
    nodeid: str, rid: str, window: str | None = None, bench_s: float | None = None, **kw: Any
) -> Any:
    markers: dict[str, tuple[Any, ...]] = {"requirement": (rid,)}
    if window is not None:
        markers["shares_power_on"] = (window,)
    if bench_s is not None:
        markers["bench_time"] = (bench_s,)
    return FakeItem(nodeid, markers, kw)


def suite() -> list[Any]:
    return [
        item("beep", "TIM-BEEP", "w", 17),
        item("level", "OUT-AMP", bench_s=5),
        item("session", "TIM-SESSION", "w", 322, hosts_guests=True),
        item("idle", "TIM-IDLE-OFF", bench_s=121),
        item("autooff", "TIM-AUTOOFF", "w", 1201),
        item("other", "OUT-X"),
    ]


def names(items: list[Any]) -> list[str]:
    return [cast(FakeItem, i).nodeid for i in items]


def test_a_windows_members_run_together_at_the_first_ones_place() -> None:
    items = suite()
    plan = plan_items(items, False, lower_limit)
    assert names(items) == ["beep", "session", "autooff", "level", "idle", "other"]
    assert plan.windows["w"].members == ("TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF")
    assert plan.windows["w"].shared
    # the window counts as its longest member; the unmarked test as the default
    assert plan.expected_s == pytest.approx(1201 + 5 + 121 + DEFAULT_BENCH_S)
    assert plan.sequential_s == pytest.approx(17 + 5 + 322 + 121 + 1201 + DEFAULT_BENCH_S)
    assert "one power-on shared by TIM-BEEP, TIM-SESSION, TIM-AUTOOFF" in plan.lines()[1]


def test_sequential_keeps_the_order_and_shares_nothing() -> None:
    items = suite()
    plan = plan_items(items, True, lower_limit)
    assert names(items) == ["beep", "level", "session", "idle", "autooff", "other"]
    assert plan.windows == {}
    assert plan.expected_s == plan.sequential_s
    assert not plan.share_for(items[0]).window.shared
    assert "one after another" in plan.lines()[0]


def test_a_window_of_one_selected_member_is_no_window() -> None:
    items = [i for i in suite() if cast(FakeItem, i).nodeid != "session"]
    items = [i for i in items if cast(FakeItem, i).nodeid != "beep"]
    plan = plan_items(items, False, lower_limit)
    assert plan.windows == {}
    assert not plan.share_for(items[-2]).window.shared


def guests_suite() -> list[Any]:
    return [
        item("peak1", "OUT-AMP-L1", "w", 5, guest=True),
        item("beep", "TIM-BEEP", "w", 17),
        item("load", "OUT-LOAD-2K", "w", 150, guest=True),  # too long for what is left
        item("peak2", "OUT-AMP-L2", "w", 5, guest=True),
        item("session", "TIM-SESSION", "w", 322, hosts_guests=True),
        item("autooff", "TIM-AUTOOFF", "w", 1201),
        item("other", "OUT-X", bench_s=30),
    ]


def test_guests_that_fit_run_between_the_first_member_and_the_others() -> None:
    items = guests_suite()
    plan = plan_items(items, False, lower_limit)
    span = GUEST_SHARE * SESSION_LOWER_S
    assert plan.windows["w"].guest_until_s == pytest.approx(span)
    assert span >= 17 + 5 + 150 + 5  # all three guests fit after the first member
    assert names(items) == ["beep", "peak1", "load", "peak2", "session", "autooff", "other"]
    assert plan.guests["w"] == 3
    assert plan.share_for(items[1]).guest_s == 5 and plan.share_for(items[0]).guest_s is None
    # the guests' time is inside the window's: the window counts as its longest member
    assert plan.expected_s == pytest.approx(1201 + 30)


def test_a_guest_beyond_the_span_keeps_its_place_on_a_power_on_of_its_own() -> None:
    items = guests_suite()
    items.insert(3, item("load10k", "OUT-LOAD-10K", "w", 150, guest=True))
    plan = plan_items(items, False, lower_limit)
    order = names(items)
    assert order[:5] == ["beep", "peak1", "load", "peak2", "session"]
    assert "load10k" not in plan.member_of and order.index("load10k") > order.index("autooff")
    assert not plan.share_for(items[order.index("load10k")]).window.shared
    assert plan.expected_s == pytest.approx(1201 + 150 + 30)


def test_a_unit_without_a_port_hosts_no_guests() -> None:
    items = guests_suite()
    plan = plan_items(items, False, lower_limit, guests=False)
    assert plan.guests["w"] == 0 and plan.windows["w"].guest_until_s == 0.0
    assert names(items)[:3] == ["peak1", "beep", "session"]
