"""The whole compliance suite on the in-process simulated bench: wall time vs bench time.

Target: under 60 s of wall time on a 2-core machine. The simulated bench runs on a
virtual clock, so the suite's ~50 minutes of bench time (a 20-minute auto-off, a 5-minute
session, battery ramps…) cost only what the model and the instrument protocols cost.

Run: ``.venv/bin/python benchmarks/bench_suite.py`` (add pytest options after it, e.g.
``-k OUT-AMP``). Prints wall time, simulated time, their ratio and the test count.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class BenchClockSpy:
    """Reads the simulated bench's clock when the session ends."""

    def __init__(self) -> None:
        self.bench: object = None
        self.passed = 0
        self.failed = 0

    @pytest.fixture(autouse=True)
    def _keep_bench(self, bench: object) -> None:
        self.bench = bench

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.passed += report.passed
            self.failed += report.failed

    def sim_seconds(self) -> float:
        sim = getattr(self.bench, "sim", None)
        return float(sim.clock.now()) if sim is not None else float("nan")


def main(extra: list[str]) -> int:
    spy = BenchClockSpy()
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "-q",
            "-p",
            "no:cacheprovider",
            f"--rootdir={ROOT}",
            f"--reports-dir={tmp}",
            str(ROOT / "test_suites"),
            *extra,
        ]
        start = time.perf_counter()
        code = pytest.main(args, plugins=[spy])
        wall = time.perf_counter() - start
    sim = spy.sim_seconds()
    print(f"\nwhole suite: {spy.passed} passed, {spy.failed} failed")
    print(f"wall time      {wall:8.1f} s   (target < 60 s on 2 cores)")
    print(f"simulated time {sim:8.1f} s   ({sim / 60:.1f} min of bench time)")
    print(f"speed-up       {sim / wall:8.1f} x  simulated / wall")
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
