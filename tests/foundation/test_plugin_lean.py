"""What the plugin costs a test that does not need it, pinned (never timed).

Start-up and per-test cost (issue 15, ``benchmarks/bench_speed.py``) come from what the
plugin imports and from fixtures every test pays for. These tests pin the choices that
keep them down: loading the plugin imports no pandas, pyarrow, matplotlib, WeasyPrint or
pint; the instrument error drain is a fixture of the compliance tests on the bench only,
still set up first and torn down last of a test's own fixtures.
"""

import subprocess
import sys

from tests.foundation.test_plugin import make_bench

HEAVY = ("pandas", "pyarrow", "matplotlib", "weasyprint", "pint", "jinja2")


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
