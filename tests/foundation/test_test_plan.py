"""The test plan: windows formed from the selection, ordering, and the expected time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from harness.plugin.test_plan import DEFAULT_BENCH_S, plan_items


@dataclass
class FakeMarker:
    args: tuple[Any, ...]


@dataclass
class FakeItem:
    nodeid: str
    markers: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.nodeid

    def get_closest_marker(self, name: str) -> FakeMarker | None:
        return FakeMarker(self.markers[name]) if name in self.markers else None

    def iter_markers(self, name: str) -> list[FakeMarker]:
        marker = self.get_closest_marker(name)
        return [] if marker is None else [marker]


def item(nodeid: str, rid: str, window: str | None = None, bench_s: float | None = None) -> Any:
    markers: dict[str, tuple[Any, ...]] = {"requirement": (rid,)}
    if window is not None:
        markers["shares_power_on"] = (window,)
    if bench_s is not None:
        markers["bench_time"] = (bench_s,)
    return FakeItem(nodeid, markers)


def suite() -> list[Any]:
    return [
        item("beep", "TIM-BEEP", "w", 17),
        item("level", "OUT-AMP", bench_s=5),
        item("session", "TIM-SESSION", "w", 322),
        item("idle", "TIM-IDLE-OFF", bench_s=121),
        item("autooff", "TIM-AUTOOFF", "w", 1201),
        item("other", "OUT-X"),
    ]


def names(items: list[Any]) -> list[str]:
    return [cast(FakeItem, i).nodeid for i in items]


def test_a_windows_members_run_together_at_the_first_ones_place() -> None:
    items = suite()
    plan = plan_items(items, sequential=False)
    assert names(items) == ["beep", "session", "autooff", "level", "idle", "other"]
    assert plan.windows["w"].members == ("TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF")
    assert plan.windows["w"].shared
    # the window counts as its longest member; the unmarked test as the default
    assert plan.expected_s == pytest.approx(1201 + 5 + 121 + DEFAULT_BENCH_S)
    assert plan.sequential_s == pytest.approx(17 + 5 + 322 + 121 + 1201 + DEFAULT_BENCH_S)
    assert "one power-on shared by TIM-BEEP, TIM-SESSION, TIM-AUTOOFF" in plan.lines()[1]


def test_sequential_keeps_the_order_and_shares_nothing() -> None:
    items = suite()
    plan = plan_items(items, sequential=True)
    assert names(items) == ["beep", "level", "session", "idle", "autooff", "other"]
    assert plan.windows == {}
    assert plan.expected_s == plan.sequential_s
    assert not plan.window_for(items[0]).shared
    assert "one after another" in plan.lines()[0]


def test_a_window_of_one_selected_member_is_no_window() -> None:
    items = [i for i in suite() if cast(FakeItem, i).nodeid != "session"]
    items = [i for i in items if cast(FakeItem, i).nodeid != "beep"]
    plan = plan_items(items, sequential=False)
    assert plan.windows == {}
    assert not plan.window_for(items[-2]).shared
