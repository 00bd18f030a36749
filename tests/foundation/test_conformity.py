"""The words of a verdict: value ± U, limits, margin, the failing line and the unit's line."""

from __future__ import annotations

from harness.judging.verdict import Verdict
from harness.plugin.conformity import (
    failure_lines,
    limits_text,
    margin_text,
    requirement_lines,
    table,
    unit_line,
    value_text,
    why,
)
from harness.recording.record import Measurement, utc_now


def row(
    value: float | None,
    u: float,
    lower: float | None,
    upper: float | None,
    verdict: str,
    rid: str = "OUT-AMP-L1",
    rule: str = "guarded",
    note: str = "",
    **conditions: str,
) -> Measurement:
    return Measurement(
        run_id="R", seq=1, requirement_id=rid, test_id="t", quantity="q", value=value,
        unit="uA" if rule != "check" else "", expanded_uncertainty=u, lower_limit=lower,
        upper_limit=upper, decision_rule=rule, verdict=verdict, conditions=conditions, note=note,
        taken_at=utc_now(),
    )  # fmt: skip


def test_value_is_rounded_to_two_significant_digits_of_its_uncertainty():
    assert value_text(row(104.16699999999999, 3.81, 64, 96, "FAIL")) == "104.2 ± 3.8 uA"
    assert value_text(row(415.40226575824175, 15.2, 256, 384, "FAIL")) == "415 ± 15 uA"
    assert value_text(row(1062.5, 152.0, None, 1000, "FAIL")) == "1060 ± 150 uA"
    assert value_text(row(0.99977, 0.0085, 0.95, 1.05, "PASS")) == "0.9998 ± 0.0085 uA"
    assert value_text(row(5.0, 0.0, 4.9, 5.1, "PASS")) == "5 uA"


def test_limits_read_as_a_range_or_a_bound_never_none():
    assert limits_text(64.0, 96.0, "uA") == "64–96 uA"
    assert limits_text(None, 500.0, "uA") == "≤ 500 uA"
    assert limits_text(10.0, None, "uA") == "≥ 10 uA"


def test_margin_is_signed_distance_to_the_nearer_limit():
    assert margin_text(row(104.167, 3.81, 64, 96, "FAIL")) == "-8.2 uA"
    assert margin_text(row(70.0, 3.81, 64, 96, "PASS")) == "+6.0 uA"


def test_a_guard_band_failure_explains_itself():
    m = row(95.2, 3.8, 64, 96, "FAIL")
    assert why(m).startswith(
        "95.2 uA is within 64–96 uA but inside the guard band: guarded acceptance needs ≤ 92.2 uA"
    )
    low = row(65.0, 3.8, 64, 96, "FAIL")
    assert "guarded acceptance needs ≥ 67.8 uA" in why(low)


def test_each_failing_line_names_the_conditions_that_tell_it_apart():
    rows = [
        row(104.1, 3.8, 64, 96, "FAIL", polarity="+", load="500 ohm", battery="3.8 V"),
        row(103.8, 3.8, 64, 96, "FAIL", polarity="-", load="500 ohm", battery="3.8 V"),
    ]
    lines = failure_lines(rows)
    assert lines == [
        "OUT-AMP-L1 [polarity +, load 500 ohm]: FAIL: 104.1 ± 3.8 uA: 8.1 uA above the "
        "upper limit (64–96 uA)",
        "OUT-AMP-L1 [polarity -, load 500 ohm]: FAIL: 103.8 ± 3.8 uA: 7.8 uA above the "
        "upper limit (64–96 uA)",
    ]


def test_no_value_and_failed_check_say_why():
    assert why(row(None, 0.0, 64, 96, "FAIL", note="scope timed out")) == (
        "no value: scope timed out"
    )
    check = row(0.0, 0.0, None, None, "FAIL", rid="OUT-MONO", rule="check", note="L3 < L2")
    assert failure_lines([check]) == ["OUT-MONO: FAIL: does not conform: L3 < L2"]


def test_requirement_line_keeps_the_worst_measurement_and_the_unit_line_counts():
    rows = [
        row(80.0, 3.8, 64, 96, "PASS"),
        row(95.2, 3.8, 64, 96, "FAIL"),
        row(300.0, 5.0, 256, 384, "PASS", rid="OUT-AMP-L4"),
    ]
    lines = requirement_lines(rows)
    assert [(line.requirement_id, line.count, line.verdict) for line in lines] == [
        ("OUT-AMP-L1", 2, Verdict.FAIL),
        ("OUT-AMP-L4", 1, Verdict.PASS),
    ]
    text = table(lines)
    assert text[1].split() == ["OUT-AMP-L1", "2", "95.2", "±", "3.8", "uA", "64–96", "uA",
                               "guarded", "+0.8", "uA", "FAIL"]  # fmt: skip
    assert unit_line("RMD1-0042", lines) == "RMD1-0042: FAIL, 1 of 2 requirements do not conform"
    assert unit_line("RMD1-0042", lines[1:] * 47) == "RMD1-0042: PASS, all 47 requirements conform"
    assert unit_line("RMD1-0042", lines[1:] * 3, 47) == (
        "RMD1-0042: PASS, all 3 requirements conform (44 of the spec's 47 not tested in this run)"
    )
    # an interrupted run is never a PASS, and a failure stays a failure
    assert unit_line("RMD1-0042", lines[1:] * 3, 47, interrupted=True) == (
        "RMD1-0042: INCOMPLETE, the run was interrupted; the 3 requirements tested conform "
        "(44 of the spec's 47 not tested in this run)"
    )
    assert unit_line("RMD1-0042", lines, interrupted=True).startswith("RMD1-0042: FAIL, 1 of 2")
