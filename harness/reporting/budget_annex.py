"""The report's annex: the uncertainty budget behind every U in the results table.

A U without its budget cannot be reviewed: an assessor asks which contributions were
counted, how each was evaluated (Type A or B, its distribution and divisor), how it
reaches the result (sensitivity coefficient) and why the coverage factor is what it is
(effective degrees of freedom, GUM G.4). The run's results table keeps each
measurement's budget as JSON (``uncertainty_budget``, a ``RecordedBudget``); this module
lays it out.

Many measurements share one *form* of budget: the same components, each with the same
distribution, divisor and sensitivity coefficient (every scope current: vertical gain,
load tolerance, 8-bit step), differing only in the numbers. Printing a full component
table per measurement repeated the same words some 200 times, and laying out those rows
was about half of the report's PDF time (issue 15). So each distinct form is described
once (its components: name, basis, distribution, divisor, c_i, ν_i) and followed by one
row per measurement using it: u(x_i) of each component (ν_i and the basis beside it
where they differ between measurements), u_c, ν_eff, k and U.

The numbers printed are the ones recorded when the value was judged (u_c, ν_eff, k),
not recomputed here, so the annex shows what the verdict rested on. Budget lines and
u_c get two significant digits (a budget line is itself an estimate); U is rounded as
the results table rounds it (two significant digits, ``format_measured``). A row without
a budget (a check, U given as a number, a row from a store older than budgets) has no
row; ``unbudgeted`` counts them so the annex can say so rather than stay silent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from pydantic import ValidationError

from harness.recording.record import BudgetLine, RecordedBudget
from harness.recording.results import finite_or_none
from harness.reporting.wording import format_measured, plain_number, plain_text, pretty_unit

BUDGET_COLUMN = "uncertainty_budget"
INFINITE = "∞"
PER_VALUE = "per value"
"""A component's ν_i or basis that differs between the measurements of one form."""


@dataclass(frozen=True)
class Component:
    """One component of a budget form as printed once: all but its numbers."""

    symbol: str
    name: str
    note: str
    distribution: str
    divisor: str
    sensitivity: str
    degrees_of_freedom: str


@dataclass(frozen=True)
class ComponentValue:
    """One component's numbers in one measurement: u(x_i), |c_i|·u(x_i) when c_i ≠ ±1,
    and ν_i and the basis when they differ between the measurements of its form."""

    standard_uncertainty: str
    contribution: str = ""
    degrees_of_freedom: str = ""
    note: str = ""


@dataclass
class AnnexEntry:
    """One measurement's budget: what was measured, its components' u, u_c, ν_eff, k, U."""

    seq: int
    requirement_id: str
    quantity: str
    value: str
    unit: str
    conditions: str = ""
    values: list[ComponentValue] = field(default_factory=list)
    combined: str = ""
    effective_dof: str = INFINITE
    coverage_factor: str = "2"
    coverage_probability: str = "95.45 %"
    expanded: str = ""


@dataclass
class AnnexBudget:
    """One budget form (components described once) and every measurement using it."""

    label: str
    components: list[Component]
    entries: list[AnnexEntry] = field(default_factory=list)

    @property
    def requirement_ids(self) -> list[str]:
        """The requirements whose measurements use this form, in the report's order."""
        return list(dict.fromkeys(e.requirement_id for e in self.entries))


@dataclass
class Annex:
    """Every budget form of the run, and how many measured values had none recorded."""

    budgets: list[AnnexBudget] = field(default_factory=list)
    unbudgeted: int = 0
    titles: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.budgets)

    def entries(self) -> list[AnnexEntry]:
        """Every measurement's entry, form after form."""
        return [e for b in self.budgets for e in b.entries]


def _two_digits(value: float) -> str:
    return plain_number(value, 2) if value else "0"


def _exact(value: float) -> str:
    """A coefficient as written (``1``, ``0.5``, ``2``): three digits, no trailing zeros."""
    text = plain_number(value, 3)
    return text.rstrip("0").rstrip(".") if "." in text and "×" not in text else text


def _divisor(value: float) -> str:
    return "√3" if math.isclose(value, math.sqrt(3.0)) else _exact(value)


def _dof(nu: float | None) -> str:
    return INFINITE if nu is None else f"{nu:.0f}"


def parse_budget(cell: object) -> RecordedBudget | None:
    """The budget of one results-table cell; None when the row has none (NA, empty)."""
    if not isinstance(cell, str) or not cell:
        return None
    try:
        return RecordedBudget.model_validate_json(cell)
    except ValidationError as exc:
        raise ValueError(f"uncertainty_budget cell is not a recorded budget: {exc}") from None


_Form = tuple[tuple[str, str, str, str, str], ...]


