"""Proof that the suites catch faults on the RMD-2, a unit without a test port.

The RMD-2 counterpart of ``test_fault_matrix.py``, with the same forked runner (each case
is exactly ``hil run``, a fork of one process that imported everything once): the good
unit passes every RMD-2 requirement, worked by the operator (scripted with
``operator-input-rmd2.yaml``) and by the relay actuator with no operator, and each fault
fails exactly the requirements its physics breaks. Kept small (nine runs of about two
seconds of CPU each); ``harness/sim/faults_rmd2.py`` lists every fault.

Why each set is what it is:

* ``gain=1.3``: every level's peak 30 % high, beyond the ±20 % of all three levels.
* ``gap_ms=1``: the gap is 1 ms (WAV-GAP), and since a pair and its gap fill half a
  period, each phase grows to 9.5 ms (WAV-PHASE); the rate and the balance stay.
* ``level_button=off`` (relay): the LEVEL press is made but the output does not move,
  so the step fails as not confirmed and every requirement at level 2 or 3 is not shown
  (OUT-AMP-L2, OUT-AMP-L3, and WAV-QBAL, judged at level 3).
* ``charger_interlock=off``: the output goes on with the charger powered (SAF-CHG-OFF).
* ``session_s=150``: the shared session test (the RMD-1's, run through the buttons)
  measures 150 s against 180 s.
* ``cue=off``: no pause in the output, so no cue interval is seen (TIM-CUE).
* ``contact_loss_s=0.5``: the output runs 0.5 s after lift-off (SAF-CONTACT-LOSS); the
  session timer still pauses from the suspension, so TIM-SESSION holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_fault_matrix import ROOT, RUNNER, Outcome, _outcome

from harness.data import BENCHES, SPECS

OPERATOR_INPUT = Path(__file__).with_name("operator-input-rmd2.yaml")
OPERATOR, RELAY = BENCHES / "sim-rmd2.yaml", BENCHES / "sim-rmd2-relay.yaml"
OUT_AMP = {"OUT-AMP-L1", "OUT-AMP-L2", "OUT-AMP-L3"}

CASES: dict[str, tuple[Path, str | None, set[str]]] = {
    "good-operator": (OPERATOR, None, set()),
    "good-relay": (RELAY, None, set()),
    "gain=1.3": (OPERATOR, "gain=1.3", OUT_AMP),
    "gap_ms=1": (RELAY, "gap_ms=1", {"WAV-GAP", "WAV-PHASE"}),
    "level_button=off": (RELAY, "level_button=off", {"OUT-AMP-L2", "OUT-AMP-L3", "WAV-QBAL"}),
    "charger_interlock=off": (RELAY, "charger_interlock=off", {"SAF-CHG-OFF"}),
    "session_s=150": (OPERATOR, "session_s=150", {"TIM-SESSION"}),
    "cue=off": (RELAY, "cue=off", {"TIM-CUE"}),
    "contact_loss_s=0.5": (OPERATOR, "contact_loss_s=0.5", {"SAF-CONTACT-LOSS"}),
}

pytestmark = pytest.mark.slow


def _args(bench: Path, fault: str | None, folder: Path) -> list[str]:
    args = ["run", f"--bench={bench}", f"--reports-dir={folder}", "--run-id=R", "--no-report",
            "--no-allure", "-q", "-p", "no:cacheprovider"]  # fmt: skip
    if bench == OPERATOR:
        args.append(f"--operator-input={OPERATOR_INPUT}")
    if fault is not None:
        args.append(f"--sim-fault={fault}")
    return args


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("fault-matrix-rmd2")
    folders = {name: base / name.replace("=", "_") for name in CASES}
    logs = {name: folders[name].with_name(folders[name].name + ".log") for name in CASES}
    jobs = [[n, _args(b, f, folders[n]), str(logs[n])] for n, (b, f, _e) in CASES.items()]
    (base / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    workers = str(max(1, min(len(CASES), os.cpu_count() or 1)))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(ROOT), str(base / "jobs.json"), workers],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, f"fault-matrix runner failed:\n{done.stdout}\n{done.stderr}"
    return {name: _outcome(folders[name], logs[name]) for name in CASES}


@pytest.mark.parametrize("case", ["good-operator", "good-relay"])
def test_every_rmd2_requirement_is_measured_on_the_good_unit(
    runs: dict[str, Outcome], case: str
) -> None:
    from harness.judging.spec import load_spec

    _bad, measured, log, _shared = runs[case]
    assert set(load_spec(SPECS / "rmd2.yaml").requirements) == measured, log
    assert "not applicable to RMD-2-SPEC" in log and "OUT-BOOST" in log, log


@pytest.mark.parametrize("case", list(CASES))
def test_rmd2_case_fails_exactly_its_requirements(runs: dict[str, Outcome], case: str) -> None:
    bad, _measured, log, _shared = runs[case]
    expected = CASES[case][2]
    assert bad == expected, (
        f"{case}: unexpected failures {sorted(bad - expected)}, "
        f"missed {sorted(expected - bad)}\n{log}"
    )


def test_a_failed_press_is_recorded_as_that_step_failing(runs: dict[str, Outcome]) -> None:
    _bad, _measured, log, _shared = runs["level_button=off"]
    assert "level press from level 1" in log, log
