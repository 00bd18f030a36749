"""Proof that the planned order (a shared power-on with guests) changes no verdict.

The test plan (``harness.plugin.test_plan``) times TIM-BEEP, TIM-SESSION and TIM-AUTOOFF
on one power-on, with guest tests of other requirements on its session, unless
``--sequential``. Here the timers and every guest run both ways on the simulated
bench, for a good unit and for a session so short (100 s) that it ends under the
guests (who must then measure again on their own power-on), on RMD-1 (a test port)
and on RMD-2 worked by relays (no port: no guests, the timers' power-on checked on the
battery current). Each pair must give
the same verdict for every requirement, and every test's values must agree within
their uncertainties, whether it ran on the shared power-on or on its own (the session's
lift-off comes after the guests, so its polls look at other instants; the tests on their
own power-on run in another order, after other captures). The planned good run must
really have shared the power-on (its rows say with whom), or the comparison would prove
nothing; the sequential rows say "own".
Every fault of the fault matrix fails the same requirements in both orders
(``test_fault_matrix.py`` runs both orders against the same expected sets).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_fault_matrix import GUESTS, ROOT, RUNNER

pytestmark = pytest.mark.slow

CASES: dict[str, list[str]] = {
    "rmd1-good": [],
    "rmd1-session_ends_under_the_guests": ["--sim-fault=session_s=100"],
    "rmd2-relay-good": ["--bench=sim-rmd2-relay"],
}
SHARED = {
    "rmd1": {"TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF"},
    "rmd2": {"TIM-SESSION", "TIM-AUTOOFF"},
}


def _args(folder: Path, extra: list[str], sequential: bool) -> list[str]:
    args = ["run", f"--reports-dir={folder}", "--run-id=R", "--no-report", "--no-allure"]
    args += ["-q", "-p", "no:cacheprovider", "--req", "TIM-*", *extra]
    rmd2 = any("rmd2" in a for a in extra)  # RMD-2's spec: the amplitudes of its levels
    args += [f"--req={pattern}" for pattern in (["OUT-AMP-*"] if rmd2 else GUESTS)]
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


def _verdicts(table: pd.DataFrame) -> dict[str, str]:
    """Each requirement's verdict: PASS only if every row of it passed."""
    passed = table.groupby("requirement_id")["verdict"].agg(lambda v: bool((v == "PASS").all()))
    return {rid: "PASS" if ok else "FAIL" for rid, ok in passed.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_planned_and_sequential_give_the_same_verdicts(
    tables: dict[tuple[str, bool], pd.DataFrame], case: str
) -> None:
    planned, sequential = tables[case, False], tables[case, True]
    assert _verdicts(planned) == _verdicts(sequential)
    assert set(sequential["cond_power_on"].dropna()) == {"own"}
    # every test's first value of each requirement agrees within the two uncertainties,
    # on the shared power-on or not: a value that moved with the order (WAV-RAMP did, by
    # the scope noise earlier tests had used up) is a defect of the method
    first = [
        t.drop_duplicates(["test_id", "requirement_id"]).set_index(["test_id", "requirement_id"])
        for t in (planned, sequential)
    ]
    both = first[0].join(first[1], suffixes=("_p", "_s")).dropna(subset=["value_p", "value_s"])
    u = (both["expanded_uncertainty_p"] ** 2 + both["expanded_uncertainty_s"] ** 2) ** 0.5
    apart = both[(both["value_p"] - both["value_s"]).abs() > u + 1e-12 * both["value_s"].abs()]
    assert apart.empty, apart[["value_p", "value_s"]]


@pytest.mark.parametrize("case", [c for c in CASES if c.endswith("good")])
def test_the_planned_run_shared_one_power_on(
    tables: dict[tuple[str, bool], pd.DataFrame], case: str
) -> None:
    planned = tables[case, False]
    members = SHARED[case.split("-")[0]]
    order = [r for r in ["TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF"] if r in members]
    rows = planned.dropna(subset=["cond_power_on"])  # tests on a fresh_unit say nothing
    said = dict(zip(rows["requirement_id"], rows["cond_power_on"], strict=True))
    assert said[order[0]] == "opened for " + ", ".join(order[1:])
    for at, rid in enumerate(order[1:], start=1):
        assert said[rid].startswith("shared with " + ", ".join(order[:at]))
    guests = {rid: text for rid, text in said.items() if rid not in members}
    if case.startswith("rmd1"):
        assert len(guests) >= 15
        assert set(guests.values()) == {"guest on the power-on of " + ", ".join(order)}
    else:  # worked by relays: no guests
        assert set(guests.values()) <= {"own"}
    assert (planned["verdict"] == "PASS").all()


def test_guests_whose_session_ended_measured_again_on_their_own(
    tables: dict[tuple[str, bool], pd.DataFrame],
) -> None:
    planned = tables["rmd1-session_ends_under_the_guests", False]
    said = planned.groupby("requirement_id")["cond_power_on"].agg(set)
    again = [rid for rid, texts in said.items() if len(texts) > 1]
    assert again, "no guest was caught by the session's end"
