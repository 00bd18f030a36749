"""Sealed stays sealed: rebuilding a report inside a sealed package amends it, on the record.

``hil report compliance`` and ``hil report allure`` used to rewrite files of a sealed
package and leave it failing verification with no word said. Now each change to a sealed
package is one operation: check it is intact, change, record who/when/why in the audit
trail, re-seal (re-sign when a key is at hand), and ``hil verify`` lists the amendment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from test_evidence_support import hil

from harness.cli import report as report_cmd
from harness.errors import InputError
from harness.plugin.evidence import finish_evidence
from harness.reporting import audit, evidence, signing
from harness.reporting.amend import amend_package

pytest_plugins = ["test_evidence_support"]  # fixtures: run_copy, key_file, signed, sealed


def report(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="hil")
    report_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *argv])
    status = args.func(args)
    out, err = capsys.readouterr()
    return status, out, err


def _add_note(run_dir: Path) -> None:
    (run_dir / "notes.txt").write_text("probe re-seated\n")


def test_amending_records_who_when_why_and_stays_verifiable(signed, key_file, capsys):
    before = hashlib.sha256((signed / "manifest.json").read_bytes()).hexdigest()
    done = amend_package(signed, actor="bob", reason="operator note added",
                         key_file=key_file, change=lambda: _add_note(signed))  # fmt: skip
    assert done.signed_by == signing.fingerprint(signing.load_private_key(key_file).public_key())
    assert done.now_unsigned is None
    entry = [e for e in audit.read_chain(signed) if e.action == "amended"][-1]
    assert entry.actor == "bob" and entry.details["reason"] == "operator note added"
    assert entry.details["added"] == ["notes.txt"]
    assert entry.details["changed"] == entry.details["removed"] == []
    assert entry.details["previous_manifest_sha256"] == before
    assert evidence.read_manifest(signed).audit_head.seq == entry.seq  # type: ignore[union-attr]
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(signed), "--public-key", str(public)], capsys)
    assert status == 0, lines
    assert any(line.startswith("note: amended by bob") and "operator note added" in line
               for line in lines), lines  # fmt: skip
    status, lines = hil(["verify", str(signed), "--format", "json"], capsys)
    [amendment] = json.loads("\n".join(lines))["amendments"]
    assert amendment["who"] == "bob" and amendment["why"] == "operator note added"
    assert amendment["added"] == ["notes.txt"] and amendment["when"].endswith("Z")


def test_amending_without_the_key_says_the_package_is_now_unsigned(signed, capsys):
    done = amend_package(signed, actor="bob", reason="note", change=lambda: _add_note(signed))
    assert done.signed_by is None
    assert done.now_unsigned and "unsigned" in done.now_unsigned.lower()
    assert hil(["verify", str(signed)], capsys)[0] == 3


def test_a_tampered_package_is_not_amended(sealed):
    (sealed / "run.json").write_text("{}")
    called = []
    with pytest.raises(InputError, match="intact"):
        amend_package(sealed, actor="bob", reason="x", change=lambda: called.append(1))
    assert called == []


def test_report_compliance_on_a_sealed_package_keeps_it_verifiable(signed, key_file, capsys):
    argv = ["compliance", str(signed), "--sign-key", str(key_file),
            "--reason", "lab name corrected", "--actor", "carol"]  # fmt: skip
    status, out, err = report(argv, capsys)
    assert status == 0, err
    assert str(signed / "report.pdf") in out
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(signed), "--public-key", str(public)], capsys)
    assert status == 0, lines
    assert any("amended by carol" in line and "lab name corrected" in line for line in lines)
    html = (signed / "report.html").read_text()
    assert "to be sealed and signed with key sha256:" in html


def test_report_compliance_without_a_key_on_a_signed_package_warns(signed, capsys):
    status, out, err = report(["compliance", str(signed)], capsys)
    assert status == 0, err
    assert "unsigned" in (out + err).lower()
    chain = audit.read_chain(signed)
    assert chain[-2].action == "amended" and "hil report compliance" in chain[-2].details["reason"]
    assert hil(["verify", str(signed)], capsys)[0] == 3  # intact, origin no longer proven
    assert "UNSIGNED" in (signed / "report.html").read_text()


def _fake_allure(tmp_path: Path) -> Path:
    script = tmp_path / "fake-allure"
    script.write_text(
        "#!/bin/sh\n"  # generate RESULTS --config CFG -o OUT
        'mkdir -p "$6" && printf "<!DOCTYPE html><html><body>r</body></html>" > "$6/index.html"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_report_allure_on_a_sealed_package_keeps_it_verifiable(
    sealed, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("HIL_ALLURE", str(_fake_allure(tmp_path)))
    status, _out, err = report(["allure", str(sealed), "--actor", "dave"], capsys)
    assert status == 0, err
    assert (sealed / "allure-report.html").is_file()
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 3, lines  # intact (unsigned): not FAILED
    assert any("amended by dave" in line and "hil report allure" in line for line in lines)


def test_late_seal_is_recorded_as_such(run_copy, capsys):
    assert hil(["evidence", "seal", str(run_copy), "--actor", "erin"], capsys)[0] == 0
    first = audit.read_chain(run_copy)[0]
    assert first.action == "sealed-late" and first.actor == "erin"
    assert "without a seal" in str(first.details["note"])
    status, lines = hil(["verify", str(run_copy)], capsys)
    assert status == 3
    assert any(line.startswith("note: sealed late by erin") for line in lines), lines


def test_a_seal_at_the_end_of_a_run_is_not_late(run_copy):
    evidence.seal_run(run_copy, actor="alice")
    assert audit.read_chain(run_copy)[0].action == "run-completed"
    evidence.seal_run(run_copy, actor="alice", late=True)  # already sealed: a re-seal
    assert [e.action for e in audit.read_chain(run_copy)][2:] == ["resealed", "manifest-built"]
    assert os.path.exists(run_copy / "manifest.json")


def test_a_run_finished_with_a_lab_file_is_signed_and_its_report_says_so(
    run_copy, key_file, tmp_path, capsys
):
    lab = tmp_path / "lab.yaml"
    lab.write_text(
        "schema_version: 1\n"
        "laboratory: {name: Example Test Lab, address: 1 Example Road}\n"
        "signing_key: keys/lab.key\n"
        "trusted_keys: [{name: lab, public_key: keys/lab.key.pub}]\n"
    )
    finish_evidence(run_copy, report=True, actor="alice", lab_file=lab)
    html = (run_copy / "report.html").read_text()
    fingerprint = signing.fingerprint(signing.load_private_key(key_file).public_key())
    assert f"to be sealed and signed with key {fingerprint}" in html
    assert "Example Test Lab" in html and "1 Example Road" in html
    status, lines = hil(["verify", str(run_copy), "--lab", str(lab)], capsys)
    assert status == 0, lines
