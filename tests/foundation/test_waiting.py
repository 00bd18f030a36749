"""Waits on the bench clock: brackets, timeouts, and progress only when a person waits."""

from __future__ import annotations

import itertools

import pytest

from harness.procedures.waiting import (
    Pace,
    WaitTimeout,
    fine_from_lower_limit,
    poll_until,
    wait_until,
)


class FakeClock:
    def __init__(self, wall_per_bench_s: float) -> None:
        self.t = 0.0
        self.wall_t = 0.0
        self.ratio = wall_per_bench_s

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        self.wall_t += seconds * self.ratio

    def wall(self) -> float:
        return self.wall_t


def test_bracket_of_the_change():
    clock = FakeClock(0.0)
    result = wait_until(clock, lambda: clock.t >= 7.3, what="x", timeout_s=60, step_s=1.0)
    assert (result.before, result.at) == (7.0, 8.0)
    assert result.estimate == pytest.approx(7.5) and result.half_width == pytest.approx(0.5)


def test_coarse_polls_until_the_fine_span_then_fine_ones():
    """An auto-off due in 1188..1212 s: every 20 s up to 1148 s, then every 2 s."""
    clock = FakeClock(0.0)
    seen: list[float] = []

    def off() -> bool:
        seen.append(clock.t)
        return clock.t >= 1199.0

    pace = Pace(2.0, 20.0, fine_from_lower_limit(1188.0, 0.0, 20.0))
    assert pace.fine_from_s == 1148.0
    result = wait_until(clock, off, what="off", timeout_s=1500, step_s=2.0, pace=pace)
    assert seen[:3] == [0.0, 20.0, 40.0] and 1148.0 in seen
    assert all(b - a == pytest.approx(2.0) for a, b in itertools.pairwise(seen) if a >= 1148.0)
    assert (result.before, result.at) == (1198.0, 1200.0)
    assert len(seen) == 58 + 27  # 600 at a fixed 2 s step


def test_an_event_in_the_coarse_span_is_bracketed_as_coarsely_as_it_was_watched():
    """A unit that switches off at 1000 s (far below 1188 s) is still caught, its
    bracket 20 s wide: the budget carries it, and the value lies below the limit."""
    clock = FakeClock(0.0)
    pace = Pace(2.0, 20.0, fine_from_lower_limit(1188.0, 0.0, 20.0))
    result = wait_until(
        clock, lambda: clock.t >= 1000.0, what="off", timeout_s=1500, step_s=2.0, pace=pace
    )
    assert (result.before, result.at) == (980.0, 1000.0)
    assert result.estimate + result.half_width < 1188.0


def test_the_fine_span_starts_where_the_elapsed_part_leaves_it():
    assert fine_from_lower_limit(297.0, 122.0, 10.0) == pytest.approx(155.0)
    assert fine_from_lower_limit(None, 0.0, 10.0) == 0.0
    assert fine_from_lower_limit(15.0, 10.0, 10.0) == 0.0  # already inside: fine at once


def test_timeout_raises_or_returns_none():
    clock = FakeClock(0.0)
    with pytest.raises(WaitTimeout, match="never: not seen within 5 s"):
        wait_until(clock, lambda: False, what="never", timeout_s=5, step_s=1.0)
    assert poll_until(clock, lambda: False, what="never", timeout_s=5, step_s=1.0) is None


@pytest.mark.parametrize(("ratio", "expected_reports"), [(1.0, 3), (1e-6, 0)])
def test_progress_is_reported_on_a_real_bench_only(ratio, expected_reports):
    """Bench time = wall time (a real bench): a line every 30 s; virtual time: none."""
    clock = FakeClock(ratio)
    lines: list[str] = []
    wait_until(
        clock,
        lambda: clock.t >= 100.0,
        what="auto power-off",
        timeout_s=200,
        step_s=1.0,
        progress=lines.append,
        wall=clock.wall,
    )
    assert len(lines) == expected_reports
    if lines:
        assert lines[0] == "waiting for auto power-off: 30 s elapsed, at most 170 s remaining"


def test_a_change_inside_the_first_true_observations_record_is_inside_the_bracket():
    """An observation that takes bench time (a scope record 0.28 s long, which begins
    0.03 s after the observation does, once the scope has triggered) and sees "stopped"
    when its record holds no activity: the output stops at 10.30 s, inside the window of
    the observation that begins at 10.28 s. The bracket runs to that observation's end."""
    clock = FakeClock(0.0)
    stop_at, delay, record = 10.30, 0.03, 0.25

    def stopped() -> bool:
        window_start = clock.t + delay
        clock.sleep(delay + record)
        return window_start >= stop_at

    clock.t = 10.0
    result = wait_until(clock, stopped, what="stopped", timeout_s=5, step_s=0.0)
    assert result.before <= stop_at <= result.at
    assert result.seen_from == pytest.approx(10.28) and result.at == pytest.approx(10.56)
    assert result.before == pytest.approx(10.0)  # between the starts, 10.30 was outside


class SlowLookClock(FakeClock):
    """Each look takes bench time (a scope record or a slow bus), as on a real bench."""

    def __init__(self, look_s: float) -> None:
        super().__init__(0.0)
        self.look_s = look_s

    def look(self) -> None:
        self.t += self.look_s


def test_on_grid_looks_land_on_multiples_of_the_step_from_the_reference():
    clock = SlowLookClock(0.3)
    looks: list[float] = []

    def off() -> bool:
        looks.append(clock.t)
        clock.look()
        return clock.t >= 95.0

    pace = Pace(2.0, 20.0, 60.0, on_grid=True)
    clock.t = 33.0  # the wait begins late, on a power-on made at 0
    result = poll_until(clock, off, what="off", timeout_s=500, step_s=2.0, pace=pace, since=0.0)
    assert result is not None
    assert looks[0] == 33.0  # the first look is at once
    # then coarse looks on multiples of 20 up to the fine span at 60, fine ones on 2s
    assert looks[1:] == pytest.approx([40.0, 60.0, *range(62, 97, 2)])
    assert result.before == pytest.approx(94.0) and result.at == pytest.approx(96.3)


def test_on_grid_a_look_a_hair_before_a_grid_point_does_not_add_a_sliver():
    pace = Pace(2.0, on_grid=True)
    assert pace.next_step(4.0 - 1e-9) == pytest.approx(2.0, abs=1e-6)  # to 6, not to 4
    assert pace.next_step(1.0) == pytest.approx(1.0)
    assert pace.next_step(4.0) == pytest.approx(2.0)


def test_a_wait_counted_from_an_earlier_instant_times_out_from_it():
    clock = FakeClock(0.0)
    clock.t = 50.0
    assert poll_until(clock, lambda: False, what="x", timeout_s=60, step_s=5.0, since=0.0) is None
    assert clock.t == pytest.approx(60.0)
