"""The pytest plugin end to end, in an inner pytest session (pytester).

The inner sessions use a unit whose identity comes from a conftest fixture, so these
tests exercise the plugin alone: input validation before anything is touched, the
measure API, failing after all measurements are recorded, and the run's outputs.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.data import RMD1_SPEC, SIM_BENCH
from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity(request):
    serial = request.config.getoption("serial") or "{reported}"
    return UnitIdentity(
        model="RMD-1", serial="{reported}" or serial, firmware="1.4.2", hardware="C"
    )
"""

TESTS = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5")
def test_l5_passes(measure):
    assert measure("OUT-AMP-L5", 0.401, "mA", uncertainty=0.005).value == "PASS"

@pytest.mark.requirement("OUT-AMP-L1", "OUT-AMP-L2")
def test_l1_fails_but_l2_is_still_recorded(measure):
    first = measure("OUT-AMP-L1", 200.0, uncertainty=1.0)
    second = measure("OUT-AMP-L2", 160.0, uncertainty=1.0, conditions={"load": "500 ohm"})
    assert (first.value, second.value) == ("FAIL", "PASS")

@pytest.mark.requirement("OUT-MONO")
def test_check(measure):
    measure.check("OUT-MONO", True, detail="80<160<240<320<400, wraps")
"""


def make_bench(pytester: pytest.Pytester) -> Path:
    text = (SIM_BENCH).read_text()
    text = text.replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    path = pytester.path / "bench.yaml"
    path.write_text(text)
    return path


def run(pytester: pytest.Pytester, tests: str = TESTS, reported: str = "SN-1", *args: str):
    pytester.makeconftest(CONFTEST.replace("{reported}", reported))
    pytester.makepyfile(test_suite=tests)
    bench = make_bench(pytester)
    reports = pytester.path / "reports"
    result = pytester.runpytest_inprocess(
        f"--bench={bench}",
        f"--reports-dir={reports}",
        "--run-id=RUN-1",
        "--operator=qa1",
        "--env",
        "temperature=23 degC",
        *args,
    )
    return result, reports


def test_measurements_recorded_judged_and_exported(pytester):
    result, reports = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == 1
    assert (
        "OUT-AMP-L1 [load 500 ohm, level 1]: FAIL: 200.0 ± 1.0 uA: 104.0 uA above the upper "
        "limit (64–96 uA)" in result.stdout.str()
    )
    with ResultsStore.open(reports / "results.db") as store:
        rows = store.measurements("RUN-1")
        record = store.get_run("RUN-1")
    assert [m.requirement_id for m in rows] == [
        "OUT-AMP-L5",
        "OUT-AMP-L1",
        "OUT-AMP-L2",
        "OUT-MONO",
    ]
    l5 = rows[0]
    assert l5.value == pytest.approx(401.0) and l5.unit == "uA"
    assert l5.expanded_uncertainty == pytest.approx(5.0)
    assert (l5.lower_limit, l5.upper_limit, l5.decision_rule) == (320.0, 480.0, "guarded")
    assert l5.conditions["load"] == "500 ohm"  # from the spec when the test gives none
    assert record.status == "failed" and record.ended_at is not None
    assert record.unit.serial == "SN-1" and record.operator == "qa1"
    assert record.spec_id == "RMD-1-SPEC" and len(record.spec_sha256) == 64
    assert record.environment["temperature"] == "23 degC"
    assert record.packages["pyvisa"] != "not installed"
    table = pd.read_parquet(reports / "RUN-1" / "results.parquet")
    assert list(table["verdict"]) == ["PASS", "FAIL", "PASS", "PASS"]
    run_json = json.loads((reports / "RUN-1" / "run.json").read_text())
    assert run_json["status"] == "failed" and run_json["bench_id"] == "SIM-1"


def test_the_run_ends_with_a_statement_of_conformity(pytester):
    result, _ = run(pytester)
    out = result.stdout.str()
    summary = out[out.index("statement of conformity") :]
    # pytest's own short summary follows; how much of a line it keeps depends on the width
    summary = summary.split("short test summary info", 1)[0]
    table = summary.splitlines()
    assert table[1].split()[:3] == ["REQUIREMENT", "N", "VALUE"]
    assert any(line.split()[:2] == ["OUT-AMP-L5", "1"] and "401.0 ± 5.0 uA" in line
               and "320–480 uA" in line and "+79.0 uA" in line for line in table)  # fmt: skip
    assert "SN-1: FAIL, 1 of 4 requirements do not conform (43 of the spec's 47 not tested" in out
    # the same failing line as the test's own failure text
    assert summary.count("OUT-AMP-L1 [load 500 ohm, level 1]: FAIL: 200.0 ± 1.0 uA") == 1


def test_marker_naming_an_unknown_requirement_exits_2_before_anything_runs(pytester):
    bad = TESTS.replace('"OUT-MONO"', '"OUT-NOPE"')
    result, reports = run(pytester, bad)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*test_suite.py:*requirement marker of test_check*OUT-NOPE*"])
    assert not (reports / "results.db").exists()


def test_serial_mismatch_exits_2(pytester):
    result, reports = run(pytester, TESTS, "SN-1", "--serial=SN-2")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*serial: expected the unit to report serial 'SN-2'*got 'SN-1'*"])
    # only the event log of what was touched (the unit was asked who it is); no run
    assert not (reports / "RUN-1" / "run.json").exists()
    assert not (reports / "RUN-1" / "results.parquet").exists()


def test_serial_neither_given_nor_reported_exits_2(pytester):
    result, _ = run(pytester, TESTS, "")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*serial: expected a serial given with --serial or reported*"])


def test_recording_an_undeclared_requirement_is_an_error(pytester):
    tests = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5")
def test_sneaky(measure):
    measure("OUT-AMP-L4", 320.0)
"""
    result, _ = run(pytester, tests)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*records 'OUT-AMP-L4' but its requirement marker declares only*"])


