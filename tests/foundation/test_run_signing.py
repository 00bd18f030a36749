"""A bench that names its laboratory's trust file signs every run it seals.

Before: unsigned was the default for every run and ``--sign-key /nonexistent`` ran the
whole suite, exited 0 and left no manifest. Now a bench file's ``lab:`` names the trust
file; its ``signing_key`` signs each package and must be loadable before the bench opens,
and ``hil verify --lab`` then says OK (exit 0) only for what that key sealed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.reporting import signing

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = str(ROOT / "test_suites" / "test_identity.py")


def _lab_bench(folder: Path, *, make_key: bool = True) -> Path:
    """A copy of the simulated bench beside a trust file pinning (and signing with) a key."""
    keys = folder / "keys"
    if make_key:
        signing.generate_key(keys / "lab.key")
    else:
        keys.mkdir(parents=True)
        other = folder / "elsewhere" / "other.key"
        signing.generate_key(other)
        (keys / "lab.key.pub").write_bytes(other.with_name("other.key.pub").read_bytes())
    (folder / "lab.yaml").write_text(
        "schema_version: 1\n"
        "laboratory: {name: Example Test Lab, address: 1 Example Road}\n"
        "signing_key: keys/lab.key\n"
        "trusted_keys:\n"
        "  - {name: lab, public_key: keys/lab.key.pub, valid_from: 2020-01-01}\n"
    )
    text = SIM_BENCH.read_text().replace(
        "spec: ../specs/rmd1.yaml", f"spec: {RMD1_SPEC}\n  lab: lab.yaml"
    )
    assert "lab: lab.yaml" in text
    bench = folder / "bench.yaml"
    bench.write_text(text)
    return bench


def test_a_bench_with_a_lab_file_signs_and_verify_says_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _lab_bench(tmp_path)
    reports = tmp_path / "reports"
    run = ["run", f"--bench={bench}", f"--reports-dir={reports}", "--run-id=S1"]
    assert main([*run, "--no-allure", "--no-report", IDENTITY]) == 0
    manifest = json.loads((reports / "S1" / "manifest.json").read_text())
    public = signing.load_public_key(tmp_path / "keys" / "lab.key.pub")
    assert manifest["signature"]["public_key_fingerprint"] == signing.fingerprint(public)
    capsys.readouterr()
    assert main(["verify", str(reports / "S1"), f"--lab={tmp_path / 'lab.yaml'}"]) == 0
    assert capsys.readouterr().out.startswith("hil verify: OK")


def test_a_lab_file_whose_signing_key_is_missing_stops_the_run_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _lab_bench(tmp_path, make_key=False)
    reports = tmp_path / "reports"
    code = main(["run", f"--bench={bench}", f"--reports-dir={reports}", "--no-allure", IDENTITY])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "lab.yaml" in err and "signing_key" in err, err
    assert not reports.exists()
