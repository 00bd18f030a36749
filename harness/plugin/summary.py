"""The run's statement of conformity on the terminal, after the tests.

pytest ends a session with "39 passed", which says how many test functions ran, not
whether the unit conforms: one test may judge five requirements, and a passing test
may hold a CONDITIONAL PASS. So a compliance session ends with a table of every
requirement the run measured (its worst value ± U, limits, rule, margin, verdict), one
line per non-conforming measurement naming its conditions and why it failed, and one
line for the unit, in the words of ``harness.plugin.conformity``.

It reads the measurements the run's recorder holds in memory (every row it committed to
the store), so it costs nothing and shows exactly what was recorded, and writes through
pytest's terminal reporter, after pytest's own failure sections and before its short
summary. A line's workers print nothing here: their terminals are not the operator's.
"""

from __future__ import annotations

import pytest

from harness.plugin.conformity import failure_lines, requirement_lines, table, unit_line
from harness.plugin.session import compliance_run


def summary_lines(config: pytest.Config, *, interrupted: bool = False) -> list[str]:
    """The lines of the summary, or none when the session had no run that began."""
    run = compliance_run(config)
    if run is None or run.recorder is None or run.record is None:
        return []
    rows = list(run.recorder.measurements)
    serial = run.record.unit.serial if run.record.unit is not None else run.options.run_id
    lines = requirement_lines(rows)
    out = table(lines) if lines else []
    failures = failure_lines(rows)
    if failures:
        out += ["", "non-conforming:", *(f"  {line}" for line in failures)]
    out += ["", unit_line(serial, lines, len(run.spec.requirements), interrupted=interrupted)]
    return out


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int | pytest.ExitCode
) -> None:
    interrupted = int(exitstatus) == int(pytest.ExitCode.INTERRUPTED)
    lines = summary_lines(terminalreporter.config, interrupted=interrupted)
    if not lines:
        return
    terminalreporter.section("statement of conformity")
    verdict = lines[-1]
    for line in lines[:-1]:
        terminalreporter.write_line(line)
    failed = any(word in verdict for word in (": FAIL,", ": NOT TESTED", ": INCOMPLETE"))
    terminalreporter.write_line(verdict, bold=True, red=failed, green=not failed)
