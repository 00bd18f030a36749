"""Input errors of ``hil run``: one line, exit 2, before pytest's banner, no run folder."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.data import RMD1_SPEC, SIM_BENCH

ROOT = Path(__file__).resolve().parents[2]


def _hil_run(tmp_path: Path, *args: str) -> int:
    return main(["run", f"--reports-dir={tmp_path / 'reports'}", "--run-id=R-ERR", "--no-report",
                 "--no-allure", *args])  # fmt: skip


def _one_line_before_any_banner(capsys: pytest.CaptureFixture[str], *fragments: str) -> None:
    captured = capsys.readouterr()
    assert "test session starts" not in captured.out
    assert "hil: run R-ERR" not in captured.out  # not even announced
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_fault_is_one_line_before_the_banner(tmp_path, capsys):
    assert _hil_run(tmp_path, "--sim-fault", "nonsense") == 2
    _one_line_before_any_banner(capsys, "--sim-fault", "nonsense")
    assert not (tmp_path / "reports" / "R-ERR").exists()


def test_expired_calibration_is_one_line_before_the_banner(tmp_path, capsys):
    text = SIM_BENCH.read_text().replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    text = re.sub(r"calibration_due: \S+", "calibration_due: 2001-01-01", text)
    bench = tmp_path / "expired.yaml"
    bench.write_text(text)
    assert _hil_run(tmp_path, f"--bench={bench}") == 2
    _one_line_before_any_banner(capsys, "calibration_due", "--allow-expired-calibration")
    assert not (tmp_path / "reports" / "R-ERR").exists()


def test_a_load_resistor_past_calibration_is_refused_like_an_instrument(tmp_path, capsys):
    """The loads are the reference standards of every i = v/R: their due date counts."""
    text = SIM_BENCH.read_text().replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    assert "date: 2026-09-30, due: 2027-09-30" in text
    text = text.replace("date: 2026-09-30, due: 2027-09-30", "date: 2000-01-01, due: 2001-01-01")
    bench = tmp_path / "expired-load.yaml"
    bench.write_text(text)
    assert _hil_run(tmp_path, f"--bench={bench}") == 2
    _one_line_before_any_banner(capsys, "reference standards", "R500", "due 2001-01-01")
    assert not (tmp_path / "reports" / "R-ERR").exists()


def test_a_requirement_pattern_the_spec_lacks_is_refused_before_the_banner(tmp_path, capsys):
    assert _hil_run(tmp_path, "--req", "OUT-AMP*", "--req", "OUT-AMPP*") == 2
    _one_line_before_any_banner(capsys, "--req", "RMD-1-SPEC", "got 'OUT-AMPP*'")
    assert not (tmp_path / "reports" / "R-ERR").exists()


def test_a_typo_of_a_harness_option_is_refused_before_the_run_is_announced(tmp_path, capsys):
    assert _hil_run(tmp_path, "--seriall", "X") == 2
    _one_line_before_any_banner(capsys, "--seriall", "did you mean --serial?")
    assert _hil_run(tmp_path, "--no-such-option=3") == 2
    _one_line_before_any_banner(capsys, "--no-such-option")


def test_pytest_and_plugin_options_still_pass(monkeypatch, tmp_path):
    seen: list[list[str]] = []
    monkeypatch.setattr("pytest.main", lambda argv, plugins=(): seen.append(argv) or 0)
    assert _hil_run(tmp_path, "--tb=short", "--maxfail", "2", "--alluredir", "x", "-k", "X") == 0
    assert "--tb=short" in seen[0] and "--maxfail" in seen[0]


UNIT = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity():
    return UnitIdentity(model="RMD-1", serial="SN-1", firmware="1", hardware="A")
"""

ONE = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5")
def test_l5(measure):
    measure("OUT-AMP-L5", 401.0, uncertainty=5.0)
"""


def test_serial_mismatch_leaves_no_run_folder(tmp_path, capsys, monkeypatch):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(UNIT))
    (tmp_path / "test_one.py").write_text(textwrap.dedent(ONE))
    monkeypatch.chdir(tmp_path)
    assert _hil_run(tmp_path, "--serial=SN-2", "-p", "no:randomly", "test_one.py") == 2
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "input error" in line] == [
        line for line in out.splitlines() if "serial 'SN-2'" in line
    ]
    assert not (tmp_path / "reports" / "R-ERR").exists()


RESTARTS = """
import pytest
from harness.dut.testport import DeviceResetError

@pytest.mark.requirement("OUT-AMP-L5")
def test_unit_restarts(measure):
    def deep(n):
        if n == 0:
            raise DeviceResetError("dut", "the unit restarted: boot banner 'BOOT boot=2'")
        deep(n - 1)
    deep(10)
"""


def test_a_device_restart_is_one_line_and_its_traceback_stays_in_the_event_log(
    tmp_path, capsys, monkeypatch
):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(UNIT))
    (tmp_path / "test_restart.py").write_text(textwrap.dedent(RESTARTS))
    monkeypatch.chdir(tmp_path)
    # a session inside this one may find the plugin's package imported without its
    # assertion rewriting and warn so in its summary: about this test process, not the run
    quiet = ("-W", "ignore::pytest.PytestAssertRewriteWarning")
    assert _hil_run(tmp_path, "-p", "no:randomly", *quiet, "test_restart.py") == 1
    out = capsys.readouterr().out
    failures = out[out.index("FAILURES") : out.index("statement of conformity")]
    body = [line for line in failures.splitlines()[2:] if line.strip("=_ ")]
    assert len(body) == 1 and body[0].startswith("DeviceResetError: ")
    events = (tmp_path / "reports" / "R-ERR" / "events.jsonl").read_text()
    assert "DeviceResetError in call; traceback:" in events and "deep(n - 1)" in events


INTERRUPTING = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    if call.when == "call":
        raise KeyboardInterrupt
"""


def test_ctrl_c_raises_no_pluggy_teardown_warning(pytester):
    pytester.makeconftest(textwrap.dedent(UNIT) + textwrap.dedent(INTERRUPTING))
    pytester.makepyfile(test_one=ONE)
    result = pytester.runpytest_subprocess(
        f"--bench={SIM_BENCH}", f"--reports-dir={pytester.path / 'reports'}", "-p", "no:randomly",
        "-p", "no:hypothesispytest", "-W", "error::pluggy.PluggyTeardownRaisedWarning",
    )  # fmt: skip
    assert "PluggyTeardownRaisedWarning" not in result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED
