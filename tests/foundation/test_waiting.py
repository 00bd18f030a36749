"""Waits on the bench clock: brackets, timeouts, and progress only when a person waits."""

from __future__ import annotations

import pytest

from harness.procedures.waiting import WaitTimeout, poll_until, wait_until


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
