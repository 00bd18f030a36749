"""Allure results of real compliance runs on the simulated bench, read back as JSON.

Two runs write into ONE results folder, as a lab collecting several units would: a good
unit (RMD1-SIM-0001) and one with sense-resistor gain drift (``gain=1.3``, serial
RMD1-SIM-0002) that fails OUT-AMP-L5 on its limit. Each runs the identity suite and the
level-5 amplitude test (which archives a scope capture), in-process through ``hil run``.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli.main import main
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.judging.spec import load_spec
from harness.plugin.allure import EPICS, SEVERITY, epic_of
from harness.plugin.allure_files import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec(RMD1_SPEC)
L5 = "test_suites/test_output_current.py::test_peak_current_at_each_level[L5]"
SUITES = ["test_suites/test_identity.py", L5]
UNITS = {"GOOD": ("RMD1-SIM-0001", []), "DRIFT": ("RMD1-SIM-0002", ["--sim-fault=gain=1.3"])}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("allure")
    shared = base / "allure-results"
    codes = {}
    for run_id, (serial, extra) in UNITS.items():
        argv = ["run", "-q", f"--reports-dir={base}", f"--run-id={run_id}", f"--serial={serial}"]
        argv += ["--no-report"]  # the Allure results are the point; the report is tested apart
        argv += [*extra, "-pharness.plugin.allure", f"--alluredir={shared}"]
        codes[run_id] = main([*argv, *(str(ROOT / s) for s in SUITES)])
    results = [json.loads(p.read_text()) for p in shared.glob("*-result.json")]
    return {"base": base, "shared": shared, "codes": codes, "results": results}


def result_of(runs: dict[str, Any], name: str, serial: str) -> dict[str, Any]:
    (found,) = [
        r
        for r in runs["results"]
        if r["name"] == name and parameters(r)["Unit serial"] == repr(serial)
    ]
    return found


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def parameters(result: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in result.get("parameters", [])}


def attachment(runs: dict[str, Any], result: dict[str, Any], name: str) -> Path:
    (source,) = [a["source"] for a in result["attachments"] if a["name"] == name]
    return Path(runs["shared"]) / source


def test_the_good_unit_passes_and_the_drifting_one_fails(runs):
    assert runs["codes"] == {"GOOD": 0, "DRIFT": 1}
    assert len(runs["results"]) == 6  # three tests, two units, nothing merged or lost


def test_behaviour_labels_come_from_the_requirement(runs):
    requirement = SPEC.requirement("OUT-AMP-L5")
    result = result_of(runs, "test_peak_current_at_each_level[L5]", "RMD1-SIM-0001")
    assert labels(result, "epic") == ["21 CFR 882.5890"] == [epic_of(requirement.source)]
    assert labels(result, "feature") == [requirement.group] == ["output-current"]
    assert labels(result, "story") == ["OUT-AMP-L5"]
    assert labels(result, "severity") == [SEVERITY[requirement.hazard]] == ["critical"]
    assert {"spec:RMD-1-SPEC", "serial:RMD1-SIM-0001"} <= set(labels(result, "tag"))
    (link,) = result["links"]
    assert link["type"] == "requirement"
    assert link["url"] == "harness/data/specs/rmd1.yaml#OUT-AMP-L5"
    identity = result_of(runs, "test_unit_reports_its_identity", "RMD1-SIM-0001")
    assert labels(identity, "epic") == ["21 CFR 11"] and labels(identity, "story") == ["COM-ID"]


def test_conditions_are_parameters_outside_the_test_identity(runs):
    result = result_of(runs, "test_peak_current_at_each_level[L5]", "RMD1-SIM-0001")
    params = {p["name"]: p for p in result["parameters"]}
    shown = {k: p["value"].strip("'") for k, p in params.items() if p.get("excluded")}
    assert shown == {
        "Level": "L5",
        "Load": "500 ohm",
        "Frequency": "F2",
        "Battery voltage": "3.8 V",
    }
    assert not params["Unit serial"].get("excluded")


def test_units_never_merge_as_retries(runs):
    name = "test_peak_current_at_each_level[L5]"
    good, drift = result_of(runs, name, "RMD1-SIM-0001"), result_of(runs, name, "RMD1-SIM-0002")
    assert good["fullName"] == drift["fullName"]
    assert good["historyId"] != drift["historyId"]  # Allure 2 groups retries by this

    # Allure 3 groups by test case id and the parameters not excluded: they differ too
    def identity(r: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
        kept = sorted((p["name"], p["value"]) for p in r["parameters"] if not p.get("excluded"))
        return r["testCaseId"], kept

    assert identity(good) != identity(drift)
    history = Counter(r["historyId"] for r in runs["results"])
    assert set(history.values()) == {1}


def test_limit_failure_has_the_message_its_category_matches(runs):
    result = result_of(runs, "test_peak_current_at_each_level[L5]", "RMD1-SIM-0002")
    assert result["status"] == "failed"
    message = result["statusDetails"]["message"]
    assert message.startswith("non-conforming measurements")
    assert "OUT-AMP-L5 [polarity +, load 500 ohm, level L5]: FAIL" in message
    matched = [
        c["name"]
        for c in CATEGORIES
        if result["status"] in c["matchedStatuses"]
        and re.fullmatch(c.get("messageRegex", r"[\s\S]*"), message)
    ]
    assert matched[0] == "Limit failures"


def test_evidence_attached_and_readable(runs):
    result = result_of(runs, "test_peak_current_at_each_level[L5]", "RMD1-SIM-0002")
    rows = json.loads(attachment(runs, result, "measurements.json").read_text())
    assert {r["requirement_id"] for r in rows} == {"OUT-AMP-L5"} and len(rows) == 2
    assert {r["verdict"] for r in rows} == {"FAIL"} and rows[0]["run_id"] == "DRIFT"
    (capture,) = {a for r in rows for a in r["attachments"]}
    stem = Path(capture).stem
    png = attachment(runs, result, f"{stem}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (512, 192)
    with np.load(attachment(runs, result, Path(capture).name)) as raw:
        original = np.load(runs["base"] / "DRIFT" / capture)
        assert np.array_equal(raw["volts"], original["volts"]) and raw["volts"].size > 1000


def test_every_plot_is_drawn_by_the_runs_end_not_left_a_placeholder(runs):
    """Capture plots are attached as one-pixel placeholders and drawn by a worker process
    (``harness.plugin.allure_plots``); every one must be drawn by the run's end."""
    from harness.plugin.allure_plots import PLACEHOLDER

    pngs = [
        attachment(runs, result, a["name"])
        for result in runs["results"]
        for a in result.get("attachments", [])
        if a["name"].endswith(".png")
    ]
    assert len(pngs) >= 2  # a capture each of the two units the runs measure
    for path in pngs:
        png = path.read_bytes()
        assert png != PLACEHOLDER and png[:8] == b"\x89PNG\r\n\x1a\n", path
        assert int.from_bytes(png[16:20], "big") == 512, path
    assert not list(Path(runs["shared"]).glob("*.partial"))


