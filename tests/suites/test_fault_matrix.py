"""Proof that the compliance suites catch faults: each fault fails exactly its requirements.

The whole compliance suite runs on the simulated bench, once for a good unit and once
per fault of ``harness/sim/faults.py`` at a magnitude that breaks its limits. For each
run the set of requirement ids that did not conform (or were never measured because a
test broke) must equal what the fault's physics breaks: no more (a false alarm is a
defect in the method) and no fewer (a fault that passes is a defect in the suite).
Faults within their limits (``gain=1.05``) must pass everything. Each case runs twice:
in the default, planned order (timers and guests sharing one power-on,
``harness.plugin.test_plan``) and with ``--sequential`` (every test on a power-on of
its own; all but the two faults within their limits); both must fail exactly the same
set. The good unit's sequential run is the whole suite; the faults' sequential runs
measure the requirements the plan moves onto the shared power-on (``SHARED``): the
other tests power the unit on afresh in both orders, and what differs for them (the
scope settings and noise earlier tests left) is covered by the good unit's whole run
and by each test setting up what it reads.

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
  and the output never falls below the 10 uA that ends an over-current trip. Measured
  against zero current, the leak also makes the negative phases 20 uA weaker: level 1's
  80 uA is 60 uA there, under OUT-AMP-L1's 64 uA (levels 2-5 keep their margin).
* ``slew_us=50``: first-order output edges of 50 us, as a real output stage and probe
  give: no RMD-1 number moves beyond its uncertainty, so the unit passes everything; the
  case proves the analysis holds on edges that span many samples.
* ``biphasic_gap_ms=1``: biphasic pairs instead of RMD-1's reversing monophasic pulses:
  each phase is about half RMD-1's width (WAV-PW) and nothing reverses (WAV-REV); the
  pulse rate (one pair is one pulse) and the d.c. component (balanced pairs) conform.
* ``charger_interlock=off``: stimulation goes on while charging, so the 200 ms windows of
  SAF-CHG-DC see it (LKG-AUX-DC, a whole-cycle mean, does not: stimulation is not
  auxiliary current).
* ``clock_error=0.03``: every device time 3 % short: rates and timers beyond their
  ±1–2 % limits; pulse widths (±5 %), BOOST and idle-off (±5 s of 120 s) still pass.

``reboot_at_s`` is not in the matrix: a restart breaks no requirement but whichever test
runs at that moment, which errors as a device-communication error rather than failing a
limit (tests/suites/test_restart_run.py shows that).

Runtime: one ``hil run`` per case (``--no-report --no-allure``: the verdicts are in
``results.parquet``, the report and Allure results prove nothing here), as many at once as
the machine has cores, once per test session. Each run is exactly ``hil run`` in a
process of its own, but a forked copy of one runner process that imported the harness,
pytest, numpy, pandas and pyarrow once, instead of a new interpreter importing them all
again: 21 interpreter starts and imports avoided, nothing shared between the runs but
modules loaded before any run began. ``scripts/test`` runs each test file whole on one
pytest-xdist worker (``--dist loadfile``), so one worker computes the matrix while the
other runs the rest of the tests. Should the tests here be spread over workers, the
first worker that needs the matrix computes it while holding a file lock beside the
workers' temporary folders and leaves the results there as JSON; every other worker
waits for the lock and reads them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from harness.data import RMD1_SPEC

ROOT = Path(__file__).resolve().parents[2]

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
        "OUT-AMP-L1",
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
    "slew_us=50": set(),
    "biphasic_gap_ms=1": WAV_PW | {"WAV-REV"},
    "session_s=250": {"TIM-SESSION"},
    "autooff_s=1000": {"TIM-AUTOOFF"},
    "lowbatt_cutoff=off": {"SAF-LOWBAT-CUT", "SAF-LOWBAT-HYST"},
    "boost_unlimited": {"OUT-BOOST", "OUT-ABSMAX"},
    "report_level_offset=1": {"COM-STATE"},
}


Outcome = tuple[set[str], set[str], str, set[str]]
"""One suite run: (non-conforming ids, measured ids, tail of the log, ids measured on a
shared power-on)."""

GUESTS = ["OUT-AMP-*", "OUT-LOAD-*", "OUT-MONO", "COM-STATE", "WAV-FREQ-*", "WAV-PW-*"]
GUESTS += ["WAV-REV", "WAV-QPH", "WAV-IAVG", "WAV-JRMS", "WAV-PDENS", "WAV-OVS"]
GUESTS += ["OUT-BOOST*", "OUT-LINE"]  # guests that press BOOST or move the battery
GUESTS += ["WAV-DC", "SAF-NOCONTACT-*", "SAF-RECONTACT", "OUT-VCOMP"]  # guests that lift off
SHARED = ["TIM-*", *GUESTS]
"""What the planned order measures on the shared power-on (the timers and their guests):
the tests whose procedure or position the plan changes. Every other test powers the
unit on afresh in both orders, so the faults' sequential reruns select these
(``--req``); ``test_the_sequential_reruns_cover_every_shared_requirement`` keeps the
list true."""
WHOLE = "none"
"""The case whose sequential run is the whole suite."""

pytestmark = pytest.mark.slow

RUNNER = r"""
import importlib, importlib.metadata, json, os, pkgutil, sys, traceback

