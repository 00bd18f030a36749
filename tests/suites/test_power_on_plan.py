"""Proof that timing the timers on one shared power-on changes no verdict and no value.

The test plan (``harness.plugin.test_plan``) times TIM-BEEP, TIM-SESSION and TIM-AUTOOFF
on one power-on unless ``--sequential``. Here the timer requirements run both ways on
the simulated bench, for a good unit and for every fault of the fault matrix that moves
a timer, on RMD-1 (a test port) and on RMD-2 worked by relays (no port: the shared power-on is
checked on the battery current). Each pair must give the same rows: requirement,
value, U and verdict. And the planned run must really have shared the power-on (its
rows say with whom), or the comparison would prove nothing; the sequential run's say
"own". The whole suite's verdicts in the planned order are the fault matrix's
(``test_fault_matrix.py`` runs the default, planned order).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_fault_matrix import ROOT, RUNNER

pytestmark = pytest.mark.slow

CASES: dict[str, list[str]] = {
    "rmd1-good": [],
    "rmd1-clock_error": ["--sim-fault=clock_error=0.03"],
    "rmd1-session_s": ["--sim-fault=session_s=250"],
    "rmd1-autooff_s": ["--sim-fault=autooff_s=1000"],
    "rmd2-relay-good": ["--bench=sim-rmd2-relay"],
}
SHARED = {
    "rmd1": {"TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF"},
    "rmd2": {"TIM-SESSION", "TIM-AUTOOFF"},
}
COMPARED = ["requirement_id", "value", "expanded_uncertainty", "verdict"]


def _args(folder: Path, extra: list[str], sequential: bool) -> list[str]:
    args = ["run", f"--reports-dir={folder}", "--run-id=R", "--no-report", "--no-allure"]
    args += ["-q", "-p", "no:cacheprovider", "--req", "TIM-*", *extra]
    return args + (["--sequential"] if sequential else [])


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], pd.DataFrame]:
    base = tmp_path_factory.mktemp("power-on-plan")
    jobs, folders = [], {}
    for case, extra in CASES.items():
        for sequential in (False, True):
            folder = base / f"{case}-{'seq' if sequential else 'plan'}"
            folders[case, sequential] = folder
            jobs.append([folder.name, _args(folder, extra, sequential), f"{folder}.log"])
    (base / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(ROOT), str(base / "jobs.json"), "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, f"runner failed:\n{done.stdout}\n{done.stderr}"
    out: dict[tuple[str, bool], pd.DataFrame] = {}
    for key, folder in folders.items():
        results = folder / "R" / "results.parquet"
        log = Path(f"{folder}.log")
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
        assert results.is_file(), f"{folder.name}: no results\n{tail}"
        out[key] = pd.read_parquet(results)
    return out


def _rows(table: pd.DataFrame) -> list[tuple[object, ...]]:
    """The compared columns, numbers to 9 significant digits: the same float arithmetic
    done in another order differs in the last digit (a difference of 3e-15 s in U)."""
    rows = table[COMPARED].sort_values("requirement_id").itertuples(index=False, name=None)
    return [tuple(f"{v:.9g}" if isinstance(v, float) else v for v in row) for row in rows]


@pytest.mark.parametrize("case", list(CASES))
def test_planned_and_sequential_give_the_same_rows(
    tables: dict[tuple[str, bool], pd.DataFrame], case: str
) -> None:
    planned, sequential = tables[case, False], tables[case, True]
    assert _rows(planned) == _rows(sequential)
    assert set(sequential["cond_power_on"].dropna()) <= {"own"}


@pytest.mark.parametrize("case", [c for c in CASES if c.endswith("good")])
def test_the_planned_run_shared_one_power_on(
    tables: dict[tuple[str, bool], pd.DataFrame], case: str
) -> None:
    planned = tables[case, False]
    members = SHARED[case.split("-")[0]]
    rows = planned[planned["requirement_id"].isin(members)]
    assert set(rows["requirement_id"]) == members
    order = ["TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF"]
    ranked = sorted(members, key=order.index)
    for rid, said in zip(rows["requirement_id"], rows["cond_power_on"], strict=True):
        at = ranked.index(rid)
        if at == 0:
            assert said == "first of one shared with " + ", ".join(ranked[1:])
        else:
            assert said == "shared with " + ", ".join(ranked[:at])
    assert (planned["verdict"] == "PASS").all()
