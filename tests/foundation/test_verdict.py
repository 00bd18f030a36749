"""Decision rules at and around each limit (ILAC-G8:2019)."""

import math

import pytest

from harness.judging.verdict import (
    CHECK,
    DecisionRule,
    Verdict,
    decide_check,
    decide_verdict,
    worst,
)

L, U_LIM, U = 320.0, 480.0, 14.0


@pytest.mark.parametrize(
    ("value", "simple", "guarded", "non_binary"),
    [
        (400.0, "PASS", "PASS", "PASS"),
        (L + U, "PASS", "PASS", "PASS"),  # exactly on the guarded boundary
        (L + U - 0.01, "PASS", "FAIL", "CONDITIONAL PASS"),
        (L, "PASS", "FAIL", "CONDITIONAL PASS"),  # exactly on the limit
        (L - 0.01, "FAIL", "FAIL", "CONDITIONAL FAIL"),
        (L - U, "FAIL", "FAIL", "CONDITIONAL FAIL"),
        (L - U - 0.01, "FAIL", "FAIL", "FAIL"),
        (U_LIM - U, "PASS", "PASS", "PASS"),
        (U_LIM - U + 0.01, "PASS", "FAIL", "CONDITIONAL PASS"),
        (U_LIM, "PASS", "FAIL", "CONDITIONAL PASS"),
        (U_LIM + 0.01, "FAIL", "FAIL", "CONDITIONAL FAIL"),
        (U_LIM + U, "FAIL", "FAIL", "CONDITIONAL FAIL"),
        (U_LIM + U + 0.01, "FAIL", "FAIL", "FAIL"),
    ],
)
def test_two_sided_rules_at_and_around_each_limit(value, simple, guarded, non_binary):
    assert decide_verdict(value, U, L, U_LIM, "simple") == Verdict(simple)
    assert decide_verdict(value, U, L, U_LIM, DecisionRule.GUARDED) == Verdict(guarded)
    assert decide_verdict(value, U, L, U_LIM, "non-binary") == Verdict(non_binary)


@pytest.mark.parametrize(
    ("value", "guarded", "non_binary"),
    [
        (0.0, "PASS", "PASS"),
        (7.0, "PASS", "PASS"),
        (7.5, "FAIL", "CONDITIONAL PASS"),
        (8.0, "FAIL", "CONDITIONAL PASS"),
        (8.5, "FAIL", "CONDITIONAL FAIL"),
        (9.01, "FAIL", "FAIL"),
        (-100.0, "PASS", "PASS"),
    ],
)
def test_upper_only_limit(value, guarded, non_binary):
    assert decide_verdict(value, 1.0, None, 8.0, "guarded") == Verdict(guarded)
    assert decide_verdict(value, 1.0, None, 8.0, "non-binary") == Verdict(non_binary)


def test_lower_only_limit():
    assert decide_verdict(10.0, 1.0, 9.0, None, "guarded") == Verdict.PASS
    assert decide_verdict(9.5, 1.0, 9.0, None, "guarded") == Verdict.FAIL
    assert decide_verdict(9.5, 1.0, 9.0, None, "simple") == Verdict.PASS


def test_guard_band_wider_than_the_tolerance_fails_everything():
    assert decide_verdict(1.0, 0.6, 0.5, 1.5, "guarded") == Verdict.FAIL
    assert decide_verdict(1.0, 0.6, 0.5, 1.5, "non-binary") == Verdict.CONDITIONAL_PASS


@pytest.mark.parametrize("value", [None, math.nan, math.inf, 9.9e37 * math.inf])
def test_missing_or_invalid_value_fails(value):
    for rule in DecisionRule:
        assert decide_verdict(value, 0.0, 0.0, 1.0, rule) == Verdict.FAIL


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="lower or an upper"):
        decide_verdict(1.0, 0.0, None, None, "simple")
    with pytest.raises(ValueError, match=">= 0"):
        decide_verdict(1.0, -1.0, 0.0, 2.0, "simple")
    with pytest.raises(ValueError):
        decide_verdict(1.0, 0.0, 0.0, 2.0, "lenient")


def test_conformity_and_worst():
    assert Verdict.PASS.conforms and Verdict.CONDITIONAL_PASS.conforms
    assert not Verdict.CONDITIONAL_FAIL.conforms and not Verdict.FAIL.conforms
    assert (
        worst([Verdict.PASS, Verdict.CONDITIONAL_FAIL, Verdict.CONDITIONAL_PASS])
        is Verdict.CONDITIONAL_FAIL
    )
    assert worst([]) is None
    assert decide_check(True) is Verdict.PASS and decide_check(False) is Verdict.FAIL


def test_the_text_of_verdicts_and_rules_is_what_the_store_holds():
    """Rows store these exact strings (str enums); changing one changes every export."""
    assert [v.value for v in Verdict] == ["PASS", "CONDITIONAL PASS", "CONDITIONAL FAIL", "FAIL"]
    assert [r.value for r in DecisionRule] == ["simple", "guarded", "non-binary"]
    assert f"{Verdict.CONDITIONAL_PASS}" == "CONDITIONAL PASS" == str(Verdict.CONDITIONAL_PASS)
    # a check is recorded as "check" but is no rule a spec may give a limit requirement
    assert CHECK == "check" and CHECK not in {r.value for r in DecisionRule}
    with pytest.raises(ValueError):
        decide_verdict(1.0, 0.0, 0.0, 2.0, CHECK)
