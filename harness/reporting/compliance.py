"""The per-unit compliance report: one template, rendered to HTML and to PDF.

A *test report* is what a laboratory hands over: ISO/IEC 17025 clause 7.8.2.1 lists
what it must hold, and this module gathers each item from the run folder:

- a title and a unique identification on every page: ``CR-<run-id>``, "page x of y"
  (each annex numbered on its own, "Annex A – page i of k": see below), and a clear end
  ("End of report", "End of Annex A", then "End of Annex B and of report");
- the laboratory, its address and accreditation and the people who may approve the
  report (the lab file the run recorded; else arguments, ``HIL_LABORATORY``/
  ``HIL_LOCATION``, else the bench station);
- the item tested (model, serial, firmware, hardware as the unit reported them) and its
  condition; the dates of testing (UTC) and of issue;
- the method: the spec (id, version, SHA-256 of its bytes), the suites at a git commit,
  the harness, Python and package versions; the equipment (each instrument and each
  reference standard: model, serial, calibration date, certificate, calibrating
  laboratory, due date, traceability; ``equipment_view``) and the environmental
  conditions, each marked measured or entered;
- the results with their units and expanded uncertainty U (k = 2), rounded to U
  (``wording``), the limits, the decision rule and the verdict, each requirement with
  its source clause; the uncertainty budget of every number in an annex; a requirement
  measured several times (both polarities, each load) shows every row under one heading
  carrying the *worst* verdict;
- a statement of conformity naming the decision rules used (7.8.6, ILAC-G8:2019);
- deviations: overrides (an instrument past calibration), injected simulation faults,
  an interrupted run, a spec file that is not the one the run was judged by;
- who performed and who approved it, and what their signatures mean.

A report must never hide bad news: a failing requirement or an incomplete run is
stated in a box on the first page, and a simulated unit with an injected fault says so
in a banner, because a report is often read no further than its first page. So is an
evidence package that will not be signed by a laboratory key (``signing_fingerprint``
None): only its hash chain protects it then, and anyone can recompute that.

HTML and PDF come from the same Jinja2 template so they cannot disagree; WeasyPrint
lays out the PDF (CSS paged media: ``@page`` counters for "page x of y", table headers
repeated on each page).

The PDF is three documents laid out side by side and joined (``pdf.join_pdfs``): the
report, which shows no figure, and Annex A (the uncertainty budgets) by processes forked
when the report is begun (``pdf.PdfWorker``, which load WeasyPrint while this one loads
pandas and matplotlib), from the moment the report's text is gathered; Annex B (the
waveforms) by this process once its figures are drawn. Laying ~20 pages out is the
longest step of the evidence package: split, it overlaps the drawing of the figures and
takes about the time of its largest part (issue 15). So each annex's pages are numbered
on their own, which the report's end says. This module imports neither pandas nor
matplotlib at its top, and is imported at the end of a run before either is needed.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from harness.data import SPECS
from harness.errors import InputError
from harness.judging.spec import Spec, load_spec
from harness.judging.verdict import Verdict
from harness.recording.record import RunRecord
from harness.reporting.applicability_view import read_applicability
from harness.reporting.conditions_view import condition_deviations
from harness.reporting.equipment_view import (
    condition_rows,
    instrument_rows,
    laboratory_view,
    standard_rows,
)
from harness.reporting.pdf import PdfWorker, join_pdfs, pdf_bytes
from harness.reporting.wording import format_measured, plain_number, plain_text, pretty_unit

if TYPE_CHECKING:
    import pandas as pd

    from harness.reporting.early_figures import EarlyFigures
    from harness.reporting.plots import PlotFile

__all__ = ["build_compliance_report", "format_measured", "pretty_unit", "render_html",
           "report_context"]  # fmt: skip

TEMPLATES = Path(__file__).parent / "templates"
COMPLETE = ("passed", "failed")
RULES = {
    "simple": "simple acceptance: conforms when the value lies within the limits, "
    "whatever U is (the consumer bears the risk near a limit)",
    "guarded": "guarded acceptance with guard band w = U: conforms only when the value "
    "lies within the limits shrunk by U, i.e. with about 97.5 % confidence",
    "non-binary": "four outcomes: PASS inside the limits shrunk by U; CONDITIONAL PASS "
    "inside the limits but within U of one; CONDITIONAL FAIL outside but within U; "
    "FAIL further out",
    "check": "pass/fail check with no numeric limit: the test establishes a fact",
}
_CSS_CLASS = {v.value: v.name.lower().replace("_", "-") for v in Verdict}


@dataclass(frozen=True)
class ResultRow:
    """One measurement as printed: every number already rounded and with its unit."""

    quantity: str
    value: str
    uncertainty: str
    unit: str
    limits: str
    rule: str
    verdict: str
    conditions: str
    note: str


@dataclass
class RequirementResult:
    """A requirement's rows under one heading; ``verdict`` is the worst of them."""

    id: str
    title: str
    source: str = ""
    verdict: str = "PASS"
    rows: list[ResultRow] = field(default_factory=list)


