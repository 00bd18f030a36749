"""``hil batch``: a production lot of simulated units, each tested by a full ``hil run``.

Statistics about a process (first-pass yield, Cp/Cpk, control charts: see
``harness.reporting.stats``) need many units, not one. On a real line an operator
connects unit after unit and runs the suites on each; ``hil batch N`` does the same with
simulated units ``RMD1-SIM-0001`` … ``RMD1-SIM-000N``:

* each unit is a **separate run**: its own run id, its own ``reports/<run-id>/``, its own
  run record, exactly as ``hil run --serial <serial>`` makes it (it *is* that command, in
  a fresh Python process, so one unit's state can never leak into the next);
* all runs go into **one results store**, where ``hil stats`` finds them;
* with spread on (the default) each unit is a different unit: its serial's analog
  properties are drawn by ``harness.sim.unit_spread`` and handed to the run as explicit
  ``--sim-fault`` values, so the run record lists what the unit was simulated with, and
  a fault given on the command line or in the bench file wins over the drawn value.

The batch prints one line per unit and a final yield line, and keeps each unit's console
output and a ``batch.json`` summary in ``<reports>/batches/<batch-id>/``. Exit status 0
when every unit passed, 1 when any did not, 2 on an input error.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.data import SIM_BENCH
from harness.errors import InputError
from harness.judging.names import check_prefix

DEFAULT_BENCH = SIM_BENCH
DEFAULT_REPORTS = Path("reports")
DEFAULT_PREFIX = "RMD1-SIM-"


@dataclass(frozen=True)
class UnitResult:
    """One unit's run: how it ended and which requirements it did not meet."""

    serial: str
    run_id: str
    exit_code: int
    status: str
    failed_requirements: tuple[str, ...]
    seconds: float
    sim_faults: tuple[str, ...] = ()
    cpu_seconds: float | None = None
    """User + system CPU time of the unit's process: unlike wall time, not inflated
    when the machine is busy with other work (None where ``os.wait4`` is missing)."""

    @property
    def passed(self) -> bool:
        return self.status == "passed" and not self.failed_requirements


