"""Every speed figure of issue 15, each beside what it is compared with, in one run.

Each figure is measured side by side with its comparison in this one invocation (the two
sides interleaved round by round, under the same environment) and printed with its
target and OK or MISSED. Whole-process figures run each side as its own process, with
bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed, as in ``bench_record.py``).
Each figure is the best (least) of several rounds (5 for start-up, 3 for the 1,000
measurements, 2 for the whole suite and the 10,000 tests; ``--rounds``,
``--suite-rounds``), with the median beside it: on a shared machine the best round is
the one least disturbed by others.

1. **Bench time per unit**: the simulated (virtual) clock of the simulated bench when
   the whole RMD-1 suite has run, read as ``bench_suite.py`` reads it
   (``bench.sim.clock.now()``) by a probe plugin loaded with ``-p`` into the ``hil run``
   processes of figure 1's wall times (it takes the session's ``bench`` from the tests'
   fixture values, so it opens nothing and changes no test's fixtures). Target <= 24 min
   (the issue put the floor at about 22: the 20-minute auto-off and the 2-minute
   idle-off; on RMD-1 it is about 23.9, as one power-on gives one 300 s session and
   the tests that need a power-on of their own or the charger take ~1.9 min,
   docs/domain.md). Beside it,
   the whole suite's wall time as a whole ``hil run`` process with default options
   (report, PDF, Allure results, seal; only ``--reports-dir`` in a temporary folder and
   the probe added; target <= 8 s), with ``--no-report --no-allure`` (sealed, no report,
   no Allure) and with ``--no-allure``; for the best run of the first two, where its wall
   time went (``timeline``: start-up to ``run.json`` ``started_at``, the tests to
   ``ended_at``, then results, report.html, PDF, seal, process exit).
2. **Start-up to the first test**: from ``time.time()`` in this script just before
   ``Popen`` to ``time.time()`` written by the probe at the first ``pytest_runtest_call``,
   of ``hil run --no-report --no-allure -k test_unit_reports_its_identity`` (the bench is
   opened by then; target <= 0.6 s). Beside it, bare pytest (``python -m pytest -p
   no:hil``, the same probe, one trivial generated test; the venv's other pytest plugins
   still load) and OpenHTF 1.6.3 with one measurement (to ``time.time()`` written at the
   start of its phase).
3. **Per measurement**: 1,000 measurements in one test through ``measure`` (the
   measurement of ``bench_record.py``: unit conversion, uncertainty budget, guarded
   decision, schema, committed to the SQLite store before ``measure`` returns), whole
   pytest process wall, versus OpenHTF's 1,000 measurements (``in_range`` validators) in
   one phase, whole process wall, no output callback; target ratio <= 1.0. Beside them,
   the same test with one measurement (its difference from 1,000, over 999, is the cost
   of a measurement) and bare pytest asserting 1,000 values in one test with the plugin
   off (no row recorded anywhere: what any pytest process costs), and the floor of
   ``floor_harness.py``: the same 1,000 values through a 20-line conftest that commits
   one SQLite row each and does nothing else, the least a pytest harness keeping each
   row durable costs (its ratio to OpenHTF is printed with the same target). And one
   measurement per test at 10,000 tests, ``bench_record.py``'s generated suites (its
   templates, imported), harness versus bare pytest, target ratio <= 1.2, with the
   floor's 10,000 tests beside them (``--quick`` skips all three). The harness's
   pytest processes here are plain ``python -m pytest`` with the plugin, as in
   ``bench_record.py``; every side gets ``-p no:hypothesispytest`` (as ``hil run``
   does: the dev venv's hypothesis plugin is no cost of either side).
4. **Evidence package per unit**, target <= 2 s, three ways. The issue's list (report,
   PDF, seal): the whole-suite wall of ``hil run --no-allure`` minus that of
   ``--no-report --no-allure`` (figure 1's third side; the seal is in both:
   ``--no-report`` still seals). With Allure's results too: figure 1's default run minus
   the same. And the run's own figure, from its files: ``run.json`` ``ended_at`` (the
   tests are over) to the audit log's ``manifest-built`` entry (sealed), split at the
   modification times of ``run.json`` (results.parquet exported), ``report.html`` and
   ``report.pdf``. Beside them, the CPU time of each side's whole process tree (the
   process and every process it waited for: ``RUSAGE_CHILDREN`` before and after): with
   the evidence the run keeps both cores busy, so a wall difference is about half the
   evidence's CPU, and it grows when the tests alone get cheaper.
5. **Loopback block read vs raw socket**: ``bench_io.py``'s 1M-point block read
   (``waveform_loopback``, imported): ``ScpiLink.query_block`` from a canned server over
   a raw socket-to-socket copy of the same bytes, medians of 21 reads a side taken in
   alternating batches; target >= 0.7.

OpenHTF is not installed into ``.venv`` (it would change ``cryptography``): on first use
this script makes ``.venv/openhtf-1.6.3/`` (``python -m venv``, ``pip install
openhtf==1.6.3``) and runs the OpenHTF scripts with that interpreter; if that fails the
OpenHTF figures say "not available" and the rest goes on.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--quick] [--rounds N]
[--suite-rounds N]`` (about 3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench_record import BARE, CONFTEST, ENV, HARNESS
from floor_harness import FLOOR_CONFTEST, FLOOR_MANY_TESTS, FLOOR_ONE_TEST

from harness.data import SIM_BENCH

ROOT = Path(__file__).resolve().parents[1]
HIL = Path(sys.executable).with_name("hil")
OPENHTF_VERSION = "1.6.3"
OPENHTF_VENV = ROOT / ".venv" / f"openhtf-{OPENHTF_VERSION}"
OPENHTF_PYTHON = OPENHTF_VENV / "bin" / "python"
PROBE_ENV = "HIL_SPEED_PROBE"  # where the probe writes, as PROBE spells it
FIRST_TEST = "test_unit_reports_its_identity"

# Loaded with -p into every pytest process whose start-up or bench time is read. It
# writes <prefix>.first (time.time() at the first test's call) and <prefix>.sim (the
# simulated bench's clock at the end, if a test had the session's bench).
PROBE = """
import os
import time

