"""Who vouches for a package: a signature counts only by a key the verifier pinned.

The attacks here are the ones a person with write access to a run folder can mount
without the laboratory's private key: strip the signature and recompute the manifest and
the hash chain (neither has a secret), or re-sign the whole package with a key of their
own. Each must be a failure when a key is required, and never an "OK" without one.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from test_evidence_support import hil

from harness.reporting import audit, evidence, signing

pytest_plugins = ["test_evidence_support"]  # fixtures: run_copy, key_file, signed, sealed


def strip_signature(run_dir: Path) -> None:
    """The downgrade: no manifest.sig, no signature block, manifest and chain recomputed."""
    (run_dir / "manifest.sig").unlink()
    manifest = evidence.read_manifest(run_dir).model_copy(update={"signature": None})
    data = manifest.to_bytes()
    (run_dir / "manifest.json").write_bytes(data)
    import hashlib

    def edit(entry: dict) -> None:
        if entry["action"] == "manifest-built":
            entry["details"]["manifest_sha256"] = hashlib.sha256(data).hexdigest()
            entry["details"]["signed_by"] = None

    rechain(run_dir, edit)


def rechain(run_dir: Path, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite audit.log through ``edit`` and recompute every hash: anyone can."""
    previous = audit.GENESIS_HASH
    out = []
    for line in (run_dir / "audit.log").read_text().splitlines():
        entry = json.loads(line)
        edit(entry)
        entry["prev_hash"] = previous
        del entry["hash"]
        entry["hash"] = audit.entry_hash(entry)
        previous = entry["hash"]
        out.append(audit.canonical_json(entry).decode() + "\n")
    (run_dir / "audit.log").write_text("".join(out))


def resign_with_another_key(run_dir: Path, other_key: Path) -> None:
    """The forgery: change a result, throw the trail away, seal again with one's own key."""
    run_json = run_dir / "run.json"
    run_json.write_text(run_json.read_text().replace('"operator"', '"operator" ', 1))
    for name in ("manifest.json", "manifest.sig", "audit.log"):
        (run_dir / name).unlink()
    evidence.seal_run(run_dir, actor="alice", key_file=other_key)


def lab_file(tmp_path: Path, keys: list[dict], **extra: object) -> Path:
    path = tmp_path / "lab.yaml"
    data = {"schema_version": 1, "laboratory": {"name": "Example Test Lab",
            "address": "1 Example Road, Town"}, "trusted_keys": keys, **extra}  # fmt: skip
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_stripped_signature_fails_when_a_public_key_is_given(signed, key_file, capsys):
    strip_signature(signed)
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(signed), "--public-key", str(public)], capsys)
    assert status == 1, lines
    assert lines[0].startswith("hil verify: FAILED")
    assert "not signed" in lines[0]


def test_stripped_signature_is_unsigned_not_ok_without_a_key(signed, capsys):
    strip_signature(signed)
    status, lines = hil(["verify", str(signed)], capsys)
    assert status == 3, lines
    assert lines[0].startswith("hil verify: UNSIGNED:")


def test_package_resigned_with_another_key_is_not_ok_without_a_key(signed, tmp_path, capsys):
    other = tmp_path / "mallory.key"
    signing.generate_key(other)
    resign_with_another_key(signed, other)
    status, lines = hil(["verify", str(signed)], capsys)
    assert status == 3, lines
    mallory = signing.fingerprint(signing.load_private_key(other).public_key())
    assert lines[0].startswith(f"hil verify: SIGNED BY UNPINNED KEY {mallory}: give --public-key")


def test_package_resigned_with_another_key_fails_against_the_lab(
    signed, key_file, tmp_path, capsys
):
    other = tmp_path / "mallory.key"
    signing.generate_key(other)
    resign_with_another_key(signed, other)
    lab = lab_file(tmp_path, [{"name": "lab", "public_key": str(key_file) + ".pub"}])
    status, lines = hil(["verify", str(signed), "--lab", str(lab)], capsys)
    assert status == 1, lines
    mallory = signing.fingerprint(signing.load_private_key(other).public_key())
    assert lines[0].startswith("hil verify: FAILED") and mallory in lines[0]
    assert "not a trusted key" in lines[0]