def walk(step_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for step in step_list for s in [step, *walk(step.get("steps", []))]]


def test_instrument_actions_are_steps(runs):
    result = result_of(runs, "test_peak_current_at_each_level[L5]", "RMD1-SIM-0001")
    titles = [s["name"] for s in walk(result["steps"])]
    assert all(re.fullmatch(r"[a-z]+: [a-z_]+\(.*\)", t) for t in titles)
    assert {t.split(":")[0] for t in titles} >= {"scope", "switch", "psu", "dut", "clock"}
    assert any(t.startswith("scope: read_waveform(1") for t in titles)
    assert all(s["status"] == "passed" for s in walk(result["steps"]))


def test_event_log_has_a_line_for_every_step(runs):
    lines = (runs["base"] / "GOOD" / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert {"t", "instrument", "action", "args", "duration_s", "outcome", "test"} <= set(events[0])
    result = result_of(runs, "test_peak_current_at_each_level[L5]", "RMD1-SIM-0001")
    logged = Counter(
        f"{e['instrument']}: {e['action']}({e['args']})" for e in events if e["test"].endswith(L5)
    )
    stepped = Counter(s["name"] for s in walk(result["steps"]))
    assert stepped and not stepped - logged  # every step of the test body has its line
    assert sum(1 for e in events if e["test"].endswith(L5)) >= stepped.total()


INNER_CONFTEST = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity():
    return UnitIdentity(model="RMD-1", serial="SN-9", firmware="1", hardware="A")
"""

INNER_TEST = """
import logging
import pytest
from harness.events.steps import bench_step

class Meter:
    name = "dmm"

    @bench_step
    def read_current(self):
        return 4.0e-4

@pytest.mark.requirement("OUT-AMP-L5")
def test_l5(measure):
    logging.getLogger("harness.suite").warning("an ordinary warning")
    measure("OUT-AMP-L5", Meter().read_current(), "A")
"""


def test_events_stay_out_of_the_captured_logs(pytester):
    """pytest attaches its log capture to non-propagating loggers; the plugin filters it."""
    bench = (SIM_BENCH).read_text()
    bench = bench.replace("spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}")
    (pytester.path / "bench.yaml").write_text(bench)
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TEST)
    results = pytester.path / "allure-results"
    outcome = pytester.runpytest_inprocess(
        f"--bench={pytester.path / 'bench.yaml'}",
        f"--reports-dir={pytester.path / 'reports'}",
        "--run-id=IN-1",
        f"--alluredir={results}",
        "-p",
        "harness.plugin.allure",
    )
    outcome.assert_outcomes(passed=1)
    (result,) = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    (log,) = [a["source"] for a in result["attachments"] if a["name"] == "log"]
    text = (results / log).read_text()
    assert "an ordinary warning" in text and "read_current" not in text
    (event,) = [
        json.loads(line)
        for line in (pytester.path / "reports" / "IN-1" / "events.jsonl").read_text().splitlines()
    ]
    assert (event["instrument"], event["action"], event["result"]) == ("dmm", "read_current", 4e-4)
    assert [s["name"] for s in result["steps"]] == ["dmm: read_current()"]


def properties(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text("latin-1").splitlines() if line)
    return {k.replace("\\", ""): v for k, v in pairs}


def test_environment_executor_and_categories(runs):
    env = properties(runs["shared"] / "environment.properties")
    run_json = json.loads((runs["base"] / "DRIFT" / "run.json").read_text())
    assert env["unit.serial"] == "RMD1-SIM-0002" and env["run.id"] == "DRIFT"  # latest run
    assert env["spec.id"] == SPEC.id and env["spec.sha256"] == SPEC.sha256
    assert env["spec.version"] == SPEC.version and env["bench.id"] == "SIM-1"
    assert env["harness.version"] == run_json["harness_version"]
    assert env["harness.git_commit"] == (run_json["git_commit"] or "unknown")
    for instrument in run_json["instruments"]:
        name = instrument["name"]
        assert env[f"instrument.{name}"].startswith(f"{instrument['role']}: {instrument['model']}")
        assert env[f"instrument.{name}.calibration_due"] == instrument["calibration_due"]
    assert env["sim_fault.1"] == "gain=1.3"
    # the room, as the run recorded it (measured by the simulated bench's sensor)
    for reading in run_json["conditions"]:
        key = f"condition.{reading['quantity']}.{reading['moment'] or 'run'}"
        assert env[key].startswith(reading["value"]) and reading["source"] in env[key]
    assert any(key.startswith("condition.") for key in env)
    executor = json.loads((runs["shared"] / "executor.json").read_text())
    assert run_json["station"] in executor["name"] and run_json["operator"] in executor["name"]
    assert "DRIFT" in executor["buildName"]
    names = [c["name"] for c in json.loads((runs["shared"] / "categories.json").read_text())]
    assert names[:4] == [
        "Limit failures",
        "Instrument errors",
        "Device communication errors",
        "Input errors",
    ]


INSTRUMENT, DEVICE = "Instrument errors", "Device communication errors"


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("harness.errors.InstrumentError: dmm: 'READ?': timeout", INSTRUMENT),
        ("Failed: instrument errors after the test: ['-113,\"Undefined header\"']", INSTRUMENT),
        ("harness.errors.DeviceCommError: device port dut: no valid reply", DEVICE),
        ("harness.dut.testport.CommandRejected: device port dut: 'LVL 9' rejected", DEVICE),
        (
            "harness.dut.testport.DeviceResetError: device port dut: the unit restarted: "
            "boot banner 'BOOT model=RMD-1 firmware=1.4.2 boot=2 reset=watchdog'",
            DEVICE,
        ),
        ("harness.errors.InputError: captures/x.npz: volts: expected …", "Input errors"),
        ("AssertionError: assert 1 == 2", "Other errors"),
    ],
)
def test_categories_separate_errors_by_kind(message, category):
    matched = [
        c["name"]
        for c in CATEGORIES
        if "broken" in c["matchedStatuses"]
        and re.fullmatch(c.get("messageRegex", r"[\s\S]*"), message)
    ]
    assert matched[0] == category


def test_every_requirement_has_one_canonical_epic():
    canonical = {name for _, name in EPICS} | {"design"}
    epics = {rid: epic_of(r.source) for rid, r in SPEC.requirements.items()}
    assert set(epics.values()) <= canonical
    assert epics["OUT-MIN"] == "IEC 60601-2-10"  # "IEC 60601-2-10 (minimum output …)"
    assert epics["OUT-LOAD-2K"] == "IEC 60601-2-10"  # "FDA …; IEC 60601-2-10 …": the standard
    assert epics["LKG-AUX-DC"] == "IEC 60601-1"
    assert epic_of("design (K201782 BOOST)") == "FDA 510(k) predicates"
    assert epic_of("design") == "design"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux")
def test_a_plot_worker_whose_session_is_gone_ends() -> None:
    """The worker drawing Allure's plots ends when its session's end of the pipe closes
    (the session was killed before it said it was done) instead of waiting for ever."""
    from harness.plugin.allure_plots import PlotWorker

    worker = PlotWorker()
    worker._conn.close()  # what a killed session leaves
    worker._process.join(timeout=10)
    assert not worker._process.is_alive() and worker._process.exitcode == 0