@dataclass
class BatchResult:
    """Every unit of the batch, in serial order, and the wall time of the whole batch."""

    batch_id: str
    units: list[UnitResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(u.passed for u in self.units)

    @property
    def yield_fraction(self) -> float:
        """Passed units / units; each unit is tested once, so this is first-pass yield."""
        return self.passed / len(self.units) if self.units else 0.0

    def summary_line(self) -> str:
        n = len(self.units)
        per_unit = self.seconds / n if n else 0.0
        cpus = [u.cpu_seconds for u in self.units if u.cpu_seconds is not None]
        cpu = f", {sum(cpus) / len(cpus):.1f} s CPU/unit" if cpus else ""
        failed = [u.serial for u in self.units if not u.passed]
        line = (
            f"batch {self.batch_id}: {n} units in {_duration(self.seconds)} "
            f"({per_unit:.1f} s/unit{cpu}): {self.passed} passed, {len(failed)} failed; "
            f"yield {100.0 * self.yield_fraction:.1f} %"
        )
        return line + (f" (failed: {', '.join(failed)})" if failed else "")


def unit_serials(count: int, prefix: str = DEFAULT_PREFIX, start: int = 1) -> list[str]:
    """``prefix`` + four-digit numbers: RMD1-SIM-0001, RMD1-SIM-0002, …"""
    if count < 1:
        raise InputError("--units", "units", "a number of units >= 1", got=count)
    return [f"{prefix}{number:04d}" for number in range(start, start + count)]


def spread_faults(bench_path: Path, serial: str, explicit: Sequence[str]) -> list[str]:
    """The unit's drawn spread as fault texts, minus the knobs explicit faults set.

    ``explicit`` is what the operator gave; the bench file's own faults count as
    explicit too. The lot is the bench file's simulation seed.
    """
    from harness.definitions.bench_file import load_bench
    from harness.sim.unit_spread import draw_unit, fault_names

    sim = load_bench(bench_path).document.simulation
    if sim is None:
        raise InputError(bench_path, "simulation", "a simulated bench for unit spread")
    taken = fault_names([*sim.faults, *explicit], source="--sim-fault")
    return draw_unit(serial, sim.seed).fault_texts(skip=taken)


def run_unit(
    serial: str,
    *,
    bench: Path,
    reports_dir: Path,
    store: str,
    faults: Sequence[str],
    log_dir: Path,
    pytest_args: Sequence[str] = (),
) -> UnitResult:
    """Run ``hil run --serial <serial>`` in a fresh process and read its outcome back."""
    from harness.plugin.run import new_run_id

    run_id = new_run_id()
    command = [
        sys.executable, "-m", "harness.cli.main", "run",
        f"--bench={bench}", f"--serial={serial}", f"--run-id={run_id}",
        f"--reports-dir={reports_dir}", f"--store={store}",
        *(f"--sim-fault={f}" for f in faults),
        "-q", *pytest_args,
    ]  # fmt: skip
    started = time.perf_counter()
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{serial}.log").open("w", encoding="utf-8") as log:
        log.write(shlex.join(command) + "\n")
        log.flush()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        exit_code, cpu = _wait(process)
    seconds = time.perf_counter() - started
    status, failed = _outcome(reports_dir / run_id)
    return UnitResult(serial, run_id, exit_code, status, failed, seconds, tuple(faults), cpu)


def run_batch(
    count: int,
    *,
    bench: Path = DEFAULT_BENCH,
    reports_dir: Path = DEFAULT_REPORTS,
    store: str | None = None,
    spread: bool = True,
    faults: Sequence[str] = (),
    prefix: str = DEFAULT_PREFIX,
    start: int = 1,
    jobs: int = 1,
    pytest_args: Sequence[str] = (),
    echo: Callable[[str], None] | None = None,
) -> BatchResult:
    """Test ``count`` simulated units, ``jobs`` at a time (1: one after another)."""
    from harness.plugin.run import new_run_id

    echo = echo or _print
    if jobs < 1:
        raise InputError("--jobs", "jobs", "a number of parallel runs >= 1", got=jobs)
    check_prefix(prefix, source="--prefix", field="serial prefix")
    serials = unit_serials(count, prefix, start)
    store_url = store or str(reports_dir / "results.db")
    plans = {s: [*faults, *(spread_faults(bench, s, faults) if spread else [])] for s in serials}
    result = BatchResult(batch_id=f"batch-{new_run_id()}")
    log_dir = reports_dir / "batches" / result.batch_id
    width = len(str(count))

    def one(serial: str) -> UnitResult:
        return run_unit(
            serial, bench=bench, reports_dir=reports_dir, store=store_url,
            faults=plans[serial], log_dir=log_dir, pytest_args=pytest_args,
        )  # fmt: skip

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for index, unit in enumerate(pool.map(one, serials), start=1):
            result.units.append(unit)
            echo(f"[{index:>{width}}/{count}] {_unit_line(unit)}")
    result.seconds = time.perf_counter() - started
    echo(result.summary_line())
    summary = {**asdict(result), "store": store_url, "bench": str(bench), "spread": spread}
    (log_dir / "batch.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return result


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hil batch``; ``args.func(args)`` runs it."""
    p = subparsers.add_parser("batch", help="test N simulated units, one run each, one store")
    p.add_argument("units", type=int, help="number of units (serials PREFIX0001…)")
    p.add_argument("--bench", default=str(DEFAULT_BENCH), help="simulated bench file")
    p.add_argument("--reports-dir", default=str(DEFAULT_REPORTS), help="reports folder")
    p.add_argument("--store", help="results store (default: <reports-dir>/results.db)")
    p.add_argument("--prefix", default=DEFAULT_PREFIX, help="serial prefix")
    p.add_argument("--start", type=int, default=1, help="number of the first serial")
    p.add_argument("--no-spread", action="store_true", help="every unit nominal")
    p.add_argument(
        "--sim-fault",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a fault every unit of the batch has, on top of its own spread (repeatable; "
        "`hil sim faults` lists them)",
    )
    p.add_argument("--jobs", type=int, default=1, help="units tested at once (default 1)")
    p.add_argument(
        "--pytest-args",
        default="",
        help="extra arguments for each unit's `hil run` (its options or pytest's), one string",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``hil batch``: 0 when every unit passed, 1 otherwise (input errors raise)."""
    result = run_batch(
        args.units,
        bench=Path(args.bench),
        reports_dir=Path(args.reports_dir),
        store=args.store,
        spread=not args.no_spread,
        faults=list(args.sim_fault),
        prefix=args.prefix,
        start=args.start,
        jobs=args.jobs,
        pytest_args=shlex.split(args.pytest_args),
    )
    return 0 if result.passed == len(result.units) else 1


def _outcome(run_dir: Path) -> tuple[str, tuple[str, ...]]:
    """The run's status and its non-conforming requirements, from the run's own folder.

    ``run.json`` and ``results.parquet`` are the bench's copy of the run, written from
    its own journal: they are complete even while a central database is away.
    """
    import pandas as pd

    conforming = {"PASS", "CONDITIONAL PASS"}
    try:
        status = str(json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["status"])
        verdicts = pd.read_parquet(
            run_dir / "results.parquet", columns=["requirement_id", "verdict"]
        )
    except (OSError, ValueError, KeyError):
        return "no run", ()
    failed = set(verdicts.loc[~verdicts["verdict"].isin(conforming), "requirement_id"])
    return status, tuple(sorted(str(r) for r in failed))


def _wait(process: subprocess.Popen[bytes]) -> tuple[int, float | None]:
    """Wait for the process; its exit code and CPU seconds (user + system)."""
    if not hasattr(os, "wait4"):
        return process.wait(), None
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def _unit_line(unit: UnitResult) -> str:
    cpu = "" if unit.cpu_seconds is None else f" ({unit.cpu_seconds:.1f} s CPU)"
    text = f"{unit.serial}  {unit.run_id}  {unit.status:<11} {unit.seconds:6.1f} s{cpu}"
    if unit.failed_requirements:
        text += "  non-conforming: " + ", ".join(unit.failed_requirements)
    elif not unit.passed or unit.exit_code != 0:
        text += f"  (exit {unit.exit_code}; see the unit's log)"
    return text


def _print(line: str) -> None:
    print(line, flush=True)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"
