"""`hil analyze`: JSON keys and values in SI units, the table, and exit 2 on bad input.

Also: the load a harness capture records is used (and a contradicting --load-ohms refused
unless --force-load), the output is a table on a terminal and JSON when piped, a metric
that cannot be measured says why, and --out - is standard output.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pytest
from analysis_formats import write_as

from harness.analysis.capture_io import Capture, write_capture
from harness.analysis.synth import PulseTrain, SynthCapture, synthesize
from harness.analysis.synth_truth import rms_current_a
from harness.analysis.waveform import analyze_voltage
from harness.cli import analyze as cli
from harness.recording.captures import CaptureArchive

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


def table_rows(out: str) -> dict[str, str]:
    """Name -> printed value of each table row."""
    return dict(line.split(None, 1) for line in out.splitlines())


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
        rms_current_a(train) / 0.5, rel=0.03
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
    rows = table_rows(capsys.readouterr().out)
    assert re.fullmatch(r"400( ± \S+)? uA", rows["peak_current_pos_a"])
    assert re.fullmatch(r"125( ± \S+)? ms", rows["pulse_width_pos_s"])


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


# --- the load ---------------------------------------------------------------------------

RMD1 = PulseTrain(10.0, 0.05, 400e-6, pulses_per_polarity=10, first_edge_s=-0.02)


def rmd1(load_ohms: float = 2000.0) -> SynthCapture:
    return synthesize(RMD1, sample_rate_hz=20e3, duration_s=4.5, load_ohms=load_ohms)


def archived(tmp_path: Path, load_ohms: float = 2000.0) -> Path:
    """A capture as the harness keeps it: reports/<run>/captures/NNN-name.npz."""
    synth = rmd1(load_ohms)
    run_dir = tmp_path / "reports" / "run-1"
    relative = CaptureArchive(run_dir).save(
        "OUT-I 2k", synth.t0, synth.dt, synth.volts, load_ohms=load_ohms, preamble="pre"
    )
    return run_dir / relative


def json_of(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, object], str]:
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_a_harness_capture_is_analysed_at_the_load_it_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(parse([str(archived(tmp_path))])) == 0
    result, err = json_of(capsys)
    assert err == ""
    assert result["load_ohms"] == 2000.0 and result["load_ohms_source"] == "capture"
    assert result["peak_current_pos_a"] == pytest.approx(400e-6, rel=0.03)
    # whatever the analysis adds beside a metric (its uncertainty, its reason) reaches JSON
    metrics = analyze_voltage(0.0, 5e-5, rmd1().volts, load_ohms=2000.0).to_dict()
    assert result.keys() >= metrics.keys()


def test_a_parquet_written_with_its_load_needs_no_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    synth = rmd1(1000.0)
    path = write_capture(tmp_path / "c.parquet", Capture(0.0, synth.dt, synth.volts, "x", 1000.0))
    assert cli.run(parse([str(path)])) == 0
    result, _ = json_of(capsys)
    assert result["load_ohms"] == 1000.0
    assert result["peak_current_neg_a"] == pytest.approx(400e-6, rel=0.03)


def test_the_same_load_given_again_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(parse([str(archived(tmp_path)), "--load-ohms", "2e3"])) == 0
    assert json_of(capsys)[0]["load_ohms"] == 2000.0


def test_a_contradicting_load_is_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Half the resistance would double every current without a trace: refused."""
    path = archived(tmp_path)
    assert cli.run(parse([str(path), "--load-ohms", "1000"])) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and str(path) in err
    assert "2000 ohm" in err and "1000" in err and "--force-load" in err


def test_force_load_warns_and_uses_the_given_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = archived(tmp_path)
    assert cli.run(parse([str(path), "--load-ohms", "1000", "--force-load"])) == 0
    result, err = json_of(capsys)
    assert err.startswith("hil: warning: ") and err.count("\n") == 1
    assert "2000 ohm" in err and "1000 ohm" in err
    assert result["load_ohms"] == 1000.0
    assert str(result["load_ohms_source"]).startswith("--load-ohms, forced")
    assert result["peak_current_pos_a"] == pytest.approx(800e-6, rel=0.03)


def test_a_csv_export_still_needs_the_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_as("keysight-csv", tmp_path, rmd1())
    assert cli.run(parse([str(path)])) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{path}: --load-ohms: expected the load resistance" in err


def test_a_harness_capture_without_a_load_needs_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    synth = rmd1()
    relative = CaptureArchive(tmp_path).save("AUX", synth.t0, synth.dt, synth.volts)
    assert cli.run(parse([str(tmp_path / relative)])) == 2
    assert "records no load" in capsys.readouterr().err
    assert cli.run(parse([str(tmp_path / relative), "--load-ohms", "2000"])) == 0


def test_force_load_without_a_recorded_load_is_harmless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_as("csv", tmp_path, rmd1())
    assert cli.run(parse([str(path), "--load-ohms", "2000", "--force-load"])) == 0
    result, err = json_of(capsys)
    assert err == "" and result["load_ohms_source"] == "--load-ohms"


# --- output -----------------------------------------------------------------------------


