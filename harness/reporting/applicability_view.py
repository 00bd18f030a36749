"""What the report says about requirements a device does not have, and how it was run.

The shared suites hold tests for every shipped device; a test whose requirements the
unit's spec lacks is not collected, and the run writes ``applicability.json`` listing
them (``harness.plugin.applicability``). A report that simply left them out would let a
reader take their absence for an oversight, or worse for a pass, so they are named as
*not applicable*, with the reason, apart from the requirements that were tested. The
same file says how the unit was driven (its test port, an operator, or a relay across
its buttons), which a reader needs to judge declared values such as the firmware.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import InputError
from harness.reporting import run_folder

APPLICABILITY = "applicability.json"

CONTROL_WORDS = {
    "port": "through its factory test port",
    "operator": "by an operator at its buttons (steps confirmed by measurement)",
    "relay": "by relays across its buttons (steps confirmed by measurement)",
}


@dataclass(frozen=True)
class Applicability:
    """How the unit was controlled, and each not-applicable requirement with its reason."""

    unit_control: str | None = None
    not_applicable: dict[str, str] = field(default_factory=dict)

    @property
    def control_text(self) -> str | None:
        if self.unit_control is None:
            return None
        return CONTROL_WORDS.get(self.unit_control, self.unit_control)


def read_applicability(run_dir: Path) -> Applicability:
    """The run's ``applicability.json``; an empty view for runs from before it existed."""
    path = run_dir / APPLICABILITY
    if not path.exists():
        return Applicability()
    try:
        data = json.loads(run_folder.read_small(path))
        rows = data.get("not_applicable", {})
        return Applicability(
            unit_control=data.get("unit_control"),
            not_applicable={str(rid): str(row["reason"]) for rid, row in rows.items()},
        )
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        raise InputError(path, "not_applicable", "the run's applicability record") from error


__all__ = ["APPLICABILITY", "Applicability", "read_applicability"]
