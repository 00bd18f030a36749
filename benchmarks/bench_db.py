"""Rows per second into the results store with two benches writing at once.

Two writer processes (two benches) each begin a run and append the same realistic
``Measurement`` rows, one committed transaction per row as during a real run, starting
together. Printed per backend: total rows/s over both writers and the mean time of one
``append``. Backends:

* ``sqlite``: the embedded store, both writers on one WAL file (``durability="normal"``);
* ``postgresql``: a central PostgreSQL database (``--postgres URL``, default
  ``$HIL_TEST_POSTGRES_URL``; start one with ``export "$(bash scripts/postgres)"``);
* ``postgresql+journal``: the same through ``BufferedStore`` (the fsynced local journal
  a production bench writes first; rows/s is the rate the run sees, the time until the
  server has every row is printed too).

Run: ``.venv/bin/python benchmarks/bench_db.py [--rows 2000] [--postgres URL]``.
Note that ``scripts/postgres`` runs its server with ``fsync=off``: a production server's
commits cost one disk flush more.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import os, socket, sys, time
from datetime import timedelta
from pathlib import Path
from harness.recording.record import Measurement, RunRecord, utc_now
from harness.recording.store.results_store import ResultsStore
from harness.recording.store.journal import BufferedStore
kind, url, run_id, rows, start_at, journal = sys.argv[1:7]
rows, start_at = int(rows), float(start_at)
store = (BufferedStore.open(url, Path(journal)) if kind == "postgresql+journal"
         else ResultsStore.open(url))
t0 = utc_now()
store.begin_run(RunRecord(
    run_id=run_id, bench_id="bench-2", station="line-1", operator="qa", spec_id="RMD1",
    spec_version="1.0", spec_sha256="ab" * 32, harness_version="0.1.0",
    python_version="3.11", started_at=t0, host=socket.gethostname(), pid=os.getpid()))
measurements = [Measurement(
    run_id=run_id, seq=seq, requirement_id="OUT-AMP-L5",
    test_id=f"test_suites/test_output_current.py::test_amplitude[level5-load{seq % 3}k]",
    quantity="output_current", value=400.0 + seq % 7, unit="uA",
    expanded_uncertainty=2.1, nominal=400.0, lower_limit=320.0, upper_limit=480.0,
    decision_rule="guarded", verdict="pass", conditions={"load": "2 kOhm", "level": "5"},
    instruments=["dmm", "scope"], attachments=[], note="",
    taken_at=t0 + timedelta(milliseconds=seq)) for seq in range(1, rows + 1)]
time.sleep(max(0.0, start_at - time.time()))
begin = time.perf_counter()
for m in measurements:
    store.append(m)
appended = time.perf_counter() - begin
if kind == "postgresql+journal":
    while not store.flush():
        time.sleep(0.01)
uploaded = time.perf_counter() - begin
store.finish_run(run_id, "passed", utc_now())
store.close()
print(appended, uploaded)
"""


def bench(kind: str, url: str, rows: int, journal: Path) -> tuple[float, float, float]:
    """(rows/s the runs saw, µs per append, seconds until the server had every row)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start_at = time.time() + 2.0  # both writers import and connect before the start
    tag = secrets.token_hex(3)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                kind,
                url,
                f"bench-{tag}-{i}",
                str(rows),
                str(start_at),
                str(journal / str(i)),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"{kind}: writer failed")
        appended, uploaded = map(float, out.split())
        results.append((appended, uploaded))
    wall = max(a for a, _ in results)
    per_append = sum(a for a, _ in results) / (2 * rows)
    return 2 * rows / wall, per_append * 1e6, max(u for _, u in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows per writer")
    parser.add_argument("--postgres", default=os.environ.get("HIL_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("sqlite", str(Path(tmp) / "results.db"))]
        if args.postgres:
            runs += [("postgresql", args.postgres), ("postgresql+journal", args.postgres)]
        else:
            print("postgresql: skipped (no --postgres URL or HIL_TEST_POSTGRES_URL)")
        print(f"2 concurrent writers x {args.rows} rows, one transaction per row")
        for kind, url in runs:
            rate, per_append, uploaded = bench(kind, url, args.rows, Path(tmp))
            extra = f", all on the server after {uploaded:.2f} s" if "journal" in kind else ""
            print(f"{kind:20} {rate:9.0f} rows/s   {per_append:7.0f} µs per append{extra}")


if __name__ == "__main__":
    main()
