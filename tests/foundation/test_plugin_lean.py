"""What the plugin costs a test that does not need it, pinned (never timed).

Start-up and per-test cost (issue 15, ``benchmarks/bench_speed.py``) come from what the
plugin imports and from fixtures every test pays for. These tests pin the choices that
keep them down: loading the plugin imports no pandas, pyarrow, matplotlib, WeasyPrint or
pint; the instrument error drain is a fixture of the compliance tests on the bench only,
still set up first and torn down last of a test's own fixtures. ``hil run`` on the
simulated bench reaches its first test without the packages only the run's end uses
(pyarrow, cryptography, pandas, the report's), without allure-pytest when it writes no
Allure results, without pytest-xdist on one bench, and with the garbage collector on;
numpy's BLAS was loaded with its one thread.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.foundation.test_plugin import make_bench

HEAVY = ("pandas", "pyarrow", "matplotlib", "weasyprint", "pint", "jinja2")
ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_plugin_imports_nothing_heavy():
    code = (
        "import sys\n"
        "import harness.plugin\n"
        "for name in harness.plugin.pytest_plugins: __import__(name)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


DRAIN = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5")
def test_on_the_bench(bench, measure, request):
    assert request.fixturenames[0] == "_instrument_errors_fail_the_test"
    bench.instruments["dmm"].link.write("NOT:A:COMMAND")
    measure("OUT-AMP-L5", 400.0, "uA", uncertainty=1.0)

@pytest.mark.requirement("OUT-AMP-L5")
def test_off_the_bench(measure, request):
    assert "_instrument_errors_fail_the_test" not in request.fixturenames
    measure("OUT-AMP-L5", 400.0, "uA", uncertainty=1.0)

def test_not_a_compliance_test(request):
    assert "_instrument_errors_fail_the_test" not in request.fixturenames
"""


def test_instrument_errors_drained_after_compliance_tests_on_the_bench(pytester):
    pytester.makepyfile(test_drain=DRAIN)
    result = pytester.runpytest_inprocess(
        f"--bench={make_bench(pytester)}", f"--reports-dir={pytester.path / 'reports'}"
    )
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*instrument errors after the test: *dmm*"])


AT_THE_END = (
    "pyarrow", "cryptography", "pandas", "matplotlib", "weasyprint", "jinja2",
    "harness.recording.results_parquet", "harness.reporting.signing",
    "harness.reporting.evidence", "harness.reporting.trust",
)  # fmt: skip
"""Used once the tests are over (results table, report, seal): not before the first."""
NOT_IN_THIS_RUN = ("allure_pytest", "allure_commons", "xdist", "execnet")
"""Plugins ``hil run --no-allure`` on one bench leaves out (``plugins_left_out``)."""

FIRST_TEST_PROBE = textwrap.dedent(
    """
    import gc, json, os, sys
    import pytest

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(item):
        path = os.environ["FIRST_TEST_PROBE"]
        if not os.path.exists(path):
            with open(path, "w") as out:
                blas = os.environ.get("OPENBLAS_NUM_THREADS")
                json.dump({"modules": sorted(sys.modules), "gc": gc.isenabled(), "blas": blas}, out)
    """
)


def test_hil_run_reaches_its_first_test_without_what_only_the_end_needs(tmp_path):
    """Module presence at the first test's call (issue 15's start-up), never a time."""
    (tmp_path / "first_test_probe.py").write_text(FIRST_TEST_PROBE)
    seen = tmp_path / "seen.json"
    env = {**os.environ, "FIRST_TEST_PROBE": str(seen)}
    env.pop("OPENBLAS_NUM_THREADS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", f"--reports-dir={tmp_path / 'reports'}",
         "--no-report", "--no-allure", "-k", "test_unit_reports_its_identity",
         "-p", "first_test_probe"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    import json

    first = json.loads(seen.read_text())
    loaded = set(first["modules"])
    assert sorted(m for m in AT_THE_END + NOT_IN_THIS_RUN if m in loaded) == []
    assert first["gc"], "the garbage collector is off while the tests run"
    assert first["blas"] == "1", "OpenBLAS was loaded with a thread per core"
    # what the run does need before its first test is there: the store and the bench
    assert {"sqlalchemy", "harness.recording.store", "harness.sim.bench"} <= loaded