def test_declared_but_unmeasured_requirement_fails(pytester):
    tests = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5", "OUT-AMP-L4")
def test_lazy(measure):
    measure("OUT-AMP-L5", 400.0)
"""
    result, _ = run(pytester, tests)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*OUT-AMP-L4: declared by the requirement marker but never measured*"]
    )


def test_bad_bench_file_exits_2(pytester):
    pytester.makeconftest(CONFTEST.replace("{reported}", "SN-1"))
    pytester.makepyfile(test_suite=TESTS)
    bench = make_bench(pytester)
    bench.write_text(bench.read_text().replace("tolerance: 0.1 %, channel: 1002", "channel: 1002"))
    result = pytester.runpytest_inprocess(f"--bench={bench}")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*bench.yaml:*: loads[[]1].tolerance: expected a value for this required field*"]
    )


def test_plain_tests_leave_the_plugin_inert(pytester):
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()


PROGRESS_TESTS = """
import logging
import threading

def test_a_passing_test_that_reports_progress():
    logging.getLogger("harness.progress").info("waiting for auto power-off: 600 s elapsed")
    worker = threading.Thread(
        target=lambda: logging.getLogger("harness.progress").warning("database away")
    )
    worker.start()
    worker.join()

def test_next():
    pass
"""


def test_progress_reaches_the_terminal_past_output_capture(pytester: pytest.Pytester):
    """Pytest captures a test's output at the file-descriptor level and shows it only if
    the test fails; progress an operator must see (from the test, or from the store's
    uploader thread) is written past that capture, in a passing test too."""
    pytester.makepyfile(test_progress=PROGRESS_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*hil: waiting for auto power-off: 600 s elapsed*", "*hil: database away*"]
    )
    lines = result.stdout.lines
    assert sum("database away" in line for line in lines) == 1  # held once, written once


def test_blas_runs_one_thread_in_a_bench_process():
    """The plugin limits numpy's BLAS to one thread (its spinning threads would take the
    other workers' cores on a production line); this session has the plugin loaded."""
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones(4096) @ np.ones((4096, 4))  # BLAS is loaded and used
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas, "numpy's BLAS library not found by threadpoolctl"
    assert {pool["num_threads"] for pool in blas} == {1}


def test_a_test_that_raises_has_not_shown_its_requirements_conform(pytester):
    """Conforming rows from a test that then broke are not evidence of conformity: each
    declared requirement without a FAIL gets a FAIL row with no value, naming the error
    and the phase (set-up, body, tear-down), so results, report and yield say FAIL."""
    tests = """
import pytest

@pytest.fixture
def broken_bench():
    raise RuntimeError("relay 3 stuck")

@pytest.mark.requirement("OUT-AMP-L5", "OUT-AMP-L1")
def test_breaks_after_a_pass(measure):
    measure("OUT-AMP-L5", 401.0, uncertainty=5.0)
    measure("OUT-AMP-L1", 200.0, uncertainty=1.0)  # a FAIL already: no second row
    raise ConnectionError("unit restarted")

@pytest.mark.requirement("OUT-MONO")
def test_setup_error(measure, broken_bench):
    measure.check("OUT-MONO", True)

@pytest.mark.requirement("OUT-AMP-L2")
def test_passes(measure):
    measure("OUT-AMP-L2", 160.0, uncertainty=1.0)
"""
    result, reports = run(pytester, tests)
    result.assert_outcomes(passed=1, failed=1, errors=1)
    table = pd.read_parquet(reports / "RUN-1" / "results.parquet")
    rows = list(table[["requirement_id", "verdict", "note"]].itertuples(index=False, name=None))
    assert rows[:2] == [("OUT-AMP-L5", "PASS", ""), ("OUT-AMP-L1", "FAIL", "")]
    assert rows[2] == (
        "OUT-AMP-L5",
        "FAIL",
        "not shown to conform: the test ended in call with ConnectionError: unit restarted",
    )
    assert table["value"].isna().iloc[2]
    assert rows[3] == (
        "OUT-MONO",
        "FAIL",
        "not shown to conform: the test ended in setup with RuntimeError: relay 3 stuck",
    )
    assert rows[4] == ("OUT-AMP-L2", "PASS", "")
    assert len(rows) == 5


def test_evidence_option_seals_the_run_at_the_end_of_its_own_session(pytester):
    """What each worker of a line does (`hil run --workers` passes --evidence): the
    session that tested the unit seals its package; without the option it does not."""
    from harness.cli.verify import verify_run

    result, reports = run(pytester, TESTS, "SN-1", "--evidence=seal")
    assert result.ret == 1  # one requirement fails; the package is sealed all the same
    result.stdout.fnmatch_lines(["*hil: evidence sealed *RUN-1*manifest.json*"])
    assert verify_run(reports / "RUN-1").ok

    plain = pytester.mkdir("plain")
    result, reports = run(pytester, TESTS, "SN-1", f"--reports-dir={plain}")
    assert (plain / "RUN-1" / "results.parquet").is_file()  # this run did happen there
    assert not (plain / "RUN-1" / "manifest.json").exists()
