"""The wheel works outside the repository.

The harness is built into a wheel from the checkout's files, installed with ``pip
install --no-deps`` into a new virtual environment, and used from a folder outside the
checkout the way a laboratory would use it: a compliance suite of its own, run with
``pytest`` (the plugin comes from the wheel's entry point) and with ``hil run`` on the
default simulated bench, then ``hil verify`` on the evidence packages, unsigned and
signed with a key made by ``hil evidence keygen``.

What the wheel must carry is what the checkout would otherwise lend it: the RMD-1 spec
and the simulated benches (``harness/data``), the report templates, the ``hil`` command
and the ``pytest11`` entry point. So ``harness`` must be imported from the new
environment, never from the checkout.

Speed: installing the third-party dependencies again from PyPI would take minutes, so
the new environment reaches them through a ``.pth`` line naming this environment's
``site-packages``. Such a folder is only appended to ``sys.path`` (its own ``.pth``
files, among them the editable install's finder for the checkout, are not run), after
the new environment's ``site-packages``: ``harness`` and the ``microcurrent-hil``
distribution come from the wheel, and the test proves it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SUITE = '''\
"""A laboratory's own compliance suite: two RMD-1 requirements, the plugin's fixtures."""

import pytest

from harness.procedures.dmm import read_dc_current
from harness.procedures.treatment import conditions_for


@pytest.mark.requirement("COM-ID")
def test_unit_reports_its_identity(measure, dut, fresh_unit, unit_identity):
    reported = dut.identify()
    measure.check(
        "COM-ID",
        bool(reported.model) and reported.serial == unit_identity.serial,
        detail=f"model {reported.model!r}, serial {reported.serial!r}",
        instruments=["dut"],
    )


@pytest.mark.requirement("OUT-MIN")
def test_no_current_while_switched_off(measure, bench, ammeter, spec, fresh_unit):
    c = conditions_for(spec, spec.requirement("OUT-MIN"))
    fresh_unit.power_off()
    bench.select_load(c.load_ohms)
    bench.clock.sleep(0.5)
    reading = read_dc_current(bench, range_a=1e-3, nplc=10.0, count=5)
    assert reading.aperture_s == ammeter.aperture_s
    measure(
        "OUT-MIN",
        abs(reading.mean_a),
        "A",
        uncertainty=reading.budget,
        instruments=["dmm", "switch"],
        conditions={**c.as_record(), "state": "unit off"},
    )
'''


@dataclass(frozen=True)
class Installed:
    venv: Path
    work: Path
    """A folder outside the checkout holding the lab's suite; commands run here."""
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def hil(self) -> Path:
        return self.venv / "bin" / "hil"

    def run(self, *args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _source_files() -> list[Path]:
    """The checkout's files as a clean clone plus the work in progress would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [Path(p) for p in listed.split("\0") if p and (ROOT / p).is_file()]


def _build_wheel(out: Path, scratch: Path) -> Path:
    """``pip wheel`` of a copy of the checkout (a build writes build/ and *.egg-info
    into its source folder; the checkout is shared with other processes)."""
    source = scratch / "source"
    for rel in _source_files():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, source / rel)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("microcurrent_hil-*.whl")
    return wheel


def _clean_env(venv: Path) -> dict[str, str]:
    """This process's environment without what would point back at the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "HIL_", "COV_")) and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.resolve().parents, "the work folder must be outside the checkout"
    wheel = _build_wheel(base / "dist", base)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", where], capture_output=True, text=True, check=True
    ).stdout.strip()
    # third-party packages from this environment, appended after the wheel's own
    (Path(site) / "zz-project-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    work = base / "lab"
    (work / "suite").mkdir(parents=True)
    (work / "suite" / "test_lab_suite.py").write_text(SUITE, encoding="utf-8")
    return Installed(venv=venv, work=work, env=_clean_env(venv))


def test_harness_and_its_data_come_from_the_wheel(installed: Installed) -> None:
    probe = textwrap.dedent(
        """
        import importlib.metadata as md
        import harness
        from harness.data import RMD1_SPEC, SIM_BENCH
        from harness.judging.spec import load_spec
        (plugin,) = [e for e in md.entry_points(group="pytest11") if e.name == "hil"]
        print(harness.__file__)
        print(plugin.load().__file__)
        print(RMD1_SPEC)
        print(SIM_BENCH)
        print(md.distribution("microcurrent-hil").locate_file("harness"))
        print(len(load_spec(RMD1_SPEC).requirements))
        """
    )
    done = installed.run(installed.python, "-c", probe)
    assert done.returncode == 0, done.stderr
    *paths, count = done.stdout.split()
    venv = installed.venv.resolve()
    for path in paths:
        assert venv in Path(path).resolve().parents, f"{path} is not from the wheel: {done.stdout}"
        assert ROOT not in Path(path).resolve().parents, path
    assert int(count) > 0
    assert installed.hil.is_file()
    assert installed.hil.read_text(encoding="utf-8").startswith(f"#!{installed.venv}")


def test_lab_suite_runs_with_pytest(installed: Installed) -> None:
    done = installed.run(
        installed.python, "-m", "pytest", "suite", "-p", "no:cacheprovider",
        "--reports-dir=pytest-reports", "--run-id=PYTEST-RUN", "--trace-config",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout, done.stdout[-4000:]
    # the plugin pytest loaded is the wheel's (its entry point), not the checkout's
    plugins = [
        line
        for line in done.stdout.splitlines()
        if line.startswith("PLUGIN registered: <module 'harness")
    ]
    assert plugins, done.stdout[-4000:]
    assert [line for line in plugins if str(installed.venv) not in line] == [], plugins
    assert (installed.work / "pytest-reports" / "PYTEST-RUN" / "results.parquet").is_file()


def _package(run_dir: Path) -> None:
    for name in ("results.parquet", "run.json", "manifest.json", "audit.log"):
        assert (run_dir / name).is_file(), f"{name} missing: {sorted(os.listdir(run_dir))}"


def test_hil_run_and_verify_unsigned_then_signed(installed: Installed) -> None:
    import pandas as pd

    reports = installed.work / "reports"
    # the default simulated bench (the wheel's package data), a full package with reports
    done = installed.run(installed.hil, "run", "--run-id=LAB-1", "suite")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    _package(reports / "LAB-1")
    assert (reports / "LAB-1" / "report.html").is_file()  # the templates shipped too
    table = pd.read_parquet(reports / "LAB-1" / "results.parquet")
    assert set(table["requirement_id"]) == {"COM-ID", "OUT-MIN"}
    assert set(table["verdict"]) == {"PASS"}

    verify = installed.run(installed.hil, "verify", reports / "LAB-1")
    assert verify.returncode == 3, verify.stdout + verify.stderr  # intact but unsigned

    keygen = installed.run(installed.hil, "evidence", "keygen", "keys/lab.key")
    assert keygen.returncode == 0, keygen.stdout + keygen.stderr
    key = installed.work / "keys" / "lab.key"
    assert key.is_file() and key.with_name("lab.key.pub").is_file()

    signed = installed.run(
        installed.hil, "run", "--run-id=LAB-2", f"--sign-key={key}", "--no-report",
        "--no-allure", "suite",
    )  # fmt: skip
    assert signed.returncode == 0, signed.stdout[-4000:] + signed.stderr[-2000:]
    _package(reports / "LAB-2")
    ok = installed.run(
        installed.hil, "verify", reports / "LAB-2", "--public-key", key.with_name("lab.key.pub")
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout.splitlines()[0], ok.stdout
