"""How a measured number reads to an operator: value ± U, limits, margin, and why it failed.

A run ends with a statement of conformity an operator can read at a glance, and a failed
test says why in the same words; both are built here, from ``Measurement`` rows alone,
so the terminal summary (``harness.plugin.summary``) and the failure text of a test
(``harness.plugin.verdicts``) can never disagree.

The rules of the text:

- a value is printed to the precision its expanded uncertainty allows: U rounded to two
  significant digits, the value to the same decimal place (``104.2 ± 3.8 uA``, never
  ``104.16699999999999``);
- limits read as a range or a bound (``64–96 uA``, ``≤ 500 uA``, ``≥ 10 uA``), never
  ``None..500.0``;
- the margin is the signed distance to the nearer limit (negative: outside);
- a failing measurement names the conditions it was taken under (polarity, load,
  level…), so a requirement measured twice never reads as the same line twice; and a
  value inside the limits that failed by the guard band says so, with the value that
  guarded acceptance needs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.judging.verdict import Verdict, worst
from harness.recording.record import Measurement

PREFERRED_CONDITIONS = ("polarity", "load", "level")
"""Conditions named on a failing line even when every measurement shares them: the ones
an operator sets up a retest by."""


def decimals_for(uncertainty: float) -> int | None:
    """Decimal places that keep two significant digits of ``uncertainty`` (None: U = 0)."""
    if not uncertainty or not math.isfinite(uncertainty):
        return None
    return 1 - math.floor(math.log10(abs(uncertainty)))


def number(value: float, decimals: int | None) -> str:
    """``value`` at ``decimals`` places (negative: rounded to tens…); ``:g`` without."""
    if decimals is None:
        return f"{value:.6g}"
    if decimals <= 0:
        return f"{round(value, decimals):.0f}"
    return f"{value:.{decimals}f}"


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


def value_text(m: Measurement) -> str:
    """``104.2 ± 3.8 uA``; the value alone when U is zero; ``no value`` when none."""
    if m.decision_rule == "check":
        return "conforms" if m.verdict.conforms else "does not conform"
    if m.value is None or not math.isfinite(m.value):
        return "no value"
    places = decimals_for(m.expanded_uncertainty)
    if places is None:
        return _with_unit(number(m.value, None), m.unit)
    u = number(m.expanded_uncertainty, places)
    return _with_unit(f"{number(m.value, places)} ± {u}", m.unit)


def limits_text(lower: float | None, upper: float | None, unit: str) -> str:
    """``64–96 uA``, ``≤ 500 uA``, ``≥ 10 uA``; ``pass/fail check`` for no limits."""
    if lower is not None and upper is not None:
        return _with_unit(f"{lower:g}–{upper:g}", unit)
    if upper is not None:
        return _with_unit(f"≤ {upper:g}", unit)
    if lower is not None:
        return _with_unit(f"≥ {lower:g}", unit)
    return "pass/fail check"


def margin(m: Measurement) -> float | None:
    """Signed distance of the value to the nearer limit: positive inside, negative outside."""
    if m.value is None or not math.isfinite(m.value):
        return None
    distances = []
    if m.lower_limit is not None:
        distances.append(m.value - m.lower_limit)
    if m.upper_limit is not None:
        distances.append(m.upper_limit - m.value)
    return min(distances) if distances else None


def margin_text(m: Measurement) -> str:
    found = margin(m)
    if found is None:
        return "-"
    text = number(found, decimals_for(m.expanded_uncertainty))
    return _with_unit(text if text.startswith("-") else f"+{text}", m.unit)


def _nearer_is_upper(m: Measurement) -> bool:
    assert m.value is not None
    if m.upper_limit is None:
        return False
    if m.lower_limit is None:
        return True
    return m.upper_limit - m.value <= m.value - m.lower_limit


def why(m: Measurement) -> str:
    """Why a measurement did not conform, in one clause an operator can act on."""
    if m.decision_rule == "check":
        return f"does not conform: {m.note}" if m.note else "does not conform"
    if m.value is None or not math.isfinite(m.value):
        return f"no value: {m.note or 'not measurable'}"
    places = decimals_for(m.expanded_uncertainty)
    limits = limits_text(m.lower_limit, m.upper_limit, m.unit)
    value = _with_unit(number(m.value, places), m.unit)
    shown = value_text(m)
    u = m.expanded_uncertainty
    upper_side = _nearer_is_upper(m)
    limit = m.upper_limit if upper_side else m.lower_limit
    assert limit is not None
    distance = abs(m.value - limit)
    if (margin(m) or 0.0) >= 0.0:  # within the limits: failed by the guard band
        needed = limit - u if upper_side else limit + u
        bound = "≤" if upper_side else "≥"
        return (
            f"{value} is within {limits} but inside the guard band: "
            f"{m.decision_rule} acceptance needs {bound} "
            f"{_with_unit(number(needed, places), m.unit)} (U = {number(u, places)})"
        )
    side = "above the upper" if upper_side else "below the lower"
    gap = _with_unit(number(distance, places), m.unit)
    if m.verdict is Verdict.CONDITIONAL_FAIL:
        return (
            f"{shown}: {gap} {side} limit of {limits}, less than U: the measurement "
            "cannot show it conforms"
        )
    return f"{shown}: {gap} {side} limit ({limits})"


def conditions_of(m: Measurement, varying: Iterable[str] = ()) -> str:
    """The conditions that tell this measurement apart, then the ones a retest is set up
    by: ``polarity -, load 500 ohm, level L1``. Empty when it states none."""
    keys = [k for k in varying if k in m.conditions]
    keys += [k for k in PREFERRED_CONDITIONS if k in m.conditions and k not in keys]
    return ", ".join(f"{k} {m.conditions[k]}" for k in keys)


def varying_conditions(rows: Sequence[Measurement]) -> list[str]:
    """Condition names whose value differs among ``rows`` (of one requirement)."""
    names: list[str] = []
    for row in rows:
        names += [k for k in row.conditions if k not in names]
    return [k for k in names if len({r.conditions.get(k) for r in rows}) > 1]


def failure_lines(rows: Sequence[Measurement]) -> list[str]:
    """One line per non-conforming row: ``REQ [conditions]: VERDICT: why``."""
    lines = []
    for rid in dict.fromkeys(r.requirement_id for r in rows):
        same = [r for r in rows if r.requirement_id == rid]
        varying = varying_conditions(same)
        for r in same:
            if r.verdict.conforms:
                continue
            where = conditions_of(r, varying)
            label = f"{rid} [{where}]" if where else rid
            lines.append(f"{label}: {r.verdict.value}: {why(r)}")
    return lines


@dataclass(frozen=True)
class RequirementLine:
    """One requirement of a run: its decisive measurement and the combined verdict."""

    requirement_id: str
    decisive: Measurement
    """The worst measurement: worst verdict, then least margin."""
    verdict: Verdict
    count: int

    @property
    def conforms(self) -> bool:
        return self.verdict.conforms


def _badness(m: Measurement) -> tuple[int, float]:
    found = margin(m)
    return (m.verdict.severity, -(found if found is not None else -math.inf))


def requirement_lines(rows: Iterable[Measurement]) -> list[RequirementLine]:
    """The run's requirements in the order first measured, each with its worst row."""
    grouped: dict[str, list[Measurement]] = {}
    for row in rows:
        grouped.setdefault(row.requirement_id, []).append(row)
    lines = []
    for rid, same in grouped.items():
        verdict = worst([r.verdict for r in same])
        assert verdict is not None
        lines.append(RequirementLine(rid, max(same, key=_badness), verdict, len(same)))
    return lines


