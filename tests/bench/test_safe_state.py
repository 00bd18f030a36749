"""Safe state at every end of a compliance session, on the simulated bench.

Each inner session turns the unit on into a 500 Ω load at level 5 and then ends badly:
a failing test, an instrument error, Ctrl-C, a unit that stops answering. Afterwards the
simulated bench itself is inspected: stimulation off, both supply outputs off, every
relay open, and the measurements taken before the end are in the store.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.data import SIM_BENCH
from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
pytest_plugins = ["harness.plugin.bench_fixtures", "harness.plugin.unit_fixtures"]
"""

STIMULATE = """
import pytest

def stimulate(bench):
    bench.select_load(500)
    bench.dut.set_level(5)
    bench.clock.sleep(2.0)
    assert bench.dut.status().state == "treating"
"""


class Spy:
    """Keeps the simulated bench of the inner session for inspection afterwards."""

    sim = None

    @pytest.fixture(autouse=True)
    def _keep_sim(self, bench):
        Spy.sim = bench.sim


def run_inner(pytester: pytest.Pytester, body: str) -> tuple[pytest.RunResult, object, Path]:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=STIMULATE + body)
    reports = pytester.path / "reports"
    Spy.sim = None
    result = pytester.runpytest_inprocess(
        f"--bench={SIM_BENCH}",
        f"--reports-dir={reports}",
        "--run-id=SAFE",
        "-p",
        "no:cacheprovider",
        plugins=[Spy()],
        no_reraise_ctrlc=True,
    )
    assert Spy.sim is not None, result.stdout.str()
    return result, Spy.sim, reports


def assert_safe(sim) -> None:
    assert not sim.supply(1).on and not sim.supply(2).on, "supply outputs left on"
    assert sim.load_ohms is None, "a relay was left closed"
    with sim.lock:
        sim.advance(1.0)  # whatever the unit does next, with no one touching the bench
        now = sim.clock.now()
        current = sim.load_current(np.linspace(now - 0.9, now, 1000))
    assert np.max(np.abs(current)) < 1e-9, "stimulation still flowing"
    assert sim.device.status().state == "off"


def measured(reports: Path) -> list[str]:
    """Each row as "<requirement> <verdict>", "(not shown)" added to the rows the plugin
    records for a test that raised before showing its requirements conform."""
    with ResultsStore.open(reports / "results.db") as store:
        rows = store.measurements("SAFE")
    return [
        f"{m.requirement_id} {m.verdict}"
        + (" (not shown)" if m.note.startswith("not shown to conform") else "")
        for m in rows
    ]


def test_failing_test(pytester):
    result, sim, reports = run_inner(
        pytester,
        """
@pytest.mark.requirement("OUT-AMP-L1")
def test_fails_while_stimulating(measure, bench, fresh_unit):
    stimulate(bench)
    measure("OUT-AMP-L1", 80.0)
    assert False, "the test breaks with the output on"
""",
    )
    result.assert_outcomes(failed=1)
    assert_safe(sim)
    assert measured(reports) == ["OUT-AMP-L1 PASS", "OUT-AMP-L1 FAIL (not shown)"]


def test_interrupted_by_ctrl_c(pytester):
    result, sim, reports = run_inner(
        pytester,
        """
@pytest.mark.requirement("OUT-AMP-L1")
def test_operator_presses_ctrl_c(measure, bench, fresh_unit):
    stimulate(bench)
    measure("OUT-AMP-L1", 80.0)
    raise KeyboardInterrupt

@pytest.mark.requirement("OUT-AMP-L2")
def test_never_reached(measure, bench, fresh_unit):
    measure("OUT-AMP-L2", 160.0)
""",
    )
    assert result.ret == 2
    assert_safe(sim)
    assert measured(reports) == ["OUT-AMP-L1 PASS"]  # pytest stops: no report of the test
    with ResultsStore.open(reports / "results.db") as store:
        assert store.get_run("SAFE").status == "interrupted"


def test_instrument_error_fails_the_test_and_the_bench_is_made_safe(pytester):
    result, sim, _ = run_inner(
        pytester,
        """
@pytest.mark.requirement("OUT-AMP-L1")
def test_supply_refuses_a_setting(measure, bench, fresh_unit):
    stimulate(bench)
    bench.instruments["psu"].link.write("VOLT 99,(@1)")  # beyond CH1's 6 V rating
    measure("OUT-AMP-L1", 80.0)
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*instrument errors after the test*psu*-222*"])
    assert_safe(sim)


def test_unit_that_stops_answering(pytester):
    result, sim, reports = run_inner(
        pytester,
        """
from harness.sim.testport_firmware import LineFault, firmware_for

@pytest.mark.requirement("OUT-AMP-L1")
def test_unit_goes_silent(measure, bench, fresh_unit):
    stimulate(bench)
    measure("OUT-AMP-L1", 80.0)
    firmware_for(bench.sim).inject(LineFault.SILENT)
    bench.dut.status()
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DeviceCommError*no valid reply to 'STAT?'*"])
    assert_safe(sim)
    assert measured(reports) == ["OUT-AMP-L1 PASS", "OUT-AMP-L1 FAIL (not shown)"]


def test_unit_that_restarts_mid_test(pytester):
    result, sim, reports = run_inner(
        pytester,
        """
@pytest.mark.requirement("OUT-AMP-L1")
def test_unit_restarts(measure, bench, fresh_unit):
    stimulate(bench)
    bench.sim.device.reset("watchdog")
    measure("OUT-AMP-L1", 0.0)  # what the switched-off unit delivers: out of limits

@pytest.mark.requirement("OUT-AMP-L3")
def test_unit_restarts_under_a_command(measure, bench, fresh_unit):
    stimulate(bench)
    bench.sim.device.reset("brown-out")
    bench.dut.set_level(3)

@pytest.mark.requirement("OUT-AMP-L2")
def test_next_test_goes_on(measure, bench, fresh_unit):
    stimulate(bench)
    measure("OUT-AMP-L2", 160.0)
""",
    )
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [  # the check after the first test, then the command in the second, saw the banner
            "DeviceResetError: device port dut *: the unit restarted: "
            "boot banner * (boot 2, reset cause watchdog); 'STAT?' may not have been executed",
            "DeviceResetError: device port dut *: the unit restarted: "
            "boot banner * (boot 3, reset cause brown-out); 'LVL 3' may not have been executed",
        ]
    )
    assert "non-conforming measurements" not in result.stdout.str()  # the restart failed them
    events = [json.loads(line) for line in (reports / "SAFE" / "events.jsonl").open()]
    steps = [
        (e["instrument"], e["action"], e["outcome"], e["test"]) for e in events if "instrument" in e
    ]
    for test in ("test_unit_restarts", "test_unit_restarts_under_a_command"):
        in_test = [s[:3] for s in steps if s[3].endswith(f"::{test}")]
        error = next(i for i, (who, _, out) in enumerate(in_test) if (who, out) == ("dut", "error"))
        after_error = in_test[error:]
        assert ("psu", "all_off", "ok") in after_error, test  # safe at once, not at the end
        assert ("switch", "open_all", "ok") in after_error, test
    assert_safe(sim)
    assert measured(reports) == [
        "OUT-AMP-L1 FAIL",  # what the switched-off unit delivered: a FAIL of its own
        "OUT-AMP-L3 FAIL (not shown)",  # the command was cut short: nothing measured
        "OUT-AMP-L2 PASS",
    ]
