"""Rigol DP832 triple-output DC supply as the bench's :class:`PowerSupply`.

The same role as the Keysight E36312A with Rigol's own syntax: the channel is part of
the header (``:SOURce1:``) for settings and a ``CH<n>`` argument for output state and
measurements. Settings are checked against the channel ratings before sending.

Commands used (RIGOL DP800 Series Programming Guide):

==================================  ========================================
``:SOURce<n>:VOLTage <V>``          voltage setpoint of channel n
``:SOURce<n>:CURRent <A>``          current limit of channel n
``:OUTPut CH<n>,{ON|OFF}``          output on/off
``:MEASure:VOLTage? CH<n>``         measured voltage
``:MEASure:CURRent? CH<n>``         measured current
``:SYSTem:ERRor?``, ``*OPC?``       error queue, sync
==================================  ========================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from harness.instruments.scpi_reply import parse_measurement
from harness.instruments.visa import ScpiInstrument
from harness.reporting.steps import bench_step

#: Channel → (maximum volts, maximum amps): CH1/CH2 30 V/3 A, CH3 5 V/3 A.
RATINGS: Mapping[int, tuple[float, float]] = {1: (30.0, 3.0), 2: (30.0, 3.0), 3: (5.0, 3.0)}


class RigolDP832(ScpiInstrument):
    """A DP832 (or DP832A); channels 1–3."""

    error_query = ":SYST:ERR?"
    ratings = RATINGS

    @bench_step
    def set_output(self, channel: int, volts: float, current_limit_a: float) -> None:
        max_v, max_a = self._rating(channel)
        if not (math.isfinite(volts) and 0.0 <= volts <= max_v):
            raise self._reject(f"CH{channel}: {volts} V outside 0..{max_v} V")
        if not (math.isfinite(current_limit_a) and 0.0 < current_limit_a <= max_a):
            raise self._reject(
                f"CH{channel}: current limit {current_limit_a} A outside 0..{max_a} A"
            )
        self.link.write(f":SOUR{channel}:VOLT {volts:g}")
        self.link.write(f":SOUR{channel}:CURR {current_limit_a:g}")
        self.link.sync()

    @bench_step
    def enable(self, channel: int, on: bool) -> None:
        self._rating(channel)
        self.link.write(f":OUTP CH{channel},{'ON' if on else 'OFF'}")
        self.link.sync()

    @bench_step
    def measure_voltage(self, channel: int) -> float:
        self._rating(channel)
        reply = self.link.query(f":MEAS:VOLT? CH{channel}")
        return parse_measurement(reply, instrument=self.name, quantity=f"CH{channel} voltage")

    @bench_step
    def measure_current(self, channel: int) -> float:
        self._rating(channel)
        reply = self.link.query(f":MEAS:CURR? CH{channel}")
        return parse_measurement(reply, instrument=self.name, quantity=f"CH{channel} current")

    @bench_step
    def all_off(self) -> None:
        for channel in sorted(self.ratings):
            self.link.write(f":OUTP CH{channel},OFF")
        self.link.sync()

    @bench_step
    def safe_state(self) -> None:
        self.all_off()

    def _rating(self, channel: int) -> tuple[float, float]:
        if channel not in self.ratings:
            raise self._reject(f"no channel {channel}; channels are {sorted(self.ratings)}")
        return self.ratings[channel]
