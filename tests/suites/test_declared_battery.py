"""The battery's state of charge of a unit without a test port: declared, never measured.

Only the RMD-2's firmware knows its cell's charge, and it has no port to say it. So the
operator is asked (the prompt ``declare battery``, scripted here by
``operator-input-rmd2.yaml``) and the answer is recorded marked "declared by the
operator"; on the relay bench with nobody there it is "not known: no test port". Two
short ``hil run`` calls (TIM-IDLE-OFF only), then: ``run.json``'s unit carries the value
with its mark, and the report's "Item tested" line shows it as it was recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.data import BENCHES
from harness.reporting.compliance import render_html, report_context

OPERATOR_INPUT = Path(__file__).with_name("operator-input-rmd2.yaml")
CASES = {
    "operator": (BENCHES / "sim-rmd2.yaml", "3 of 4 bars (declared by the operator)"),
    "relay": (BENCHES / "sim-rmd2-relay.yaml", "not known: no test port"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("battery")
    folders = {}
    for name, (bench, _expected) in CASES.items():
        args = [sys.executable, "-m", "harness.cli", "run", f"--bench={bench}",
                "--req=TIM-IDLE-OFF", f"--reports-dir={base}", f"--run-id={name}",
                "--no-report", "--no-allure", "-q", "-p", "no:cacheprovider"]  # fmt: skip
        if name == "operator":
            args.append(f"--operator-input={OPERATOR_INPUT}")
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        folders[name] = base / name
    return folders


@pytest.mark.parametrize("case", list(CASES))
def test_the_battery_is_recorded_as_declared_or_not_known(runs: dict[str, Path], case: str) -> None:
    run = json.loads((runs[case] / "run.json").read_text(encoding="utf-8"))
    assert run["unit"]["battery"] == CASES[case][1], run["unit"]
    assert run["status"] == "passed"


@pytest.mark.parametrize("case", list(CASES))
def test_the_report_shows_the_battery_as_recorded(runs: dict[str, Path], case: str) -> None:
    html = render_html(report_context(runs[case]))
    line = next(row for row in html.splitlines() if "<th>Item tested</th>" in row)
    assert f"battery state of charge {CASES[case][1]}" in line, line
