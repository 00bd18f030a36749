"""Checking an evidence package: is it exactly what was sealed, and who vouches for it?

``verify_run`` checks a run folder (see ``evidence.py``) the way an auditor would:

1. the folder: a run folder that was sealed (else UNSEALED), holding regular files only
   (a link, FIFO, socket or device is REFUSED by name, never opened);
2. the manifest: it parses, matches schema v1, and its ``run_id`` is the folder's name
   and ``run.json``'s (else RUN: a package renamed to pass for another run);
3. the files: every file listed still has its recorded size and SHA-256 (else CHANGED),
   is still there (else MISSING), and no file was added (ADDED);
4. the signature, against *pinned* keys (``trust.py``): when the caller pins keys, a
   signature by one of them, valid at the manifest's ``created_at``, is required; an
   unsigned, stripped or foreign-signed package FAILS. Without pinned keys a signature
   is checked with the key the manifest records, which proves only that nobody changed
   the manifest since *someone* signed it: the package is intact, its origin unproven;
5. the audit trail: the hash chain is intact, the entry the manifest records as head is
   still there unchanged, the ``manifest-built`` entry after it holds this manifest's
   SHA-256, and nothing was appended since. Amendments (``amended``, ``resealed``) and a
   late seal are listed, with who, when and why.

The hash chain and the manifest can be recomputed by anyone who can write the folder;
only a signature by a pinned key proves the package left a bench holding the
laboratory's key unchanged (docs/threat-model.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.reporting import audit, evidence, run_folder
from harness.reporting.signature_check import check_signature
from harness.reporting.trust import PinnedKey
from harness.reporting.verify_result import VerifyResult

AMENDING_ACTIONS = ("amended", "resealed")


def verify_run(run_dir: str | Path, *, trusted: Sequence[PinnedKey] = ()) -> VerifyResult:
    """Check a run folder; with ``trusted`` keys a signature by one of them is required.

    ``InputError`` only when ``run_dir`` is not a folder, or holds neither a manifest nor
    a run record (not a run folder at all).
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise InputError(root, "run folder", "an existing run folder")
    result = VerifyResult(run_dir=root, key_required=bool(trusted))
    has_manifest = os.path.lexists(root / evidence.MANIFEST_FILE)
    has_record = os.path.lexists(root / run_folder.RUN_RECORD)
    if not has_manifest and not has_record:
        raise InputError(root, "run folder", "a run folder (run.json) or a sealed package")
    record = _run_record(root, result)
    status = record.get("status")
    result.run_status = status if isinstance(status, str) else None
    contents = run_folder.scan(root)
    result.problems += [f"REFUSED {p}: {run_folder.refusal(k)}" for p, k in contents.refused]
    if not has_manifest:
        result.sealed = False
        return result
    manifest_bytes, manifest = _read_manifest(root, result)
    if manifest is not None and manifest_bytes is not None:
        _check_identity(root, manifest, record, result)
        _check_files(root, manifest, contents, result)
        check_signature(root, manifest, manifest_bytes, trusted, result)
    _check_audit(root, manifest, manifest_bytes, result)
    return result


def _run_record(root: Path, result: VerifyResult) -> dict[str, object]:
    if not os.path.lexists(root / run_folder.RUN_RECORD):
        return {}
    try:
        return run_folder.read_run_record(root)
    except InputError as error:
        result.problems.append(f"RUN {run_folder.RUN_RECORD}: {error.expected}")
        return {}


def _read_manifest(root: Path, result: VerifyResult) -> tuple[bytes | None, Any]:
    try:
        data = run_folder.read_small(root / evidence.MANIFEST_FILE)
        return data, evidence.read_manifest(root)
    except InputError as error:
        result.problems.append(f"MANIFEST {error}")
        return None, None


def _check_identity(
    root: Path, manifest: evidence.Manifest, record: dict[str, object], result: VerifyResult
) -> None:
    """The manifest's run id, the folder's name and run.json's run id must be one."""
    if manifest.run_id != root.name:
        result.problems.append(
            f"RUN {evidence.MANIFEST_FILE}: run_id {manifest.run_id!r} is not the folder's "
            f"name {root.name!r}: the package was renamed or belongs to another run"
        )
    if record and record.get("run_id") != root.name:
        result.problems.append(
            f"RUN {run_folder.RUN_RECORD}: run_id {record.get('run_id')!r} is not the folder's "
            f"name {root.name!r}"
        )


