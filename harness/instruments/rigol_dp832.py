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

from harness.events.steps import bench_step
from harness.instruments.scpi_reply import parse_measurement
from harness.instruments.supply_ratings import Ratings, channel_rating, check_output_setting
from harness.instruments.visa import ScpiInstrument

#: Channel → (maximum volts, maximum amps): CH1/CH2 30 V/3 A, CH3 5 V/3 A.
RATINGS: Ratings = {1: (30.0, 3.0), 2: (30.0, 3.0), 3: (5.0, 3.0)}


class RigolDP832(ScpiInstrument):
    """A DP832 (or DP832A); channels 1–3."""

    error_query = ":SYST:ERR?"
    ratings = RATINGS

    @bench_step
    def set_output(self, channel: int, volts: float, current_limit_a: float) -> None:
        check_output_setting(self.ratings, channel, volts, current_limit_a, instrument=self.name)
        self.link.write(f":SOUR{channel}:VOLT {volts:g}")
        self.link.write(f":SOUR{channel}:CURR {current_limit_a:g}")
        self.link.sync()

    @bench_step
    def enable(self, channel: int, on: bool) -> None:
        self._check_channel(channel)
        self.link.write(f":OUTP CH{channel},{'ON' if on else 'OFF'}")
        self.link.sync()

    @bench_step
    def measure_voltage(self, channel: int) -> float:
        self._check_channel(channel)
        reply = self.link.query(f":MEAS:VOLT? CH{channel}")
        return parse_measurement(reply, instrument=self.name, quantity=f"CH{channel} voltage")

    @bench_step
    def measure_current(self, channel: int) -> float:
        self._check_channel(channel)
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

    def _check_channel(self, channel: int) -> None:
        channel_rating(self.ratings, channel, instrument=self.name)
