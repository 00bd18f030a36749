"""``hil verify``: is this run folder exactly what was sealed, and who vouches for it?

``verify_run`` checks a sealed folder (see ``evidence.py``) the way an auditor would:

1. the manifest: it parses and matches schema v1;
2. the files: every file listed still has its recorded size and SHA-256 (else CHANGED),
   is still there (else MISSING), and no file was added (ADDED);
3. the signature, when the manifest records one: it verifies over the manifest's exact
   bytes with the public key given (``--public-key``) or, failing that, with the key the
   manifest itself records. The second only proves the manifest was not changed since
   someone signed it; only a key obtained independently (the laboratory's published
   key) proves *who* signed, so verify says which of the two it used;
4. the audit trail: the hash chain is intact, the entry the manifest records as head is
   still there unchanged, the ``manifest-built`` entry after it holds this manifest's
   SHA-256, and nothing was appended since (a later ``retest`` or ``override`` needs a
   re-seal to be covered).

Every problem is one line starting with its kind (CHANGED, MISSING, ADDED, MANIFEST,
SIGNATURE, AUDIT) and naming the file or audit line; a final line sums up. Exit status:
0 when everything holds, 1 when anything does not, 2 when the command itself was given
a bad input (no such folder, an unreadable key file).

``hil evidence keygen FILE`` makes a signing key; ``hil evidence seal RUN_DIR`` seals a
folder by hand (the harness seals each run when it ends).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from harness.errors import InputError
from harness.reporting import audit, evidence, signing


@dataclass
class VerifyResult:
    """What ``verify_run`` found; ``ok`` only when ``problems`` is empty."""

    run_dir: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    audit_entries: int = 0
    signer: str | None = None
    """Fingerprint of the key the signature verified with (None: unsigned or failed)."""
    signer_given: bool = False
    """True when that key was given by the caller rather than read from the manifest."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            kinds = Counter(problem.split(" ", 1)[0] for problem in self.problems)
            counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            return f"hil verify: FAILED: {self.run_dir}: {len(self.problems)} problems ({counts})"
        if self.signer is None:
            signed = "not signed"
        else:
            whose = "the given public key" if self.signer_given else "the key it records"
            signed = f"signature verified with {whose} {self.signer}"
        return (
            f"hil verify: OK: {self.run_dir}: {self.files_checked} files, "
            f"audit chain of {self.audit_entries} entries, {signed}"
        )


def verify_run(run_dir: str | Path, *, public_key: Path | None = None) -> VerifyResult:
    """Check a sealed run folder; ``InputError`` only for a missing folder or bad key file."""
    root = Path(run_dir)
    if not root.is_dir():
        raise InputError(root, "run folder", "an existing run folder")
    given = signing.load_public_key(public_key) if public_key is not None else None
    result = VerifyResult(run_dir=root)
    manifest_bytes: bytes | None = None
    manifest: evidence.Manifest | None = None
    if not (root / evidence.MANIFEST_FILE).is_file():
        result.problems.append(f"MISSING {evidence.MANIFEST_FILE}: the run was never sealed")
    else:
        manifest_bytes = (root / evidence.MANIFEST_FILE).read_bytes()
        try:
            manifest = evidence.read_manifest(root)
        except InputError as error:
            result.problems.append(f"MANIFEST {error}")
    if manifest is not None:
        _check_files(root, manifest, result)
        _check_signature(root, manifest, manifest_bytes or b"", given, result)
    _check_audit(root, manifest, manifest_bytes, result)
    return result


def _check_files(root: Path, manifest: evidence.Manifest, result: VerifyResult) -> None:
    try:
        current = {f.path: f for f in evidence.inventory(root)}
    except InputError as error:
        result.problems.append(f"ADDED {error}")
        return
    recorded = {f.path: f for f in manifest.files}
    result.files_checked = len(recorded)
    for path in sorted(recorded.keys() | current.keys()):
        was, now = recorded.get(path), current.get(path)
        if now is None:
            result.problems.append(f"MISSING {path}: listed in the manifest, not in the folder")
        elif was is None:
            result.problems.append(f"ADDED {path}: in the folder, not in the manifest")
        elif (was.sha256, was.size) != (now.sha256, now.size):
            result.problems.append(
                f"CHANGED {path}: sha256 {now.sha256[:16]}… (size {now.size}), manifest "
                f"records {was.sha256[:16]}… (size {was.size})"
            )


