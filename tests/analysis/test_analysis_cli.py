"""`hil analyze`: JSON keys and values in SI units, the table, and exit 2 on bad input."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from analysis_formats import write_as

from harness.analysis.synth import PulseTrain, synthesize
from harness.cli import analyze as cli

REQUIRED_KEYS = {
    "frequency_hz",
    "pulse_width_pos_s",
    "pulse_width_neg_s",
    "peak_current_pos_a",
    "peak_current_neg_a",
    "charge_per_phase_pos_c",
    "charge_per_phase_neg_c",
    "mean_current_a",
    "rms_current_a",
    "polarity_period_s",
    "average_abs_current_a",
    "rms_current_density_a_per_cm2",
    "power_density_w_per_cm2",
    "phase_count_pos",
    "phase_count_neg",
    "ramp_time_s",
    "overshoot_pct",
    "samples",
    "duration_s",
    "source_format",
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hil")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["analyze", *argv])


def test_json_output_of_an_rmd1_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = PulseTrain(10.0, 0.05, 400e-6, pulses_per_polarity=10, first_edge_s=-0.02)
    synth = synthesize(train, sample_rate_hz=20e3, duration_s=4.5, load_ohms=2000.0, noise_v=0.004)
    path = write_as("keysight-csv", tmp_path, synth)
    args = parse([str(path), "--load-ohms", "2000", "--area-cm2", "0.5"])
    assert args.func is cli.run
    assert cli.run(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result.keys() >= REQUIRED_KEYS
    assert result["source_format"] == "keysight-csv"
    assert result["frequency_hz"] == pytest.approx(10.0, rel=0.005)
    assert result["pulse_width_pos_s"] == pytest.approx(0.05, rel=0.03)
    assert result["peak_current_neg_a"] == pytest.approx(400e-6, rel=0.03)
    assert result["charge_per_phase_pos_c"] == pytest.approx(20e-6, rel=0.04)
    assert result["polarity_period_s"] == pytest.approx(2.0, rel=0.005)
    assert result["rms_current_density_a_per_cm2"] == pytest.approx(
        train.rms_current_a() / 0.5, rel=0.03
    )


def test_biphasic_polarity_period_is_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = PulseTrain(40.0, 0.004, 200e-6, biphasic=True)
    synth = synthesize(train, sample_rate_hz=100e3, duration_s=0.5, load_ohms=500.0)
    path = write_as("npz", tmp_path, synth)
    assert cli.run(parse([str(path), "--load-ohms", "500"])) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["polarity_period_s"] is None and result["biphasic"] is True
    assert result["rms_current_density_a_per_cm2"] is None


def test_table_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = PulseTrain(4.0, 0.125, 400e-6, pulses_per_polarity=4)
    synth = synthesize(train, sample_rate_hz=10e3, duration_s=4.6, load_ohms=500.0)
    path = write_as("parquet", tmp_path, synth)
    assert cli.run(parse([str(path), "--load-ohms", "500", "--format", "table"])) == 0
    out = capsys.readouterr().out
    assert "peak_current_pos_a" in out and "400 uA" in out and "125 ms" in out


def test_malformed_capture_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,volts\n0,0.1\n1e-6,zero\n2e-6,0.1\n")
    assert cli.run(parse([str(path), "--load-ohms", "500"])) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"{path}:3: volts: expected a finite number, got 'zero'" in err


def test_bad_load_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(parse([str(tmp_path / "x.csv"), "--load-ohms", "-5"])) == 2
    assert "load_ohms" in capsys.readouterr().err
