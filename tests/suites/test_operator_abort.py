"""An operator who answers "a" (abort) mid-run: the bench is made safe, nothing is lost.

One ``hil run`` on the simulated operator bench with two requirements selected
(OUT-AMP-L1, then OUT-AMP-L2): the script answers the first test's three presses and
aborts at the second test's first. Then: the process exits 2 (interrupted, as Ctrl-C)
naming the abort, and the unit's line says INCOMPLETE, not PASS; the
events log shows, after the aborted prompt, the supplies switched off and every relay
opened (the RMD-2 has no port to switch its output off: with its battery off it cannot
stimulate); OUT-AMP-L1's measurements, taken before, are in the sealed results; and the
run record says the run did not pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.data import BENCHES

SCRIPT = """\
- {prompt: "declare serial", answer: RMD2-SIM-0001}
- {prompt: "declare firmware", answer: "2.0.1"}
- {prompt: "declare hardware", answer: "A"}
- {prompt: "declare battery", answer: "3 of 4 bars"}
- {prompt: "press *", answer: done, times: 3}
- {prompt: "press *", answer: abort}
"""


@pytest.fixture(scope="module")
def aborted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    base = tmp_path_factory.mktemp("abort")
    answers = base / "answers.yaml"
    answers.write_text(SCRIPT, encoding="utf-8")
    args = [sys.executable, "-m", "harness.cli", "run", f"--bench={BENCHES / 'sim-rmd2.yaml'}",
            f"--operator-input={answers}", "--req=OUT-AMP-L1", "--req=OUT-AMP-L2",
            f"--reports-dir={base}", "--run-id=R", "--no-report", "--no-allure", "-q",
            "-p", "no:cacheprovider"]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return done, base / "R"


def test_the_abort_stops_the_run_and_says_so(
    aborted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _folder = aborted
    assert done.returncode == 2, done.stdout + done.stderr
    assert "operator aborted the run" in done.stdout + done.stderr
    assert "RMD2-SIM-0001: INCOMPLETE, the run was interrupted" in done.stdout, done.stdout
    assert "RMD2-SIM-0001: PASS" not in done.stdout


def test_the_bench_is_made_safe_after_the_abort(
    aborted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _done, folder = aborted
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    asked = [i for i, e in enumerate(events) if e["instrument"] == "operator"]
    assert events[asked[-1]]["outcome"] == "error"  # the aborted prompt
    after = [(e["instrument"], e["action"], e["outcome"]) for e in events[asked[-1] :]]
    assert ("psu", "all_off", "ok") in after and ("switch", "open_all", "ok") in after, after
    later = [e for e in events[asked[-1] + 1 :] if e["action"] not in ("close", "check_errors")]
    assert all(e["action"] in ("all_off", "open_all") for e in later), later


def test_what_was_measured_before_the_abort_is_kept(
    aborted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _done, folder = aborted
    results = pd.read_parquet(folder / "results.parquet")
    assert set(results["requirement_id"]) == {"OUT-AMP-L1"}, results
    assert len(results) == 2
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] != "passed", run["status"]


def test_the_run_record_says_it_was_aborted(
    aborted: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _done, folder = aborted
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] in ("interrupted", "aborted"), run["status"]