def _check_signature(
    root: Path,
    manifest: evidence.Manifest,
    data: bytes,
    given: Ed25519PublicKey | None,
    result: VerifyResult,
) -> None:
    sig_path = root / evidence.SIGNATURE_FILE
    info = manifest.signature
    if info is None:
        if sig_path.exists():
            result.problems.append(
                f"SIGNATURE {evidence.SIGNATURE_FILE}: present, but {evidence.MANIFEST_FILE} "
                "records no signing key"
            )
        else:
            result.notes.append("the manifest is not signed: only the hash chain protects it")
        return
    if not sig_path.is_file():
        result.problems.append(
            f"MISSING {evidence.SIGNATURE_FILE}: the manifest records a signature by "
            f"{info.public_key_fingerprint}"
        )
        return
    try:
        signature = signing.decode_signature(sig_path.read_bytes())
    except ValueError as error:
        result.problems.append(
            f"SIGNATURE {evidence.SIGNATURE_FILE}: not a base64 Ed25519 signature ({error})"
        )
        return
    recorded = info.public_key_fingerprint
    if given is not None:
        mine = signing.fingerprint(given)
        if signing.verify_signature(given, data, signature):
            result.signer, result.signer_given = mine, True
        elif mine != recorded:
            result.problems.append(
                f"SIGNATURE {evidence.SIGNATURE_FILE}: WRONG KEY: signed by {recorded}, "
                f"but the given public key is {mine}; the signature does not verify with it"
            )
        else:
            result.problems.append(
                f"SIGNATURE {evidence.SIGNATURE_FILE}: does not verify with the given key "
                f"{mine}: {evidence.MANIFEST_FILE} was changed after it was signed"
            )
        return
    try:
        embedded = signing.public_key_from_base64(info.public_key)
    except ValueError as error:
        result.problems.append(f"MANIFEST {evidence.MANIFEST_FILE}: signature.public_key: {error}")
        return
    if signing.fingerprint(embedded) != recorded:
        result.problems.append(
            f"MANIFEST {evidence.MANIFEST_FILE}: signature.public_key does not match "
            f"its fingerprint {recorded}"
        )
    elif not signing.verify_signature(embedded, data, signature):
        result.problems.append(
            f"SIGNATURE {evidence.SIGNATURE_FILE}: does not verify with the recorded key "
            f"{recorded}: {evidence.MANIFEST_FILE} was changed after it was signed"
        )
    else:
        result.signer = recorded
        result.notes.append(
            f"signature checked with the key the manifest records ({recorded}); "
            "give --public-key to check that it is your laboratory's key"
        )


def _check_audit(
    root: Path,
    manifest: evidence.Manifest | None,
    manifest_bytes: bytes | None,
    result: VerifyResult,
) -> None:
    if not audit.audit_path(root).is_file():
        result.problems.append(f"MISSING {audit.AUDIT_FILE}: the run has no audit trail")
        return
    numbered, unreadable = audit.scan_chain(root)
    entries = [entry for _, entry in numbered]
    result.audit_entries = len(entries)
    result.problems += [f"AUDIT {p}" for p in unreadable]
    lines = [number for number, _ in numbered]
    result.problems += [f"AUDIT {p}" for p in audit.verify_chain(entries, lines)]
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


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``verify`` and ``evidence`` to the ``hil`` sub-commands, both with ``func=run``."""
    verify: argparse.ArgumentParser = subparsers.add_parser(
        "verify", help="check a run folder against its manifest, signature and audit trail"
    )
    verify.add_argument("run_dir", help="the run folder, reports/<run-id>")
    verify.add_argument("--public-key", help="the laboratory's Ed25519 public key (PEM)")
    verify.set_defaults(func=run)
    tools = subparsers.add_parser("evidence", help="signing keys; seal a run folder by hand")
    actions = tools.add_subparsers(dest="evidence_action", required=True)
    keygen = actions.add_parser("keygen", help="write a new Ed25519 key and FILE.pub")
    keygen.add_argument("file", help="private key file to write (PEM PKCS#8, mode 0600)")
    keygen.add_argument("--force", action="store_true", help="replace an existing key")
    seal = actions.add_parser("seal", help="write results.csv, audit entry and manifest")
    seal.add_argument("run_dir")
    seal.add_argument("--actor", default=None, help="who seals (default: login name)")
    seal.add_argument("--key", help="Ed25519 private key (PEM PKCS#8) to sign with")
    tools.set_defaults(func=run)
    return verify


def run(args: argparse.Namespace) -> int:
    """Run ``verify``, ``evidence keygen`` or ``evidence seal``; 0 OK, 1 failed, 2 bad input."""
    try:
        action = getattr(args, "evidence_action", None)
        if action == "keygen":
            public = signing.generate_key(Path(args.file), overwrite=args.force)
            print(f"{args.file}: private key; {public}: public key, {_fp(public)}")
            return 0
        if action == "seal":
            key = Path(args.key) if args.key else None
            actor = args.actor or getpass.getuser()
            print(evidence.seal_run(Path(args.run_dir), actor=actor, key_file=key))
            return 0
        key_path = Path(args.public_key) if args.public_key else None
        result = verify_run(Path(args.run_dir), public_key=key_path)
    except InputError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        return 2
    for line in result.problems:
        print(line)
    for note in result.notes:
        print(f"note: {note}")
    print(result.summary())
    return 0 if result.ok else 1


def _fp(public: Path) -> str:
    return signing.fingerprint(signing.load_public_key(public))