def test_a_terminal_gets_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.run(parse([str(archived(tmp_path))])) == 0
    out = capsys.readouterr().out
    assert out.lstrip()[0] != "{"
    rows = table_rows(out)
    assert re.fullmatch(r"400( ± \S+)? uA", rows["peak_current_pos_a"])
    assert re.fullmatch(r"50( ± \S+)? ms", rows["pulse_width_pos_s"])
    assert rows["load_ohms"] == "2000 ohm" and rows["electrode_area_cm2"] == "not given"


def test_json_on_a_terminal_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.run(parse([str(archived(tmp_path)), "--format", "json"])) == 0
    assert json_of(capsys)[0].keys() >= REQUIRED_KEYS


def test_piped_output_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not sys.stdout.isatty()
    assert cli.run(parse([str(archived(tmp_path))])) == 0
    assert json_of(capsys)[0].keys() >= REQUIRED_KEYS


def test_a_metric_that_is_none_says_why_in_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = PulseTrain(40.0, 0.004, 200e-6, biphasic=True)
    synth = synthesize(train, sample_rate_hz=100e3, duration_s=0.5, load_ohms=500.0)
    path = write_as("npz", tmp_path, synth)
    assert cli.run(parse([str(path), "--load-ohms", "500", "--format", "table"])) == 0
    rows = table_rows(capsys.readouterr().out)
    assert rows["polarity_period_s"].startswith("not measurable: ")
    assert rows["rms_current_density_a_per_cm2"] == "not measurable: no --area-cm2 given"
    assert all(value.strip() not in ("-", "None") for value in rows.values())


class _Metrics:
    """What the analysis may return: uncertainties and reasons beside the values."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values

    def to_dict(self) -> dict[str, object]:
        return dict(self.values)


ANNOTATED = {
    "load_ohms": 2000.0,
    "peak_current_pos_a": 4.0e-4,
    "peak_current_pos_a_uncertainty": 6.0e-6,
    "peak_current_neg_a": None,
    "peak_current_neg_a_reason": "clipped at the bottom of the screen",
    "rms_current_a": 1.0e-4,
    "uncertainties": {"rms_current_a": {"expanded": 2.0e-6, "k": 2}},
    "ramp_time_s": None,
    "reasons": {"ramp_time_s": "record starts after the soft start"},
    "zero_offset_a": 1e-7,
    "noise_rms_a": float("nan"),
    "average_abs_current_a": 2.0e-4,
    "average_abs_current_a_reason": "over 3 pulse periods",
}


def _annotated(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.analysis.waveform as waveform

    monkeypatch.setattr(waveform, "analyze_voltage", lambda *a, **k: _Metrics(ANNOTATED))


def test_uncertainty_and_reason_fields_pass_through_to_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _annotated(monkeypatch)
    assert cli.run(parse([str(archived(tmp_path))])) == 0
    result, _ = json_of(capsys)
    expected = {**ANNOTATED, "noise_rms_a": None}  # NaN is not JSON
    assert {k: result[k] for k in ANNOTATED} == expected


def test_uncertainty_and_reason_fields_annotate_their_table_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _annotated(monkeypatch)
    assert cli.run(parse([str(archived(tmp_path)), "--format", "table"])) == 0
    rows = table_rows(capsys.readouterr().out)
    assert rows["peak_current_pos_a"] == "400 ± 6 uA"
    assert rows["rms_current_a"] == "100 ± 2 uA"
    assert rows["peak_current_neg_a"] == "not measurable: clipped at the bottom of the screen"
    assert rows["ramp_time_s"] == "not measurable: record starts after the soft start"
    assert rows["average_abs_current_a"] == "200 uA (over 3 pulse periods)"
    assert "peak_current_pos_a_uncertainty" not in rows and "reasons" not in rows


@pytest.mark.parametrize("out", [None, "-"])
def test_out_dash_is_standard_output(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    out: str | None,
) -> None:
    path = archived(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli.run(parse([str(path), *([] if out is None else ["--out", out])])) == 0
    assert json_of(capsys)[0]["load_ohms"] == 2000.0
    assert not (tmp_path / "-").exists()


def test_out_file_gets_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "metrics.json"
    assert cli.run(parse([str(archived(tmp_path)), "--out", str(target)])) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text())["load_ohms"] == 2000.0


def test_an_unwritable_out_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "m.json"
    assert cli.run(parse([str(archived(tmp_path)), "--out", str(target)])) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(target) in err and "--out" in err


def test_a_png_is_not_a_csv_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "screenshot.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert cli.run(parse([str(path), "--load-ohms", "2000"])) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"hil: input error: {path}: not a CSV capture (a PNG image)"


@pytest.mark.parametrize("fmt", ["tektronix-csv", "tektronix-mso-csv"])
def test_tektronix_export_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    train = PulseTrain(200.0, 0.5e-3, 300e-6, biphasic=True, edge_s=10e-6, first_edge_s=0.7e-3)
    synth = synthesize(train, sample_rate_hz=100e3, duration_s=0.025, load_ohms=2000.0)
    path = write_as(fmt, tmp_path, synth)
    assert cli.run(parse([str(path), "--load-ohms", "2000"])) == 0
    result, _ = json_of(capsys)
    assert result["source_format"] == fmt
    assert result["frequency_hz"] == pytest.approx(200.0, rel=0.005)
    assert result["peak_current_pos_a"] == pytest.approx(300e-6, rel=0.03)
