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

import pytest

from harness.plugin.conformity import failure_lines
from harness.plugin.fixtures import measure_of
from harness.plugin.session import MEASURE_KEY, compliance_run, declared


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
    table = run.finish(exitstatus, sealing=sealing)
    if table is not None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"hil: run {run.options.run_id} results: {table}")
