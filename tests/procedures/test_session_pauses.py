"""TIM-SESSION subtracts the pauses guests made in its session, each with its bracket.

Closed form: a session that started at contact 10 s, paused by a guest for 3 s (seen
suspended within [50.0, 50.2], back at 53.1) and by its own lift-off (suspended within
[120.0, 120.3], back at 140.2), ended within [333.0, 334.0]: treatment
333.5 - 10 - (53.1 - 50.1) - (140.2 - 120.15) = 300.45 s.
"""

from __future__ import annotations

import math

import pytest

from harness.procedures.session_timer import SessionPause, SessionTiming
from harness.procedures.waiting import WaitResult


def _timing(earlier: tuple[SessionPause, ...]) -> SessionTiming:
    return SessionTiming(
        contact=10.0,
        lift_off=119.8,
        back=140.2,
        suspended=WaitResult(120.0, 120.3, polls=2),
        end=WaitResult(333.0, 334.0, polls=5),
        earlier=earlier,
    )


def test_earlier_pauses_are_subtracted_and_their_brackets_budgeted() -> None:
    guest = SessionPause("WAV-DC", WaitResult(50.0, 50.2, polls=2), back=53.1)
    alone, shared = _timing(()), _timing((guest,))
    assert guest.seconds == pytest.approx(3.0)
    assert alone.seconds == pytest.approx(333.5 - 10.0 - 20.05)
    assert shared.seconds == pytest.approx(300.45)
    assert shared.pause_s == pytest.approx(23.05)
    names = [c.name for c in shared.budget.components]
    assert any("guests' lift-offs" in n and "WAV-DC" in n for n in names)
    u_alone, u_shared = alone.budget.combined(), shared.budget.combined()
    assert u_shared == pytest.approx(math.hypot(u_alone, 0.1 / math.sqrt(3.0)))


def test_no_own_suspension_seen_is_no_value_whatever_the_guests_did() -> None:
    guest = SessionPause("SAF-RECONTACT", WaitResult(50.0, 50.2, polls=2), back=51.0)
    timing = SessionTiming(10.0, 119.8, 140.2, None, WaitResult(333.0, 334.0, 5), (guest,))
    assert timing.pause_s is None and timing.seconds is None


def test_guest_brackets_add_up_rather_than_in_quadrature() -> None:
    """Polled alike, the guests' suspensions err the same way: two brackets of 0.1 s
    half-width are one term of 0.2 s, not 0.14 s."""
    pauses = tuple(
        SessionPause(name, WaitResult(50.0 + 10 * i, 50.2 + 10 * i, polls=2), back=53.0 + 10 * i)
        for i, name in enumerate(("WAV-DC", "SAF-RECONTACT"))
    )
    u_alone = _timing(()).budget.combined()
    u_shared = _timing(pauses).budget.combined()
    assert u_shared == pytest.approx(math.hypot(u_alone, 0.2 / math.sqrt(3.0)))


def test_an_output_that_did_not_come_back_is_no_length() -> None:
    """A session that ended at the lift-off looks suspended; without the output back
    after the return there is no length to give (it read 249 +- 0.5 s for a 247 s one)."""
    ended = SessionTiming(
        10.0, 119.8, 140.2, WaitResult(120.0, 120.3, polls=2), None, (), resumed=False
    )
    assert ended.seconds is None
