"""``hil verify`` on a sealed copy of a real run: each kind of tampering is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_evidence_support import hil, real_run

from harness.cli.verify import verify_run
from harness.reporting import audit, evidence

pytest_plugins = ["test_evidence_support"]  # fixtures: run_copy, sealed
CAPTURE = "captures/001-OUT-AMP-L1.npz"


def _problems(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith(("note:", "hil verify:"))]


def test_real_run_has_the_files_the_tests_tamper_with(tmp_path_factory):
    run_dir = real_run(tmp_path_factory)
    assert (run_dir / CAPTURE).is_file() and (run_dir / "run.json").is_file()
    assert any((run_dir / "allure-results").iterdir())


def test_clean_folder_verifies(sealed, capsys):
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 3, lines  # intact, but unsigned: its origin is not proven
    assert _problems(lines) == []
    assert lines[0].startswith("hil verify: UNSIGNED:")
    manifest = evidence.read_manifest(sealed)
    assert f"{len(manifest.files)} files" in lines[0]
    listed = {f.path for f in manifest.files}
    assert {CAPTURE, "results.parquet", "results.csv", "run.json"} <= listed
    assert not listed & {"manifest.json", "manifest.sig", "audit.log"}


def test_one_flipped_byte_in_a_capture_is_changed(sealed, capsys):
    path = sealed / CAPTURE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert [p.split(":")[0] for p in _problems(lines)] == [f"CHANGED {CAPTURE}"]
    assert lines[0].startswith("hil verify: FAILED") and "1 CHANGED" in lines[0]


def test_deleted_file_is_missing(sealed, capsys):
    (sealed / "run.json").unlink()
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert [p.split(":")[0] for p in _problems(lines)] == ["MISSING run.json"]


def test_added_file_is_added_even_in_a_subfolder(sealed, capsys):
    (sealed / "captures" / "999-extra.npz").write_bytes(b"not evidence")
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert [p.split(":")[0] for p in _problems(lines)] == ["ADDED captures/999-extra.npz"]


def test_hash_edited_in_the_manifest_is_detected(sealed, capsys):
    path = sealed / "manifest.json"
    data = json.loads(path.read_text())
    entry = next(f for f in data["files"] if f["path"] == "run.json")
    entry["sha256"] = "0" * 64
    path.write_text(json.dumps(data, indent=2) + "\n")
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    problems = _problems(lines)
    # the file no longer matches the (edited) record, and the manifest no longer matches
    # the SHA-256 the audit log took of it when it was built
    assert any(p.startswith("CHANGED run.json") for p in problems)
    assert any(p.startswith("MANIFEST manifest.json") and "edited" in p for p in problems)


def test_broken_manifest_json_is_detected(sealed, capsys):
    path = sealed / "manifest.json"
    path.write_bytes(path.read_bytes()[:-40])
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(
        p.startswith("MANIFEST") and "manifest.json" in p and "valid JSON" in p
        for p in _problems(lines)
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"schema_version": 2}, "schema_version: expected 1"),
        ({"surprise": True}, "surprise: Extra inputs are not permitted"),
        ({"hash_algorithm": "md5"}, "hash_algorithm"),
    ],
)
def test_manifest_outside_its_schema_is_detected(sealed, capsys, edit, expected):
    path = sealed / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(p.startswith("MANIFEST") and expected in p for p in _problems(lines)), lines


def test_manifest_path_escaping_the_folder_is_refused(sealed):
    path = sealed / "manifest.json"
    data = json.loads(path.read_text())
    data["files"][0]["path"] = "../../etc/passwd"
    data["files"].sort(key=lambda f: f["path"])
    path.write_text(json.dumps(data))
    result = verify_run(sealed)
    assert not result.ok
    assert any(p.startswith("MANIFEST") and "inside the run folder" in p for p in result.problems)


def test_missing_manifest_means_never_sealed(run_copy, capsys):
    status, lines = hil(["verify", str(run_copy)], capsys)
    assert status == 1
    assert lines[0].startswith(f"hil verify: UNSEALED: {run_copy}: the run ended without a seal")


def _audit_lines(run_dir: Path) -> list[str]:
    return (run_dir / "audit.log").read_text().splitlines(keepends=True)


def test_removed_audit_line_is_named_by_its_seq(sealed, capsys):
    evidence.seal_run(sealed, actor="bob")  # seq 3 resealed, seq 4 manifest-built
    lines_before = _audit_lines(sealed)
    assert [json.loads(line)["seq"] for line in lines_before] == [1, 2, 3, 4]
    (sealed / "audit.log").write_text("".join(lines_before[:1] + lines_before[2:]))
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    audit_problems = [p for p in _problems(lines) if p.startswith("AUDIT")]
    assert any("line 2 (seq 3" in p and "seq 2 missing" in p for p in audit_problems)


def test_removed_last_audit_line_is_detected_through_the_manifest(sealed, capsys):
    (sealed / "audit.log").write_text("".join(_audit_lines(sealed)[:-1]))
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(
        p.startswith("AUDIT audit.log: seq 2") and "manifest-built" in p for p in _problems(lines)
    )


def test_edited_audit_line_is_detected(sealed, capsys):
    original = _audit_lines(sealed)
    first = json.loads(original[0])
    first["actor"] = "mallory"  # canonical form kept: only the hash gives it away
    original[0] = audit.canonical_json(first).decode() + "\n"
    (sealed / "audit.log").write_text("".join(original))
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any(
        p.startswith("AUDIT audit.log line 1 (seq 1") and "edited" in p for p in _problems(lines)
    )


def test_audit_entry_appended_after_sealing_needs_a_reseal(sealed, capsys):
    audit.append(sealed, "carol", "override", {"requirement": "OUT-AMP-L5"})
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 1
    assert any("seq 3, override by carol" in p and "re-seal" in p for p in _problems(lines))
    evidence.seal_run(sealed, actor="carol")
    status, lines = hil(["verify", str(sealed)], capsys)
    assert status == 3, lines  # intact again (unsigned)
    assert any(line.startswith("note: re-sealed by carol") for line in lines)


def test_missing_run_folder_is_an_input_error(tmp_path, capsys):
    status = hil(["verify", str(tmp_path / "nope")], capsys)[0]
    assert status == 2
