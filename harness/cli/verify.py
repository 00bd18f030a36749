"""``hil verify`` and ``hil evidence``: check a package, make a key, seal a run by hand.

``hil verify RUN [--public-key K ...] [--lab LAB.yaml] [--format text|json]`` prints the
verdict FIRST, then one line per problem (CHANGED, MISSING, ADDED, REFUSED, RUN,
MANIFEST, SIGNATURE, AUDIT, each naming the file or audit line), then notes (the
amendments, a late seal). What is checked is in ``verification.py``. Exit status:

- 0 ``hil verify: OK``: intact AND signed by a given or pinned key, in its window;
- 1 ``FAILED`` (anything changed, missing, added, refused, a broken chain, a wrong or
  absent signature when a key is given) or ``UNSEALED`` (the run ended without a seal);
- 2 bad input: no such folder, an unreadable key or trust file;
- 3 intact but origin NOT proven, because no key was given: ``UNSIGNED`` or
  ``SIGNED BY UNPINNED KEY``. A script that needs proof of origin gives ``--lab``.

``--format json`` prints one object instead (status, exit_code, problems, notes,
amendments, signer, files_checked, audit_entries).

``hil evidence keygen FILE`` makes a signing key (0600, never through a link);
``hil evidence seal RUN`` seals a run folder by hand: a run that ended without a seal is
sealed *late* (audit entry ``sealed-late``), a sealed one re-sealed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.recording.record import RunRecord
from harness.reporting import evidence, signing
from harness.reporting.trust import PinnedKey, load_lab, pin_key_files
from harness.reporting.verification import verify_run
from harness.reporting.verify_result import EXIT_BAD_INPUT, VerifyResult

__all__ = ["VerifyResult", "add_parser", "run", "verify_run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``verify`` and ``evidence`` to the ``hil`` sub-commands, both with ``func=run``."""
    verify: argparse.ArgumentParser = subparsers.add_parser(
        "verify", help="check a run folder against its manifest, signature and audit trail"
    )
    verify.add_argument("run_dir", help="the run folder, reports/<run-id>")
    verify.add_argument(
        "--public-key",
        action="append",
        default=[],
        help="an Ed25519 public key (PEM) the package must be signed by (repeatable)",
    )
    verify.add_argument("--lab", help="laboratory trust file: its trusted_keys are pinned")
    verify.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default): the verdict first, a line per problem; json: one object",
    )
    verify.set_defaults(func=run)
    tools = subparsers.add_parser("evidence", help="signing keys; seal a run folder by hand")
    actions = tools.add_subparsers(dest="evidence_action", required=True)
    keygen = actions.add_parser("keygen", help="write a new Ed25519 key and FILE.pub")
    keygen.add_argument("file", help="private key file to write (PEM PKCS#8, mode 0600)")
    keygen.add_argument("--force", action="store_true", help="replace an existing key")
    seal = actions.add_parser("seal", help="write results.csv, audit entry and manifest")
    seal.add_argument("run_dir", help="the run folder, reports/<run-id>")
    seal.add_argument("--actor", default=None, help="who seals (default: login name)")
    seal.add_argument("--key", help="Ed25519 private key (PEM PKCS#8) to sign with")
    seal.add_argument("--lab", help="laboratory trust file whose signing_key signs")
    seal.add_argument(
        "--store", help="results store whose run record is settled (default: beside the run)"
    )
    tools.set_defaults(func=run)
    return verify


def run(args: argparse.Namespace) -> int:
    """Run ``verify``, ``evidence keygen`` or ``evidence seal``; see the exit codes above."""
    try:
        action = getattr(args, "evidence_action", None)
        if action == "keygen":
            public = signing.generate_key(Path(args.file), overwrite=args.force)
            print(f"{args.file}: private key; {public}: public key, {_fp(public)}")
            return 0
        if action == "seal":
            key = _seal_key(args)
            actor = args.actor or getpass.getuser()
            before = _signer(Path(args.run_dir))
            stored = _stored_run(Path(args.run_dir), getattr(args, "store", None))
            _refuse_while_sealing(Path(args.run_dir), stored)
            print(evidence.seal_run(Path(args.run_dir), actor=actor, key_file=key, late=True))
            settled = _settle_store(stored)
            if settled:
                print(settled)
            if before and key is None:
                print(f"hil: warning: the package was signed by {before}; sealed again without "
                      "a key (--key or --lab), it is now UNSIGNED", file=sys.stderr)  # fmt: skip
            return 0
        result = verify_run(Path(args.run_dir), trusted=_pinned(args))
    except InputError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        if getattr(args, "format", "text") == "json":
            bad = {"status": "BAD INPUT", "exit_code": EXIT_BAD_INPUT, "problems": [str(error)]}
            print(json.dumps(bad, ensure_ascii=False))
        return EXIT_BAD_INPUT
    if getattr(args, "format", "text") == "json":
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return result.exit_code
    print(result.verdict())
    for line in result.problems:
        print(line)
    for note in result.notes:
        print(f"note: {note}")
    return result.exit_code


def _pinned(args: argparse.Namespace) -> list[PinnedKey]:
    keys = getattr(args, "public_key", None) or []
    pinned = pin_key_files([keys] if isinstance(keys, str) else keys)
    if getattr(args, "lab", None):
        pinned += load_lab(args.lab).keys
    return pinned


def _seal_key(args: argparse.Namespace) -> Path | None:
    if args.key:
        return Path(args.key)
    return load_lab(args.lab).usable_signing_key() if getattr(args, "lab", None) else None


def _stored_run(run_dir: Path, store: str | None) -> tuple[str, RunRecord] | None:
    """(store, record) of the run in its results store, None when there is none."""
    from harness.recording.store.results_store import ResultsStore
    from harness.recording.store.schema import StoreError

    where = store or str(run_dir.parent / "results.db")
    if store is None and not (run_dir.parent / "results.db").is_file():
        return None
    opened = ResultsStore.open(where, create=False)
    try:
        return where, opened.get_run(run_dir.name)
    except StoreError:
        return None
    finally:
        opened.close()


def _refuse_while_sealing(run_dir: Path, found: tuple[str, RunRecord] | None) -> None:
    """A run whose own process is still sealing it is not sealed a second time by hand."""
    from harness.recording.provenance import host_name, process_alive

    if found is None:
        return
    record = found[1]
    alive = record.host == host_name() and process_alive(record.pid, record.started_at)
    if record.status == "sealing" and alive:
        raise InputError(
            run_dir, "run", "a run whose own process has finished sealing it",
            got=f"run {record.run_id} is being sealed by process {record.pid}",
        )  # fmt: skip


def _settle_store(found: tuple[str, RunRecord] | None) -> str | None:
    """After a late seal, the stored run (as read before it) leaves ``unsealed``/``sealing``
    for its outcome."""
    from harness.recording.store.results_store import ResultsStore

    if found is None:
        return None
    where, record = found
    if record.status not in ("sealing", "unsealed") or record.outcome is None:
        return None
    opened = ResultsStore.open(where, create=False)
    try:
        opened.set_status(record.run_id, record.outcome)
    finally:
        opened.close()
    return f"hil: run {record.run_id} sealed late: its stored status is {record.outcome} again"


def _signer(run_dir: Path) -> str | None:
    try:
        info = evidence.read_manifest(run_dir).signature
    except InputError:
        return None
    return None if info is None else info.public_key_fingerprint


def _fp(public: Path) -> str:
    return signing.fingerprint(signing.load_public_key(public))
