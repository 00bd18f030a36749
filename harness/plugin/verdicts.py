"""After each compliance test: fail it for what did not conform; at the end, close the run.

The test body runs to its end whatever its verdicts (``measure`` never raises on a
failing one), so a unit's every number is recorded; only then does the report of the
test turn failed, listing each non-conforming measurement and each declared requirement
that went unmeasured. A test that raised records a FAIL "not shown to conform" for each
requirement it declared, so no report reads a broken test as a pass.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.plugin.conformity import failure_lines
from harness.plugin.fixtures import measure_of
from harness.plugin.session import MEASURE_KEY, compliance_run, declared

if TYPE_CHECKING:
    from harness.plugin.run import ComplianceRun

_progress = logging.getLogger("harness.progress")  # shown on the operator's terminal


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and call.excinfo is not None and declared(item):
        _record_not_shown(item, report, call.excinfo)
    if report.failed and call.excinfo is not None:
        _one_line_for_device_errors(item, report, call.excinfo)
    m = item.stash.get(MEASURE_KEY, None)
    if m is None or call.when != "call" or not report.passed:
        return report
    problems = failure_lines(m.recorded)
    problems += [
        f"{rid}: declared by the requirement marker but never measured" for rid in m.missing()
    ]
    if problems:
        report.outcome = "failed"
        report.longrepr = "non-conforming measurements:\n  " + "\n  ".join(problems)
    return report


def _one_line_for_device_errors(
    item: pytest.Item, report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException]
) -> None:
    """A unit that restarted (or stopped answering its port) is one line on the terminal.

    The error names the port, the boot banner and what may not have been executed; the
    forty lines of driver frames above it say nothing an operator acts on. They are kept
    where an engineer looks: the run's event log (``events.jsonl``), as one event.
    """
    from harness.errors import DeviceCommError
    from harness.events.steps import EVENTS_LOGGER

    if not isinstance(excinfo.value, DeviceCommError):
        return
    logging.getLogger(EVENTS_LOGGER).error(
        "%s: %s in %s; traceback:\n%s", item.nodeid, excinfo.typename, report.when,
        report.longreprtext,
    )  # fmt: skip
    report.longrepr = f"{excinfo.typename}: {excinfo.value}"


def _record_not_shown(
    item: pytest.Item, report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException]
) -> None:
    """A compliance test that raised in set-up, body or tear-down did not show its
    requirements conform: record so (``Measure.not_shown``), naming the error, so that
    the results, the report and the yield never read such a test as a pass."""
    m = measure_of(item)
    if m is None:  # the run never began (the bench did not open): nothing to record in
        return
    text = excinfo.exconly().strip()
    error = text.splitlines()[0] if text else excinfo.typename
    reason = f"not shown to conform: the test ended in {report.when} with {error}"
    try:
        m.not_shown(reason[:500])
    except Exception as failure:  # the store itself failing: the test's error says enough
        logging.getLogger(__name__).error(
            "%s: could not record %r: %s", item.nodeid, reason, failure
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = compliance_run(session.config)
    if run is None:
        return
    sealing = session.config.getoption("evidence", None) is not None
    try:
        table = run.finish(exitstatus, sealing=sealing)
    except KeyboardInterrupt:
        table = _finish_interrupted(session, run, exitstatus, sealing=sealing)
    if table is not None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"hil: run {run.options.run_id} results: {table}")


def _finish_interrupted(
    session: pytest.Session, run: ComplianceRun, exitstatus: int, *, sealing: bool
) -> Path | None:
    """Ctrl-C (or SIGTERM) landed while the run's results were being written, after its
    last test: write them whole anyway, and end the session "interrupted".

    The interrupt may have come between any two steps of ``ComplianceRun.finish`` (the
    store's status, results.parquet, run.json); each step is whole or absent (files are
    renamed into place) and doing them again gives the same files, so they are simply
    done again: ~20 ms, where leaving them would make the next start do it. A run that
    was to be sealed is not sealed now but marked ``unsealed``, with the same one line
    as an interrupted seal, so the evidence hook leaves it (its store is closed). A
    second interrupt meanwhile ends ``hil run`` with status 2 all the same
    (``harness.cli.run``), and the next start finds the run.
    """
    table = run.finish(exitstatus, sealing=sealing)
    session.exitstatus = pytest.ExitCode.INTERRUPTED
    if sealing:
        run.left_unsealed()
        _progress.warning(
            f"interrupted after the tests: results written, run unsealed; "
            f"seal it late: hil evidence seal {run.run_dir}"
        )
    else:
        _progress.warning("interrupted after the tests: results written")
    return table
