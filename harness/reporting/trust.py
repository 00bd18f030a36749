"""The laboratory's trust file: which keys may vouch for a run, and when.

A signature proves origin only against a key the verifier obtained independently. The
key a manifest records about itself proves nothing: whoever rewrites a package can
re-sign it with a key of their own and record that one. So ``hil verify`` trusts only
*pinned* keys: ``--public-key FILE`` or the ``trusted_keys`` of a laboratory trust file
given with ``--lab``::

    schema_version: 2
    laboratory: {name: "Example Test Lab", address: "1 Example Road, Town"}
    accreditation: {body: UKAS, number: "0000", scope: "IEC 60601-2-10 output tests"}
    approvers:                         # who may approve (sign off) a test report
      - {name: "A. Example", role: "Technical manager"}
    signing_key: keys/lab.key          # optional; benches using this lab sign every run
    trusted_keys:
      - {name: "lab 2026", public_key: keys/lab.key.pub, valid_from: 2026-01-01,
         valid_until: 2027-01-01}
      - {name: "lab 2027", public_key: keys/lab2027.pub, valid_from: 2026-12-01}

Paths are relative to the trust file. Key rotation: each key has an optional validity
window (``valid_from`` inclusive, ``valid_until`` exclusive, both at 00:00 UTC); a
signature is accepted only from a pinned key whose window contains the manifest's
``created_at``. Overlapping windows let a new key take over before the old one retires.
Revocation is removing the key from ``trusted_keys``: every package it signed then needs
another proof of origin. A window bounds the use of a key that was *retired and
destroyed*; a stolen key can sign with any ``created_at`` it likes, so a stolen key is
revoked, not merely expired.

The file is strict (unknown fields are errors) and versioned; every error names the
file, the line and the field. Version 2 adds ``accreditation`` (body, number, scope) and
``approvers`` (name, role), which the test report prints in its header and signature
block (ISO/IEC 17025 7.8.2.1 b, o); a version-1 file still reads, without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal, Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import InputError
from harness.judging.yamlfile import FieldError, load_yaml, require_unique, validate
from harness.reporting import signing

LAB_SCHEMA_VERSION: Literal[2] = 2
LAB_SCHEMA_VERSIONS = (1, 2)
"""Every version this harness reads; it writes none, a laboratory keeps its file by hand."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyEntry(_Strict):
    name: str = Field(min_length=1)
    public_key: str = Field(min_length=1)
    valid_from: date | None = None
    valid_until: date | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise FieldError("valid_until", f"a date after valid_from {self.valid_from}")
        return self


class LaboratoryEntry(_Strict):
    name: str = Field(min_length=1)
    address: str | None = None


class AccreditationEntry(_Strict):
    body: str = Field(min_length=1)
    number: str = Field(min_length=1)
    scope: str = Field(min_length=1)


class ApproverEntry(_Strict):
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class LabFile(_Strict):
    schema_version: Literal[1, 2]
    laboratory: LaboratoryEntry
    accreditation: AccreditationEntry | None = None
    approvers: list[ApproverEntry] = Field(default_factory=list)
    signing_key: str | None = None
    trusted_keys: list[KeyEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _version_has_fields(self) -> Self:
        if self.schema_version == 1 and (self.accreditation or self.approvers):
            raise FieldError("schema_version", "2 for a lab file with accreditation or approvers")
        return self


@dataclass(frozen=True)
class PinnedKey:
    """A public key the verifier trusts, with the window in which it may sign."""

    name: str
    key: Ed25519PublicKey
    fingerprint: str
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_at(self, moment: datetime) -> bool:
        """True when ``moment`` lies in ``[valid_from, valid_until)`` (00:00 UTC)."""
        if self.valid_from is not None and moment < _midnight(self.valid_from):
            return False
        return self.valid_until is None or moment < _midnight(self.valid_until)

    def window(self) -> str:
        start = "any time" if self.valid_from is None else str(self.valid_from)
        end = "no end" if self.valid_until is None else f"before {self.valid_until}"
        return f"{start} to {end}"

    def label(self) -> str:
        return f"{self.name!r} {self.fingerprint}"


@dataclass(frozen=True)
class LabTrust:
    """A loaded trust file: the laboratory, its keys, and the key its benches sign with."""

    source: Path
    name: str
    address: str | None
    keys: list[PinnedKey]
    signing_key: Path | None = None
    signing_key_line: int | None = field(default=None, compare=False)
    accreditation: AccreditationEntry | None = None
    approvers: tuple[ApproverEntry, ...] = ()

    def usable_signing_key(self) -> Path | None:
        """``signing_key`` checked to be an Ed25519 private key; None when not configured.

        Checked only when asked: an auditor verifying with the trust file has the public
        keys, not the laboratory's private key.
        """
        if self.signing_key is None:
            return None
        try:
            signing.load_private_key(self.signing_key)
        except InputError as error:
            raise InputError(
                self.source, "signing_key", f"an Ed25519 private key file ({error})",
                line=self.signing_key_line,
            ) from None  # fmt: skip
        return self.signing_key


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def load_lab(path: str | Path) -> LabTrust:
    """Read and check a laboratory trust file; ``InputError`` naming file, line and field."""
    doc = load_yaml(path)
    data = doc.data
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version not in LAB_SCHEMA_VERSIONS:
        raise InputError(
            doc.source, "schema_version",
            f"{' or '.join(map(str, LAB_SCHEMA_VERSIONS))} (the versions this harness reads)",
            line=doc.line_of(("schema_version",)), got=version,
        )  # fmt: skip
    lab = validate(LabFile, doc)
    names = [k.name for k in lab.trusted_keys]
    require_unique(doc, "trusted_keys", "name", names, "a key name given once")
    folder = doc.source.parent
    keys: list[PinnedKey] = []
    for index, entry in enumerate(lab.trusted_keys):
        where = ("trusted_keys", index, "public_key")
        try:
            public = signing.load_public_key(folder / entry.public_key)
        except InputError as error:
            raise InputError(
                doc.source, f"trusted_keys[{index}].public_key",
                f"an Ed25519 public key file ({error})", line=doc.line_of(where),
            ) from None  # fmt: skip
        keys.append(PinnedKey(entry.name, public, signing.fingerprint(public),
                              entry.valid_from, entry.valid_until))  # fmt: skip
    return LabTrust(
        source=doc.source,
        name=lab.laboratory.name,
        address=lab.laboratory.address,
        keys=keys,
        signing_key=None if lab.signing_key is None else folder / lab.signing_key,
        signing_key_line=doc.line_of(("signing_key",)),
        accreditation=lab.accreditation,
        approvers=tuple(lab.approvers),
    )


def pin_key_files(paths: Sequence[str | Path]) -> list[PinnedKey]:
    """Keys given on the command line (``--public-key``): trusted at any time."""
    pinned = []
    for path in paths:
        public = signing.load_public_key(path)
        pinned.append(PinnedKey(Path(path).name, public, signing.fingerprint(public)))
    return pinned
