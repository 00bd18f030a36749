"""Whose signature is on a manifest, and whether the verifier trusts that key.

Two questions with different strengths of answer:

- *Was the manifest changed since it was signed?* Answered by any key that verifies the
  signature, including the one the manifest records about itself.
- *Who signed it?* Answered only by a key the verifier pinned beforehand (``trust.py``):
  a forger re-signs with their own key and records that key, so a recorded key proves
  nothing about origin.

With pinned keys, a signature by one of them, made inside its validity window (the
manifest's ``created_at``), is required; everything else is a SIGNATURE problem whose
text says what was found instead: no signature, a key that is not trusted, a trusted key
outside its window, or a signature that no longer verifies.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import InputError
from harness.reporting import audit, evidence, run_folder, signing
from harness.reporting.trust import PinnedKey

if TYPE_CHECKING:
    from harness.reporting.verify_result import VerifyResult

SIG = evidence.SIGNATURE_FILE
MANIFEST = evidence.MANIFEST_FILE


def check_signature(
    root: Path,
    manifest: evidence.Manifest,
    data: bytes,
    trusted: Sequence[PinnedKey],
    result: VerifyResult,
) -> None:
    """Add SIGNATURE/MISSING/MANIFEST problems, or set ``result.signer`` (and its name)."""
    info = manifest.signature
    present = os.path.lexists(root / SIG)
    pins = ", ".join(k.label() for k in trusted)
    if info is None:
        if present:
            result.problems.append(
                f"SIGNATURE {SIG}: present, but {MANIFEST} records no signing key"
            )
        elif trusted:
            result.problems.append(
                f"SIGNATURE {MANIFEST}: not signed, but a signature by a trusted key is "
                f"required ({pins}): unsigned, or its signature was stripped"
            )
        return
    recorded = info.public_key_fingerprint
    if not present:
        result.problems.append(f"MISSING {SIG}: the manifest records a signature by {recorded}")
        return
    try:
        signature = signing.decode_signature(run_folder.read_small(root / SIG, limit=4096))
    except (InputError, ValueError) as error:
        result.problems.append(f"SIGNATURE {SIG}: not a base64 Ed25519 signature ({error})")
        return
    if trusted:
        _check_pinned(manifest, data, signature, trusted, result)
    else:
        _check_recorded(manifest, data, signature, result)


def _check_pinned(
    manifest: evidence.Manifest,
    data: bytes,
    signature: bytes,
    trusted: Sequence[PinnedKey],
    result: VerifyResult,
) -> None:
    assert manifest.signature is not None
    recorded = manifest.signature.public_key_fingerprint
    signers = [k for k in trusted if signing.verify_signature(k.key, data, signature)]
    if not signers:
        if any(k.fingerprint == recorded for k in trusted):
            result.problems.append(
                f"SIGNATURE {SIG}: does not verify with the trusted key {recorded}: "
                f"{MANIFEST} was changed after it was signed"
            )
        else:
            pins = ", ".join(k.label() for k in trusted)
            result.problems.append(
                f"SIGNATURE {SIG}: signed by {recorded}, which is not a trusted key "
                f"(trusted: {pins}): the package was re-signed by someone else"
            )
        return
    created = manifest.created_at
    valid = [k for k in signers if k.valid_at(created)]
    if not valid:
        windows = "; ".join(f"{k.label()}: {k.window()}" for k in signers)
        result.problems.append(
            f"SIGNATURE {SIG}: signed by a trusted key, but the manifest's created_at "
            f"{audit.format_utc_ms(created)} is outside the key's validity ({windows})"
        )
        return
    if valid[0].fingerprint != recorded:
        result.problems.append(
            f"MANIFEST {MANIFEST}: signature.public_key_fingerprint {recorded} is not the key "
            f"that signed it, {valid[0].fingerprint}"
        )
    result.signer, result.signer_name = valid[0].fingerprint, valid[0].name


def _check_recorded(
    manifest: evidence.Manifest, data: bytes, signature: bytes, result: VerifyResult
) -> None:
    assert manifest.signature is not None
    recorded = manifest.signature.public_key_fingerprint
    try:
        embedded = signing.public_key_from_base64(manifest.signature.public_key)
    except ValueError as error:
        result.problems.append(f"MANIFEST {MANIFEST}: signature.public_key: {error}")
        return
    if signing.fingerprint(embedded) != recorded:
        result.problems.append(
            f"MANIFEST {MANIFEST}: signature.public_key does not match its fingerprint {recorded}"
        )
    elif not signing.verify_signature(embedded, data, signature):
        result.problems.append(
            f"SIGNATURE {SIG}: does not verify with the recorded key {recorded}: "
            f"{MANIFEST} was changed after it was signed"
        )
    else:
        result.signer = recorded
        result.notes.append(
            f"the signature verifies with the key the manifest records ({recorded}), which "
            "proves it unchanged since signed, not who signed it"
        )
