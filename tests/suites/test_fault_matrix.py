"""Proof that the compliance suites catch faults: each fault fails exactly its requirements.

The whole compliance suite runs on the simulated bench, once for a good unit and once
per fault of ``harness/sim/faults.py`` at a magnitude that breaks its limits. For each
run the set of requirement ids that did not conform (or were never measured because a
test broke) must equal what the fault's physics breaks: no more (a false alarm is a
defect in the method) and no fewer (a fault that passes is a defect in the suite).
Faults within their limits (``gain=1.05``) must pass everything.

Why each set is what it is, beyond the list in docs/domain.md, section "Faults a real unit
can have":

* ``gain=1.3`` scales every current: every level, the boost level (OUT-BOOST-AMP), the
  absolute maximum (520 uA), the phase charge (65 uC), the average current (260 uA) and
  the over-current self-test's forced current (1040 uA > SAF-OC-PEAK's 1000 uA).
* ``stuck_polarity``: no negative phases, so the "both polarities" amplitude and width
  requirements have nothing to measure, and there is no polarity reversal (WAV-REV).
* ``contact_detect=off``: the unit never suspends, so it never idles off, its session
  timer never pauses, and contact is made with the output already at full swing into
  the open spheres (no soft start, a capacitive spike).
* ``leak_ua=20``: 20 uA of d.c. flows in every state, through every d.c. requirement,
  and the output never falls below the 10 uA that ends an over-current trip.
* ``charger_interlock=off``: stimulation goes on while charging, so the 200 ms windows of
  SAF-CHG-DC see it (LKG-AUX-DC, a whole-cycle mean, does not: stimulation is not
  auxiliary current).
* ``clock_error=0.03``: every device time 3 % short: rates and timers beyond their
  ±1–2 % limits; pulse widths (±5 %), BOOST and idle-off (±5 s of 120 s) still pass.

``reboot_at_s`` is not in the matrix: a restart breaks no requirement but whichever test
runs at that moment, which errors as a device-communication error rather than failing a
limit (tests/suites/test_restart_run.py shows that).

Runtime: one suite run per case, in parallel over the machine's cores, once per test
session. Under pytest-xdist the first worker that needs the matrix computes it while
holding a file lock beside the workers' temporary folders and leaves the results there as
JSON; every other worker waits for the lock and reads them.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from harness.data import RMD1_SPEC

ROOT = Path(__file__).resolve().parents[2]
HIL = [sys.executable, "-m", "harness.cli.main"]

OUT_AMP = {f"OUT-AMP-L{i}" for i in range(1, 6)}
WAV_FREQ = {f"WAV-FREQ-F{i}" for i in range(1, 4)}
WAV_PW = {f"WAV-PW-F{i}" for i in range(1, 4)}

EXPECTED: dict[str, set[str]] = {
    "none": set(),
    "gain=1.05": set(),
    "gain=1.3": OUT_AMP | {"OUT-ABSMAX", "OUT-BOOST-AMP", "WAV-QPH", "WAV-IAVG", "SAF-OC-PEAK"},
    "level_table=80,160,160,320,400": {"OUT-AMP-L3", "OUT-MONO", "COM-STATE"},
    "level_table=80,240,160,320,400": {"OUT-AMP-L2", "OUT-AMP-L3", "OUT-MONO", "COM-STATE"},
    "compliance_v=3": {"OUT-LOAD-10K", "OUT-VCOMP"},
    "stuck_polarity": OUT_AMP | WAV_PW | {"WAV-DC", "WAV-REV"},
    "phase_asymmetry=0.05": {"WAV-DC"},
    "leak_ua=20": {
        "OUT-MIN",
        "WAV-DC",
        "LKG-AUX-DC",
        "SAF-CHG-DC",
        "SAF-NOCONTACT-I",
        "SAF-CHG-INHIBIT",
        "SAF-OC-TRIP",
    },
    "charger_interlock=off": {"SAF-CHG-INHIBIT", "SAF-CHG-MIDSESSION", "SAF-CHG-DC"},
    "ocp=off": {"SAF-OC-TRIP", "SAF-OC-LATCH"},
    "ocp_delay_ms=80": {"SAF-OC-TRIP"},
    "contact_detect=off": {
        "SAF-NOCONTACT-DET",
        "SAF-NOCONTACT-I",
        "SAF-RECONTACT",
        "WAV-OVS",
        "WAV-RAMP",
        "TIM-IDLE-OFF",
        "TIM-SESSION",
    },
    "soft_start=off": {"WAV-RAMP", "WAV-OVS", "SAF-RECONTACT"},
    "clock_error=0.03": WAV_FREQ | {"WAV-REV", "TIM-BEEP", "TIM-SESSION", "TIM-AUTOOFF"},
    "session_s=250": {"TIM-SESSION"},
    "autooff_s=1000": {"TIM-AUTOOFF"},
    "lowbatt_cutoff=off": {"SAF-LOWBAT-CUT", "SAF-LOWBAT-HYST"},
    "boost_unlimited": {"OUT-BOOST", "OUT-ABSMAX"},
    "report_level_offset=1": {"COM-STATE"},
}


Outcome = tuple[set[str], set[str], str]
"""One suite run: (non-conforming ids, measured ids, tail of the log)."""


def _run_suite(fault: str, folder: Path) -> Outcome:
    """Run the whole suite; return (non-conforming ids, measured ids, tail of the log)."""
    args = [
        *HIL,
        "run",
        f"--reports-dir={folder}",
        "--run-id=R",
        "--no-report",
        "--no-allure",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    if fault != "none":
        args.append(f"--sim-fault={fault}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    table = pd.read_parquet(folder / "R" / "results.parquet")
    bad = set(table.loc[~table["verdict"].isin(["PASS", "CONDITIONAL PASS"]), "requirement_id"])
    return bad, set(table["requirement_id"]), done.stdout[-3000:]


def _all_runs(base: Path) -> dict[str, Outcome]:
    workers = max(1, min(len(EXPECTED), os.cpu_count() or 1))
    folders = {f: base / f.replace("=", "_").replace(",", "_") for f in EXPECTED}
    with ThreadPoolExecutor(workers) as pool:
        futures = {f: pool.submit(_run_suite, f, folders[f]) for f in EXPECTED}
        return {f: fut.result() for f, fut in futures.items()}


def _dump(runs: dict[str, Outcome], path: Path) -> None:
    """Write the results as JSON, whole or not at all (a reader never sees half a file)."""
    data = {
        f: {"bad": sorted(b), "measured": sorted(m), "log": log} for f, (b, m, log) in runs.items()
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)


def _load(path: Path) -> dict[str, Outcome]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {f: (set(r["bad"]), set(r["measured"]), r["log"]) for f, r in data.items()}


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """The whole matrix, computed once per test session (also across xdist workers)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return _all_runs(tmp_path_factory.mktemp("fault-matrix"))
    # every worker's basetemp is a folder of this session's own temporary root
    session_root = tmp_path_factory.getbasetemp().parent
    results = session_root / "fault-matrix.json"
    with (session_root / "fault-matrix.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not results.exists():
            _dump(_all_runs(tmp_path_factory.mktemp("fault-matrix")), results)
        return _load(results)


def test_every_requirement_is_measured_on_the_good_unit(runs: dict[str, Outcome]) -> None:
    from harness.judging.spec import load_spec

    spec = load_spec(RMD1_SPEC)
    _, measured, log = runs["none"]
    assert set(spec.requirements) - measured == set(), log


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_fault_fails_exactly_its_requirements(runs: dict[str, Outcome], fault: str) -> None:
    bad, _measured, log = runs[fault]
    expected = EXPECTED[fault]
    assert bad == expected, (
        f"{fault}: unexpected failures {sorted(bad - expected)}, "
        f"missed {sorted(expected - bad)}\n{log}"
    )
