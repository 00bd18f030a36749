"""The compliance report: built from real simulated runs (a good unit and one with a
sense-gain fault) and from hand-made run folders for the cases a bench rarely produces
on demand (interrupted run, override, instrument past calibration, conditional verdicts).

PDF text is read with ``pdftotext`` (poppler-utils) or else pypdf; without either the
PDF text checks skip and the HTML checks still run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hil_process import run_hil
from report_readback import pdf_pages, python_forms, squeezed, table_rows

from harness.cli import report as report_cmd
from harness.data import RMD1_SPEC
from harness.judging.spec import load_spec
from harness.judging.verdict import Verdict
from harness.recording.record import (
    Accreditation,
    Approver,
    CalibrationRecord,
    InstrumentIdentity,
    LaboratoryRecord,
    ReferenceStandard,
    RunRecord,
    UnitIdentity,
)
from harness.recording.results import load
from harness.reporting.compliance import build_compliance_report, format_measured, pretty_unit

ROOT = Path(__file__).resolve().parents[2]
ISSUED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SUITES = ("test_output_current.py",)
"""Level, load and long (BOOST) captures and a failing unit's failures, at a fifth of a
whole run's time."""


def _hil_run(folder: Path, run_id: str, *faults: str) -> Path:
    # --no-report: the fixture builds the report itself (with a fixed issue time); the run
    # building one too would double the fixture's cost. Allure is tested elsewhere.
    args = ["--no-report", "--no-allure", *(f"--sim-fault={f}" for f in faults)]
    run_hil(folder, run_id, *args, *(str(ROOT / "test_suites" / name) for name in SUITES))
    return folder / run_id


@pytest.fixture(scope="module", autouse=True)
def _workers_not_niced() -> Iterator[None]:
    """The report's workers at this process's priority: niced, as on a bench PC, beside
    another xdist worker's runs they wait for those (a report in 18 s instead of 3), and
    what these tests check is what they build, not when."""
    from harness.reporting import pdf, report_worker

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_worker, "NICENESS", 0)
        patch.setattr(pdf, "NICENESS", 0)
        yield


