"""The run's audit trail: an append-only, hash-chained log of who did what, and when.

21 CFR 11.10(e) asks for a secure, computer-generated, time-stamped audit trail of the
actions that create, modify or delete electronic records, where a change never obscures
what was recorded before. ``reports/<run-id>/audit.log`` is that trail for one run folder.

Each line is one JSON object, an ``AuditEntry``: a sequence number (1, 2, 3, ...), the UTC
time to the millisecond, the actor (operator login or ``hil``), the action (a lower-case
verb phrase such as ``run-completed``, ``retest``, ``override``, ``manifest-built``,
``resealed``), free-form details, ``prev_hash`` and ``hash``. ``hash`` is the SHA-256 of
the entry's *canonical JSON* without its ``hash`` field (keys sorted, no spaces, UTF-8),
and ``prev_hash`` is the previous entry's ``hash`` (64 zeros for the first entry). Each
entry therefore vouches for every entry before it:

- an edited line no longer matches its own hash;
- a removed, inserted or reordered line breaks the next entry's ``prev_hash`` and the
  run of sequence numbers;
- a removed *last* line leaves a valid but shorter chain: that is why the evidence
  manifest records the chain's head (seq and hash) when it is built.

A chain can be recomputed by anyone who can write the file, so the chain alone shows
accidents and careless edits; the Ed25519 signature over the manifest, which records the
head, is what makes a deliberate rewrite visible (see ``harness/reporting/signing.py``).

Appending opens the file in append mode, writes one line and fsyncs it: earlier lines are
never rewritten. Appenders on one host are serialised by a lock (filelock, any OS).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_serializer

from harness.errors import InputError
from harness.recording.record import utc_now
from harness.reporting import run_folder

AUDIT_FILE = "audit.log"
AUDIT_SCHEMA_VERSION: Literal[1] = 1
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry: there is nothing before it."""

_HEX64 = r"^[0-9a-f]{64}$"


class AuditEntry(BaseModel):
    """One line of ``audit.log`` (schema version 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = AUDIT_SCHEMA_VERSION
    seq: int = Field(ge=1)
    time: datetime
    actor: str = Field(min_length=1)
    action: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    details: dict[str, JsonValue] = Field(default_factory=dict)
    prev_hash: str = Field(pattern=_HEX64)
    hash: str = Field(pattern=_HEX64)

    @field_serializer("time")
    def _time_ms(self, value: datetime) -> str:
        """UTC to the millisecond with a ``Z``, so the JSON (and the hash) is unambiguous."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("audit time must be timezone-aware")
        return format_utc_ms(value)

    def body(self) -> dict[str, Any]:
        """The entry as JSON data without ``hash``: what ``hash`` is computed over."""
        data = self.model_dump(mode="json")
        del data["hash"]
        return data

    def computed_hash(self) -> str:
        return entry_hash(self.body())