def build_compliance_report(
    run_dir: Path,
    *,
    spec_path: Path | None = None,
    laboratory: str | None = None,
    location: str | None = None,
    issued_at: datetime | None = None,
    signing_fingerprint: str | None = None,
    early: EarlyFigures | None = None,
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``run_dir``; return both paths.

    ``signing_fingerprint``: the key (``sha256:...``) the package will be sealed and signed
    with; None prints the UNSIGNED notice on the first page. ``early``: figures the
    report's worker drew while the tests ran; one is used only where its capture and rows
    are this run's (``early_figures``).
    """
    run_dir = Path(run_dir)
    base = str(run_dir)
    # the PDF is three documents laid out side by side and joined (see the module): the
    # report and Annex A by workers forked now (they load WeasyPrint while pandas and
    # matplotlib load here), from the moment the text is gathered; Annex B, the
    # waveforms, here once its figures are drawn
    with PdfWorker() as body_pdf, PdfWorker() as budgets_pdf:
        from harness.reporting.plot_pool import start_figures

        record, frame = _load_run(run_dir)
        with start_figures(run_dir, frame, early) as figures:  # drawn by workers meanwhile
            context = _context(run_dir, record, frame, spec_path=spec_path,
                               laboratory=laboratory, location=location, issued_at=issued_at,
                               signing_fingerprint=signing_fingerprint)  # fmt: skip
            body_pdf.start(render_html(context, part="body"), base)
            if context["annex"]:
                budgets_pdf.start(render_html(context, part="annex-a"), base)
            context["plots"] = [_plot_view(p, run_dir) for p in figures.result()]
        html = render_html(context)
        html_path, pdf_path = run_dir / "report.html", run_dir / "report.pdf"
        _write_atomic(html_path, html.encode("utf-8"))
        # PdfUnavailable when WeasyPrint's libraries are missing: report.html is written
        waveforms = pdf_bytes(render_html(context, part="annex-b"), base)
        if early is not None:  # while the layout workers finish: Allure's plots left
            early.draw_plots_left(run_dir)
        parts = [body_pdf.result(), *([budgets_pdf.result()] if context["annex"] else [])]
        _write_atomic(pdf_path, join_pdfs([*parts, waveforms]))
    return html_path, pdf_path


def render_html(context: dict[str, Any], part: str = "all") -> str:
    """The report as one HTML document (CSS inlined, plots linked relative to the run).

    ``part``: ``"all"`` (report.html), or one of the PDF's documents: ``"body"`` (the
    report without its annexes, which needs no figure), ``"annex-a"`` (the uncertainty
    budgets) and ``"annex-b"`` (the waveforms), each annex numbered on its own pages.
    """
    return template().render(**context, part=part)


@functools.cache
def template() -> Template:
    """The report's template, compiled once per process (~30 ms): a report renders it
    four times, once per document."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["unit"] = pretty_unit
    return env.get_template("compliance.html.j2")


def report_context(
    run_dir: Path,
    *,
    spec_path: Path | None = None,
    laboratory: str | None = None,
    location: str | None = None,
    issued_at: datetime | None = None,
    signing_fingerprint: str | None = None,
) -> dict[str, Any]:
    """Everything the template shows, gathered and formatted (no logic left to it)."""
    from harness.reporting.plots import make_figures

    record, frame = _load_run(run_dir)
    context = _context(run_dir, record, frame, spec_path=spec_path, laboratory=laboratory,
                       location=location, issued_at=issued_at,
                       signing_fingerprint=signing_fingerprint)  # fmt: skip
    context["plots"] = [_plot_view(p, run_dir) for p in make_figures(run_dir, frame)]
    return context


