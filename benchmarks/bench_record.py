"""Cost of recording through the harness versus bare pytest asserting the same limits.

Two generated suites of N parametrised tests, one measurement each, run side by side in
one invocation of this script (each in its own pytest process, so both pay the same
start-up):

* bare: ``assert 320 <= value <= 480`` with the plugin disabled (``-p no:hil``);
* harness: ``measure("OUT-AMP-L5", value, uncertainty=budget)``, which converts units,
  builds the uncertainty budget, applies the guarded decision rule, validates the
  measurement schema and commits it to the SQLite store before returning.

Prints wall time, per-measurement time, the harness/bare ratio (target <= 1.3) and the
10k/1k ratio (target <= 11: linear in N). Run: ``.venv/bin/python benchmarks/bench_record.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.data import SIM_BENCH

ROOT = Path(__file__).resolve().parents[1]
# Bytecode caching on, as on an ordinary workstation: with PYTHONDONTWRITEBYTECODE set
# (as on some CI images) every run recompiles every module it imports, which measures the
# environment, not the harness. Both sides run under the same environment.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

BARE = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_m(i):
    value = 400.0 + (i % 7)
    assert 320.0 <= value <= 480.0
"""

HARNESS = """
import pytest
from harness.judging.uncertainty import UncertaintyBudget

@pytest.mark.requirement("OUT-AMP-L5")
@pytest.mark.parametrize("i", range({n}))
def test_m(i, measure):
    value = 400.0 + (i % 7)
    budget = UncertaintyBudget().add_accuracy("dmm", value, 0.05, 0.025, 1000.0)
    measure("OUT-AMP-L5", value, "uA", uncertainty=budget, instruments=["dmm"])
"""

CONFTEST = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity():
    return UnitIdentity(model="RMD-1", serial="BENCH-1", firmware="1.4.2", hardware="C")
"""


def run(kind: str, n: int, workdir: Path) -> float:
    folder = workdir / f"{kind}_{n}"
    folder.mkdir()
    (folder / "test_gen.py").write_text((BARE if kind == "bare" else HARNESS).format(n=n))
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)]
    if kind == "bare":
        args += ["-p", "no:hil"]
    else:
        (folder / "conftest.py").write_text(CONFTEST)
        args += [
            f"--bench={SIM_BENCH}",
            f"--reports-dir={folder / 'reports'}",
        ]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or f"{n} passed" not in done.stdout:
        raise SystemExit(f"{kind} N={n} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    sizes = (1_000, 10_000)
    times: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for kind in ("bare", "harness"):
                times[kind, n] = run(kind, n, Path(tmp))
    print(
        f"{'N':>7} {'bare s':>8} {'harness s':>10} {'bare ms/m':>10} {'harn ms/m':>10} {'ratio':>6}"
    )
    for n in sizes:
        bare, harness = times["bare", n], times["harness", n]
        print(
            f"{n:>7} {bare:8.2f} {harness:10.2f} {bare / n * 1e3:10.3f} "
            f"{harness / n * 1e3:10.3f} {harness / bare:6.2f}"
        )
    for kind in ("bare", "harness"):
        growth = times[kind, 10_000] / times[kind, 1_000]
        print(f"{kind}: 10k/1k time ratio {growth:.2f} (target <= 11)")
    worst = max(times["harness", n] / times["bare", n] for n in sizes)
    print(f"harness/bare wall-time ratio, worst: {worst:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
