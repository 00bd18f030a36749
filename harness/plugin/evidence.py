"""A run's evidence package, finished: the compliance report, then the seal.

``hil run`` finishes every run this way once its measurements are safe (in the store and
in ``results.parquet``). Sealing comes last, so that the manifest covers every file the
run produced. A failure here never changes the run's verdicts or its exit status; it is
reported, and ``hil report compliance`` / ``hil evidence seal`` can redo it.

On a production line (``hil run --workers N``) each pytest-xdist worker finishes its own
unit's package at the end of its own session (``--evidence``): the worker has every
module loaded and its bench already made safe, and the units' reports are built side by
side instead of one after the other once all have been tested, which a second bench
would otherwise lose much of its gain to (``benchmarks/bench_parallel.py``). The hook
runs last among the session-finish hooks: after the run's results and the Allure
session files are written and the event log is closed, and before the worker reports
itself finished, so the controller never stops a worker half-way through a report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.plugin.allure import plots_to_hand, wait_for_plots
from harness.plugin.session import REPORT_WORKER_KEY

if TYPE_CHECKING:
    from harness.reporting.report_worker import ReportWorker

_log = logging.getLogger("harness.progress")


def finish_evidence(
    run_dir: Path,
    *,
    report: bool,
    actor: str,
    key_file: Path | None = None,
    lab_file: Path | None = None,
    late: bool = False,
    before_seal: Callable[[], None] | None = None,
    report_worker: ReportWorker | None = None,
) -> list[str]:
    """Build the compliance report (if ``report``) and seal ``run_dir``; what was written.

    ``before_seal``: what must be in the folder before its manifest is made and is being
    written meanwhile (Allure's capture plots, ``allure_plots``).

    The key is ``key_file``, else the ``signing_key`` of the laboratory trust file
    ``lab_file`` (whose name and address then head the report); the report's first page
    says which key the package will be signed with, or that it will be UNSIGNED.
    ``late``: the run ended without a seal and is finished afterwards (``sealed-late``).
    """
    from harness.reporting import signing
    from harness.reporting.evidence import seal_run
    from harness.reporting.trust import load_lab

    lab = load_lab(lab_file) if lab_file is not None else None
    if key_file is None and lab is not None:
        key_file = lab.usable_signing_key()
    fingerprint = None
    if key_file is not None:  # a bad key fails before the report is built
        fingerprint = signing.fingerprint(signing.load_private_key(key_file).public_key())
    done: list[str] = []
    if report:
        from harness.reporting.pdf import PdfUnavailable

        if report_worker is not None:  # the same function, in the worker that preloaded it
            build_compliance_report = report_worker.build
        else:
            from harness.reporting.compliance import build_compliance_report

        try:
            _html, pdf = build_compliance_report(
                run_dir,
                laboratory=lab.name if lab else None,
                location=lab.address if lab else None,
                signing_fingerprint=fingerprint,
            )
            done.append(f"compliance report {pdf}")
        except PdfUnavailable as missing:  # report.html is there; the package is sealed
            done.append(f"compliance report {run_dir / 'report.html'} ({missing})")
    if before_seal is not None:
        before_seal()
    manifest = seal_run(run_dir, actor=actor, key_file=key_file, late=late)
    done.append(f"evidence sealed {manifest}")
    return done


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "microcurrent-hil compliance run")
    group.addoption(
        "--evidence",
        choices=("report", "seal"),
        default=None,
        help="at the session's end, build the compliance report and seal the run's "
        "evidence package (report) or only seal it (seal); `hil run` sets it",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Fork the report's worker now, before any instrument is opened, when this process
    will build a report (not a line's controller: its workers build theirs): it loads
    pandas, matplotlib and WeasyPrint on the other core while the tests run, so the
    report after them does not wait for those imports (``reporting.report_worker``).
    First of the session-start hooks: the Allure plugin's hands it its plots."""
    config = session.config
    if config.getoption("evidence", None) != "report" or config.pluginmanager.has_plugin(
        "dsession"
    ):
        return
    from harness.reporting.report_worker import ReportWorker

    config.stash[REPORT_WORKER_KEY] = ReportWorker()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """After each test, every row included (a broken test's "not shown"), hand the
    report's worker the test's measurements and the Allure plots attached for them: it
    draws their figures while the next tests run, instead of after the last one
    (``reporting.early_figures``)."""
    done = yield
    worker = item.config.stash.get(REPORT_WORKER_KEY, None)
    if worker is not None:
        from harness.plugin.session import MEASURE_KEY, compliance_run

        m, run = item.stash.get(MEASURE_KEY, None), compliance_run(item.config)
        if m is not None and run is not None:
            worker.test_ended(run.run_dir, m.recorded, plots_to_hand(item.config))
    return done


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Report and seal the run's package; the store's status says how that ended.

    Success turns the run's ``sealing`` status into its outcome. An error or an
    interruption (Ctrl-C, or SIGTERM, which the plugin turns into one) leaves the run
    ``unsealed`` with one line saying how to seal it late; an interruption also makes
    the session's exit status "interrupted". No traceback: the measurements are safe.
    The report's worker, if one was forked, is closed whatever happened.
    """
    worker = session.config.stash.get(REPORT_WORKER_KEY, None)
    try:
        _finish(session, worker)
    finally:
        if worker is not None:
            worker.close()


def _finish(session: pytest.Session, worker: ReportWorker | None) -> None:
    """``pytest_sessionfinish``'s work: report (by ``worker`` when there is one) and seal."""
    from harness.plugin.session import compliance_run
    from harness.recording.provenance import login_name

    what = session.config.getoption("evidence", None)
    run = compliance_run(session.config)
    if what is None or run is None or not (run.run_dir / "run.json").is_file():
        return
    if run.record is None or run.store is None:  # never began, or left unsealed already
        return
    key = run.options.sign_key
    late = f"seal it late: hil evidence seal {run.run_dir}"
    try:
        for line in finish_evidence(
            run.run_dir,
            report=what == "report",
            actor=run.options.operator or login_name(),
            key_file=key,
            lab_file=run.bench.lab_path,
            before_seal=lambda: wait_for_plots(session.config),
            report_worker=worker,
        ):
            _log.info(line)
    except KeyboardInterrupt:
        run.left_unsealed()
        _log.warning(f"interrupted while building the evidence package: run unsealed; {late}")
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        return
    except Exception as error:
        run.left_unsealed()
        _log.warning(f"evidence package of {run.run_dir} not sealed: {error}; {late}")
        return
    run.sealed()
