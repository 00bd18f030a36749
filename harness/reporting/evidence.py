"""The evidence package of a run folder: a manifest of every file, signed, tied to the audit log.

A compliance report is only as good as the trust in the numbers behind it. When a run
ends, ``seal_run`` turns ``reports/<run-id>/`` into a package an auditor can check years
later without trusting the disk it was kept on:

- ``results.csv``: the results table in a form any spreadsheet opens, next to
  ``results.parquet`` (which keeps the types);
- ``manifest.json``: the SHA-256 and size of *every* file in the folder, recursively,
  except ``manifest.json``, ``manifest.sig`` and ``audit.log`` (the log grows after the
  manifest is written and is protected by its own hash chain; the manifest records the
  chain's head instead, so truncating the log is detected);
- ``manifest.sig`` (optional): an Ed25519 signature of the exact bytes of
  ``manifest.json``, detached, written as base64 of the 64 raw signature bytes on one
  line. Without this harness: ``base64 -d manifest.sig > sig.bin && openssl pkeyutl
  -verify -pubin -inkey lab.key.pub -rawin -in manifest.json -sigfile sig.bin``;
- ``audit.log``: ``run-completed`` (``sealed-late`` when the run ended without a seal and
  it is sealed afterwards, ``resealed`` or ``amended`` for a later change) before the
  manifest, and ``manifest-built`` with the manifest's SHA-256 after it. ``hil verify``
  checks all of it; ``amend.py`` is how the harness itself changes a sealed package.

``manifest.json`` (schema version 1, pretty-printed UTF-8 JSON)::

    {"schema_version": 1, "run_id": "...", "created_at": "2025-01-31T09:15:02.123Z",
     "hash_algorithm": "sha256",
     "files": [{"path": "captures/001-OUT-AMP-L1.npz", "size": 123, "sha256": "..."}, ...],
     "audit_head": {"file": "audit.log", "seq": 1, "hash": "..."} | null,
     "signature": {"algorithm": "Ed25519", "file": "manifest.sig", "encoding": "base64",
                   "public_key_fingerprint": "sha256:...", "public_key": "<base64 raw>"}
                  | null}

Paths are relative, ``/``-separated and sorted; empty folders are not recorded. Only a
run folder is sealed (``run.json`` naming the folder, ``results.parquet``), and it may
hold regular files only: a link, FIFO, socket or device is refused by name, unopened
(``run_folder.py``). ``run_id`` is the folder's name, which ``hil verify`` checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from harness.errors import InputError
from harness.recording.record import utc_now
from harness.recording.results_csv import csv_bytes
from harness.reporting import audit, run_folder, signing
from harness.reporting.run_folder import RESULTS_PARQUET

MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
RESULTS_CSV = "results.csv"
MANIFEST_SCHEMA_VERSION: Literal[1] = 1
EXCLUDED = frozenset({MANIFEST_FILE, SIGNATURE_FILE, audit.AUDIT_FILE})
"""Top-level files the manifest does not list (the manifest, its signature, the log)."""

_HEX64 = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestFile(_Strict):
    """One file of the run folder: where, how big, and its SHA-256."""

    path: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=_HEX64)

    @field_validator("path")
    @classmethod
    def _relative_inside(cls, value: str) -> str:
        """A path that stays inside the run folder, so verify never reads outside it."""
        pure = PurePosixPath(value)
        if not value or pure.is_absolute() or ".." in pure.parts or "\\" in value:
            raise ValueError("a relative path inside the run folder, '/'-separated")
        return value


class AuditHead(_Strict):
    """The last audit entry when the manifest was built."""

    file: Literal["audit.log"] = "audit.log"
    seq: int = Field(ge=1)
    hash: str = Field(pattern=_HEX64)


class SignatureInfo(_Strict):
    """How ``manifest.sig`` was made and by which key."""

    algorithm: Literal["Ed25519"] = "Ed25519"
    file: Literal["manifest.sig"] = "manifest.sig"
    encoding: Literal["base64"] = "base64"
    public_key_fingerprint: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    public_key: str


class Manifest(_Strict):
    """``manifest.json``, schema version 1."""

    schema_version: Literal[1] = MANIFEST_SCHEMA_VERSION
    run_id: str = Field(min_length=1)
    created_at: datetime
    hash_algorithm: Literal["sha256"] = "sha256"
    files: list[ManifestFile]
    audit_head: AuditHead | None = None
    signature: SignatureInfo | None = None

    @field_serializer("created_at")
    def _time_ms(self, value: datetime) -> str:
        return audit.format_utc_ms(value)

    @field_validator("files")
    @classmethod
    def _sorted_unique(cls, value: list[ManifestFile]) -> list[ManifestFile]:
        paths = [f.path for f in value]
        if paths != sorted(set(paths)):
            raise ValueError("file paths must be unique and sorted")
        return value

    def to_bytes(self) -> bytes:
        """The exact bytes written to ``manifest.json`` (and signed)."""
        text = json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


def sha256_file(path: Path) -> str:
    """SHA-256 (hex) of a regular file, streamed; anything else is an ``InputError``."""
    return run_folder.hash_file(path)[1]


def inventory(run_dir: str | Path) -> list[ManifestFile]:
    """Every file under ``run_dir`` (recursively, sorted) except ``EXCLUDED``, hashed.

    ``InputError`` naming the first entry that is not a regular file (never opened).
    """
    root = Path(run_dir)
    found: list[ManifestFile] = []
    for relative in list_files(root):
        size, digest = run_folder.hash_file(root / relative)
        found.append(ManifestFile(path=relative, size=size, sha256=digest))
    return found


def list_files(run_dir: str | Path) -> list[str]:
    """The relative paths ``inventory`` would hash, without hashing them."""
    root = Path(run_dir)
    contents = run_folder.scan(root)
    if contents.refused:
        path, kind = contents.refused[0]
        raise InputError(root / path, "file", f"a regular file, not {run_folder.refusal(kind)}")
    return [path for path in contents.files if path not in EXCLUDED]


def write_results_csv(run_dir: str | Path) -> Path:
    """``results.csv`` from ``results.parquet`` in the same folder, as ``hil results export``.

    Lists (instruments, attachments) become JSON text and times ISO 8601 with a ``Z``,
    exactly as ``harness.recording.results.export`` writes CSV, so the two exports agree. Written to
    a temporary name and renamed, so a reader never sees half a file.
    """
    root = Path(run_dir)
    source = root / RESULTS_PARQUET
    if not source.is_file():
        raise InputError(source, "results", "the run's results.parquet")
    target = root / RESULTS_CSV
    # the same bytes pandas' read_parquet + to_csv wrote, without importing pandas (the
    # last import of a run sealed without a report; harness.recording.results_csv)
    run_folder.replace_file(target, csv_bytes(source))
    return target


def read_manifest(run_dir: str | Path) -> Manifest:
    """``manifest.json`` parsed and checked against schema v1; ``InputError`` otherwise."""
    path = Path(run_dir) / MANIFEST_FILE
    if not os.path.lexists(path):
        raise InputError(path, "manifest", "a manifest.json (the run was never sealed?)")
    try:
        data = json.loads(run_folder.read_small(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", None)
        raise InputError(path, "manifest", f"valid JSON ({error})", line=line) from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != MANIFEST_SCHEMA_VERSION:
        raise InputError(
            path, "schema_version", f"{MANIFEST_SCHEMA_VERSION} (the version this harness reads)",
            got=version,
        )  # fmt: skip
    try:
        return Manifest.model_validate(data)
    except ValueError as error:
        raise InputError(path, "manifest", f"manifest schema v1 ({_first_error(error)})") from None


def build_manifest(
    run_dir: str | Path, *, key_file: Path | None = None, actor: str = "hil"
) -> Path:
    """Write ``manifest.json`` (and ``manifest.sig`` when ``key_file`` is given).

    Refuses to vouch for a broken audit trail. After writing, appends ``manifest-built``
    (with the manifest's SHA-256, so an edited unsigned manifest is still caught) to the
    audit log. Returns the manifest's path.
    """
    root = Path(run_dir)
    run_id = run_folder.require_run_folder(root)
    key = signing.load_private_key(key_file) if key_file is not None else None
    chain = audit.read_chain(root)
    broken = audit.verify_chain(chain)
    if broken:
        raise InputError(root / audit.AUDIT_FILE, "chain", f"an intact audit chain ({broken[0]})")
    head = AuditHead(seq=chain[-1].seq, hash=chain[-1].hash) if chain else None
    signature_info = None
    if key is not None:
        public = key.public_key()
        signature_info = SignatureInfo(
            public_key_fingerprint=signing.fingerprint(public),
            public_key=base64.b64encode(signing.raw_public_key(public)).decode("ascii"),
        )
    manifest = Manifest(
        run_id=run_id,
        created_at=utc_now(),
        files=inventory(root),
        audit_head=head,
        signature=signature_info,
    )
    data = manifest.to_bytes()
    target = root / MANIFEST_FILE
    run_folder.replace_file(target, data)
    sig_path = root / SIGNATURE_FILE
    if key is not None:
        run_folder.replace_file(sig_path, signing.encode_signature(signing.sign(key, data)))
    elif os.path.lexists(sig_path):
        sig_path.unlink()  # a stale signature of an older manifest would only mislead
    audit.append(
        root,
        actor,
        "manifest-built",
        {
            "manifest_sha256": hashlib.sha256(data).hexdigest(),
            "files": len(manifest.files),
            "signed_by": None if signature_info is None else signature_info.public_key_fingerprint,
        },
    )
    return target


LATE_SEAL_NOTE = (
    "the run ended without a seal (a crash or a kill while its report was built or its "
    "package sealed); sealed afterwards from the files as found"
)


def seal_run(
    run_dir: str | Path, *, actor: str, key_file: Path | None = None, late: bool = False
) -> Path:
    """Seal a finished run folder: results.csv, an audit entry, then the manifest.

    The first seal appends ``run-completed``, or ``sealed-late`` when ``late`` (the run
    ended without a seal and is sealed afterwards: ``hil evidence seal``, or the next
    run finding it unsealed). Sealing again (after a re-test, an override, or to add a
    signature) appends ``resealed`` with what changed since the previous manifest, and
    writes a new manifest. Earlier audit lines are never edited, so the history of every
    seal stays readable. Refuses a folder that is not a run folder (``InputError``,
    nothing written). Returns the manifest's path.
    """
    root = Path(run_dir)
    run_folder.require_run_folder(root)
    if key_file is not None:
        signing.load_private_key(key_file)  # a bad key fails before anything is written
    list_files(root)  # a FIFO, link or device fails before anything is written
    write_results_csv(root)
    previous = _previous_manifest(root)
    sealed_before = previous is not None or any(
        e.action in ("run-completed", "sealed-late") for e in audit.read_chain(root)
    )
    details: dict[str, object] = {"run_status": _run_status(root), "files": len(list_files(root))}
    if not sealed_before:
        if late:
            details["note"] = LATE_SEAL_NOTE
        audit.append(root, actor, "sealed-late" if late else "run-completed", details)
    else:
        if previous is not None:
            old, old_bytes = previous
            details["previous_manifest_sha256"] = hashlib.sha256(old_bytes).hexdigest()
            details.update(compare(old.files, inventory(root)))
        audit.append(root, actor, "resealed", details)
    return build_manifest(root, key_file=key_file, actor=actor)


def compare(recorded: list[ManifestFile], current: list[ManifestFile]) -> dict[str, list[str]]:
    """Paths ``changed``, ``missing`` (recorded, now gone) and ``added`` (new), each sorted."""
    before = {f.path: f for f in recorded}
    now = {f.path: f for f in current}
    return {
        "changed": sorted(
            p for p in before.keys() & now.keys() if (before[p].sha256, before[p].size)
            != (now[p].sha256, now[p].size)
        ),
        "missing": sorted(before.keys() - now.keys()),
        "added": sorted(now.keys() - before.keys()),
    }  # fmt: skip


def _previous_manifest(root: Path) -> tuple[Manifest, bytes] | None:
    """The manifest already in the folder, if one parses; an unreadable one is ignored."""
    try:
        return read_manifest(root), run_folder.read_small(root / MANIFEST_FILE)
    except InputError:
        return None


def _run_status(root: Path) -> str | None:
    try:
        status = run_folder.read_run_record(root).get("status")
    except InputError:
        return None
    return status if isinstance(status, str) else None


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}"
    return str(error)
