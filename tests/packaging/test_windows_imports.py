"""A Windows bench on Linux CI: the run path imports no POSIX-only module, the PDF may fail.

``windows_like/sitecustomize.py`` refuses ``fcntl``, ``termios``, ``pty`` (and the other
POSIX-only modules) to the harness's own modules and can make WeasyPrint fail to load as
it does without GTK's runtime. Under it ``hil run`` on the simulated bench must pass and
seal its evidence, with ``report.html`` and one line saying there is no PDF. The first
tests show the blocker is not a blocker in name only: a first-party module importing
``fcntl`` at its top (even after a library already loaded it) is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WINDOWS_LIKE = Path(__file__).resolve().parent / "windows_like"
FIRST_PARTY = [ROOT / "harness", ROOT / "pyvisa_hilsim", ROOT / "test_suites"]
HIL = Path(sys.executable).with_name("hil")


def _env(
    first_party: list[Path], *, no_weasyprint: bool = False, no_posix_os: bool = False
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HIL_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(WINDOWS_LIKE), env.get("PYTHONPATH", "")])
    env["HIL_FIRST_PARTY"] = os.pathsep.join(str(p) for p in first_party)
    if no_weasyprint:
        env["HIL_NO_WEASYPRINT"] = "1"
    if no_posix_os:
        env["HIL_NO_POSIX_OS"] = "1"
    return env


def _python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("source", "before"),
    [
        ("import fcntl\n", ""),
        ("import fcntl\n", "import filelock  # a library loads fcntl first (POSIX branch)\n"),
        ("import tty  # what harness/sim/pty_port.py had at its top\n", ""),
        ("from termios import TCSANOW\n", ""),
    ],
)
def test_a_first_party_module_importing_a_posix_module_is_refused(
    tmp_path: Path, source: str, before: str
) -> None:
    package = tmp_path / "labcode"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "uart.py").write_text(source)
    env = _env([package])
    done = _python(f"{before}import labcode.uart\n", env, tmp_path)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "POSIX-only, imported by labcode.uart" in done.stderr


def test_libraries_keep_their_own_posix_branch(tmp_path: Path) -> None:
    # pyserial and filelock import termios/fcntl on Linux themselves: allowed
    done = _python("import serial, filelock, subprocess; print('ok')", _env([tmp_path]), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_harness_modules_a_windows_bench_loads_import_nothing_posix_only(
    tmp_path: Path,
) -> None:
    modules = [
        "harness.cli.main",
        "harness.plugin",
        "harness.bench.station",
        "harness.bench.builtin_models",
        "harness.recording.store.journal",
        "harness.reporting.audit",
        "harness.reporting.evidence",
        "harness.sim.pty_port",
        "harness.sim.serve",
    ]
    done = _python("".join(f"import {m}\n" for m in modules), _env(FIRST_PARTY), tmp_path)
    assert done.returncode == 0, done.stderr


def test_hil_run_passes_and_seals_without_posix_modules_or_pdf(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    command = [str(HIL), "run", "--req", "COM-ID", "--no-allure", "--reports-dir", str(reports)]
    done = subprocess.run(
        [*command, str(ROOT / "test_suites")],
        env=_env(FIRST_PARTY, no_weasyprint=True, no_posix_os=True),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    (run_dir,) = [p for p in reports.iterdir() if p.is_dir()]
    assert (run_dir / "manifest.json").is_file(), output  # sealed
    assert json.loads((run_dir / "run.json").read_text())["status"] == "passed", output
    assert (run_dir / "report.html").is_file()
    assert not (run_dir / "report.pdf").exists()
    said = [line for line in output.splitlines() if "no PDF" in line]
    assert len(said) == 1, output
    assert "WeasyPrint did not load" in said[0] and "docs/windows.md" in said[0]
    assert "Traceback" not in output
    files = {f["path"] for f in json.loads((run_dir / "manifest.json").read_text())["files"]}
    assert "report.html" in files and "report.pdf" not in files
    # the package reads back intact with the same os module (no O_NOFOLLOW, O_NONBLOCK)
    verify = subprocess.run(
        [str(HIL), "verify", str(run_dir)],
        env=_env(FIRST_PARTY, no_posix_os=True),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 3 and "UNSIGNED" in verify.stdout, verify.stdout + verify.stderr
