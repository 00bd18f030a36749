"""Ed25519 signatures of the manifest: a good key verifies, a wrong key says so."""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess

import pytest
from test_evidence_support import hil

from harness.cli import verify as verify_cmd
from harness.errors import InputError
from harness.reporting import evidence, signing

pytest_plugins = ["test_evidence_support"]  # fixtures: run_copy, key_file, signed, sealed


def _problems(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith(("note:", "hil verify:"))]


def test_good_signature_verifies_with_the_given_public_key(signed, key_file, capsys):
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(signed), "--public-key", str(public)], capsys)
    assert status == 0, lines
    fingerprint = signing.fingerprint(signing.load_public_key(public))
    assert lines[0].startswith("hil verify: OK:")
    assert f"signed by trusted key 'lab.key.pub' {fingerprint}" in lines[0]
    manifest = evidence.read_manifest(signed)
    assert manifest.signature is not None
    assert manifest.signature.public_key_fingerprint == fingerprint


def test_without_a_key_the_recorded_key_is_used_and_origin_is_not_proven(signed, capsys):
    status, lines = hil(["verify", str(signed)], capsys)
    assert status == 3, lines
    recorded = evidence.read_manifest(signed).signature
    assert recorded is not None
    assert lines[0].startswith(
        f"hil verify: SIGNED BY UNPINNED KEY {recorded.public_key_fingerprint}: "
        "give --public-key or --lab to prove its origin"
    )
    assert any(line.startswith("note:") and "the key the manifest records" in line
               for line in lines)  # fmt: skip


def test_wrong_key_is_a_failure_that_says_so(signed, tmp_path, capsys):
    other = signing.generate_key(tmp_path / "other.key")
    status, lines = hil(["verify", str(signed), "--public-key", str(other)], capsys)
    assert status == 1
    [problem] = _problems(lines)
    assert problem.startswith("SIGNATURE manifest.sig: signed by sha256:")
    assert "not a trusted key" in problem
    assert signing.fingerprint(signing.load_public_key(other)) in problem
    assert problem in lines[0]  # the verdict line says why


def test_manifest_changed_after_signing_fails_the_signature(signed, key_file, capsys):
    path = signed / "manifest.json"
    data = json.loads(path.read_text())
    data["run_id"] = "SOMETHING-ELSE"
    path.write_text(json.dumps(data, indent=2) + "\n")
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(signed), "--public-key", str(public)], capsys)
    assert status == 1
    assert any(
        p.startswith("SIGNATURE manifest.sig") and "changed after it was signed" in p
        for p in _problems(lines)
    )


def test_removed_signature_is_missing(signed, capsys):
    (signed / "manifest.sig").unlink()
    status, lines = hil(["verify", str(signed)], capsys)
    assert status == 1
    assert any(p.startswith("MISSING manifest.sig") for p in _problems(lines))


def test_signature_beside_an_unsigned_manifest_is_flagged(sealed, key_file, capsys):
    key = signing.load_private_key(key_file)
    signature = signing.sign(key, (sealed / "manifest.json").read_bytes())
    (sealed / "manifest.sig").write_bytes(signing.encode_signature(signature))
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(p.startswith("SIGNATURE manifest.sig: present") for p in _problems(lines))


def test_resealing_without_a_key_removes_the_stale_signature(signed, capsys):
    seal = argparse.Namespace(evidence_action="seal", run_dir=str(signed), actor="alice",
                              key=None, lab=None)  # fmt: skip
    assert verify_cmd.run(seal) == 0
    assert "now UNSIGNED" in capsys.readouterr().err
    assert not (signed / "manifest.sig").exists()
    assert hil(["verify", str(signed)], capsys)[0] == 3  # intact, unsigned


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_verifies_the_signature_without_the_harness(signed, key_file, tmp_path):
    raw = tmp_path / "sig.bin"
    raw.write_bytes(base64.b64decode((signed / "manifest.sig").read_bytes()))
    public = signing.public_key_path(key_file)
    done = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin",
         "-in", str(signed / "manifest.json"), "-sigfile", str(raw)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if "rawin" in done.stderr and done.returncode != 0:
        pytest.skip("this openssl cannot verify Ed25519 with -rawin")
    assert done.returncode == 0, done.stderr


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path, capsys):
    status, lines = hil(["evidence", "keygen", str(tmp_path / "lab.key")], capsys)
    assert status == 0
    assert (tmp_path / "lab.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "lab.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "lab.key.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert "sha256:" in lines[0]
    # a second keygen to the same path would destroy the lab's key: refused, exit 2
    assert hil(["evidence", "keygen", str(tmp_path / "lab.key")], capsys)[0] == 2


def test_a_key_file_that_is_not_ed25519_is_an_input_error(tmp_path, run_copy, capsys):
    bad = tmp_path / "bad.key"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(InputError, match=r"bad\.key"):
        evidence.seal_run(run_copy, actor="alice", key_file=bad)
    assert not (run_copy / "manifest.json").exists()  # nothing written before the key check
    assert not (run_copy / "audit.log").exists()
    status = hil(["verify", str(run_copy), "--public-key", str(bad)], capsys)[0]
    assert status == 2
