"""``hil run`` on the simulated bench as a process of its own, for tests that need a
whole run's folder (its report, its Allure results, its captures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_hil(reports: Path, run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``hil run --reports-dir=REPORTS --run-id=RUN_ID -q ARGS`` from the checkout; the
    run is not a part of this test session, so pytest's own ``PYTEST_*`` variables (an
    xdist worker's, the current test's) are not handed down to it."""
    command = [sys.executable, "-m", "harness.cli.main", "run", f"--reports-dir={reports}",
               f"--run-id={run_id}", "-q", "-p", "no:cacheprovider", *args]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
