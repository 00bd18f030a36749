"""The operator's hands on the unit's buttons, and the operator's word for what the
harness cannot read from a unit without a test port.

:class:`OperatorButtons` implements the ``ButtonActuator`` role by asking: "Press and hold
POWER for 1.2 s, then release". The answer only says a press was made; the procedures
confirm by measurement that the unit reacted (``harness.procedures.unit_control``).

:func:`declared` asks for a value the unit cannot report (its firmware version) and marks
it as declared, so the record and the report never present it as read from the unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.dut.operator import UNKNOWN, Operator, Prompt

DECLARED = "declared by the operator"
NOT_KNOWN = "not known: no test port"


@dataclass(frozen=True)
class ButtonInstruction:
    """How a person presses one button: what it is called on the unit, for how long."""

    label: str
    press_s: float


class OperatorButtons:
    """Presses buttons by asking the operator; implements ``ButtonActuator``."""

    def __init__(
        self,
        operator: Operator,
        buttons: Mapping[str, ButtonInstruction],
        timeout_s: float,
        name: str = "operator",
    ) -> None:
        self.operator, self._buttons, self.timeout_s, self._name = (
            operator, dict(buttons), timeout_s, name,
        )  # fmt: skip

    @property
    def name(self) -> str:
        return self._name

    def has(self, button: str) -> bool:
        return button in self._buttons

    def hold_s(self, button: str) -> float:
        return self._buttons[button].press_s

    def press(self, button: str) -> None:
        """Ask for one press; OperatorAbort or OperatorTimeout if it was not made."""
        how = self._buttons[button]
        text = f"Press and hold {how.label} for {how.press_s:g} s, then release it"
        self.operator.ask(Prompt(f"press {button}", text), self.timeout_s)


def declared(operator: Operator | None, field: str, question: str, timeout_s: float) -> str:
    """The operator's answer marked as declared, or why it is not known.

    ``field`` is the prompt key's subject (``firmware``); without an operator (a relay
    bench running unattended) nothing can be declared and the value says so.
    """
    if operator is None:
        return NOT_KNOWN
    answer = operator.ask(Prompt(f"declare {field}", question, declare=True), timeout_s)
    if answer.strip().lower() in ("", UNKNOWN):
        return f"unknown ({DECLARED})"
    return f"{answer.strip()} ({DECLARED})"