def table(lines: Sequence[RequirementLine]) -> list[str]:
    """The requirements as aligned text: value ± U, limits, rule, margin, verdict."""
    header = ("REQUIREMENT", "N", "VALUE ± U (worst)", "LIMITS", "RULE", "MARGIN", "VERDICT")
    body = [
        (
            line.requirement_id,
            str(line.count),
            value_text(line.decisive),
            limits_text(line.decisive.lower_limit, line.decisive.upper_limit, line.decisive.unit),
            str(line.decisive.decision_rule),
            margin_text(line.decisive),
            line.verdict.value,
        )
        for line in lines
    ]
    rows = [header, *body]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 5}
    return [
        "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                  enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]  # fmt: skip


def unit_line(
    serial: str,
    lines: Sequence[RequirementLine],
    in_spec: int | None = None,
    *,
    interrupted: bool = False,
) -> str:
    """The statement of conformity for the unit, one line.

    ``RMD1-0042: FAIL, 10 of 47 requirements do not conform`` or ``…: PASS, all 47
    requirements conform``; a run that tested part of the spec (``in_spec`` > tested)
    says how much it left out, since a PASS of three requirements is not a unit's PASS.
    An interrupted run (Ctrl-C, an operator's abort) is INCOMPLETE however well what it
    measured went: it never got to the rest of what it was asked to test.
    """
    failing = sum(1 for line in lines if not line.conforms)
    total = len(lines)
    noun = "requirement" if total == 1 else "requirements"
    if not lines:
        text = f"{serial}: NOT TESTED, no requirement was measured"
    elif failing:
        text = f"{serial}: FAIL, {failing} of {total} {noun} do not conform"
    elif interrupted:
        verb = "conforms" if total == 1 else "conform"
        text = f"{serial}: INCOMPLETE, the run was interrupted; the {total} {noun} tested {verb}"
    else:
        text = f"{serial}: PASS, all {total} {noun} conform" if total > 1 else (
            f"{serial}: PASS, the 1 requirement tested conforms"
        )  # fmt: skip
    if in_spec is not None and in_spec > total:
        text += f" ({in_spec - total} of the spec's {in_spec} not tested in this run)"
    return text
