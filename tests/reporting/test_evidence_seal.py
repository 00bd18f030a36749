"""``seal_run``: results.csv, the audit entries and the manifest; re-sealing after a re-test."""

from __future__ import annotations

import json
import os

import pytest
from test_evidence_support import RUN_ID, hil, real_run

from harness.errors import InputError
from harness.recording.results import export
from harness.reporting import audit, evidence

pytest_plugins = ["test_evidence_support"]  # fixtures: run_copy, sealed


def test_results_csv_is_what_hil_results_export_writes(run_copy, tmp_path_factory, tmp_path):
    store = real_run(tmp_path_factory).parent / "results.db"
    expected = export(store, RUN_ID, "csv", tmp_path / "exported.csv").read_bytes()
    written = evidence.write_results_csv(run_copy)
    assert written == run_copy / "results.csv"
    assert written.read_bytes() == expected


def test_first_seal_records_run_completed_then_manifest_built(sealed):
    chain = audit.read_chain(sealed)
    assert [(e.seq, e.action, e.actor) for e in chain] == [
        (1, "run-completed", "alice"),
        (2, "manifest-built", "alice"),
    ]
    assert chain[0].details["run_status"] == "passed"
    manifest = evidence.read_manifest(sealed)
    assert manifest.run_id == RUN_ID
    assert manifest.audit_head == evidence.AuditHead(seq=1, hash=chain[0].hash)
    assert chain[1].details["files"] == len(manifest.files)
    assert manifest.created_at.microsecond % 1000 == 0
    assert json.loads((sealed / "manifest.json").read_text())["created_at"].endswith("Z")


def test_manifest_lists_every_file_with_its_size_and_hash(sealed):
    manifest = evidence.read_manifest(sealed)
    on_disk = sorted(
        os.path.relpath(os.path.join(folder, name), sealed).replace(os.sep, "/")
        for folder, _, names in os.walk(sealed)
        for name in names
    )
    assert [f.path for f in manifest.files] == [
        p for p in on_disk if p not in {"manifest.json", "manifest.sig", "audit.log"}
    ]
    for entry in manifest.files:
        assert entry.size == (sealed / entry.path).stat().st_size
        assert entry.sha256 == evidence.sha256_file(sealed / entry.path)


def test_reseal_after_a_retest_appends_and_never_edits(sealed, capsys):
    log_before = (sealed / "audit.log").read_bytes()
    audit.append(sealed, "bob", "retest", {"requirement": "OUT-AMP-L1", "reason": "probe slipped"})
    capture = sealed / "captures" / "001-OUT-AMP-L1.npz"
    capture.write_bytes(capture.read_bytes() + b"\0")  # the re-test replaced the capture
    (sealed / "captures" / "001-OUT-AMP-L1-retest.npz").write_bytes(b"new capture")
    assert hil(["verify", str(sealed)], capsys)[0] == 1  # not covered until re-sealed

    evidence.seal_run(sealed, actor="bob")
    log_after = (sealed / "audit.log").read_bytes()
    assert log_after.startswith(log_before)
    chain = audit.read_chain(sealed)
    assert [e.action for e in chain] == [
        "run-completed", "manifest-built", "retest", "resealed", "manifest-built",
    ]  # fmt: skip
    resealed = chain[3].details
    assert resealed["changed"] == ["captures/001-OUT-AMP-L1.npz"]
    assert resealed["added"] == ["captures/001-OUT-AMP-L1-retest.npz"]
    assert resealed["missing"] == []
    assert resealed["previous_manifest_sha256"] == chain[1].details["manifest_sha256"]
    assert hil(["verify", str(sealed)], capsys)[0] == 3  # intact again; unsigned


def test_sealing_twice_is_harmless(sealed, capsys):
    evidence.seal_run(sealed, actor="alice")
    chain = audit.read_chain(sealed)
    assert [e.action for e in chain][-2:] == ["resealed", "manifest-built"]
    assert chain[-2].details["changed"] == chain[-2].details["added"] == []
    assert hil(["evidence", "seal", str(sealed), "--actor", "alice"], capsys)[0] == 0
    assert hil(["verify", str(sealed)], capsys)[0] == 3  # intact; unsigned


def test_seal_refuses_a_broken_audit_trail(sealed):
    lines = (sealed / "audit.log").read_text().splitlines(keepends=True)
    (sealed / "audit.log").write_text(lines[1])  # seq 1 removed
    with pytest.raises(InputError, match="intact audit chain"):
        evidence.seal_run(sealed, actor="alice")


def test_a_symbolic_link_is_not_evidence(run_copy, tmp_path):
    (tmp_path / "outside.txt").write_text("outside the run folder")
    (run_copy / "link.txt").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(InputError, match="symbolic link"):
        evidence.build_manifest(run_copy)
