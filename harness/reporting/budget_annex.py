"""The report's annex: the uncertainty budget behind every U in the results table.

A U without its budget cannot be reviewed: an assessor asks which contributions were
counted, how each was evaluated (Type A or B, its distribution and divisor), how it
reaches the result (sensitivity coefficient) and why the coverage factor is what it is
(effective degrees of freedom, GUM G.4). The run's results table keeps each
measurement's budget as JSON (``uncertainty_budget``, a ``RecordedBudget``); this module
lays it out, grouped by requirement in the report's order, one block per measurement.

The numbers printed are the ones recorded when the value was judged (u_c, ν_eff, k),
not recomputed here, so the annex shows what the verdict rested on. Budget lines and
u_c get two significant digits (a budget line is itself an estimate); U is rounded as
the results table rounds it (two significant digits, ``format_measured``). A row without
a budget (a check, U given as a number, a row from a store older than budgets) has no
block; ``unbudgeted`` counts them so the annex can say so rather than stay silent.
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


@dataclass(frozen=True)
class BudgetRow:
    """One component as printed, every number already rounded."""

    name: str
    note: str
    value: str
    distribution: str
    divisor: str
    sensitivity: str
    standard_uncertainty: str
    contribution: str
    degrees_of_freedom: str


@dataclass
class AnnexEntry:
    """One measurement's budget: what was measured, its components, u_c, ν_eff, k, U."""

    seq: int
    quantity: str
    value: str
    unit: str
    conditions: str = ""
    rows: list[BudgetRow] = field(default_factory=list)
    combined: str = ""
    effective_dof: str = INFINITE
    coverage_factor: str = "2"
    coverage_probability: str = "95.45 %"
    expanded: str = ""


@dataclass
class AnnexSection:
    """The budgets of one requirement's measurements."""

    requirement_id: str
    title: str
    entries: list[AnnexEntry] = field(default_factory=list)


@dataclass
class Annex:
    """Every budget of the run, and how many measured values had none recorded."""

    sections: list[AnnexSection] = field(default_factory=list)
    unbudgeted: int = 0

    def __bool__(self) -> bool:
        return bool(self.sections)


def _two_digits(value: float) -> str:
    return plain_number(value, 2) if value else "0"


def _exact(value: float) -> str:
    """A coefficient as written (``1``, ``0.5``, ``2``): three digits, no trailing zeros."""
    text = plain_number(value, 3)
    return text.rstrip("0").rstrip(".") if "." in text and "×" not in text else text


def _divisor(value: float) -> str:
    return "√3" if math.isclose(value, math.sqrt(3.0)) else _exact(value)


def parse_budget(cell: object) -> RecordedBudget | None:
    """The budget of one results-table cell; None when the row has none (NA, empty)."""
    if not isinstance(cell, str) or not cell:
        return None
    try:
        return RecordedBudget.model_validate_json(cell)
    except ValidationError as exc:
        raise ValueError(f"uncertainty_budget cell is not a recorded budget: {exc}") from None


def build_annex(
    frame: pd.DataFrame,
    titles: Sequence[tuple[str, str]] = (),
    describe: Callable[[pd.Series], str] = lambda row: "",
) -> Annex:
    """The annex of a run's results table.

    ``titles`` gives the requirements in the report's order with their titles (others
    follow in the table's order); ``describe`` turns a row into its conditions text, as
    the results table prints them, so two budgets of one requirement can be told apart.
    """
    annex = Annex()
    if BUDGET_COLUMN not in frame.columns:
        return annex
    sections = {rid: AnnexSection(rid, title) for rid, title in titles}
    for _, row in frame.iterrows():
        budget = parse_budget(row[BUDGET_COLUMN])
        if budget is None:
            if str(row["decision_rule"]) != "check" and finite_or_none(row["value"]) is not None:
                annex.unbudgeted += 1
            continue
        rid = str(row["requirement_id"])
        section = sections.setdefault(rid, AnnexSection(rid, ""))
        section.entries.append(_entry(row, budget, describe(row)))
    annex.sections = [s for s in sections.values() if s.entries]
    return annex


def _entry(row: pd.Series, budget: RecordedBudget, conditions: str) -> AnnexEntry:
    value, u = finite_or_none(row["value"]), finite_or_none(row["expanded_uncertainty"])
    shown_value, shown_u = format_measured(value, u or 0.0)
    nu = budget.effective_degrees_of_freedom
    return AnnexEntry(
        seq=int(row["seq"]),
        quantity=str(row["quantity"]).replace("_", " "),
        value=shown_value,
        unit=pretty_unit(str(row["unit"] or "")),
        conditions=conditions,
        rows=[_row(line) for line in budget.lines],
        combined=_two_digits(budget.combined_standard_uncertainty),
        effective_dof=INFINITE if nu is None else f"{nu:.1f}" if nu < 100 else f"{nu:.0f}",
        coverage_factor=_exact(budget.coverage_factor),
        coverage_probability=f"{budget.coverage_probability * 100:.2f} %",
        expanded=shown_u,
    )


def _row(line: BudgetLine) -> BudgetRow:
    nu = line.degrees_of_freedom
    distribution = line.distribution + (" (Type A)" if line.evaluation == "A" else "")
    return BudgetRow(
        name=plain_text(line.name),
        note=pretty_unit(plain_text(line.note)),
        value=_two_digits(line.value),
        distribution=distribution,
        divisor=_divisor(line.divisor),
        sensitivity=_exact(line.sensitivity),
        standard_uncertainty=_two_digits(line.standard_uncertainty),
        contribution=_two_digits(abs(line.sensitivity) * line.standard_uncertainty),
        degrees_of_freedom=INFINITE if nu is None else f"{nu:.0f}",
    )
