"""Shared helpers of the evidence tests: one real run folder, copies of it, ``hil verify``.

Not a conftest (other reporting tests share this folder): the test modules import the
fixtures they need from here. The real run is made once per session, by ``hil run`` on
the simulated bench in a subprocess (pytest inside pytest would share plugin state),
and every test works on its own copy of it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import verify as verify_cmd
from harness.reporting import evidence, signing

ROOT = Path(__file__).resolve().parents[2]
RUN_ID = "EVIDENCE-TEST"
_made: dict[str, Path] = {}


def real_run(factory: pytest.TempPathFactory) -> Path:
    """``reports/<run-id>/`` of one real simulated run, made on first use."""
    if "run" not in _made:
        reports = factory.mktemp("evidence-reports")
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli.main", "run", "-q", "--no-report",
             "--reports-dir", str(reports), "--run-id", RUN_ID,
             str(ROOT / "test_suites" / "test_output_current.py"), "-k", "peak_current"],
            cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        run_dir = reports / RUN_ID
        assert (run_dir / "results.parquet").is_file(), done.stdout + done.stderr
        # `hil run` seals its folder; these tests start from the folder as pytest left it
        for sealed_file in ("audit.log", "manifest.json", "manifest.sig", "results.csv"):
            (run_dir / sealed_file).unlink(missing_ok=True)
        _made["run"] = run_dir
    return _made["run"]


@pytest.fixture
def run_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A private, unsealed copy of the real run folder (same folder name)."""
    return Path(shutil.copytree(real_run(tmp_path_factory), tmp_path / RUN_ID))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A fresh Ed25519 private key (its public key is ``key_file.pub``)."""
    path = tmp_path / "keys" / "lab.key"
    signing.generate_key(path)
    return path


@pytest.fixture
def sealed(run_copy: Path) -> Path:
    """The run copy, sealed without a signature by operator ``alice``."""
    evidence.seal_run(run_copy, actor="alice")
    return run_copy


@pytest.fixture
def signed(run_copy: Path, key_file: Path) -> Path:
    """The run copy, sealed and signed with ``key_file``."""
    evidence.seal_run(run_copy, actor="alice", key_file=key_file)
    return run_copy


def hil(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Run ``hil verify|evidence ...`` through the module's own parser; (status, lines)."""
    parser = argparse.ArgumentParser(prog="hil")
    verify_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status = args.func(args)
    return status, capsys.readouterr().out.splitlines()
