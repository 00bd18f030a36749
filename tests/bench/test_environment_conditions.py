"""The conditions of a run: measured by the bench's sensor at its start and end, or entered.

Runs are the cheapest the CLI offers (``--req COM-ID``: one identity check, no capture),
each on a copy of sim.yaml changed in one place: as shipped (a DAQ970A reads the
simulated room), without its sensor (the entered values stay, marked entered), and with
an allowed range the room is outside (a deviation in the report, not a silent pass).
Bench-file mistakes about conditions are input errors naming file, field and expectation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import harness
from harness.bench.station import check_options
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.errors import InputError

ROOT = Path(harness.__file__).resolve().parents[1]
SENSOR_BLOCK = SIM_BENCH.read_text().split("  - name: env\n")[1].split("loads:\n")[0]


def bench_copy(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = SIM_BENCH.read_text().replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "bench.yaml"
    path.write_text(text)
    return path


def hil_run(tmp_path: Path, bench: Path, *extra: str) -> tuple[dict[str, Any], str]:
    """``hil run --req COM-ID`` on ``bench``; its run.json and its report's HTML (rendered
    from the run folder: the PDF, seconds of layout, is tested elsewhere)."""
    from harness.reporting.compliance import render_html, report_context

    reports = tmp_path / "reports"
    args = [
        *(sys.executable, "-m", "harness.cli.main", "run", f"--bench={bench}"),
        *("--req=COM-ID", "--no-allure", "--no-report", f"--reports-dir={reports}"),
        *("--run-id=ENV", *extra),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    folder = reports / "ENV"
    return json.loads((folder / "run.json").read_text()), render_html(report_context(folder))


def test_a_run_on_the_sim_bench_records_the_room_measured_at_start_and_end(tmp_path: Path):
    run, report = hil_run(tmp_path, bench_copy(tmp_path))
    measured = [c for c in run["conditions"] if c["source"] == "measured"]
    assert [(c["quantity"], c["moment"]) for c in measured] == [
        ("temperature", "start"), ("humidity", "start"),
        ("temperature", "end"), ("humidity", "end"),
    ]  # fmt: skip
    for c in measured:
        assert (c["instrument"], c["model"], c["serial"]) == ("env", "Keysight DAQ970A",
                                                              "MY58012345")  # fmt: skip
        assert c["within"] is True and c["taken_at"]
    temperature = float(measured[0]["value"].removesuffix(" degC"))
    humidity = float(measured[1]["value"].removesuffix(" %RH"))
    assert 20.0 < temperature < 26.0 and 30.0 < humidity < 60.0
    # U from the bench file's ±0.2 °C / ±1.5 %RH, rectangular, k = 2: 2·0.2/√3 ≈ 0.23
    assert measured[0]["uncertainty"] == "0.23 degC"
    assert measured[1]["uncertainty"] == "1.7 %RH"
    # the measured start values replace the entered ones; the entered note stays, marked
    assert run["environment"]["temperature"] == measured[0]["value"]
    entered = {c["quantity"]: c for c in run["conditions"] if c["source"] == "entered"}
    assert set(entered) == {"note"}
    # the sensor is in the equipment table with its calibration
    assert "env" in [i["name"] for i in run["instruments"]]
    assert "measured by Keysight DAQ970A MY58012345 (env) at the start of the run" in report
    assert "measured by Keysight DAQ970A MY58012345 (env) at the end of the run" in report
    assert f"{measured[0]['value'].replace('degC', '°C')} ± 0.23 °C (k = 2)" in report
    assert "entered, not measured" in report  # the note
    assert "outside the range the laboratory allows" not in report


def test_without_a_sensor_the_entered_values_stay_marked_entered(tmp_path: Path):
    bench = bench_copy(tmp_path, ("  - name: env\n" + SENSOR_BLOCK, ""))
    run, report = hil_run(tmp_path, bench, "--env=temperature=31.5 degC")
    by_quantity = {c["quantity"]: c for c in run["conditions"]}
    assert {c["source"] for c in run["conditions"]} == {"entered"}
    assert by_quantity["temperature"]["value"] == "31.5 degC"  # --env over the bench file
    assert by_quantity["temperature"]["within"] is False
    assert by_quantity["humidity"]["within"] is True
    assert "env" not in [i["name"] for i in run["instruments"]]
    table = report.split("4 Environmental conditions")[1].split("5 Results")[0]
    assert table.count("entered, not measured") == 3 and "measured by" not in table
    assert "The temperature was outside the range the laboratory allows: 31.5 °C" in report


def test_a_room_outside_the_allowed_range_is_a_deviation_not_a_silent_pass(tmp_path: Path):
    narrow = ("{lower: 18 degC, upper: 28 degC", "{lower: 10 degC, upper: 15 degC")
    bench = bench_copy(tmp_path, narrow)
    run, report = hil_run(tmp_path, bench)
    measured = [c for c in run["conditions"] if c["source"] == "measured"]
    assert [c["within"] for c in measured] == [False, True, False, True]
    deviations = report.split("8 Deviations")[1]
    assert deviations.count("The temperature was outside the range the laboratory allows") == 2
    assert "allowed 10.0 °C to 15.0 °C" in deviations
    assert "measured by Keysight DAQ970A MY58012345 (env) at the end of the run" in deviations


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("upper: 28 degC", "upper: 28", "bench.allowed_conditions.temperature.upper",
         "a temperature with its unit"),
        ("upper: 28 degC", "upper: 8 degC", "bench.allowed_conditions.temperature.upper",
         "an upper bound above the lower"),
        ("humidity: {upper: 80 %RH,", "humidity: {upper: 180 %RH,",
         "bench.allowed_conditions.humidity.upper", "from 0 to 100"),
        ("humidity: {upper: 80 %RH,", "humidity: {", "bench.allowed_conditions.humidity",
         "a lower or an upper bound"),
        ('temperature: "23.0 degC"', 'temperature: "warm"', "bench.environment.temperature",
         "a temperature with its unit"),
        ("      - {range: 100 %RH, reading_pct: 0, range_pct: 0, absolute: 1.5}\n", "",
         "instruments[5].accuracy", "an accuracy line for the humidity"),
        ("role: environment_sensor", "role: ammeter", "instruments[5].role",
         "role 'environment_sensor'"),
    ],
)  # fmt: skip
def test_condition_mistakes_in_a_bench_file_are_input_errors(
    tmp_path: Path, old: str, new: str, field: str, expected: str
):
    path = bench_copy(tmp_path, (old, new))
    with pytest.raises(InputError) as caught:
        load_bench(path)
    text = str(caught.value)
    assert str(path) in text and field in text and expected in text, text


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("temperature_channel: 101", "temperature_channel: 1001", "options.temperature_channel"),
        ("thermistor: 5000", "thermistor: 4700", "options.thermistor"),
        ("humidity_channel: 102", "humidity_channel: 101", "options.humidity_channel"),
    ],
)
def test_wrong_sensor_options_are_input_errors_before_anything_opens(
    tmp_path: Path, old: str, new: str, field: str
):
    bench = load_bench(bench_copy(tmp_path, (old, new)))
    with pytest.raises(InputError, match=rf"bench.yaml.*instruments\[5\]\.{field}"):
        check_options(bench)
