"""Simulated Keysight E36312A triple-output bench supply: the battery and the charger.

On the reference bench CH1 (6 V / 5 A) stands in for the device's Li-ion cell and CH2
(25 V / 1 A) feeds its charger input; CH3 is unused. Every setting that changes what an
output delivers (voltage, current limit, output state) is passed to the model with
`set_supply`, which applies it at the present virtual time. Readbacks (`MEASure:...?`)
observe the model and are quantised to the supply's readback resolution — coarse on
purpose: a bench supply can tell 12 mA from 13 mA but not 200 µA from 250 µA, which is
why the harness measures the output current with the DMM.

Commands follow the E36311A/12A/13A programming guide: INSTrument[:SELect] and :NSELect,
APPLy, [SOURce:]VOLTage / CURRent (optionally with a channel list `(@1)`),
VOLTage:PROTection, OUTPut[:STATe], MEASure[:SCALar]:VOLTage? / CURRent?, SYSTem:BEEPer,
LOCal/REMote/RWLock; the engine adds the 488.2 common commands, SYSTem:VERSion? and the
STATus registers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.scpi import Call, Command, ScpiError, parse_number, scpi_float

# channel -> (max volts, max amps, readback volts quantum, readback amps quantum) [E]
RATINGS: dict[int, tuple[float, float, float, float]] = {
    1: (6.0, 5.0, 0.5e-3, 1e-3),
    2: (25.0, 1.0, 1e-3, 0.5e-3),
    3: (25.0, 1.0, 1e-3, 0.5e-3),
}
MODEL_CHANNELS = (1, 2)
"""Outputs wired to the model (battery, charger); CH3 drives nothing."""


@dataclass
class Output:
    """Settings of one output."""

    volts: float = 0.0
    amps: float = 1.0
    on: bool = False
    protection: float = 0.0


class KeysightE36312A(SimInstrument):
    """A three-output supply whose CH1 and CH2 drive the model's battery and charger."""

    model = "E36312A"
    firmware = "2.1.0-1.0.4-1.12"

    def __init__(self, sim: BenchModel, serial: str = "MY57010123") -> None:
        self.outputs: dict[int, Output] = {}
        self.selected = 1
        self._noise = sim.rng("psu")
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        return [
            Command("INSTrument[:SELect]", self._select),
            Command("INSTrument[:SELect]?", lambda c: f"CH{self.selected}"),
            Command("INSTrument:NSELect", self._select_number),
            Command("INSTrument:NSELect?", lambda c: str(self.selected)),
            Command("APPLy", self._apply),
            Command("APPLy?", self._apply_query),
            Command("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", self._set_volts),
            Command(
                "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]?",
                lambda c: self._each(c, 0, lambda ch: scpi_float(self.outputs[ch].volts)),
            ),
            Command("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", self._set_amps),
            Command(
                "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]?",
                lambda c: self._each(c, 0, lambda ch: scpi_float(self.outputs[ch].amps)),
            ),
            Command("[SOURce:]VOLTage:PROTection[:LEVel]", self._set_protection),
            Command(
                "[SOURce:]VOLTage:PROTection[:LEVel]?",
                lambda c: self._each(c, 0, lambda ch: scpi_float(self.outputs[ch].protection)),
            ),
            Command("OUTPut[:STATe]", self._set_output),
            Command(
                "OUTPut[:STATe]?",
                lambda c: self._each(c, 0, lambda ch: str(int(self.outputs[ch].on))),
            ),
            Command("MEASure[:SCALar]:VOLTage[:DC]?", lambda c: self._each(c, 0, self._volts)),
            Command("MEASure[:SCALar]:CURRent[:DC]?", lambda c: self._each(c, 0, self._amps)),
            *self.front_panel_commands(),
        ]

    def reset(self) -> None:
        self.selected = 1
        self.outputs = {ch: Output(protection=RATINGS[ch][0] * 1.1) for ch in RATINGS}
        for ch in MODEL_CHANNELS:
            self._push(ch)

    def _push(self, channel: int) -> None:
        if channel in MODEL_CHANNELS:
            out = self.outputs[channel]
            self.sim.set_supply(channel, out.volts, out.amps, out.on)

    def _channels(self, call: Call, index: int) -> list[int]:
        """The channel list parameter, or the selected channel when it is absent."""
        channels = call.channels(index, required=False) or [self.selected]
        if any(ch not in RATINGS for ch in channels):
            raise ScpiError(-224, "channel")
        return channels

    def _each(self, call: Call, index: int, answer: Callable[[int], str]) -> str:
        return ",".join(str(answer(ch)) for ch in self._channels(call, index))

    def _select(self, call: Call) -> None:
        self.selected = int(
            call.choice(0, ("CH1", "CH2", "CH3", "P6V", "P25V", "N25V"))
            .replace("P6V", "CH1")
            .replace("P25V", "CH2")
            .replace("N25V", "CH3")[-1]
        )

    def _select_number(self, call: Call) -> None:
        self.selected = int(call.number(0, low=1, high=3, default=1))

    def _level(self, call: Call, kind: int, unit: str) -> None:
        text = str(call.arg(0))
        for ch in self._channels(call, 1):
            value = parse_number(text, 0.0, RATINGS[ch][kind], 0.0, unit)
            out = self.outputs[ch]
            if kind == 0:
                out.volts = value
            else:
                out.amps = value
            self._trip_if_over(ch)
            self._push(ch)

    def _set_volts(self, call: Call) -> None:
        self._level(call, 0, "V")

    def _set_amps(self, call: Call) -> None:
        self._level(call, 1, "A")

    def _set_protection(self, call: Call) -> None:
        text = str(call.arg(0))
        for ch in self._channels(call, 1):
            self.outputs[ch].protection = parse_number(
                text, 0.0, RATINGS[ch][0] * 1.1, RATINGS[ch][0] * 1.1, "V"
            )
            self._trip_if_over(ch)
            self._push(ch)

    def _trip_if_over(self, channel: int) -> None:
        """Over-voltage protection: a setpoint above the OVP level turns the output off."""
        out = self.outputs[channel]
        if out.on and out.volts > out.protection:
            out.on = False

    def _apply(self, call: Call) -> None:
        name = call.choice(0, ("CH1", "CH2", "CH3", "P6V", "P25V", "N25V"))
        ch = {"P6V": 1, "P25V": 2, "N25V": 3}.get(name) or int(name[-1])
        volts = call.number(1, low=0.0, high=RATINGS[ch][0], default=0.0, unit="V")
        amps = call.number(
            2, low=0.0, high=RATINGS[ch][1], default=self.outputs[ch].amps, unit="A", required=False
        )
        self.outputs[ch].volts, self.outputs[ch].amps = volts, amps
        self._push(ch)

    def _apply_query(self, call: Call) -> str:
        name = call.choice(0, ("CH1", "CH2", "CH3"))
        out = self.outputs[int(name[-1])]
        return f'"{out.volts:.6f},{out.amps:.6f}"'

    def _set_output(self, call: Call) -> None:
        on = call.boolean(0)
        for ch in self._channels(call, 1):
            self.outputs[ch].on = on
            self._trip_if_over(ch)
            self._push(ch)

    def _volts(self, channel: int) -> str:
        quantum = RATINGS[channel][2]
        out = self.outputs[channel]
        if channel in MODEL_CHANNELS:
            now = np.array([self.sim.clock.now()])
            true = float(self.sim.supply_voltage(channel, now)[0])
        else:
            true = out.volts if out.on else 0.0
        noisy = true + float(self._noise.normal(0.0, quantum / 2))
        return scpi_float(round(noisy / quantum) * quantum)

    def _amps(self, channel: int) -> str:
        quantum = RATINGS[channel][3]
        true = self.sim.supply_current(channel) if channel in MODEL_CHANNELS else 0.0
        noisy = true + float(self._noise.normal(0.0, quantum / 2))
        return scpi_float(round(noisy / quantum) * quantum)