def _context(
    run_dir: Path,
    record: RunRecord,
    frame: pd.DataFrame,
    *,
    spec_path: Path | None,
    laboratory: str | None,
    location: str | None,
    issued_at: datetime | None,
    signing_fingerprint: str | None,
) -> dict[str, Any]:
    """``report_context`` of a loaded run, but its plots (the caller adds ``plots``)."""
    from harness.reporting.budget_annex import build_annex

    spec = _find_spec(record, spec_path)
    groups = _group(frame, spec)
    verdicts = [g.verdict for g in groups]
    failing = [g.id for g in groups if not Verdict(g.verdict).conforms]
    not_tested = [] if spec is None else [r for r in spec.requirements if r not in
                                          {g.id for g in groups}]  # fmt: skip
    started = record.started_at.date()
    overdue = [i for i in record.instruments if _due(i.calibration_due, started)]
    overdue_standards = [s for s in record.reference_standards
                         if _due(s.calibration_due, started)]  # fmt: skip
    simulated = bool(record.sim_faults) or any("SIMCLOCK" in i.model for i in record.instruments)
    rules = sorted({str(r) for r in frame["decision_rule"].dropna()}) if len(frame) else []
    deviations = [f"Override: {plain_text(o)}" for o in record.overrides]
    deviations += [f"Instrument {i.name} ({i.model}, s/n {i.serial}) was past its "
                   f"calibration due date {i.calibration_due} on the test date {started}"
                   for i in overdue]  # fmt: skip
    deviations += [f"Reference standard {s.name} ({s.model}, s/n {s.serial}) was past its "
                   f"calibration due date {s.calibration_due} on the test date {started}"
                   for s in overdue_standards]  # fmt: skip
    deviations += [f"Simulated unit with injected fault {f}" for f in record.sim_faults]
    deviations += condition_deviations(record.conditions)
    if spec is None:
        deviations.append(f"No spec file with SHA-256 {record.spec_sha256} was found; "
                          "requirement titles and untested requirements are not shown")  # fmt: skip
    elif spec.sha256 != record.spec_sha256:
        deviations.append(f"The spec file {spec.path} (SHA-256 {spec.sha256}) is not the one "
                          "the run was judged by; titles shown are from that file")  # fmt: skip
    if record.status not in COMPLETE:
        deviations.append(f"The run did not complete (status '{record.status}')")
    issued = (issued_at or datetime.now(UTC)).astimezone(UTC)
    env = dict(record.environment)
    unit_condition = env.pop("unit_condition", "as received; no remark recorded")
    site = env.pop("location", None)
    lab = laboratory_view(
        record.laboratory, laboratory or os.environ.get("HIL_LABORATORY"),
        location or os.environ.get("HIL_LOCATION") or site,
        f"Test station {record.station}", f"{record.station} (host {record.host})",
    )  # fmt: skip
    conditions = [c for c in record.conditions
                  if c.quantity not in ("unit_condition", "location")]  # fmt: skip
    return {
        "report_id": f"CR-{record.run_id}",
        "record": record,
        "laboratory": lab.name,
        "location": lab.address,
        "lab": lab,
        "unit_condition": plain_text(unit_condition),
        "conditions": condition_rows(conditions, env),
        "instrument_rows": instrument_rows(record.instruments, started),
        "standard_rows": standard_rows(record.reference_standards, started),
        "annex": build_annex(frame, [(g.id, g.title) for g in groups], _describer(frame)),
        "overrides": [plain_text(o) for o in record.overrides],
        "started": _when(record.started_at),
        "ended": _when(record.ended_at),
        "issued": _when(issued),
        "spec_title": None if spec is None else spec.header.title,
        "groups": groups,
        "counts": {v.value: verdicts.count(v.value) for v in Verdict},
        "failing": failing,
        "not_tested": not_tested,
        "applicability": read_applicability(run_dir),
        "incomplete": record.status not in COMPLETE,
        "simulated": simulated,
        "overdue": {i.name for i in overdue},
        "rules": [(r, RULES.get(r, r)) for r in rules],
        "deviations": deviations,
        "verdict_class": _CSS_CLASS,
        "signing_fingerprint": signing_fingerprint,
    }  # fmt: skip


def _load_run(run_dir: Path) -> tuple[RunRecord, pd.DataFrame]:
    import pandas as pd

    record_path, table = run_dir / "run.json", run_dir / "results.parquet"
    if not record_path.is_file():
        raise InputError(run_dir, "run.json", "a run folder written by `hil run`")
    record = RunRecord.model_validate_json(record_path.read_text(encoding="utf-8"))
    if not table.is_file():
        raise InputError(run_dir, "results.parquet", "the run's results table")
    frame = pd.read_parquet(table)
    return record, frame.sort_values("seq", kind="stable").reset_index(drop=True)