import pytest

_first = True
_bench = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    global _first, _bench
    if _first:
        _first = False
        with open(os.environ["HIL_SPEED_PROBE"] + ".first", "w") as out:
            out.write(repr(time.time()))
    funcargs = getattr(item, "funcargs", {})
    if funcargs.get("bench") is not None:
        _bench = funcargs["bench"]


def pytest_unconfigure(config):
    sim = getattr(_bench, "sim", None)
    if sim is not None:
        with open(os.environ["HIL_SPEED_PROBE"] + ".sim", "w") as out:
            out.write(repr(float(sim.clock.now())))
"""

TRIVIAL = """
def test_one():
    assert 1 + 1 == 2
"""

BARE_ONE_TEST = """
def test_m():
    for i in range({n}):
        value = 400.0 + (i % 7)
        assert 320.0 <= value <= 480.0
"""

HARNESS_ONE_TEST = """
import pytest
from harness.judging.uncertainty import UncertaintyBudget

@pytest.mark.requirement("OUT-AMP-L5")
def test_m(measure):
    for i in range({n}):
        value = 400.0 + (i % 7)
        budget = UncertaintyBudget().add_accuracy("dmm", value, 0.05, 0.025, 1000.0)
        measure("OUT-AMP-L5", value, "uA", uncertainty=budget, instruments=["dmm"])
"""

# OpenHTF as its documentation and examples write it: measurements declared with
# @htf.measures, set through test.measurements, test.execute(test_start=...). No output
# callback, no station server; its console banner is switched off.
OPENHTF_SCRIPT = """
import sys
import time

import openhtf as htf
from openhtf.util import console_output

console_output.CLI_QUIET = True
N = int(sys.argv[1])


