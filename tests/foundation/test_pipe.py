"""``hil run | head``: the reader leaving does not end the run, nor hide its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_whose_reader_leaves_still_measures_and_seals(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "harness.cli.main", "run", f"--reports-dir={tmp_path}",
        "--run-id=P1", "--no-report", "--no-allure", "-p", "no:cacheprovider",
        str(ROOT / "test_suites" / "test_identity.py"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # `| head -1`: the reader is gone after one line
    err = process.stderr.read()
    assert process.wait(timeout=120) == 0, err
    assert first.startswith("hil: run P1")
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    run = json.loads((tmp_path / "P1" / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "passed"
    assert (tmp_path / "P1" / "manifest.json").is_file()