def _find_spec(record: RunRecord, spec_path: Path | None) -> Spec | None:
    """The given spec, else the project's spec file with the run's exact SHA-256."""
    if spec_path is not None:
        return load_spec(spec_path)
    for candidate in sorted(SPECS.glob("*.yaml")):
        try:
            spec = load_spec(candidate)
        except InputError:
            continue
        if spec.sha256 == record.spec_sha256:
            return spec
    return None


def _group(frame: pd.DataFrame, spec: Spec | None) -> list[RequirementResult]:
    groups: dict[str, RequirementResult] = {}
    if spec is not None:  # spec order first, so the report reads like the spec
        present = set(frame["requirement_id"]) if len(frame) else set()
        for rid, req in spec.requirements.items():
            if rid in present:
                groups[rid] = RequirementResult(rid, req.title, plain_text(req.source))
    conditions = [c for c in frame.columns if c.startswith("cond_")]
    for _, row in frame.iterrows():
        rid = str(row["requirement_id"])
        missing = "(spec file not available)" if spec is None else "(not in the spec file)"
        group = groups.setdefault(rid, RequirementResult(rid, missing))
        verdict = Verdict(str(row["verdict"]))
        if verdict.severity > Verdict(group.verdict).severity:
            group.verdict = verdict.value
        group.rows.append(_row(row, conditions))
    return list(groups.values())


def _row(row: pd.Series, conditions: list[str]) -> ResultRow:
    import pandas as pd

    from harness.recording.results import finite_or_none

    rule = str(row["decision_rule"])
    value, u = finite_or_none(row["value"]), finite_or_none(row["expanded_uncertainty"]) or 0.0
    unit = str(row["unit"] or "")
    if rule == "check":
        shown = "conforms" if value else "does not conform"
        text, u_text, limits = shown, "—", "—"
    else:
        text, u_text = format_measured(value, u)
        limits = _limits(finite_or_none(row["lower_limit"]), finite_or_none(row["upper_limit"]))
    cond = _conditions_text(row, conditions)
    k = finite_or_none(row["coverage_factor"]) or 2.0
    quantity = str(row["quantity"]).replace("_", " ")
    note = pretty_unit(plain_text(row["note"] if pd.notna(row["note"]) else ""))
    return ResultRow(quantity, text, u_text if k == 2.0 else f"{u_text} (k = {k:g})", unit,
                     limits, rule, str(row["verdict"]), cond, note)  # fmt: skip


def _conditions_text(row: pd.Series, conditions: list[str]) -> str:
    """A row's test conditions as the results table prints them."""
    import pandas as pd

    return "; ".join(_condition(c[5:], plain_text(row[c])) for c in conditions
                     if pd.notna(row[c]))  # fmt: skip


def _describer(frame: pd.DataFrame) -> Callable[[pd.Series], str]:
    """``_conditions_text`` over this table's condition columns (for the budget annex)."""
    conditions = [c for c in frame.columns if c.startswith("cond_")]
    return lambda row: _conditions_text(row, conditions)


def _condition(name: str, value: str) -> str:
    """``lift_off_at_s``, ``100.0`` → ``lift off at 100.0 s``: a unit suffix moves back."""
    suffix = re.fullmatch(r"(.+)_(s|ms|uA|mA|A|V|Hz)", name)
    if suffix:
        name, value = suffix[1], f"{value} {suffix[2]}"
    return f"{name.replace('_', ' ')} {pretty_unit(value)}"


def _limits(lower: float | None, upper: float | None) -> str:
    """Limits as the spec states them, in positional notation (``1e-05`` never shows)."""
    if lower is not None and upper is not None:
        return f"{_spec_number(lower)} … {_spec_number(upper)}"
    if upper is not None:
        return f"≤ {_spec_number(upper)}"
    return "—" if lower is None else f"≥ {_spec_number(lower)}"


def _spec_number(value: float) -> str:
    """A limit exactly as the spec gives it (shortest form), never in ``e`` notation."""
    text = f"{value:.12g}"
    return plain_number(value) if "e" in text else text


def _due(text: str | None, on: date) -> bool:
    try:
        return text is not None and date.fromisoformat(text) < on
    except ValueError:
        return False


def _when(moment: datetime | None) -> str:
    return (
        "— (not recorded)"
        if moment is None
        else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    )


def _plot_view(plot: PlotFile, run_dir: Path) -> dict[str, str]:
    return {"src": plot.path.relative_to(run_dir).as_posix(), "caption": plot.caption,
            "kind": plot.kind, "ids": ", ".join(plot.requirement_ids)}  # fmt: skip


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
