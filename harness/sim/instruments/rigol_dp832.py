"""Simulated Rigol DP832 triple-output supply: the battery and the charger, Rigol syntax.

Wired like the E36312A it can replace: CH1 stands in for the device's cell, CH2 feeds its
charger input, CH3 drives nothing. Every setting that changes what an output delivers
is passed to the model with `set_supply` at the present virtual time; readbacks observe
the model (CH3: its own setpoint, no load) and are quantised to 1 mV / 1 mA [E].

The DP800 programming guide's syntax differs from Keysight's in where the channel goes:
in the header for settings (`:SOURce2:VOLTage 5`; without a number, the selected
channel), as a `CH<n>` argument for output state and measurements (`:OUTPut CH2,ON`,
`:MEASure:CURRent? CH2`), and in `:APPLy CH<n>,<V>,<A>`. `:OUTPut?` answers ON/OFF,
measurements a plain decimal (`3.8000`), errors `0,"No error"` without a sign.
Settings above a channel's maximum (32 V / 3.2 A on CH1-CH2, 5.3 V / 3.2 A on CH3: the
rated 30 V and 5 V with the DP800's over-range [E]) are -222; a channel that does not
exist is -224 as a `CH<n>` argument and -113 as a header suffix. Over-voltage and
over-current protection are not modelled, so their commands are undefined (-113).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.scpi import Call, Command, ScpiError

# channel -> (rated volts, rated amps, maximum settable volts, maximum settable amps)
RATINGS: dict[int, tuple[float, float, float, float]] = {
    1: (30.0, 3.0, 32.0, 3.2),
    2: (30.0, 3.0, 32.0, 3.2),
    3: (5.0, 3.0, 5.3, 3.2),
}
MODEL_CHANNELS = (1, 2)
"""Outputs wired to the model (battery, charger); CH3 drives nothing."""
VOLTS_QUANTUM, AMPS_QUANTUM = 1e-3, 1e-3
NAMES = ("CH1", "CH2", "CH3")


@dataclass
class Output:
    """Settings of one output (*RST: 0 V, the rated current, off)."""

    volts: float
    amps: float
    on: bool = False


class RigolDP832(SimInstrument):
    """A DP832 whose CH1 and CH2 drive the model's battery and charger."""

    manufacturer = "RIGOL TECHNOLOGIES"
    model = "DP832"
    firmware = "00.01.14"
    status_subsystem = False

    def __init__(self, sim: BenchModel, serial: str = "DP8C170800001") -> None:
        self.outputs: dict[int, Output] = {}
        self.selected = 1
        self._noise = sim.rng("rigol-psu")
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        level = "[:LEVel][:IMMediate][:AMPLitude]"
        return [
            Command(f":SOURce#:VOLTage{level}", lambda c: self._set(c, volts=True)),
            Command(f":SOURce#:VOLTage{level}?", lambda c: self._setting(c, volts=True)),
            Command(f":SOURce#:CURRent{level}", lambda c: self._set(c, volts=False)),
            Command(f":SOURce#:CURRent{level}?", lambda c: self._setting(c, volts=False)),
            Command(f":VOLTage{level}", lambda c: self._set(c, volts=True)),
            Command(f":VOLTage{level}?", lambda c: self._setting(c, volts=True)),
            Command(f":CURRent{level}", lambda c: self._set(c, volts=False)),
            Command(f":CURRent{level}?", lambda c: self._setting(c, volts=False)),
            Command(":OUTPut[:STATe]", self._set_output),
            Command(":OUTPut[:STATe]?", self._output_query),
            Command(":APPLy", self._apply),
            Command(":APPLy?", self._apply_query),
            Command(":INSTrument[:SELect]", self._select),
            Command(":INSTrument[:SELect]?", lambda c: f"CH{self.selected}"),
            Command(":INSTrument:NSELect", self._select_number),
            Command(":INSTrument:NSELect?", lambda c: str(self.selected)),
            Command(":MEASure[:VOLTage][:DC]?", lambda c: f"{self._volts(self._arg(c, 0)):.4f}"),
            Command(":MEASure:CURRent[:DC]?", lambda c: f"{self._amps(self._arg(c, 0)):.4f}"),
            Command(":MEASure:POWEr[:DC]?", self._power),
            Command(":MEASure:ALL[:DC]?", self._all),
            Command(":SYSTem:ERRor[:NEXT]?", lambda c: self.engine.next_error().lstrip("+")),
        ]

    def reset(self) -> None:
        self.selected = 1
        self.outputs = {ch: Output(0.0, rating[1]) for ch, rating in RATINGS.items()}
        for ch in MODEL_CHANNELS:
            self._push(ch)

    def _push(self, channel: int) -> None:
        if channel in MODEL_CHANNELS:
            out = self.outputs[channel]
            self.sim.set_supply(channel, out.volts, out.amps, out.on)

    # --- channels -------------------------------------------------------------------
    def _header_channel(self, call: Call) -> int:
        """`:SOURce<n>:` names channel n; without the node (or its number), the selected."""
        if not re.search(r"SOUR(CE)?\d", call.header.upper()):
            return self.selected
        if call.suffix() not in RATINGS:
            raise ScpiError(-113, call.header)
        return call.suffix()

    def _arg(self, call: Call, index: int) -> int:
        """A `CH<n>` argument, or the selected channel when it is absent."""
        if call.arg(index, required=False) is None:
            return self.selected
        return int(call.choice(index, NAMES)[-1])

    def _select(self, call: Call) -> None:
        self.selected = int(call.choice(0, NAMES)[-1])

    def _select_number(self, call: Call) -> None:
        number = call.number(0, low=1, high=3, default=1)
        if number != int(number):
            raise ScpiError(-224, str(call.arg(0)))
        self.selected = int(number)

    # --- settings -------------------------------------------------------------------
    def _set(self, call: Call, *, volts: bool) -> None:
        channel = self._header_channel(call)
        _, _, most_v, most_a = RATINGS[channel]
        out = self.outputs[channel]
        if volts:
            out.volts = call.number(0, low=0.0, high=most_v, default=0.0, unit="V")
        else:
            out.amps = call.number(0, low=0.0, high=most_a, default=RATINGS[channel][1], unit="A")
        self._push(channel)

    def _setting(self, call: Call, *, volts: bool) -> str:
        out = self.outputs[self._header_channel(call)]
        return f"{out.volts:.3f}" if volts else f"{out.amps:.4f}"

    def _set_output(self, call: Call) -> None:
        """`:OUTPut [CH<n>,]ON|OFF`."""
        if len(call.args) >= 2:
            channel, state = self._arg(call, 0), call.boolean(1)
        else:
            channel, state = self.selected, call.boolean(0)
        self.outputs[channel].on = state
        self._push(channel)

    def _output_query(self, call: Call) -> str:
        return "ON" if self.outputs[self._arg(call, 0)].on else "OFF"

    def _apply(self, call: Call) -> None:
        """`:APPLy CH<n>,<volts>[,<amps>]`."""
        channel = self._arg(call, 0)
        rated_v, _, most_v, most_a = RATINGS[channel]
        out = self.outputs[channel]
        volts = call.number(1, low=0.0, high=most_v, default=rated_v, unit="V")
        amps = call.number(2, low=0.0, high=most_a, default=out.amps, unit="A", required=False)
        out.volts, out.amps = volts, amps
        self._push(channel)

    def _apply_query(self, call: Call) -> str:
        """`CH1:30V/3A,3.800,0.5000`: the channel, its rating and its settings."""
        channel = self._arg(call, 0)
        rated_v, rated_a, _, _ = RATINGS[channel]
        out = self.outputs[channel]
        return f"CH{channel}:{rated_v:g}V/{rated_a:g}A,{out.volts:.3f},{out.amps:.4f}"

    # --- readbacks ------------------------------------------------------------------
    def _volts(self, channel: int) -> float:
        out = self.outputs[channel]
        if channel in MODEL_CHANNELS:
            true = float(self.sim.supply_voltage(channel, np.array([self.sim.clock.now()]))[0])
        else:
            true = out.volts if out.on else 0.0
        return _quantise(true + float(self._noise.normal(0.0, VOLTS_QUANTUM / 2)), VOLTS_QUANTUM)

    def _amps(self, channel: int) -> float:
        true = self.sim.supply_current(channel) if channel in MODEL_CHANNELS else 0.0
        return _quantise(true + float(self._noise.normal(0.0, AMPS_QUANTUM / 2)), AMPS_QUANTUM)

    def _power(self, call: Call) -> str:
        channel = self._arg(call, 0)
        return f"{self._volts(channel) * self._amps(channel):.3f}"

    def _all(self, call: Call) -> str:
        channel = self._arg(call, 0)
        volts, amps = self._volts(channel), self._amps(channel)
        return f"{volts:.4f},{amps:.4f},{volts * amps:.3f}"


def _quantise(value: float, quantum: float) -> float:
    """The readback's resolution; never below zero (the DP832 sources, it does not sink)."""
    return max(0.0, round(value / quantum) * quantum)
