"""Annex A: a measurement's budget goes store -> results.parquet -> report.pdf intact.

A hand-made run (a record and a real store, exported as ``hil run`` exports it) keeps
this fast; the suite-built reports of ``test_compliance_report`` check the annex of a
real run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from report_readback import pdf_pages, python_forms, squeezed

from harness.data import RMD1_SPEC
from harness.judging.uncertainty import UncertaintyBudget
from harness.judging.verdict import DecisionRule, Verdict
from harness.recording.measure import recorded_budget
from harness.recording.record import Measurement, RunRecord, UnitIdentity
from harness.recording.results import export
from harness.recording.store.results_store import ResultsStore
from harness.reporting.budget_annex import build_annex
from harness.reporting.compliance import build_compliance_report

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _budget() -> UncertaintyBudget:
    """400 µA on a scope: gain ±3 % (rect.), load ±0.1 % (rect.), spread of 5 phases."""
    return (
        UncertaintyBudget()
        .add_accuracy("scope vertical gain", 400.0, 3.0, 0.0, 0.0)
        .add_relative("load R500 tolerance", 400.0, 0.001)
        .add_type_a("repeatability over phases", 2.5, n=5)
    )


def _row(seq: int, rid: str, value: float, budget: UncertaintyBudget | None) -> Measurement:
    k = 2.0 if budget is None else budget.coverage_factor()
    return Measurement(
        run_id="ANNEX", seq=seq, requirement_id=rid, test_id="t::x", quantity="peak_current",
        value=value, unit="uA", expanded_uncertainty=14.0 if budget is None else
        budget.expanded(), coverage_factor=k, lower_limit=320.0, upper_limit=480.0,
        decision_rule=DecisionRule.NON_BINARY, verdict=Verdict.PASS, taken_at=T0,
        conditions={"polarity": "+" if seq % 2 else "-"},
        uncertainty_budget=None if budget is None else recorded_budget(budget, k, 1.0),
    )  # fmt: skip


@pytest.fixture(scope="module")
def annex_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("annex")
    record = RunRecord(
        run_id="ANNEX", unit=UnitIdentity(model="RMD-1", serial="S-1", firmware="1.0",
                                          hardware="A"),
        bench_id="B1", station="st", operator="alice", spec_id="RMD-1-SPEC",
        spec_version="1.0.0", spec_sha256="0" * 64, harness_version="0.1.0",
        python_version="3.11", host="h", pid=1, status="passed", started_at=T0, ended_at=T0,
    )  # fmt: skip
    (folder / "run.json").write_text(record.model_dump_json())
    with ResultsStore.open(folder / "results.db") as store:
        store.begin_run(record)
        store.append(_row(1, "OUT-AMP-L5", 401.234, _budget()))
        store.append(_row(2, "OUT-AMP-L5", 399.0, _budget()))
        store.append(_row(3, "OUT-AMP-L4", 350.0, None))  # U as a number: no block
        export(store, "ANNEX", "parquet", folder / "results.parquet")
    build_compliance_report(folder, spec_path=RMD1_SPEC, laboratory="Lab")
    return folder


def test_annex_numbers_are_the_recorded_budget_rounded_as_the_report_rounds(
    annex_run: Path,
) -> None:
    annex = build_annex(pd.read_parquet(annex_run / "results.parquet"), [("OUT-AMP-L5", "t")])
    (form,) = annex.budgets  # both OUT-AMP-L5 budgets have one form, described once
    assert form.requirement_ids == ["OUT-AMP-L5"] and annex.unbudgeted == 1
    assert [e.seq for e in form.entries] == [1, 2]
    # u: 12/√3 = 6.93, 0.4/√3 = 0.231, 2.5 (ν 4): u_c = 7.37, ν_eff = 7.37⁴/(2.5⁴/4) = 302
    gain, load, spread = form.components
    assert (gain.name, gain.note, gain.distribution, gain.divisor, gain.sensitivity) == (
        "scope vertical gain", "±(3.0% rdg + 0.0% rng of 0)", "rectangular", "√3", "1")  # fmt: skip
    assert gain.degrees_of_freedom == "∞" and load.divisor == "√3"
    assert (spread.distribution, spread.divisor, spread.degrees_of_freedom) == (
        "normal (Type A)", "1", "4")  # fmt: skip
    first = form.entries[0]
    assert [v.standard_uncertainty for v in first.values] == ["6.9", "0.23", "2.5"]
    assert all(v.contribution == "" and v.degrees_of_freedom == "" for v in first.values)
    assert first.combined == "7.4" and first.effective_dof == "302"
    assert first.coverage_factor == "2.01" and first.coverage_probability == "95.45 %"
    assert (first.value, first.expanded) == ("401", "15")  # U = 2.0065 × 7.374 = 14.8


def test_a_number_that_differs_between_measurements_of_a_form_is_printed_per_value() -> None:
    """ν_i of a Type A line (n readings) and a basis can differ within one form: then the
    form says "per value" and each measurement's row carries its own; c_i ≠ 1 shows the
    contribution."""
    rows = []
    for seq, n in ((1, 5), (2, 3)):
        budget = (UncertaintyBudget().add_accuracy("gain", 400.0, 3.0, 0.0, 0.0)
                  .add_type_a("spread", 2.5, n=n))  # fmt: skip
        recorded = recorded_budget(budget, budget.coverage_factor(), 1.0)
        doubled = recorded.lines[1].model_copy(update={"sensitivity": 2.0})
        recorded = recorded.model_copy(update={"lines": [recorded.lines[0], doubled]})
        rows.append({"seq": seq, "requirement_id": "R", "quantity": "q", "value": 400.0,
                     "unit": "uA", "expanded_uncertainty": 14.0, "decision_rule": "guarded",
                     "uncertainty_budget": recorded.model_dump_json()})  # fmt: skip
    (form,) = build_annex(pd.DataFrame(rows)).budgets
    assert form.components[1].degrees_of_freedom == "per value"
    assert form.components[1].sensitivity == "2"
    assert [e.values[1].degrees_of_freedom for e in form.entries] == ["4", "2"]
    assert [e.values[1].contribution for e in form.entries] == ["5.0", "5.0"]
    assert form.entries[0].values[0].degrees_of_freedom == ""


def test_annex_reads_back_from_the_pdf(annex_run: Path) -> None:
    pages = pdf_pages(annex_run / "report.pdf")
    text = "\n".join(pages)
    flat = squeezed(text)
    assert squeezed("Annex A Uncertainty budgets") in flat
    for expected in ("scope vertical gain", "rectangular", "normal (Type A)",
                     "uc = 7.4 µA", "νeff = 302", "k = 2.01 (95.45 %)", "U = 15 µA",
                     "1 measured value(s) have no budget recorded"):  # fmt: skip
        assert squeezed(expected) in flat, expected
    assert flat.count(squeezed("#1 peak current = 401 µA (polarity +)")) == 1
    assert flat.count(squeezed("#2 peak current = 399 µA (polarity -)")) == 1
    assert not python_forms(text)


def test_a_run_without_budgets_has_no_annex(tmp_path: Path, annex_run: Path) -> None:
    (tmp_path / "run.json").write_text((annex_run / "run.json").read_text())
    frame = pd.read_parquet(annex_run / "results.parquet")
    frame.drop(columns=["uncertainty_budget"]).to_parquet(tmp_path / "results.parquet")
    html, _ = build_compliance_report(tmp_path, spec_path=RMD1_SPEC, laboratory="Lab")
    assert "Annex A Uncertainty budgets" not in html.read_text()