root, jobs_file, parallel = sys.argv[1], sys.argv[2], int(sys.argv[3])
jobs = json.loads(open(jobs_file, encoding="utf-8").read())
os.chdir(root)
sys.path.insert(0, root)
# what every run imports, loaded once here; each run is a fork of this process
import numpy, pandas, pyarrow.parquet, pytest, sqlalchemy
import pandas.core.arrays.arrow.extension_types
import harness
from harness.cli.main import main
for ep in importlib.metadata.entry_points(group="pytest11"):
    if ep.name == "hil":
        ep.load()
import harness.reporting.evidence  # what every run's seal uses (cryptography, pydantic)
for info in pkgutil.walk_packages(harness.__path__, "harness."):
    if info.name.startswith(("harness.cli.", "harness.reporting.")):
        continue
    try:
        importlib.import_module(info.name)
    except Exception:
        pass  # a module that does not import alone is imported by the run, as usual
sys.stdout.flush()
sys.stderr.flush()
codes, running = {}, {}
while jobs or running:
    while jobs and len(running) < parallel:
        name, args, log = jobs.pop(0)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                code = main(args)
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        running[pid] = name
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
print(json.dumps(codes))
"""
"""Runs ``hil run ARGS`` for each job, ``parallel`` at a time, each in a fork of itself."""


def _run_args(fault: str, folder: Path) -> list[str]:
    args = [
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
    return args


def _outcome(folder: Path, log: Path) -> Outcome:
    """(non-conforming ids, measured ids, tail of the log, ids measured on a shared
    power-on) of one finished run."""
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
    results = folder / "R" / "results.parquet"
    assert results.is_file(), f"{folder.name}: no results.parquet\n{tail}"
    table = pd.read_parquet(results)
    bad = set(table.loc[~table["verdict"].isin(["PASS", "CONDITIONAL PASS"]), "requirement_id"])
    power_on = table.get("cond_power_on", pd.Series(dtype=object)).fillna("own")
    shared = set(table.loc[power_on != "own", "requirement_id"])
    return bad, set(table["requirement_id"]), tail, shared


SEQUENTIAL = " --sequential"
"""The key suffix of a case run in the sequential order (every test on its own power-on)."""
IN_BOTH_ORDERS = [f for f in EXPECTED if f not in ("gain=1.05", "slew_us=50")]
"""Every case but the two faults within their limits (a passing unit in both orders is
``none``'s): the suite's time on two cores is bounded. The sequential reruns measure the
``SHARED`` requirements: the others are measured alike in both orders."""


def _all_runs(base: Path) -> dict[str, Outcome]:
    """Every case in the default (planned) order and again with ``--sequential``."""
    workers = max(1, min(len(EXPECTED), os.cpu_count() or 1))
    cases = [*EXPECTED, *(f + SEQUENTIAL for f in IN_BOTH_ORDERS)]
    folders = {c: base / c.replace("=", "_").replace(",", "_").replace(" --", "-") for c in cases}
    logs = {c: folders[c].with_name(folders[c].name + ".log") for c in cases}
    only_shared = [f"--req={pattern}" for pattern in SHARED]
    jobs = [
        [
            c,
            [
                *_run_args(c.removesuffix(SEQUENTIAL), folders[c]),
                *c.split(" ")[1:],
                *(only_shared if c.endswith(SEQUENTIAL) and c != WHOLE + SEQUENTIAL else []),
            ],
            str(logs[c]),
        ]
        for c in cases
    ]
    jobs_file = base / "jobs.json"
    jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
    # no pytest-xdist or pytester settings of this session leak into the runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # the plugin runs BLAS on one thread anyway; so does the runner before it forks
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(ROOT), str(jobs_file), str(workers)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
    )
    assert done.returncode == 0, f"fault-matrix runner failed:\n{done.stdout}\n{done.stderr}"
    return {c: _outcome(folders[c], logs[c]) for c in cases}


def _dump(runs: dict[str, Outcome], path: Path) -> None:
    """Write the results as JSON, whole or not at all (a reader never sees half a file)."""
    data = {
        f: {"bad": sorted(b), "measured": sorted(m), "log": log, "shared": sorted(s)}
        for f, (b, m, log, s) in runs.items()
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)


def _load(path: Path) -> dict[str, Outcome]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        f: (set(r["bad"]), set(r["measured"]), r["log"], set(r["shared"])) for f, r in data.items()
    }


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """The whole matrix, computed once per test session (also across xdist workers)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return _all_runs(tmp_path_factory.mktemp("fault-matrix"))
    # every worker's basetemp is a folder of this session's own temporary root
    session_root = tmp_path_factory.getbasetemp().parent
    results = session_root / "fault-matrix.json"
    with FileLock(session_root / "fault-matrix.lock"):
        if not results.exists():
            _dump(_all_runs(tmp_path_factory.mktemp("fault-matrix")), results)
        return _load(results)


def test_every_requirement_is_measured_on_the_good_unit(runs: dict[str, Outcome]) -> None:
    from harness.judging.spec import load_spec

    spec = load_spec(RMD1_SPEC)
    _, measured, log, _shared = runs["none"]
    assert set(spec.requirements) - measured == set(), log


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_fault_fails_exactly_its_requirements(runs: dict[str, Outcome], fault: str) -> None:
    bad, _measured, log, _shared = runs[fault]
    expected = EXPECTED[fault]
    assert bad == expected, (
        f"{fault}: unexpected failures {sorted(bad - expected)}, "
        f"missed {sorted(expected - bad)}\n{log}"
    )


@pytest.mark.parametrize("fault", IN_BOTH_ORDERS)
def test_the_sequential_order_fails_the_same_requirements(
    runs: dict[str, Outcome], fault: str
) -> None:
    """The plan (timers and guests on one shared power-on, ``harness.plugin.test_plan``)
    changes when things are measured, never what a unit is found to be: with every test
    on a power-on of its own, each fault fails exactly the same requirements (of those
    the plan measures on the shared power-on, ``SHARED``)."""
    bad, measured, log, _shared = runs[fault + SEQUENTIAL]
    expected = EXPECTED[fault] & measured
    assert bad == expected, f"{fault}{SEQUENTIAL}: {sorted(bad ^ expected)}\n{log}"


def test_the_sequential_reruns_cover_every_shared_requirement(runs: dict[str, Outcome]) -> None:
    """Whatever the planned good run measured on the shared power-on, the sequential
    reruns measured too (a new guest missing from ``SHARED`` fails here)."""
    _bad, measured, log, shared = runs[WHOLE]
    _bad, whole, _log, _shared = runs[WHOLE + SEQUENTIAL]
    assert len(shared) >= 20, log
    assert whole == measured, f"the good unit's sequential run is the whole suite\n{log}"
    _bad, rerun, _log, _shared = runs["ocp_delay_ms=80" + SEQUENTIAL]  # SHARED only
    assert rerun < measured, "a fault's sequential rerun measures SHARED, not everything"
    assert shared - rerun == set(), f"not rerun sequentially: {sorted(shared - rerun)}"
