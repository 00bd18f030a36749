"""The ``measure`` fixture asks pytest for nothing per test but its own cached value.

It and ``captures`` declare no argument (``harness.plugin.fixtures``): the run
(``hil_run``) is set up as the first of them is, by the plugin, not through pytest's
per-test resolution of a declared dependency. Pinned here by what a test sees, never
timed: its own fixtures hold no ``request`` and no ``hil_run``; the run has begun before
anything can record (a fixture of the suite recording in its own set-up included);
a session's own ``measure`` fixture, in a suite that has no compliance tests, is left
alone; and the run's record is complete after the session.
"""

from __future__ import annotations

import pytest

from harness.data import RMD1_SPEC, SIM_BENCH
from harness.recording.store.results_store import ResultsStore

CONFTEST = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity():
    return UnitIdentity(model="RMD-1", serial="SN-1", firmware="1.4.2", hardware="C")

@pytest.fixture
def recorded_in_setup(measure):
    measure("OUT-AMP-L2", 160.0, uncertainty=1.0)  # before the test body: the run has begun
    return "recorded"
"""

TESTS = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5")
def test_measure_alone(measure, request):
    assert measure("OUT-AMP-L5", 0.401, "mA", uncertainty=0.005).value == "PASS"

@pytest.mark.requirement("OUT-AMP-L5")
def test_own_fixtures(measure, captures):
    measure("OUT-AMP-L5", 0.402, "mA", uncertainty=0.005)

@pytest.mark.requirement("OUT-AMP-L2")
def test_a_fixture_records_in_its_setup(recorded_in_setup):
    assert recorded_in_setup == "recorded"
"""

PROBE = """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "test_own_fixtures":
            print("OWN FIXTURES", sorted(item.fixturenames))
"""


def make_bench(pytester: pytest.Pytester) -> str:
    text = SIM_BENCH.read_text().replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    path = pytester.path / "bench.yaml"
    path.write_text(text)
    return str(path)


def test_the_run_begins_before_anything_records(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST + PROBE)
    pytester.makepyfile(test_suite=TESTS)
    reports = pytester.path / "reports"
    result = pytester.runpytest_inprocess(
        f"--bench={make_bench(pytester)}", f"--reports-dir={reports}", "--run-id=RUN-1", "-s"
    )
    result.assert_outcomes(passed=3)
    # the test's own fixtures: what it names, nothing pytest resolves again per test
    result.stdout.fnmatch_lines(["OWN FIXTURES ['captures', 'measure']"])
    with ResultsStore.open(reports / "results.db") as store:
        rows = store.measurements("RUN-1")
        assert store.get_run("RUN-1").status == "passed"
    assert [(m.requirement_id, m.test_id.split("::")[-1]) for m in rows] == [
        ("OUT-AMP-L5", "test_measure_alone"),
        ("OUT-AMP-L5", "test_own_fixtures"),
        ("OUT-AMP-L2", "test_a_fixture_records_in_its_setup"),
    ]


def test_a_suites_own_measure_fixture_is_left_alone(pytester: pytest.Pytester) -> None:
    """No compliance test, a ``measure`` of its own: the run is never asked for (it
    would fail the test: ``hil_run`` needs a compliance test)."""
    pytester.makepyfile(
        test_other="""
        import pytest

        @pytest.fixture(scope="session")
        def measure():
            return lambda value: value

        def test_uses_its_own(measure):
            assert measure(3) == 3
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
