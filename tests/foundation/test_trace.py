"""hil trace: coverage from the suites' markers, untested requirements fail the command."""

from __future__ import annotations

from pathlib import Path

from harness.cli.main import main
from harness.cli.trace import collect_coverage, trace
from harness.data import RMD1_SPEC
from harness.judging.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_every_requirement_of_the_reference_spec_has_a_test(capsys):
    code = main(["trace", "--store", str(ROOT / "no-such-store.db")])
    out = capsys.readouterr().out
    assert "covered by a test" in out
    assert code == 0, out


def test_untested_requirement_is_listed_and_fails(tmp_path, capsys):
    suite = tmp_path / "test_trace_untested_sample.py"  # a name no other test module takes
    suite.write_text(
        "import pytest\n\n@pytest.mark.requirement('OUT-AMP-L1')\n"
        "def test_one(measure):\n    measure('OUT-AMP-L1', 80.0)\n"
    )
    code = main(["trace", "--store", str(tmp_path / "none.db"), str(suite)])
    out = capsys.readouterr().out
    assert code == 1
    assert "OUT-AMP-L1         not measured      test_one" in out
    assert "UNTESTED:" in out and "COM-STATE" in out


def test_trace_rows_join_spec_tests_and_verdicts():
    spec = load_spec(RMD1_SPEC)
    coverage = collect_coverage([ROOT / "test_suites" / "test_timers.py"])
    assert coverage["TIM-BEEP"] == ["test_suites/test_timers.py::test_relocate_beep_interval"]
    rows = {r.requirement_id: r for r in trace(spec, coverage, {"TIM-BEEP": ("PASS", "R1")})}
    assert rows["TIM-BEEP"].verdict == "PASS" and rows["TIM-BEEP"].run_id == "R1"
    assert rows["COM-ID"].tests == ()