def test_signed_by_the_pinned_key_is_ok_and_says_by_whom(signed, key_file, tmp_path, capsys):
    lab = lab_file(tmp_path, [{"name": "lab 2026", "public_key": "keys/lab.key.pub"}])
    status, lines = hil(["verify", str(signed), "--lab", str(lab)], capsys)
    assert status == 0, lines
    assert lines[0].startswith("hil verify: OK:") and "'lab 2026'" in lines[0]


def test_unsigned_package_fails_when_a_key_is_required(sealed, key_file, capsys):
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(sealed), "--public-key", str(public)], capsys)
    assert status == 1
    assert lines[0].startswith("hil verify: FAILED") and "not signed" in lines[0]


def _window(signed: Path, start_days: int, end_days: int | None) -> dict[str, object]:
    created = evidence.read_manifest(signed).created_at.date()
    window: dict[str, object] = {"valid_from": created + timedelta(days=start_days)}
    if end_days is not None:
        window["valid_until"] = created + timedelta(days=end_days)
    return window


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [(-1, 1, 0), (-1, None, 0), (0, 1, 0), (-10, -1, 1), (-5, 0, 1), (1, 5, 1)],
)
def test_a_key_is_trusted_only_inside_its_validity_window(
    signed, key_file, tmp_path, capsys, start, end, status
):
    window = _window(signed, start, end)
    lab = lab_file(tmp_path, [{"name": "lab", "public_key": "keys/lab.key.pub", **window}])
    got, lines = hil(["verify", str(signed), "--lab", str(lab)], capsys)
    assert got == status, lines
    if status:
        assert "validity" in lines[0]


def test_key_rotation_old_and_new_key_both_pinned(signed, key_file, tmp_path, capsys):
    new = tmp_path / "keys" / "lab2027.key"
    signing.generate_key(new)
    keys = [
        {"name": "old", "public_key": "keys/lab.key.pub", **_window(signed, -300, 1)},
        {"name": "new", "public_key": "keys/lab2027.key.pub", **_window(signed, 0, None)},
    ]
    lab = lab_file(tmp_path, keys)
    assert hil(["verify", str(signed), "--lab", str(lab)], capsys)[0] == 0
    evidence.seal_run(signed, actor="alice", key_file=new)
    status, lines = hil(["verify", str(signed), "--lab", str(lab)], capsys)
    assert status == 0 and "'new'" in lines[0]


def test_json_format_is_one_object_for_other_tools(signed, key_file, capsys):
    public = signing.public_key_path(key_file)
    status, lines = hil(["verify", str(signed), "--public-key", str(public), "--format", "json"],
                        capsys)  # fmt: skip
    data = json.loads("\n".join(lines))
    assert status == data["exit_code"] == 0
    assert data["status"] == "OK" and data["problems"] == []
    assert data["signer"]["fingerprint"] == signing.fingerprint(signing.load_public_key(public))
    assert data["files_checked"] == len(evidence.read_manifest(signed).files)
    assert data["audit_entries"] == 2 and data["amendments"] == []
    (signed / "run.json").write_text("{}")
    status, lines = hil(["verify", str(signed), "--format", "json"], capsys)
    data = json.loads("\n".join(lines))
    assert status == data["exit_code"] == 1 and data["status"] == "FAILED"
    assert any(p.startswith("CHANGED run.json") for p in data["problems"])


def test_unsealed_run_folder_says_unsealed_first(run_copy, capsys):
    status, lines = hil(["verify", str(run_copy)], capsys)
    assert status == 1
    assert lines[0].startswith("hil verify: UNSEALED:") and "hil evidence seal" in lines[0]


def test_unreadable_lab_file_is_bad_input(signed, tmp_path, capsys):
    assert hil(["verify", str(signed), "--lab", str(tmp_path / "none.yaml")], capsys)[0] == 2
    argv = ["verify", str(tmp_path / "nowhere"), "--format", "json"]
    status, lines = hil(argv, capsys)
    data = json.loads("\n".join(lines))
    assert status == data["exit_code"] == 2 and "nowhere" in data["problems"][0]