@pytest.fixture(scope="module")
def runs(_workers_not_niced: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A good and a failing simulated run, each with its report built."""
    with ThreadPoolExecutor(2) as pool:
        good = pool.submit(_hil_run, tmp_path_factory.mktemp("good"), "GOOD")
        bad = pool.submit(_hil_run, tmp_path_factory.mktemp("bad"), "BAD", "gain=1.3")
        folders = {"good": good.result(), "bad": bad.result()}
    for folder in folders.values():
        assert (folder / "run.json").is_file(), f"hil run left no run record in {folder}"
        build_compliance_report(folder, laboratory="Test Lab A", issued_at=ISSUED)
    return folders


@pytest.mark.slow
def test_failing_unit_says_fail_and_names_the_ids_on_the_first_page(runs):
    run = runs["bad"]
    table = pd.read_parquet(run / "results.parquet")
    failing = sorted(set(table.loc[table["verdict"] != "PASS", "requirement_id"]))
    assert "OUT-AMP-L5" in failing and "OUT-ABSMAX" in failing
    html = (run / "report.html").read_text()
    assert f"FAIL: {len(failing)} of" in html
    first = pdf_pages(run / "report.pdf")[0]
    flat = re.sub(r"\s+", " ", first)
    assert f"FAIL: {len(failing)} of" in flat
    for rid in failing:
        assert rid in flat, f"{rid} missing from the first page"
    assert "SIMULATED UNIT WITH INJECTED FAULT gain=1.3" in flat
    assert "does not conform" in html


@pytest.mark.slow
def test_good_unit_passes_and_every_requirement_and_page_number_appears(runs):
    run = runs["good"]
    table = pd.read_parquet(run / "results.parquet")
    html = (run / "report.html").read_text()
    assert "PASS: all" in html and 'class="box fail"' not in html
    assert "have no result in this run" in html  # only two suites ran: SAF-*, TIM-* …
    assert "INJECTED FAULT" not in html and "SIMULATED UNIT" in html
    pages = pdf_pages(run / "report.pdf")
    text = " ".join(pages)
    for rid in set(table["requirement_id"]):
        assert rid in html and rid in text
    # the report, then its Annex A and Annex B: each numbered on its own pages (laid out
    # apart), each page naming the report and the unit
    footer = [
        re.search(r"(Page|Annex A – page|Annex B – page) (\d+) of (\d+)\s*$", p) for p in pages
    ]
    assert all(footer), [p[-80:] for p, f in zip(pages, footer, strict=True) if not f]
    parts = [f.group(1) for f in footer if f]
    assert parts == sorted(parts, key=["Page", "Annex A – page", "Annex B – page"].index)
    for name in ("Page", "Annex A – page", "Annex B – page"):
        numbers = [(int(f.group(2)), int(f.group(3))) for f in footer if f and f.group(1) == name]
        assert numbers == [(n, len(numbers)) for n in range(1, len(numbers) + 1)], name
    for page in pages:
        assert "Report CR-GOOD" in page and "RMD1-SIM-0001" in page
    body_end = pages[parts.count("Page") - 1]
    assert squeezed("Annex A (uncertainty budgets) and Annex B (waveforms) follow") in squeezed(
        body_end
    )
    assert squeezed("End of Annex A.") in squeezed(
        pages[len(parts) - parts.count("Annex B – page") - 1]
    )
    assert squeezed("End of Annex B and of report CR-GOOD") in squeezed(pages[-1])
    assert "Figure 1." in " ".join(
        p for p, part in zip(pages, parts, strict=True) if part == "Annex B – page"
    )
    assert "Test Lab A" in text and "2026-01-02 03:04:05 UTC" in text
    assert "guarded acceptance with guard band w = U" in text
    assert (run / "plots" / "005-OUT-AMP-L5.png").is_file()


def _record(**changes: object) -> RunRecord:
    base = RunRecord(
        run_id="HAND", unit=UnitIdentity(model="RMD-1", serial="S-42", firmware="1.0",
                                         hardware="A"),
        bench_id="B1", station="bench-2", operator="alice", spec_id="RMD-1-SPEC",
        spec_version="1.0.0", spec_sha256="0" * 64, harness_version="0.1.0",
        python_version="3.11", host="h", pid=1, status="interrupted",
        started_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        instruments=[InstrumentIdentity(name="dmm", role="ammeter", model="Keysight 34465A",
                                        serial="MY1", resource="TCPIP0::x::INSTR",
                                        calibration_due="2026-02-01")],
        overrides=["allow-expired-calibration: dmm due 2026-02-01"],
        environment={"temperature": "23 degC"},
    )  # fmt: skip
    return base.model_copy(update=changes)


def _measurement(rid: str, value: float | None, verdict: str, **extra: object) -> dict:
    row = {"seq": 0, "requirement_id": rid, "quantity": "peak_current", "value": value,
           "unit": "uA", "expanded_uncertainty": 14.0, "coverage_factor": 2.0,
           "lower_limit": 320.0, "upper_limit": 480.0, "decision_rule": "non-binary",
           "verdict": verdict, "note": "", "attachments": [], "cond_load": "500 ohm"}  # fmt: skip
    return {**row, **extra}


@pytest.fixture
def hand_run(tmp_path: Path) -> Path:
    (tmp_path / "run.json").write_text(_record().model_dump_json())
    rows = [
        _measurement("OUT-AMP-L5", 470.0, "CONDITIONAL PASS", cond_polarity="+"),
        _measurement("OUT-AMP-L5", 485.0, "CONDITIONAL FAIL", cond_polarity="-"),
        _measurement("OUT-AMP-L4", 350.0, "PASS"),
        _measurement("XYZ-NEW", None, "FAIL", cond_pause_s="20.5"),
    ]
    frame = pd.DataFrame([{**r, "seq": i} for i, r in enumerate(rows)])
    frame.to_parquet(tmp_path / "results.parquet")
    return tmp_path


def test_interrupted_run_with_override_and_conditional_verdicts(hand_run: Path) -> None:
    html_path, pdf_path = build_compliance_report(
        hand_run, spec_path=RMD1_SPEC, location="Room 4", issued_at=ISSUED
    )
    html = html_path.read_text()
    assert "INCOMPLETE RUN (status: interrupted)" in html
    assert "allow-expired-calibration: dmm due 2026-02-01" in html
    assert "2026-02-01 (OVERDUE)" in html and "past its calibration due date" in html
    # the requirement heading carries the worst of its rows
    heading = re.search(
        r"<tr class=\"req\"><td colspan=\"6\"><span class=\"nowrap\">OUT-AMP-L5<.*?</tr>",
        html,
        re.S,
    )
    assert heading and "CONDITIONAL FAIL" in heading.group(0)
    assert "FAIL: 2 of 3 requirements" in html  # OUT-AMP-L5 (conditional fail), XYZ-NEW
    assert "no valid reading" in html and "pause 20.5 s" in html
    assert "(not in the spec file)" in html and "not the one the run was judged by" in html
    assert "have no result in this run" in html and "SAF-OC-TRIP" in html
    assert "Room 4" in html and "23.0 °C" not in html and "23 °C" in html
    assert "SIMULATED" not in html
    first = re.sub(r"\s+", " ", pdf_pages(pdf_path)[0])
    assert "INCOMPLETE RUN" in first and "FAIL: 2 of 3" in first


def test_measured_values_are_rounded_with_their_uncertainty() -> None:
    assert format_measured(520.834, 19.03) == ("521", "19")
    assert format_measured(3.5, 0.013697) == ("3.500", "0.014")
    assert format_measured(10.000202, 0.00058) == ("10.00020", "0.00058")
    assert format_measured(1199.0, 1.1547) == ("1199.0", "1.2")
    assert format_measured(None, 1.0) == ("no valid reading", "—")
    assert pretty_unit("uA") == "µA" and pretty_unit("mA/cm^2") == "mA/cm²"
    assert pretty_unit("10000 ohm") == "10000 Ω" and pretty_unit("uC") == "µC"
    assert pretty_unit("output < 10 uA; user uses it") == "output < 10 µA; user uses it"
    assert Verdict("CONDITIONAL PASS").conforms  # the report keeps the verdict's own meaning


def test_command_builds_the_report_and_refuses_a_folder_that_is_not_a_run(
    hand_run: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="hil")
    report_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "compliance", str(hand_run), "--laboratory", "Lab Z"])
    assert args.func(args) == 0
    assert capsys.readouterr().out.split() == [str(hand_run / "report.html"),
                                               str(hand_run / "report.pdf")]  # fmt: skip
    assert "Lab Z" in (hand_run / "report.html").read_text()
    empty = tmp_path_factory.mktemp("empty")
    args = parser.parse_args(["report", "compliance", str(empty)])
    assert args.func(args) == 2
    assert "run.json" in capsys.readouterr().err


def test_first_page_says_whether_the_evidence_will_be_signed(hand_run: Path) -> None:
    spec = RMD1_SPEC
    _html, pdf_path = build_compliance_report(hand_run, spec_path=spec, issued_at=ISSUED)
    first = re.sub(r"\s+", " ", pdf_pages(pdf_path)[0])
    assert "UNSIGNED EVIDENCE PACKAGE" in first and "only its hash chain protects it" in first
    fingerprint = "sha256:" + "ab" * 32
    html_path, pdf_path = build_compliance_report(
        hand_run, spec_path=spec, issued_at=ISSUED, signing_fingerprint=fingerprint
    )
    html = html_path.read_text()
    assert f"to be sealed and signed with key {fingerprint}" in html
    assert "UNSIGNED" not in html
    first = re.sub(r"\s+", "", pdf_pages(pdf_path)[0])  # a long key may wrap anywhere
    assert fingerprint in first


# -- read back from the PDF (ISO/IEC 17025 7.8: what a reader of the issued report sees) --


@pytest.mark.slow
@pytest.mark.parametrize("which", ["good", "bad"])
def test_pdf_holds_no_python_representation(runs, which):
    text = "\n".join(pdf_pages(runs[which] / "report.pdf"))
    assert python_forms(text) == []


@pytest.mark.slow
def test_every_instrument_and_reference_standard_row_is_complete(runs):
    run = runs["good"]
    record = RunRecord.model_validate_json((run / "run.json").read_text())
    assert record.reference_standards, "the load resistors are the references of i = v/R"
    rows = table_rows((run / "report.html").read_text(), "equipment-row")
    assert len(rows) == len(record.instruments) + len(record.reference_standards)
    for cells in rows:
        assert len(cells) == 8 and all(cells), cells
    text = squeezed("".join(pdf_pages(run / "report.pdf")))
    for item in [*record.instruments, *record.reference_standards]:
        assert item.calibration is not None, item
        for value in (item.serial, item.calibration_due, item.calibration.date,
                      item.calibration.certificate, item.calibration.traceability):  # fmt: skip
            assert value and squeezed(value) in text, (item.name, value)


@pytest.mark.slow
def test_signature_block_is_on_one_page(runs):
    for run in runs.values():
        pages = pdf_pages(run / "report.pdf")
        holding = [i for i, page in enumerate(pages) if "Authorisation" in page]
        assert len(holding) == 1
        page = pages[holding[0]]
        for part in ("Tested by", "Approved by", "authorise its release", "End of report"):
            assert part in page, part


@pytest.mark.slow
@pytest.mark.parametrize("which", ["good", "bad"])
def test_statement_of_conformity_matches_the_stored_verdicts(runs, which):
    run = runs[which]
    stored = load(run.parent / "results.db", run.name)
    worst = stored.groupby("requirement_id")["verdict"].agg(
        lambda v: max((Verdict(x) for x in v), key=lambda x: x.severity).value)  # fmt: skip
    failing = sorted(rid for rid, v in worst.items() if not Verdict(v).conforms)
    text = re.sub(r"\s+", " ", " ".join(pdf_pages(run / "report.pdf")))
    if failing:
        assert f"FAIL: {len(failing)} of {len(worst)} requirements do not conform" in text
        assert "The item does not conform" in text
        statement = text[text.index("The item does not conform") :]
        for rid in failing:
            assert rid in statement[:2000], rid
    else:
        assert f"PASS: all {len(worst)} requirements tested conform" in text
        assert "does not conform" not in text
        whole = "No statement of conformity to the whole specification can be made"
        spec = load_spec(RMD1_SPEC)
        if set(spec.requirements) - set(worst.index):  # only some suites ran
            assert whole in text and "Every requirement that has a result conforms" in text
        else:
            assert "The item conforms" in text and whole not in text


@pytest.mark.slow
def test_each_requirement_shows_its_source_clause(runs):
    spec = load_spec(RMD1_SPEC)
    run = runs["good"]
    text = re.sub(r"\s+", " ", " ".join(pdf_pages(run / "report.pdf")))
    table = pd.read_parquet(run / "results.parquet")
    for rid in sorted(set(table["requirement_id"])):
        source = pretty_unit(spec.requirement(rid).source)
        assert f"Source: {source}" in text, rid


@pytest.mark.slow
def test_long_capture_is_an_envelope_with_zoomed_windows(runs):
    html = (runs["good"] / "report.html").read_text()
    caption = re.search(r"Figure \d+\. OUT-BOOST-AMP:[^<]*", html)
    assert caption and "envelope with three zoomed windows" in caption.group(0)
    short = re.search(r"Figure \d+\. OUT-AMP-L1:[^<]*", html)
    assert short and "envelope" not in short.group(0)


def _lab() -> LaboratoryRecord:
    return LaboratoryRecord(
        name="Example Test Lab", address="1 Example Road, Town",
        accreditation=Accreditation(body="UKAS", number="0000", scope="IEC 60601-2-10 tests"),
        approvers=[Approver(name=f"Approver {i}", role="Technical manager") for i in range(3)],
    )  # fmt: skip


def test_remarks_written_as_python_read_as_words(hand_run: Path) -> None:
    """The remarks the suites write with str() (test_identity, the safety suites) and a lab."""
    record = _record(laboratory=_lab(), reference_standards=[ReferenceStandard(
        name="R500", kind="load resistor", nominal="500 ohm", tolerance="0.1 %", model="VHP",
        serial="R-1", calibration_due="2027-01-01", calibration=CalibrationRecord(
            date="2026-01-01", certificate="C-9", laboratory="Cal Lab",
            traceability="to SI via NPL"))])  # fmt: skip
    (hand_run / "run.json").write_text(record.model_dump_json())
    notes = [
        "{'model': 'RMD-1', 'serial': 'S-42', 'firmware': '1.0'}; empty or unprintable: []; "
        "stable: True; serial matches the run record: True",
        "output after the self-test (3 looks over 2 s, load connected): off [False, False, "
        "False]; after a power cycle: on",
        "overshoot 2.5000000000000133",
        "largest |reading| of 12; signed 2.170e-08 A",
    ]
    frame = pd.DataFrame([{**_measurement("OUT-AMP-L4", 350.0, "PASS", note=n,
                                          cond_window_s="10.000000000001"), "seq": i}
                          for i, n in enumerate(notes)])  # fmt: skip
    frame.to_parquet(hand_run / "results.parquet")
    html_path, pdf_path = build_compliance_report(hand_run, spec_path=RMD1_SPEC, issued_at=ISSUED)
    pages = pdf_pages(pdf_path)
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert python_forms("\n".join(pages)) == []
    assert "model RMD-1, serial S-42, firmware 1.0; empty or unprintable: none" in text
    assert "off no, no, no" in text and "overshoot 2.500" in text
    assert "signed 2.170 × 10⁻⁸ A" in text
    assert "Example Test Lab" in text and "1 Example Road, Town" in text
    assert "UKAS, accreditation 0000; scope: IEC 60601-2-10 tests" in text
    signing = [p for p in pages if "Authorisation" in p]
    assert len(signing) == 1
    for i in range(3):
        assert f"Approver {i}" in signing[0]
    row = table_rows(html_path.read_text(), "equipment-row")[-1]
    assert row == ["load resistor R500: 500 Ω ±0.1 %", "VHP", "R-1", "2026-01-01", "C-9",
                   "Cal Lab", "2027-01-01", "to SI via NPL"]  # fmt: skip


def test_python_forms_are_found_where_they_are() -> None:
    """The read-back check itself: it finds each form, and not ordinary report text."""
    for bad in ("{'a': 1}", "[False, True]", "['x']", "x True", "2.5000000000000133",
                "2.170e-08 A", "[]"):  # fmt: skip
        assert python_forms(bad), bad
    assert python_forms("levels 1-5; 0.95 … 1.05; 2.170 × 10⁻⁸ A; (3 looks over 2 s)") == []


def test_requirements_the_device_lacks_are_named_not_applicable(hand_run: Path) -> None:
    """A unit run by relays: its report says so, and lists what the shared suites hold
    for other devices as not applicable (never as tested, never as a pass)."""
    from harness.reporting.compliance import render_html, report_context

    (hand_run / "applicability.json").write_text(
        json.dumps({
            "spec": "RMD-2-SPEC 1.0.0", "unit_control": "relay",
            "not_applicable": {
                "OUT-BOOST": {"reason": "not a requirement of RMD-2-SPEC", "tests": ["t"]},
                "COM-ID": {"reason": "not a requirement of RMD-2-SPEC", "tests": ["u"]},
            },
        })
    )  # fmt: skip
    html = re.sub(r"\s+", " ", render_html(report_context(hand_run, spec_path=RMD1_SPEC)))
    assert "2 requirement(s) of the shared suites are not applicable to this unit" in html
    assert "OUT-BOOST" in html and "not a requirement of RMD-2-SPEC" in html
    assert "controlled by relays across its buttons" in html
    assert "(as reported by the unit)" not in html


def test_a_run_from_before_applicability_records_reads_as_before(hand_run: Path) -> None:
    from harness.reporting.compliance import render_html, report_context

    html = render_html(report_context(hand_run, spec_path=RMD1_SPEC))
    assert "not applicable to this unit" not in html and "(as reported by the unit)" in html


@pytest.mark.slow
def test_annex_prints_the_stored_budget_of_every_budgeted_value(runs):
    """Every row the suite recorded with a budget has its block in Annex A of the PDF,
    under its requirement, with the k and U the row was judged with."""
    run = runs["good"]
    table = pd.read_parquet(run / "results.parquet")
    budgeted = table[table["uncertainty_budget"].notna()]
    assert len(budgeted) >= 10, "the suites' measurements should carry their budgets"
    text = "\n".join(pdf_pages(run / "report.pdf"))
    annex = squeezed(text[text.index("Annex A Uncertainty budgets") :])
    for _, row in budgeted.iterrows():
        kept = json.loads(row["uncertainty_budget"])
        assert kept["coverage_factor"] == pytest.approx(row["coverage_factor"])
        assert row["expanded_uncertainty"] == pytest.approx(
            kept["coverage_factor"] * kept["combined_standard_uncertainty"], rel=1e-9)  # fmt: skip
        assert squeezed(f"#{row['seq']} {row['quantity'].replace('_', ' ')} =") in annex
        assert squeezed(str(row["requirement_id"])) in annex
        assert squeezed(kept["lines"][0]["name"]) in annex
    assert "∞" in annex and not python_forms(text[text.index("Annex A") :])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux")
def test_a_report_worker_builds_the_report_built_here(
    runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report a worker forked before the run (report_worker) builds from the run's
    files is the one built in this process: the same pages, word for word, and the same
    figures, byte for byte, though it was handed each ended test's measurements and drew
    their figures meanwhile (early_figures)."""
    import shutil
    from collections import defaultdict

    from harness.recording.store.results_store import ResultsStore
    from harness.reporting import report_worker
    from harness.reporting.report_worker import ReportWorker

    monkeypatch.setattr(report_worker, "forks_safely", lambda: True)  # even beside xdist
    copy = tmp_path / "GOOD"
    shutil.copytree(runs["good"], copy)
    (copy / "report.pdf").unlink()
    shutil.rmtree(copy / "plots")
    with ResultsStore.open(runs["good"].parent / "results.db") as store:
        tests: dict[str, list] = defaultdict(list)
        for m in store.measurements("GOOD"):
            tests[m.test_id].append(m)
    with ReportWorker() as worker:
        for rows in tests.values():
            worker.test_ended(copy, rows)
        html_path, pdf_path = worker.build(copy, laboratory="Test Lab A", issued_at=ISSUED)
    assert html_path.read_text() == (runs["good"] / "report.html").read_text()
    assert pdf_pages(pdf_path) == pdf_pages(runs["good"] / "report.pdf")
    drawn = sorted(p.name for p in (runs["good"] / "plots").iterdir())
    assert drawn and sorted(p.name for p in (copy / "plots").iterdir()) == drawn
    for name in drawn:
        assert (copy / "plots" / name).read_bytes() == (runs["good"] / "plots" / name).read_bytes()
