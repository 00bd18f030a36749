"""`hil run` on the sim-rigol bench: the compliance suite through the Rigol drivers.

A small selection (OUT-AMP-L*, five captures of 2.2 s) keeps this to a few seconds of
CPU. It must pass, and run.json must show that the Rigol models answered, not the
Keysight ones of the default bench (scope and supply). It runs on the in-process bench
and on sim-rigol-loopback, whose instruments are served on loopback TCP by their models
and reached through pyvisa-py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness

BENCHES = Path(harness.__file__).parent / "data" / "benches"
ROOT = Path(harness.__file__).resolve().parents[1]


@pytest.mark.parametrize("bench", ["sim-rigol", "sim-rigol-loopback"])
def test_output_amplitude_passes_on_the_rigol_bench(tmp_path: Path, bench: str) -> None:
    args = [
        *(sys.executable, "-m", "harness.cli.main", "run"),
        f"--bench={BENCHES / bench}.yaml",
        "--req=OUT-AMP-L*",
        "--no-report",
        "--no-allure",
        f"--reports-dir={tmp_path}",
        "--run-id=RIGOL",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    log = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0, log
    assert "5 passed" in done.stdout, log
    run = json.loads(next(tmp_path.glob("*/run.json")).read_text())
    models = {i["name"]: i["model"] for i in run["instruments"]}
    assert models["scope"] == "RIGOL TECHNOLOGIES DS1054Z", models
    assert models["psu"] == "RIGOL TECHNOLOGIES DP832", models
    resources = {i["name"]: i["resource"] for i in run["instruments"]}
    loopback = resources["scope"].startswith("TCPIP0::127.0.0.1::")
    assert loopback == bench.endswith("loopback"), resources
