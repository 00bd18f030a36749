"""Sealed stays sealed: changing a sealed evidence package is one recorded operation.

A sealed package (``manifest.json`` present) is evidence: a file changed inside it after
the seal makes ``hil verify`` fail, and rightly so, since it cannot tell the harness
rebuilding a report from someone editing a result. So the harness never writes into a
sealed package except through ``amend_package``, which

1. checks the package is intact first (a tampered package is refused: amending it would
   launder the tampering into a fresh seal);
2. runs the change (``change()`` writes the files);
3. appends an ``amended`` audit entry: who (``actor``), when (the entry's time), why
   (``reason``), the paths changed, added and removed, and the previous manifest's
   SHA-256;
4. rebuilds the manifest, re-signed when a key is at hand. A package that was signed and
   is amended without a key is *unsigned* afterwards; the entry and the return value say
   so, and ``hil verify`` lists the amendment with its reason.

``hil report compliance`` and ``hil report allure`` go through ``build_in_run_folder``:
on an unsealed folder they just build; on a sealed one they amend.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import InputError
from harness.reporting import audit, evidence, run_folder, signing
from harness.reporting.trust import load_lab
from harness.reporting.verification import verify_run


@dataclass(frozen=True)
class Amendment:
    """What ``amend_package`` did: the new manifest, its audit entry, who signs it now."""

    manifest: Path
    entry: audit.AuditEntry
    signed_by: str | None
    now_unsigned: str | None
    """Why a package that was signed is unsigned now; None when that did not happen."""

    def lines(self) -> list[str]:
        d = self.entry.details
        what = (
            ", ".join(
                f"{len(v)} {k}"
                for k in ("changed", "added", "removed")
                if isinstance(v := d.get(k), list) and v
            )
            or "no files changed"
        )
        signed = f"signed by {self.signed_by}" if self.signed_by else "unsigned"
        return [
            f"evidence package amended (audit seq {self.entry.seq}, {what}), "
            f"re-sealed {signed}: {self.manifest}"
        ]


def is_sealed(run_dir: str | Path) -> bool:
    return os.path.lexists(Path(run_dir) / evidence.MANIFEST_FILE)


def amend_package(
    run_dir: str | Path,
    *,
    actor: str,
    reason: str,
    change: Callable[[], object],
    key_file: Path | None = None,
) -> Amendment:
    """Change a sealed, intact package and re-seal it, on the record (see the module).

    ``InputError`` before anything is written when the folder is not sealed, the key is
    unusable, or the package does not verify as intact. If ``change`` raises, an
    ``amend-failed`` entry records what it had changed by then, and the error propagates:
    the package then fails verification until it is re-sealed (``hil evidence seal``).
    """
    root = Path(run_dir)
    if not is_sealed(root):
        raise InputError(
            root / evidence.MANIFEST_FILE,
            "manifest",
            "a sealed package to amend (an unsealed run folder is built freely)",
        )
    if key_file is not None:
        signing.load_private_key(key_file)
    check = verify_run(root)
    if not check.ok:
        raise InputError(
            root,
            "evidence package",
            f"an intact sealed package before amending it; hil verify: "
            f"{check.problems[0] if check.problems else check.status}",
        )
    old_bytes = run_folder.read_small(root / evidence.MANIFEST_FILE)
    old = evidence.read_manifest(root)
    previous = {"previous_manifest_sha256": hashlib.sha256(old_bytes).hexdigest()}
    try:
        change()
    except BaseException as error:
        details: dict[str, object] = {"reason": reason, "error": repr(error), **previous}
        try:
            details.update(_diff(old, root))
        except InputError as unreadable:
            details["inventory"] = str(unreadable)
        audit.append(root, actor, "amend-failed", details)
        raise
    was_signed = None if old.signature is None else old.signature.public_key_fingerprint
    now_unsigned = None
    details = {"reason": reason, **_diff(old, root), **previous, "signed_before": was_signed}
    if was_signed and key_file is None:
        now_unsigned = (
            f"the package was signed by {was_signed}; no signing key was at hand "
            "for this amendment, so it is now UNSIGNED (re-seal with the key)"
        )
        details["signature_dropped"] = now_unsigned
    entry = audit.append(root, actor, "amended", details)
    manifest = evidence.build_manifest(root, key_file=key_file, actor=actor)
    signed_by = None
    if key_file is not None:
        signed_by = signing.fingerprint(signing.load_private_key(key_file).public_key())
    return Amendment(manifest, entry, signed_by, now_unsigned)


def _diff(old: evidence.Manifest, root: Path) -> dict[str, list[str]]:
    found = evidence.compare(old.files, evidence.inventory(root))
    return {"changed": found["changed"], "added": found["added"], "removed": found["missing"]}


# --- the report commands' side ------------------------------------------------------------


def add_amend_options(parser: argparse.ArgumentParser, command: str) -> None:
    """``--reason``, ``--actor``, ``--sign-key``, ``--lab``: how a sealed package is amended."""
    group = parser.add_argument_group("on a sealed run folder (the package is amended)")
    group.add_argument("--reason", help=f"why (recorded; default: '{command}: rebuilt')")
    group.add_argument("--actor", help="who (recorded; default: login name)")
    group.add_argument("--sign-key", help="Ed25519 private key (PEM) to re-sign with")
    group.add_argument("--lab", help="laboratory trust file whose signing_key re-signs")


def signing_key_of(args: argparse.Namespace) -> Path | None:
    """``--sign-key``, else the ``signing_key`` of ``--lab``, else None."""
    if getattr(args, "sign_key", None):
        return Path(args.sign_key)
    lab = getattr(args, "lab", None)
    return load_lab(lab).usable_signing_key() if lab else None


def build_in_run_folder(
    run_dir: Path,
    args: argparse.Namespace,
    command: str,
    change: Callable[[], object],
    *,
    key_file: Path | None,
) -> list[str]:
    """Run ``change``: plainly on an unsealed folder, as an amendment on a sealed one.

    Returns the lines to tell the user; a dropped signature is the last, ``warning:``.
    """
    if not is_sealed(run_dir):
        change()
        return []
    done = amend_package(
        run_dir,
        actor=getattr(args, "actor", None) or getpass.getuser(),
        reason=getattr(args, "reason", None) or f"{command}: rebuilt",
        change=change,
        key_file=key_file,
    )
    lines = done.lines()
    if done.now_unsigned:
        lines.append(f"warning: {done.now_unsigned}")
    return lines
