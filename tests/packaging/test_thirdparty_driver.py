"""A laboratory's own scope model, from its own package, used by ``hil run``.

``thirdparty_scope/`` is such a package (its ``pyproject.toml`` registers
``"Acme OEM DSOX1204G"`` under ``microcurrent_hil.instruments``). Its entry points are
made visible without installing it: the ``dist-info`` pip would write, made from its
``pyproject.toml``, and its source folder on ``PYTHONPATH`` of the ``hil`` process. A
bench file naming the model then runs, opens Acme's driver (it logs that it did) and
seals its evidence; without the package the same bench file is refused before anything
is opened, with the installed models listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from entry_point_support import dist_info_from_pyproject
from test_entry_points import SCOPE, THIRD_PARTY, sim_bench_with

ROOT = Path(__file__).resolve().parents[2]
HIL = Path(sys.executable).with_name("hil")


def _hil_run(bench: Path, reports: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(HIL), "run", "--bench", str(bench), "--req", "COM-ID", "--no-report"]
    return subprocess.run(
        [*command, "--no-allure", "--reports-dir", str(reports), str(ROOT / "test_suites")],
        env=env,
        cwd=bench.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_hil_run_uses_a_scope_model_from_another_package(tmp_path: Path) -> None:
    bench = sim_bench_with(tmp_path, scope=SCOPE)
    site = tmp_path / "site"
    dist_info_from_pyproject(THIRD_PARTY, site)
    log = tmp_path / "acme.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HIL_"))}
    env["ACME_HIL_SCOPE_LOG"] = str(log)

    without = _hil_run(bench, tmp_path / "refused", env)
    assert without.returncode == 2, without.stdout + without.stderr
    assert "an installed instrument model, one of: " in without.stderr
    assert "Traceback" not in without.stdout + without.stderr
    assert not log.exists()

    env["PYTHONPATH"] = os.pathsep.join([str(site), str(THIRD_PARTY)])
    done = _hil_run(bench, tmp_path / "reports", env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert log.read_text(encoding="utf-8").splitlines() == [
        "opened scope at TCPIP0::scope.sim::5025::SOCKET"
    ]
    (run_dir,) = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    assert (run_dir / "manifest.json").is_file(), output
    assert json.loads((run_dir / "run.json").read_text())["status"] == "passed"
