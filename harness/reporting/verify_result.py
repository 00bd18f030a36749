"""What checking an evidence package found: the verdict, its exit code and its reasons.

``verification.verify_run`` fills one :class:`VerifyResult` step by step (the folder,
the manifest, the files, the audit trail) and ``signature_check`` adds what the
signature says; ``hil verify`` prints its verdict line or its JSON. It is a module of
its own so that both checkers can write into it without importing each other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_ORIGIN_UNPROVEN = 0, 1, 2, 3


@dataclass
class VerifyResult:
    """What ``verify_run`` found. ``ok``: intact (no problems); ``status``: the verdict."""

    run_dir: Path
    key_required: bool = False
    sealed: bool = True
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    files_checked: int = 0
    audit_entries: int = 0
    signer: str | None = None
    """Fingerprint of the key the signature verified with (None: unsigned or failed)."""
    signer_name: str | None = None
    """The pinned key's name when a pinned key verified it; None for an unpinned key."""
    run_status: str | None = None

    @property
    def ok(self) -> bool:
        """Intact: nothing changed, missing, added or broken (origin not considered)."""
        return self.sealed and not self.problems

    @property
    def status(self) -> str:
        """OK, FAILED, UNSEALED, UNSIGNED or UNPINNED."""
        if not self.sealed:
            return "UNSEALED"
        if self.problems:
            return "FAILED"
        if self.key_required or self.signer_name is not None:
            return "OK"
        return "UNSIGNED" if self.signer is None else "UNPINNED"

    @property
    def exit_code(self) -> int:
        """0 intact and signed by a pinned key; 1 failed or unsealed; 3 origin unproven."""
        return {"OK": EXIT_OK, "UNSIGNED": EXIT_ORIGIN_UNPROVEN,
                "UNPINNED": EXIT_ORIGIN_UNPROVEN}.get(self.status, EXIT_FAILED)  # fmt: skip

    def verdict(self) -> str:
        """The first line ``hil verify`` prints: the verdict and, when not OK, why."""
        where, status = self.run_dir, self.status
        intact = f"{self.files_checked} files, audit chain of {self.audit_entries} entries"
        if status == "UNSEALED":
            state = f" (run status {self.run_status!r})" if self.run_status else ""
            return (f"hil verify: UNSEALED: {where}: the run ended without a seal{state}; "
                    f"`hil evidence seal {where}` seals it late")  # fmt: skip
        if status == "FAILED":
            kinds = Counter(problem.split(" ", 1)[0] for problem in self.problems)
            counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            first = next((p for p in self.problems if p.startswith("SIGNATURE")),
                         self.problems[0])  # fmt: skip
            return (f"hil verify: FAILED: {where}: {first} "
                    f"[{len(self.problems)} problems: {counts}]")  # fmt: skip
        if status == "UNSIGNED":
            return (
                f"hil verify: UNSIGNED: {where}: intact ({intact}) but not signed: only the "
                "hash chain protects it, which anyone can recompute; origin not proven"
            )
        if status == "UNPINNED":
            return (f"hil verify: SIGNED BY UNPINNED KEY {self.signer}: give --public-key or "
                    f"--lab to prove its origin ({where}: intact, {intact})")  # fmt: skip
        return (f"hil verify: OK: {where}: {intact}, signed by trusted key "
                f"{self.signer_name!r} {self.signer}")  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """One object for other tools: the verdict and everything behind it."""
        signer = None
        if self.signer is not None:
            signer = {"fingerprint": self.signer, "name": self.signer_name,
                      "trusted": self.signer_name is not None}  # fmt: skip
        return {
            "run_dir": str(self.run_dir), "status": self.status, "exit_code": self.exit_code,
            "problems": self.problems, "notes": self.notes, "amendments": self.amendments,
            "signer": signer, "files_checked": self.files_checked,
            "audit_entries": self.audit_entries,
        }  # fmt: skip
