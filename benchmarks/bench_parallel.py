"""A production line on the simulated bench: 8 units with 1 bench, then with 2 in parallel.

What a line manager asks: how much faster does a second bench make the line? Each unit
goes through the whole compliance suite with `hil run`, exactly as on a real line (its
own run id, results, compliance report and sealed evidence package). With 1 worker the
8 units are tested one after the other; with 2 workers two benches test two units at
once (`hil run --workers 2 --bench-pool harness/data/benches/pool-sim.yaml --serials A,B`,
one round per pair, as an operator swaps two units). Target: speed-up at least 1.6 on a
2-core machine. The rounds keep what a real line pays too: process start-up per round
and the unit's reports.

Then the results database: rows per second with 2 concurrent writers (two benches)
into the embedded store and into PostgreSQL, measured side by side in the same run
(`benchmarks/bench_db.py` does the writing; it also explains the method).

Run: ``.venv/bin/python benchmarks/bench_parallel.py [--units 8] [--no-report]
[--postgres URL]`` (PostgreSQL defaults to ``$HIL_TEST_POSTGRES_URL``; start one with
``export "$(bash scripts/postgres)"``). ``--line-store URL`` sends the line's own
results to that store instead of each round's embedded one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.data import SIM_POOL

ROOT = Path(__file__).resolve().parents[1]
POOL = SIM_POOL
sys.path.insert(0, str(Path(__file__).parent))

import bench_db  # noqa: E402  (a sibling script, not a package)


def run_line(units: int, workers: int, reports: Path, options: list[str]) -> float:
    """Wall seconds to test ``units`` simulated units, ``workers`` at a time."""
    serials = [f"RMD1-SIM-{n:04d}" for n in range(1, units + 1)]
    started = time.perf_counter()
    for first in range(0, units, workers):
        batch = serials[first : first + workers]
        command = [sys.executable, "-m", "harness.cli.main", "run", f"--reports-dir={reports}"]
        if len(batch) == 1:
            command.append(f"--serial={batch[0]}")
        else:
            command += [f"--workers={len(batch)}", f"--bench-pool={POOL}",
                        f"--serials={','.join(batch)}"]  # fmt: skip
        done = subprocess.run(
            [*command, *options, "-q"], cwd=ROOT, capture_output=True, text=True, timeout=1800
        )
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}")
    return time.perf_counter() - started


def count_runs(reports: Path) -> int:
    """Units whose run folder holds a sealed evidence package (or at least results)."""
    return sum(1 for d in reports.iterdir() if (d / "results.parquet").is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=8)
    parser.add_argument("--no-report", action="store_true", help="no compliance report PDFs")
    parser.add_argument("--line-store", help="results store URL for the line's runs")
    parser.add_argument("--rows", type=int, default=2000, help="rows per writer (database)")
    parser.add_argument("--postgres", default=os.environ.get("HIL_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    options = ["--no-allure"] + (["--no-report"] if args.no_report else [])
    if args.line_store:
        options.append(f"--store={args.line_store}")

    print(f"{args.units} simulated units, whole compliance suite each, {os.cpu_count()} cores")
    seconds: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            reports = Path(tmp) / f"line-{workers}"
            reports.mkdir()
            seconds[workers] = run_line(args.units, workers, reports, options)
            tested = count_runs(reports)
            if tested != args.units:
                raise SystemExit(f"{workers} worker(s): only {tested} units have results")
            print(f"  {workers} worker(s): {seconds[workers]:7.1f} s  "
                  f"({seconds[workers] / args.units:5.1f} s per unit)")  # fmt: skip
        speedup = seconds[1] / seconds[2]
        verdict = "met" if speedup >= 1.6 else "NOT met"
        print(f"  speed-up with 2 workers: {speedup:.2f}  (target >= 1.6: {verdict})")

        print(f"results database, 2 concurrent writers x {args.rows} rows, one commit per row")
        kinds = [("embedded (SQLite WAL)", "sqlite", str(Path(tmp) / "results.db"))]
        if args.postgres:
            kinds.append(("PostgreSQL", "postgresql", args.postgres))
        else:
            print("  PostgreSQL: skipped (no --postgres URL or HIL_TEST_POSTGRES_URL)")
        for label, kind, url in kinds:
            rate, per_append, _ = bench_db.bench(kind, url, args.rows, Path(tmp))
            print(f"  {label:22} {rate:8.0f} rows/s  ({per_append:5.0f} µs per append)")


if __name__ == "__main__":
    main()