@htf.measures(*[htf.Measurement(f"m{{i}}").in_range(320.0, 480.0) for i in range(N)])
def phase(test):
    with open(sys.argv[2], "w") as out:
        out.write(repr(time.time()))
    for i in range(N):
        test.measurements[f"m{{i}}"] = 400.0 + (i % 7)


def main():
    passed = htf.Test(phase).execute(test_start=lambda: "SN-{{}}".format(N))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
"""


@dataclass
class Samples:
    """Seconds of each round of one figure."""

    values: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str = "s") -> str:
        if len(self.values) == 1:
            return f"{self.best:7.3f} {unit}"
        return f"{self.best:7.3f} {unit} (median {self.median:.3f})"


def verdict(value: float, target: float, *, at_least: bool = False) -> str:
    ok = value >= target if at_least else value <= target
    return "OK" if ok else "MISSED"


def target_text(value: float, target: float, unit: str = "", *, at_least: bool = False) -> str:
    sign = ">=" if at_least else "<="
    return f"target {sign} {target:g}{unit}  {verdict(value, target, at_least=at_least)}"


class Workspace:
    """A temporary folder holding the probe, generated suites and each run's reports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.counter = 0
        probe_dir = root / "probe"
        probe_dir.mkdir()
        (probe_dir / "hil_speed_probe.py").write_text(PROBE)
        self.env = dict(ENV)
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(probe_dir), ENV.get("PYTHONPATH", "")) if p
        )

    def fresh(self, name: str) -> Path:
        self.counter += 1
        folder = self.root / f"{self.counter:03d}-{name}"
        folder.mkdir()
        return folder


@dataclass
class Run:
    wall_s: float
    to_first_s: float | None
    sim_s: float | None
    folder: Path
    began: float  # time.time() just before Popen
    ended: float  # time.time() when the process had exited
    cpu_s: float = 0.0  # user + system of the process and every process it waited for


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_process(
    ws: Workspace, args: Sequence[str], cwd: Path, folder: Path, *, expect: str | None = None
) -> Run:
    """One whole process: wall, start to the probe's first test call, simulated clock."""
    prefix = folder / "probe"
    first, sim = prefix.with_suffix(".first"), prefix.with_suffix(".sim")
    first.unlink(missing_ok=True)
    sim.unlink(missing_ok=True)
    env = {**ws.env, PROBE_ENV: str(prefix)}
    t0 = time.time()
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    t_end = time.time()
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0 or (expect is not None and expect not in out):
        raise SystemExit(
            f"{' '.join(args)} failed (exit {proc.returncode}):\n{out[-2000:]}\n{err[-2000:]}"
        )
    return Run(
        wall_s=wall,
        to_first_s=float(first.read_text()) - t0 if first.exists() else None,
        sim_s=float(sim.read_text()) if sim.exists() else None,
        folder=folder,
        began=t0,
        ended=t_end,
        cpu_s=cpu,
    )


