"""The report's annex: the uncertainty budget behind every U in the results table.

A U without its budget cannot be reviewed: an assessor asks which contributions were
counted, how each was evaluated (Type A or B, its distribution), how it reaches the
result (sensitivity coefficient) and why k = 2 is justified (effective degrees of
freedom, GUM G.4). The run's results table keeps each measurement's budget as JSON
(``uncertainty_budget``, the ``BudgetLine`` fields); this module lays it out, one block
per measurement, in the order of the results table. Numbers are rounded to two
significant digits: a budget line is itself an estimate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd

from harness.recording.results import finite_or_none
from harness.reporting.wording import format_measured, plain_number, plain_text, pretty_unit

BUDGET_COLUMN = "uncertainty_budget"
INFINITE = "∞"


@dataclass(frozen=True)
class BudgetRow:
    """One component as printed."""

    name: str
    distribution: str
    standard_uncertainty: str
    sensitivity: str
    contribution: str
    degrees_of_freedom: str
    note: str


@dataclass
class AnnexEntry:
    """One measurement's budget: what was measured, its components, u_c, ν_eff, k, U."""

    seq: int
    requirement_id: str
    quantity: str
    value: str
    unit: str
    rows: list[BudgetRow] = field(default_factory=list)
    combined: str = ""
    effective_dof: str = INFINITE
    coverage_factor: str = "2"
    expanded: str = ""


def _two_digits(value: float) -> str:
    return plain_number(value, 2) if value else "0"


def effective_dof(contributions: list[tuple[float, float | None]]) -> float:
    """Welch–Satterthwaite ν_eff = u_c⁴ / Σ(u_i⁴/ν_i) (GUM G.2b); ∞ when every ν_i is."""
    u_c4 = sum(u * u for u, _ in contributions) ** 2
    denominator = sum(u**4 / nu for u, nu in contributions if nu is not None and nu > 0)
    return math.inf if denominator == 0 else u_c4 / denominator


def annex_entries(frame: pd.DataFrame) -> list[AnnexEntry]:
    """Every measurement that has a budget, in the results table's order."""
    if BUDGET_COLUMN not in frame.columns:
        return []
    entries = []
    for _, row in frame.iterrows():
        text = row[BUDGET_COLUMN]
        lines = json.loads(text) if isinstance(text, str) and text else []
        if not lines:
            continue
        value, u = finite_or_none(row["value"]), finite_or_none(row["expanded_uncertainty"])
        shown_value, shown_u = format_measured(value, u or 0.0)
        k = finite_or_none(row["coverage_factor"]) or 2.0
        contributions = [(abs(float(ln["sensitivity"])) * float(ln["standard_uncertainty"]),
                          ln.get("degrees_of_freedom")) for ln in lines]  # fmt: skip
        combined = math.sqrt(sum(c * c for c, _ in contributions))
        nu = effective_dof(contributions)
        entries.append(AnnexEntry(
            seq=int(row["seq"]), requirement_id=str(row["requirement_id"]),
            quantity=str(row["quantity"]).replace("_", " "), value=shown_value,
            unit=pretty_unit(str(row["unit"] or "")),
            rows=[_row(ln, c) for ln, (c, _) in zip(lines, contributions, strict=True)],
            combined=_two_digits(combined),
            effective_dof=INFINITE if math.isinf(nu) else f"{nu:.0f}",
            coverage_factor=f"{k:g}", expanded=shown_u,
        ))  # fmt: skip
    return entries


def _row(line: dict[str, object], contribution: float) -> BudgetRow:
    nu = line.get("degrees_of_freedom")
    return BudgetRow(
        name=plain_text(line["name"]),
        distribution=str(line["distribution"]),
        standard_uncertainty=_two_digits(float(str(line["standard_uncertainty"]))),
        sensitivity=plain_number(float(str(line["sensitivity"])), 3),
        contribution=_two_digits(contribution),
        degrees_of_freedom=INFINITE if nu is None else f"{float(str(nu)):.0f}",
        note=pretty_unit(plain_text(line.get("note", ""))),
    )
