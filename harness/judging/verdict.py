"""Decision rules: how a measured value and its uncertainty become a verdict.

A measurement is never exact; ISO/IEC 17025 7.8.6 requires the laboratory to state the
*decision rule* it used to turn a value with expanded uncertainty U into a statement of
conformity. ILAC-G8:2019 describes three, and every requirement names one of them (the
spec file gives a default):

``simple``
    Accept when the value lies within the limits, whatever U is. The consumer carries
    the risk that a unit just inside a limit is really outside it.
``guarded``
    Accept only when the value lies inside the limits shrunk by a guard band w = U.
    A unit is never passed unless it conforms with about 97.5 % confidence (k = 2);
    good units near a limit may be failed.
``non-binary``
    Four outcomes. PASS inside the guarded zone; CONDITIONAL PASS inside the limits but
    within U of one; CONDITIONAL FAIL outside the limits but within U; FAIL further
    out. The conditional outcomes say "the measurement cannot decide" honestly.

Boundaries are inclusive on the side of the better outcome: a value exactly on a limit
is within it, a value exactly U inside a limit is in the guarded zone. A missing or
non-finite value (an instrument's 9.9E+37 "invalid") is a FAIL: what could not be
measured was not shown to conform.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Final, Literal


class DecisionRule(StrEnum):
    SIMPLE = "simple"
    GUARDED = "guarded"
    NON_BINARY = "non-binary"


CHECK: Final = "check"
"""The rule a recorded check (``kind: check``, no limits) was judged by. It is not a
``DecisionRule``: a spec file cannot choose it for a limit requirement."""

RecordedRule = DecisionRule | Literal["check"]
"""What a measurement row says it was judged by: a decision rule, or ``check``."""


class Verdict(StrEnum):
    PASS = "PASS"
    CONDITIONAL_PASS = "CONDITIONAL PASS"
    CONDITIONAL_FAIL = "CONDITIONAL FAIL"
    FAIL = "FAIL"

    @property
    def conforms(self) -> bool:
        """True for the verdicts that let a test pass (PASS, CONDITIONAL PASS)."""
        return self in (Verdict.PASS, Verdict.CONDITIONAL_PASS)

    @property
    def severity(self) -> int:
        """Ordering for combining verdicts: the worst one wins."""
        return _SEVERITY[self]


_SEVERITY = {
    Verdict.PASS: 0,
    Verdict.CONDITIONAL_PASS: 1,
    Verdict.CONDITIONAL_FAIL: 2,
    Verdict.FAIL: 3,
}


def worst(verdicts: list[Verdict]) -> Verdict | None:
    """The least favourable of several verdicts (None when there are none)."""
    return max(verdicts, key=lambda v: v.severity) if verdicts else None


def _within(value: float, lower: float | None, upper: float | None, margin: float) -> bool:
    """Is ``value`` within [lower + margin, upper − margin]? (margin may be negative)"""
    if lower is not None and value < lower + margin:
        return False
    return not (upper is not None and value > upper - margin)


def decide_verdict(
    value: float | None,
    expanded_uncertainty: float,
    lower: float | None,
    upper: float | None,
    rule: DecisionRule | str,
) -> Verdict:
    """Judge ``value`` ± ``expanded_uncertainty`` against [lower, upper] by ``rule``."""
    rule = DecisionRule(rule)
    if lower is None and upper is None:
        raise ValueError("a limit requirement needs a lower or an upper limit")
    if expanded_uncertainty < 0 or not math.isfinite(expanded_uncertainty):
        raise ValueError(
            f"expanded uncertainty must be finite and >= 0, got {expanded_uncertainty}"
        )
    if value is None or not math.isfinite(value):
        return Verdict.FAIL
    u = expanded_uncertainty
    inside = _within(value, lower, upper, 0.0)
    if rule is DecisionRule.SIMPLE:
        return Verdict.PASS if inside else Verdict.FAIL
    guarded = _within(value, lower, upper, u)
    if rule is DecisionRule.GUARDED:
        return Verdict.PASS if guarded else Verdict.FAIL
    if guarded:
        return Verdict.PASS
    if inside:
        return Verdict.CONDITIONAL_PASS
    if _within(value, lower, upper, -u):
        return Verdict.CONDITIONAL_FAIL
    return Verdict.FAIL


def decide_check(conforms: bool) -> Verdict:
    """Verdict of a pass/fail check with no numeric limit (e.g. OUT-MONO, COM-ID)."""
    return Verdict.PASS if conforms else Verdict.FAIL