def _check_files(
    root: Path,
    manifest: evidence.Manifest,
    contents: run_folder.FolderContents,
    result: VerifyResult,
) -> None:
    refused = {path for path, _ in contents.refused}
    present = {p for p in contents.files if p not in evidence.EXCLUDED}
    recorded = {f.path: f for f in manifest.files}
    result.files_checked = len(recorded)
    for path in sorted(recorded.keys() | present):
        was = recorded.get(path)
        if path not in present:
            if path not in refused:
                result.problems.append(f"MISSING {path}: listed in the manifest, not in the folder")
            continue
        if was is None:
            result.problems.append(f"ADDED {path}: in the folder, not in the manifest")
            continue
        try:
            size, digest = run_folder.hash_file(root / path)
        except InputError as error:
            result.problems.append(f"REFUSED {path}: {error.expected}")
            continue
        if (was.sha256, was.size) != (digest, size):
            result.problems.append(
                f"CHANGED {path}: sha256 {digest[:16]}… (size {size}), manifest "
                f"records {was.sha256[:16]}… (size {was.size})"
            )


def _check_audit(
    root: Path,
    manifest: evidence.Manifest | None,
    manifest_bytes: bytes | None,
    result: VerifyResult,
) -> None:
    if not os.path.lexists(audit.audit_path(root)):
        result.problems.append(f"MISSING {audit.AUDIT_FILE}: the run has no audit trail")
        return
    try:
        numbered, unreadable = audit.scan_chain(root)
    except InputError as error:
        result.problems.append(f"AUDIT {error}")
        return
    entries = [entry for _, entry in numbered]
    result.audit_entries = len(entries)
    result.problems += [f"AUDIT {p}" for p in unreadable]
    lines = [number for number, _ in numbered]
    result.problems += [f"AUDIT {p}" for p in audit.verify_chain(entries, lines)]
    _list_amendments(entries, result)
    if manifest is None or manifest_bytes is None:
        return
    by_seq = {entry.seq: (number, entry) for number, entry in numbered}
    head = manifest.audit_head
    if head is not None:
        found = by_seq.get(head.seq)
        if found is None:
            result.problems.append(
                f"AUDIT {audit.AUDIT_FILE}: seq {head.seq}, recorded in the manifest as the "
                "head of the trail, is missing: entries were removed"
            )
            return
        if found[1].hash != head.hash:
            result.problems.append(
                f"AUDIT {audit.AUDIT_FILE} line {found[0]} (seq {head.seq}): its hash is not "
                "the head recorded in the manifest: the trail was rewritten"
            )
    built_seq = 1 if head is None else head.seq + 1
    built = by_seq.get(built_seq)
    if built is None or built[1].action != "manifest-built":
        result.problems.append(
            f"AUDIT {audit.AUDIT_FILE}: seq {built_seq} should be the manifest-built entry "
            "of this manifest, and is missing or something else: entries were removed"
        )
        return
    sha = hashlib.sha256(manifest_bytes).hexdigest()
    if built[1].details.get("manifest_sha256") != sha:
        result.problems.append(
            f"MANIFEST {evidence.MANIFEST_FILE}: its SHA-256 is not the one {audit.AUDIT_FILE} "
            f"seq {built_seq} recorded when it was built: the manifest was edited or replaced"
        )
    for number, entry in numbered:
        if entry.seq > built_seq:
            result.problems.append(
                f"AUDIT {audit.AUDIT_FILE} line {number} (seq {entry.seq}, {entry.action} by "
                f"{entry.actor}): appended after the run was sealed; re-seal to cover it"
            )


def _list_amendments(entries: Sequence[audit.AuditEntry], result: VerifyResult) -> None:
    """Every change made to the package after its first seal, and a late seal, as notes."""
    for entry in entries:
        when = audit.format_utc_ms(entry.time)
        details = entry.details
        if entry.action == "sealed-late":
            result.notes.append(f"sealed late by {entry.actor} at {when}: {details.get('note')}")
        if entry.action not in AMENDING_ACTIONS:
            continue
        why = details.get("reason") or "re-sealed (hil evidence seal)"
        paths = {k: _paths(details.get(k)) for k in ("changed", "added")}
        paths["removed"] = _paths(details.get("removed", details.get("missing")))
        result.amendments.append({"seq": entry.seq, "action": entry.action, "who": entry.actor,
                                  "when": when, "why": why, **paths})  # fmt: skip
        listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in paths.items() if v) or "no files"
        verb = "amended" if entry.action == "amended" else "re-sealed"
        result.notes.append(f"{verb} by {entry.actor} at {when}: {why} ({listed})")
        if details.get("signature_dropped"):
            result.notes.append(f"  {details['signature_dropped']}")


def _paths(value: object) -> list[str]:
    return [str(p) for p in value] if isinstance(value, list) else []
