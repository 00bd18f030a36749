"""Ed25519 signatures over the evidence manifest: who vouches for a run folder.

A hash list (the manifest) shows that files changed since it was written, but anyone who
can edit the files can also rewrite the list. A signature by the laboratory's private key
closes that gap: only the key holder can produce a manifest that verifies with the
laboratory's published public key.

Ed25519 (RFC 8032) is used because it has no parameters to get wrong, deterministic
signatures and small keys, and because ``openssl`` checks its signatures, so an auditor
does not need this harness to verify a run (``evidence.py`` shows the command).

Key files:

- private key: PEM, PKCS#8 (``-----BEGIN PRIVATE KEY-----``), unencrypted; what
  ``openssl genpkey -algorithm ed25519`` writes and what ``generate_key`` writes (mode
  0600). Keep it off the run folder and off shared drives.
- public key: PEM, SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----``), written next to
  the private key as ``<private key file>.pub``.

A key is named by its *fingerprint*: ``sha256:`` followed by the hex SHA-256 of the
32 raw public key bytes. The manifest records the fingerprint (and the raw key, base64)
of the key that signed it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from harness.errors import InputError
from harness.reporting import run_folder
from harness.reporting.run_folder import replace_file

ALGORITHM = "Ed25519"


def public_key_path(private_key_file: str | Path) -> Path:
    """Where ``generate_key`` puts the public half: ``<private key file>.pub``."""
    path = Path(private_key_file)
    return path.with_name(path.name + ".pub")


def generate_key(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a new Ed25519 private key (PEM PKCS#8, mode 0600) and its public key.

    Returns the public key's path (``<path>.pub``). Refuses to replace an existing key
    unless ``overwrite``: losing a signing key by a typo is not recoverable. Never writes
    through a symbolic link (a dangling one included: it could point into a shared
    folder) and never reuses an existing file's mode: each key is written to a new file
    created ``O_EXCL | O_NOFOLLOW`` with its mode set exactly (0600 private, 0644
    public), fsynced, and renamed over the old name (``run_folder.replace_file``).
    """
    target = Path(path)
    public = public_key_path(target)
    for where, what in ((target, "private key"), (public, "public key")):
        if where.is_symlink():
            raise InputError(where, what, "a path that is not a symbolic link (never followed)")
        if where.exists() and not where.is_file():
            raise InputError(where, what, "a path for a regular file")
    if target.exists() and not overwrite:
        raise InputError(target, "key file", "a path where no key exists yet (not replaced)")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, private_pem, mode=0o600)
    replace_file(public, public_pem, mode=0o644)
    return public


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM PKCS#8 file; ``InputError`` naming the file if not."""
    source = Path(path)
    try:
        key = serialization.load_pem_private_key(_read_key_file(source), password=None)
    except FileNotFoundError:
        raise InputError(source, "private key", "an existing key file") from None
    except (ValueError, TypeError) as error:
        raise InputError(
            source, "private key", f"an unencrypted PEM PKCS#8 Ed25519 key ({error})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(source, "private key", "an Ed25519 key", got=type(key).__name__)
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (a public key, or a private key's public half)."""
    source = Path(path)
    try:
        data = _read_key_file(source)
    except FileNotFoundError:
        raise InputError(source, "public key", "an existing key file") from None
    if b"PRIVATE KEY" in data:
        return load_private_key(source).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise InputError(source, "public key", f"a PEM Ed25519 public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(source, "public key", "an Ed25519 key", got=type(key).__name__)
    return key


def _read_key_file(path: Path) -> bytes:
    """A key file's bytes: a regular file (a link to one is fine) of at most 64 KiB.

    Opened non-blocking and checked with ``fstat`` first, so a FIFO or device given as a
    key is an ``InputError`` instead of a hang.
    """
    flags = os.O_RDONLY | run_folder.O_NONBLOCK | run_folder.O_BINARY
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 65536:
            raise InputError(path, "key file", "a regular file of at most 64 KiB")
        if run_folder.O_NONBLOCK:
            os.set_blocking(fd, True)
        return os.read(fd, 65537)
    finally:
        os.close(fd)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key (RFC 8032 encoding)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the raw public key: the name a manifest records a key by."""
    return "sha256:" + hashlib.sha256(raw_public_key(key)).hexdigest()


def public_key_from_base64(text: str) -> Ed25519PublicKey:
    """A public key from the base64 of its raw bytes, as the manifest stores it."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``data``."""
    return key.sign(data)


def verify_signature(key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``key``'s signature of exactly ``data``."""
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def encode_signature(signature: bytes) -> bytes:
    """``manifest.sig`` content: base64 of the 64 raw signature bytes, one line."""
    return base64.b64encode(signature) + b"\n"


def decode_signature(text: bytes) -> bytes:
    """The raw signature from ``manifest.sig``; ``ValueError`` if it is not one."""
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != 64:
        raise ValueError(f"an Ed25519 signature is 64 bytes, got {len(raw)}")
    return raw
