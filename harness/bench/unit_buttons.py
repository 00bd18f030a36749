"""Who presses the buttons of a unit without a test port, built from the bench file.

``device.control`` in the bench file decides: ``relay`` gives :class:`RelayButtons` on the
named relay instrument, ``operator`` gives :class:`OperatorButtons` asking the person at
the bench (or the ``--operator-input`` script). On a simulated bench the operator's
answer "done" is not enough to move a simulated finger, so :class:`SimulatedHands`
presses the simulated button after the operator said the press was made: an abort or
a time-out presses nothing, which is what a real operator's would do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from harness.definitions.bench_file import BenchFile
from harness.dut.buttons import ButtonInstruction, OperatorButtons
from harness.dut.operator import Operator, operator_for
from harness.instruments.protocols import ButtonActuator, Clock, Instrument, LoadSwitch
from harness.instruments.relay_buttons import RelayButtons


class SimulatedHands:
    """The operator's presses, made on the simulated unit once the operator says so."""

    def __init__(self, asked: OperatorButtons, sim: Any) -> None:
        self._asked, self._sim = asked, sim

    @property
    def name(self) -> str:
        return self._asked.name

    def has(self, button: str) -> bool:
        return self._asked.has(button)

    def press(self, button: str) -> None:
        self._asked.press(button)  # raises when the operator aborts or does not answer
        self._sim.press_button(button, self._asked.hold_s(button))


def operator_of(file: BenchFile, operator_input: Path | None) -> Operator | None:
    """The operator a bench needs: for ``control: operator``, or to declare values."""
    if file.document.device.how_controlled != "operator" and operator_input is None:
        return None
    return operator_for(operator_input)


def buttons_of(
    file: BenchFile,
    instruments: dict[str, Instrument],
    clock: Clock,
    sim: Any,
    operator: Operator | None,
) -> ButtonActuator | None:
    """The bench's button actuator, or None for a unit worked over its test port."""
    device = file.document.device
    control = device.how_controlled
    if control == "port":
        return None
    press_s = {name: b.press_s for name, b in device.buttons.items()}
    if control == "relay":
        assert device.actuator is not None  # the bench file's validation says so
        channels = {name: int(b.channel or 0) for name, b in device.buttons.items()}
        relay = cast(LoadSwitch, instruments[device.actuator])
        return RelayButtons(relay, clock, channels, press_s)
    assert operator is not None
    asked = OperatorButtons(
        operator,
        {
            name: ButtonInstruction(b.label or name.upper(), b.press_s)
            for name, b in device.buttons.items()
        },
        device.operator_timeout_s,
    )
    return asked if sim is None else SimulatedHands(asked, sim)