def format_utc_ms(value: datetime) -> str:
    """``2025-01-31T09:15:02.123Z``: every time stamp of the evidence package."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no NaN: one byte string for one value."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_hash(body: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry without its ``hash`` field."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def audit_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / AUDIT_FILE


def append(
    run_dir: str | Path, actor: str, action: str, details: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry to ``run_dir/audit.log`` and return it, durably written.

    The existing chain is read (strictly: a malformed line is an ``InputError`` naming
    it, since the new entry could not be chained onto it) only to find the last seq and
    hash; the new line is then appended and fsynced. Nothing already written is touched.
    """
    path = audit_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(path):
        os.close(run_folder.open_regular(path))  # a link, FIFO or device is never written
    with _appenders_lock(path):
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        flags |= run_folder.O_NOFOLLOW | run_folder.O_NONBLOCK | run_folder.O_BINARY
        fd = os.open(path, flags, 0o644)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InputError(path, "file", "a regular file")
            entries = read_chain(run_dir)
            last = entries[-1] if entries else None
            body: dict[str, Any] = {
                "schema_version": AUDIT_SCHEMA_VERSION,
                "seq": 1 if last is None else last.seq + 1,
                "time": format_utc_ms(utc_now()),
                "actor": actor,
                "action": action,
                "details": details or {},
                "prev_hash": GENESIS_HASH if last is None else last.hash,
            }
            try:
                entry = AuditEntry.model_validate({**body, "hash": entry_hash(body)})
            except (ValidationError, ValueError) as error:
                raise InputError(path, "entry", f"a valid audit entry ({error})") from None
            os.write(fd, canonical_json(entry.model_dump(mode="json")) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
    return entry


def read_chain(run_dir: str | Path) -> list[AuditEntry]:
    """Every entry of ``run_dir/audit.log`` in file order; [] when there is no log.

    Strict: a line that is not JSON, does not match the schema, or a file whose last
    line is cut short raises ``InputError`` with the line number. ``verify_run`` uses
    ``scan_chain`` instead, which reports such lines and carries on.
    """
    entries, problems = scan_chain(run_dir)
    if problems:
        raise InputError(audit_path(run_dir), "entry", problems[0].split(": ", 1)[-1])
    return [entry for _, entry in entries]


def scan_chain(run_dir: str | Path) -> tuple[list[tuple[int, AuditEntry]], list[str]]:
    """(line number, entry) for every readable line, and a problem for every other line.

    Also flags a line that parses but is not byte-for-byte the canonical form the
    harness writes: a re-indented or key-reordered line was edited by hand.
    """
    path = audit_path(run_dir)
    if not os.path.lexists(path):
        return [], []
    raw = run_folder.read_small(path)
    problems: list[str] = []
    if raw and not raw.endswith(b"\n"):
        last = raw.count(b"\n") + 1
        problems.append(f"{AUDIT_FILE} line {last}: cut short (no newline)")
    entries: list[tuple[int, AuditEntry]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        where = f"{AUDIT_FILE} line {number}"
        try:
            data = json.loads(line)
            entry = AuditEntry.model_validate(data)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not valid JSON ({error.msg})")
            continue
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "entry"
            problems.append(f"{where}: {field}: {first['msg']}")
            continue
        if canonical_json(data) != line:
            problems.append(f"{where} (seq {entry.seq}): not in canonical form: edited")
        entries.append((number, entry))
    return entries, problems


def verify_chain(entries: Sequence[AuditEntry], lines: Sequence[int] | None = None) -> list[str]:
    """The problems of a chain, each naming the seq and line; [] for an intact chain.

    ``lines`` gives each entry's line number in the file (default: 1, 2, 3, ...), so a
    problem can point at the line even when unreadable lines were skipped before it.
    """
    problems: list[str] = []
    line_numbers = list(lines) if lines is not None else list(range(1, len(entries) + 1))
    previous: AuditEntry | None = None
    for entry, number in zip(entries, line_numbers, strict=True):
        where = f"{AUDIT_FILE} line {number} (seq {entry.seq}, {entry.action})"
        if entry.computed_hash() != entry.hash:
            problems.append(f"{where}: content does not match its hash: the entry was edited")
        expected_seq = 1 if previous is None else previous.seq + 1
        if entry.seq > expected_seq:
            gone = (
                f"seq {expected_seq}"
                if entry.seq == expected_seq + 1
                else f"seq {expected_seq}..{entry.seq - 1}"
            )
            problems.append(f"{where}: {gone} missing before it: entries were removed")
        elif entry.seq < expected_seq:
            problems.append(
                f"{where}: expected seq {expected_seq}: an entry was inserted or reordered"
            )
        expected_prev = GENESIS_HASH if previous is None else previous.hash
        if entry.prev_hash != expected_prev:
            problems.append(
                f"{where}: prev_hash does not match the entry before it: "
                "the chain is broken (a line removed, inserted or reordered)"
            )
        previous = entry
    return problems


def _appenders_lock(path: Path) -> FileLock:
    """The lock that serialises appenders of one log on this host, so no two share a seq.

    A lock file in the system's temporary folder, named by the log's resolved path: not
    in the run folder, whose every file is sealed in its manifest, and not the log
    itself, which Windows would then refuse to let ``read_chain`` read (its byte-range
    locks are mandatory). filelock takes ``flock`` on POSIX and ``LockFileEx`` on Windows.
    """
    key = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:32]
    return FileLock(Path(tempfile.gettempdir()) / f"microcurrent-hil-audit-{key}.lock")
