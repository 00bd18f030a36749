"""``hil bench check`` identifies every instrument against the bench file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from harness.bench.check import check_bench, model_matches
from harness.cli.main import main
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench

ROOT = Path(__file__).resolve().parents[2]
SIM = SIM_BENCH


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SIM.read_text().replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    assert old in text
    path = tmp_path / "bench.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_simulated_bench_checks_out(capsys):
    assert main(["bench", "check", str(SIM)]) == 0
    out = capsys.readouterr().out
    assert out.count("OK ") == 7 and "bench check: OK" in out  # 6 instruments, the port
    assert "DSO-X 1204G CN60123456" in out


def test_wrong_serial_is_named(tmp_path, capsys):
    path = edited(tmp_path, "serial: CN60123456", "serial: CN00000000")
    assert main(["bench", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL     scope" in out and "serial 'CN60123456', file says 'CN00000000'" in out
    assert "bench check: FAILED: scope" in out


def test_wrong_model_is_named(tmp_path):
    path = edited(tmp_path, "model: Keysight DSOX1204G", "model: Keysight DSOX1102G")
    lines = {line.name: line for line in check_bench(load_bench(path))}
    assert lines["scope"].status == "fail" and "DSO-X 1204G" in lines["scope"].detail


def test_expired_calibration_refused_unless_overridden(tmp_path):
    path = edited(tmp_path, "calibration_due: 2027-09-30", "calibration_due: 2020-01-31")
    bench = load_bench(path)
    today = dt.date(2026, 11, 24)
    refused = {line.name: line for line in check_bench(bench, today=today)}
    assert refused["dmm"].status == "fail" and "2020-01-31" in refused["dmm"].detail
    assert refused["scope"].status == "ok"
    allowed = {line.name: line for line in check_bench(bench, today=today, allow_expired=True)}
    assert allowed["dmm"].status == "override"


def test_model_matching_ignores_punctuation_but_not_digits():
    assert model_matches("Keysight DSOX1204G", "DSO-X 1204G")
    assert not model_matches("Keysight DSOX1102G", "DSO-X 1204G")
    assert not model_matches("Keysight 34465A", "")


def test_run_refuses_a_bench_whose_instrument_is_not_the_one_in_the_file(tmp_path, capsys):
    path = edited(tmp_path, "serial: MY59001234", "serial: MY00000001")
    reports = tmp_path / "reports"
    code = main(
        [
            "run",
            f"--bench={path}",
            f"--reports-dir={reports}",
            "-q",
            str(ROOT / "test_suites" / "test_identity.py"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert "dmm at TCPIP0::dmm.sim::5025::SOCKET answers" in out and "MY00000001" in out
    assert not list(reports.glob("*/results.parquet"))