def run_openhtf(ws: Workspace, script: Path, n: int) -> Run:
    """OpenHTF with `n` measurements in one phase; to_first_s is to the phase's start."""
    folder = ws.fresh(f"openhtf-{n}")
    stamp = folder / "phase-start"
    t0 = time.time()
    start = time.perf_counter()
    done = subprocess.run(
        [str(OPENHTF_PYTHON), str(script), str(n), str(stamp)],
        cwd=folder,
        env=ws.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    t_end = time.time()
    if done.returncode != 0:
        raise SystemExit(f"OpenHTF N={n} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return Run(wall, float(stamp.read_text()) - t0, None, folder, t0, t_end)


def openhtf_available() -> str | None:
    """None when OpenHTF 1.6.3 runs from its own venv (made on first use), else why not."""
    check = [
        str(OPENHTF_PYTHON),
        "-c",
        "import importlib.metadata as m, openhtf; print(m.version('openhtf'))",
    ]

    def installed() -> bool:
        if not OPENHTF_PYTHON.exists():
            return False
        done = subprocess.run(check, capture_output=True, text=True, env=ENV)
        return done.returncode == 0 and done.stdout.strip() == OPENHTF_VERSION

    if installed():
        return None
    print(
        f"bench_speed: installing openhtf=={OPENHTF_VERSION} into {OPENHTF_VENV} "
        "(once; about 20 s)",
        file=sys.stderr,
        flush=True,
    )
    steps = [
        [sys.executable, "-m", "venv", str(OPENHTF_VENV)],
        [str(OPENHTF_PYTHON), "-m", "pip", "install", "-q", f"openhtf=={OPENHTF_VERSION}"],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{' '.join(step[:3])}: {error}"
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("WARNING")]
            return f"{' '.join(step[1:4])} failed: {' '.join(lines[-2:])[:300]}"
    return None if installed() else f"openhtf {OPENHTF_VERSION} does not import after install"


def hil_command(*options: str) -> list[str]:
    base = [str(HIL)] if HIL.exists() else [sys.executable, "-m", "harness.cli"]
    return [*base, "run", *options, "-p", "hil_speed_probe"]


def pytest_command(folder: Path, *, harness: bool) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
        "-p",
        "hil_speed_probe",
        str(folder),
    ]
    if harness:
        (folder / "conftest.py").write_text(CONFTEST)
        args += [f"--bench={SIM_BENCH}", f"--reports-dir={folder / 'reports'}"]
    else:
        args += ["-p", "no:hil"]
    return args


def generated(ws: Workspace, name: str, source: str) -> Path:
    folder = ws.fresh(name)
    (folder / "test_gen.py").write_text(source)
    return folder


def floor_suite(ws: Workspace, name: str, source: str) -> Path:
    """A generated suite run by ``floor_harness``'s conftest instead of the plugin."""
    folder = generated(ws, name, source)
    (folder / "conftest.py").write_text(FLOOR_CONFTEST)
    return folder


def alternate(rounds: int, *sides: Callable[[], Run]) -> list[list[Run]]:
    """Run the sides in turn, round after round: the same load falls on each."""
    results: list[list[Run]] = [[] for _ in sides]
    for _ in range(rounds):
        for i, side in enumerate(sides):
            results[i].append(side())
    return results


def walls(runs: list[Run]) -> Samples:
    return Samples([r.wall_s for r in runs])


def firsts(runs: list[Run]) -> Samples:
    return Samples([r.to_first_s for r in runs if r.to_first_s is not None])


def _utc(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def timeline(run: Run) -> dict[str, float] | None:
    """Where one ``hil run`` process's wall time went, from the run's own files.

    ``start`` (process start to ``run.json`` ``started_at``), ``tests`` (to ``ended_at``),
    ``results`` (``results.parquet`` and ``run.json`` written: their modification time),
    ``report.html`` and ``PDF`` (theirs, when written), ``seal`` (to the audit log's
    ``manifest-built`` entry), ``exit`` (to the process's end); ``evidence`` is
    ``ended_at`` to ``manifest-built``. None when the files do not say.
    """
    run_dir = run_dir_of(run.folder)
    try:
        record = json.loads((run_dir / "run.json").read_text())
        audit = [json.loads(line) for line in (run_dir / "audit.log").read_text().splitlines()]
        started, ended = _utc(record["started_at"]), _utc(record["ended_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    built = [e["time"] for e in audit if e.get("action") == "manifest-built"]
    if not built:
        return None
    sealed = _utc(built[-1])
    steps = {"start": started - run.began, "tests": ended - started}
    last = ended
    for name, file in (
        ("results", "run.json"),
        ("report.html", "report.html"),
        ("PDF", "report.pdf"),
    ):
        path = run_dir / file
        if path.exists():
            steps[name] = path.stat().st_mtime - last
            last = path.stat().st_mtime
    steps["seal"] = sealed - last
    steps["exit"] = run.ended - sealed
    steps["evidence"] = sealed - ended
    return steps


def timeline_text(steps: dict[str, float] | None) -> str:
    if steps is None:
        return "(no run.json/audit.log timestamps)"
    return " + ".join(f"{k} {v:.2f}" for k, v in steps.items() if k != "evidence") + " s"


def run_dir_of(folder: Path) -> Path:
    """The one run folder `hil run --reports-dir=<folder>/reports` wrote."""
    reports = folder / "reports"
    dirs = [d for d in reports.iterdir() if d.is_dir() and (d / "run.json").exists()]
    if len(dirs) != 1:
        raise SystemExit(f"expected one run folder in {reports}, found {dirs}")
    return dirs[0]


def loopback_ratio() -> dict[str, float]:
    """bench_io.py's 1M-point block read over loopback (its own function)."""
    import pyvisa
    from bench_io import waveform_loopback

    from harness.instruments.visa import open_scpi
    from harness.sim.bench import SimBench
    from harness.sim.server import serve_instruments

    sim = SimBench(seed=1)
    served = serve_instruments(sim, roles=("scope",))
    manager = pyvisa.ResourceManager("@py")
    try:
        link = open_scpi(served.resources["scope"], name="scope", resource_manager=manager)
        return waveform_loopback(link, sim, manager)
    finally:
        manager.close()
        served.stop()


def ratio_line(label: str, side: Samples, against: Samples, names: str, target: float) -> None:
    """``side``'s line, with its best over ``against``'s best and that ratio's target."""
    ratio = side.best / against.best
    line(label, side.text(), f"{names} {ratio:.2f}  {target_text(ratio, target)}")


def line(label: str, value: str, comparison: str = "") -> None:
    print(f"  {label:<52} {value:<26} {comparison}".rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-test figure")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the small figures")
    parser.add_argument(
        "--suite-rounds", type=int, default=2, help="rounds of each whole-suite run"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    per_rounds = max(1, args.rounds - 2)
    why_not_htf = openhtf_available()
    print(
        f"bench_speed: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f}; best of {args.rounds} (start-up), {per_rounds} (1,000 "
        f"measurements), {args.suite_rounds} (whole suites, 10,000 tests), median beside it"
    )
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        ws = Workspace(Path(tmp))
        htf_script = ws.root / "openhtf_measure.py"
        htf_script.write_text(OPENHTF_SCRIPT)

        # 1 and 4: the whole suite, with and without the evidence, interleaved
        def suite(*options: str) -> Callable[[], Run]:
            def side() -> Run:
                folder = ws.fresh("suite")
                command = hil_command(f"--reports-dir={folder / 'reports'}", *options)
                return run_process(ws, command, ROOT, folder)

            return side

        with_evidence, report_only, without = alternate(
            args.suite_rounds, suite(), suite("--no-allure"), suite("--no-report", "--no-allure")
        )

        # 2: start-up to the first test
        trivial = generated(ws, "trivial", TRIVIAL)

        def hil_first() -> Run:
            folder = ws.fresh("first")
            options = (f"--reports-dir={folder / 'reports'}", "--no-report", "--no-allure")
            return run_process(ws, hil_command(*options, "-k", FIRST_TEST), ROOT, folder)

        def bare_first() -> Run:
            return run_process(ws, pytest_command(trivial, harness=False), trivial, trivial)

        start_sides = [hil_first, bare_first]
        if why_not_htf is None:
            start_sides.append(lambda: run_openhtf(ws, htf_script, 1))
        start_runs = alternate(args.rounds, *start_sides)

        # 3: per measurement
        def harness_1000() -> Run:
            folder = generated(ws, "measure-1000", HARNESS_ONE_TEST.format(n=1000))
            return run_process(
                ws, pytest_command(folder, harness=True), folder, folder, expect="1 passed"
            )

        def harness_1() -> Run:
            folder = generated(ws, "measure-1", HARNESS_ONE_TEST.format(n=1))
            return run_process(
                ws, pytest_command(folder, harness=True), folder, folder, expect="1 passed"
            )

        def bare_1000() -> Run:
            folder = generated(ws, "assert-1000", BARE_ONE_TEST.format(n=1000))
            return run_process(
                ws, pytest_command(folder, harness=False), folder, folder, expect="1 passed"
            )

        def floor_1000() -> Run:
            folder = floor_suite(ws, "floor-1000", FLOOR_ONE_TEST.format(n=1000))
            return run_process(
                ws, pytest_command(folder, harness=False), folder, folder, expect="1 passed"
            )

        per_sides = [harness_1000, harness_1, bare_1000, floor_1000]
        if why_not_htf is None:
            per_sides.append(lambda: run_openhtf(ws, htf_script, 1000))
        per_runs = alternate(per_rounds, *per_sides)

        many_runs: list[list[Run]] = []
        many = 10_000
        if not args.quick:

            def per_test(kind: str) -> Callable[[], Run]:
                def side() -> Run:
                    template = {"bare": BARE, "harness": HARNESS, "floor": FLOOR_MANY_TESTS}
                    source = template[kind].format(n=many)
                    if kind == "floor":
                        folder = floor_suite(ws, f"{kind}-{many}", source)
                    else:
                        folder = generated(ws, f"{kind}-{many}", source)
                    command = pytest_command(folder, harness=kind == "harness")
                    return run_process(ws, command, folder, folder, expect=f"{many} passed")

                return side

            many_runs = alternate(
                args.suite_rounds, per_test("bare"), per_test("harness"), per_test("floor")
            )

        # 5: loopback, in this process (bench_io's own function)
        loop = loopback_ratio()

        # ---- print -------------------------------------------------------------------
        print("\n1. Bench time per unit (RMD-1 suite on the simulated bench)")
        sims = sorted({round(r.sim_s, 3) for r in with_evidence + without if r.sim_s})
        if sims:
            minutes = sims[0] / 60
            if len(sims) > 1:
                minutes = sims[-1] / 60
                print(f"  (the simulated clock differed between runs: {sims}; the largest)")
            line(
                "simulated clock at the end of the suite",
                f"{minutes:7.1f} min",
                f"{target_text(minutes, 24, ' min')}  (floor ~23.9: docs/domain.md, Timers)",
            )
        else:
            line("simulated clock at the end of the suite", "not read (no test had the bench)")
        full, lean = walls(with_evidence), walls(without)
        reported = walls(report_only)
        line(
            "hil run, whole suite (report, PDF, Allure, seal)",
            full.text(),
            target_text(full.best, 8, " s"),
        )
        full_best = min(with_evidence, key=lambda r: r.wall_s)
        print(f"    its best run: {timeline_text(timeline(full_best))}")
        line(
            "hil run --no-report --no-allure, whole suite",
            lean.text(),
            f"with/without {full.best / lean.best:.2f}",
        )
        lean_best = min(without, key=lambda r: r.wall_s)
        print(f"    its best run: {timeline_text(timeline(lean_best))}")
        line("hil run --no-allure, whole suite", reported.text(),
             f"with/without {reported.best / lean.best:.2f}")  # fmt: skip

        print("\n2. Start-up to the first test (process start -> first test's call)")
        hil_s, bare_s = firsts(start_runs[0]), firsts(start_runs[1])
        line(
            "hil run --no-report --no-allure -k <first test>",
            hil_s.text(),
            target_text(hil_s.best, 0.6, " s"),
        )
        line("  (the same processes, whole, wall)", walls(start_runs[0]).text())
        line(
            "bare pytest -p no:hil, one trivial test",
            bare_s.text(),
            f"hil/bare {hil_s.best / bare_s.best:.1f}x",
        )
        if why_not_htf is None:
            htf_s = firsts(start_runs[2])
            line(
                f"OpenHTF {OPENHTF_VERSION}, one measurement (to its phase)",
                htf_s.text(),
                f"hil/OpenHTF {hil_s.best / htf_s.best:.1f}x",
            )
        else:
            print(f"  OpenHTF: not available ({why_not_htf})")

        print("\n3. Per measurement (whole processes, wall)")
        harness_k = walls(per_runs[0])
        line("harness: 1,000 measurements in one test (measure)", harness_k.text())
        harness_one, bare_k = walls(per_runs[1]), walls(per_runs[2])
        per_m = (harness_k.best - harness_one.best) / 999 * 1e3
        line("harness: 1 measurement in one test", harness_one.text(),
             f"so {per_m:.3f} ms a measurement beyond the first")  # fmt: skip
        line("bare pytest -p no:hil: 1,000 asserts in one test", bare_k.text(),
             "(no measurement recorded: the floor of a pytest process)")  # fmt: skip
        floor_k = walls(per_runs[3])
        line("floor (floor_harness.py): 1,000 durable rows in one test", floor_k.text(),
             "(pytest + one committed sqlite3 row a value; nothing else)")  # fmt: skip
        if why_not_htf is None:
            htf_k = walls(per_runs[4])
            ratio = harness_k.best / htf_k.best
            line(
                f"OpenHTF {OPENHTF_VERSION}: 1,000 measurements in one phase",
                htf_k.text(),
                f"harness/OpenHTF {ratio:.2f}  {target_text(ratio, 1.0)}",
            )
            ratio = floor_k.best / htf_k.best
            line("  the floor against OpenHTF", f"{ratio:7.2f}",
                 f"floor/OpenHTF  {target_text(ratio, 1.0)}")  # fmt: skip
        else:
            print(f"  OpenHTF: not available ({why_not_htf})")
        if many_runs:
            bare_m, harness_m = walls(many_runs[0]), walls(many_runs[1])
            line(f"bare pytest: {many:,} tests, one assert each", bare_m.text())
            ratio_line(f"harness: {many:,} tests, one measure each", harness_m, bare_m,
                       "harness/bare", 1.2)  # fmt: skip
            per = f"{harness_m.best / many * 1e3:.3f} / {bare_m.best / many * 1e3:.3f} ms"
            line("  per test, harness / bare", per)
            ratio_line(f"floor (floor_harness.py): {many:,} tests, one durable row each",
                       walls(many_runs[2]), bare_m, "floor/bare", 1.2)  # fmt: skip
        else:
            line(f"one measurement per test at {many:,}", "skipped (--quick)")

        print("\n4. Evidence package per unit (the seal is in every run: --no-report seals)")
        diff = reported.best - lean.best
        line(
            "report, PDF, seal: --no-allure - without (best - best)",
            f"{diff:7.3f} s",
            f"{target_text(diff, 2, ' s')}  (the issue's list)",
        )
        diff = full.best - lean.best
        line(
            "report, PDF, Allure, seal: default - without",
            f"{diff:7.3f} s",
            target_text(diff, 2, " s"),
        )
        sides = (("default", with_evidence), ("--no-allure", report_only), ("without", without))
        cpu = {name: statistics.median(r.cpu_s for r in runs) for name, runs in sides}
        print("    CPU of the whole process tree (median, s): "
              + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
              + f"; {os.cpu_count()} CPUs")  # fmt: skip
        steps = [t for t in (timeline(r) for r in with_evidence) if t]
        if steps:
            evidence = Samples([t["evidence"] for t in steps])
            line(
                "in the run: tests ended -> sealed (its files)",
                evidence.text(),
                f"{target_text(evidence.best, 2, ' s')}  (Allure's per-test files not in it)",
            )
            best = timeline(full_best) or {}
            parts = ("results", "report.html", "PDF", "seal")
            split = ", ".join(f"{k} {best[k]:.2f}" for k in parts if k in best)
            print(f"    in the best whole-suite run (s): {split}")
        else:
            line("in the run", "no run.json/audit.log timestamps found")

        print("\n5. Loopback 1M-point block read (bench_io.waveform_loopback, medians of 21)")
        ratio = loop["canned_mb_s"] / loop["raw_mb_s"]
        line(
            "ScpiLink.query_block, canned server (I/O only)",
            f"{loop['canned_mb_s']:7.1f} MB/s",
            f"/ raw {ratio:.2f}  {target_text(ratio, 0.7, at_least=True)}",
        )
        line("raw socket to socket, same bytes", f"{loop['raw_mb_s']:7.1f} MB/s")
        line("  from the simulated scope (producing each reply)", f"{loop['block_mb_s']:7.1f} MB/s")
    print(f"\nbench_speed: {time.perf_counter() - began:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