def _form(budget: RecordedBudget) -> _Form:
    """What makes two budgets one form: each component's words and coefficients, as
    printed (two budgets that print alike are alike to their reader)."""
    return tuple((plain_text(line.name), _distribution(line), _divisor(line.divisor),
                  _exact(line.sensitivity), line.evaluation) for line in budget.lines)  # fmt: skip


def build_annex(
    frame: pd.DataFrame,
    titles: Sequence[tuple[str, str]] = (),
    describe: Callable[[pd.Series], str] = lambda row: "",
) -> Annex:
    """The annex of a run's results table.

    ``titles`` gives the requirements in the report's order with their titles (others
    follow in the table's order); forms come in the order of the first requirement that
    uses them, and a form's measurements in that order too. ``describe`` turns a row
    into its conditions text, as the results table prints them, so two budgets of one
    requirement can be told apart.
    """
    annex = Annex(titles=dict(titles))
    if BUDGET_COLUMN not in frame.columns:
        return annex
    order = {rid: i for i, (rid, _) in enumerate(titles)}
    found: list[tuple[pd.Series, RecordedBudget]] = []
    for _, row in frame.iterrows():
        budget = parse_budget(row[BUDGET_COLUMN])
        if budget is None:
            if str(row["decision_rule"]) != "check" and finite_or_none(row["value"]) is not None:
                annex.unbudgeted += 1
            continue
        found.append((row, budget))
    found.sort(key=lambda item: order.get(str(item[0]["requirement_id"]), len(order)))
    forms: dict[_Form, list[tuple[pd.Series, RecordedBudget]]] = {}
    for row, budget in found:
        forms.setdefault(_form(budget), []).append((row, budget))
    for number, uses in enumerate(forms.values(), start=1):
        annex.budgets.append(_budget_form(f"A.{number}", uses, describe))
    return annex


def _budget_form(
    label: str, uses: list[tuple[pd.Series, RecordedBudget]], describe: Callable[[pd.Series], str]
) -> AnnexBudget:
    """A form's components (a ν_i or basis that varies becomes ``PER_VALUE``) and rows."""
    first = uses[0][1].lines
    shared_dof = [len({_dof(b.lines[i].degrees_of_freedom) for _, b in uses}) == 1
                  for i in range(len(first))]  # fmt: skip
    shared_note = [len({b.lines[i].note for _, b in uses}) == 1 for i in range(len(first))]
    components = [
        Component(
            symbol=f"x{i + 1}",
            name=plain_text(line.name),
            note=pretty_unit(plain_text(line.note)) if shared_note[i] else PER_VALUE,
            distribution=_distribution(line),
            divisor=_divisor(line.divisor),
            sensitivity=_exact(line.sensitivity),
            degrees_of_freedom=_dof(line.degrees_of_freedom) if shared_dof[i] else PER_VALUE,
        )
        for i, line in enumerate(first)
    ]
    entries = [_entry(row, budget, describe(row), shared_dof, shared_note)
               for row, budget in uses]  # fmt: skip
    return AnnexBudget(label, components, entries)


def _distribution(line: BudgetLine) -> str:
    return line.distribution + (" (Type A)" if line.evaluation == "A" else "")


def _entry(
    row: pd.Series,
    budget: RecordedBudget,
    conditions: str,
    shared_dof: list[bool],
    shared_note: list[bool],
) -> AnnexEntry:
    value, u = finite_or_none(row["value"]), finite_or_none(row["expanded_uncertainty"])
    shown_value, shown_u = format_measured(value, u or 0.0)
    nu = budget.effective_degrees_of_freedom
    return AnnexEntry(
        seq=int(row["seq"]),
        requirement_id=str(row["requirement_id"]),
        quantity=str(row["quantity"]).replace("_", " "),
        value=shown_value,
        unit=pretty_unit(str(row["unit"] or "")),
        conditions=conditions,
        values=[
            _value(line, not shared_dof[i], not shared_note[i])
            for i, line in enumerate(budget.lines)
        ],
        combined=_two_digits(budget.combined_standard_uncertainty),
        effective_dof=INFINITE if nu is None else f"{nu:.1f}" if nu < 100 else f"{nu:.0f}",
        coverage_factor=_exact(budget.coverage_factor),
        coverage_probability=f"{budget.coverage_probability * 100:.2f} %",
        expanded=shown_u,
    )


def _value(line: BudgetLine, own_dof: bool, own_note: bool) -> ComponentValue:
    contribution = abs(line.sensitivity) * line.standard_uncertainty
    return ComponentValue(
        standard_uncertainty=_two_digits(line.standard_uncertainty),
        contribution="" if math.isclose(abs(line.sensitivity), 1.0) else _two_digits(contribution),
        degrees_of_freedom=_dof(line.degrees_of_freedom) if own_dof else "",
        note=pretty_unit(plain_text(line.note)) if own_note else "",
    )
