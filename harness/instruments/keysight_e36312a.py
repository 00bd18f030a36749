"""Keysight E36312A triple-output DC supply as the bench's :class:`PowerSupply`.

On this bench CH1 is the device's battery (3.0–4.2 V) and CH2 its charger input (5 V).
Each setting is checked against the channel's rating *before* anything is sent: a
typo in a bench file must not put 25 V on a Li-ion cell input.

Commands used (Keysight E36300 Series Programming Guide): every channel-specific
command takes an SCPI channel list ``(@1)``.

==============================  ============================================
``VOLTage <V>,(@n)``            voltage setpoint
``CURRent <A>,(@n)``            current limit
``OUTPut {ON|OFF},(@n)``        output on/off (``(@1:3)`` for all)
``MEASure:VOLTage? (@n)``       measured output voltage
``MEASure:CURRent? (@n)``       measured output current (mA resolution: far
                                too coarse for the device's µA output)
``SYSTem:ERRor?``, ``*OPC?``    error queue, sync
==============================  ============================================
"""

from __future__ import annotations

from harness.events.steps import bench_step
from harness.instruments.scpi_reply import parse_measurement
from harness.instruments.supply_ratings import Ratings, channel_rating, check_output_setting
from harness.instruments.visa import ScpiInstrument

#: Channel → (maximum volts, maximum amps), the front-panel ratings.
RATINGS: Ratings = {1: (6.0, 5.0), 2: (25.0, 1.0), 3: (25.0, 1.0)}


class KeysightE36312A(ScpiInstrument):
    """An E36312A; channels 1–3."""

    ratings = RATINGS

    @bench_step
    def set_output(self, channel: int, volts: float, current_limit_a: float) -> None:
        """Program voltage and current limit (the output state is left as it is)."""
        check_output_setting(self.ratings, channel, volts, current_limit_a, instrument=self.name)
        self.link.write(f"VOLT {volts:g},(@{channel})")
        self.link.write(f"CURR {current_limit_a:g},(@{channel})")
        self.link.sync()

    @bench_step
    def enable(self, channel: int, on: bool) -> None:
        self._check_channel(channel)
        self.link.write(f"OUTP {'ON' if on else 'OFF'},(@{channel})")
        self.link.sync()

    @bench_step
    def measure_voltage(self, channel: int) -> float:
        self._check_channel(channel)
        reply = self.link.query(f"MEAS:VOLT? (@{channel})")
        return parse_measurement(reply, instrument=self.name, quantity=f"CH{channel} voltage")

    @bench_step
    def measure_current(self, channel: int) -> float:
        self._check_channel(channel)
        reply = self.link.query(f"MEAS:CURR? (@{channel})")
        return parse_measurement(reply, instrument=self.name, quantity=f"CH{channel} current")

    @bench_step
    def all_off(self) -> None:
        """Every output off in one command."""
        self.link.write(f"OUTP OFF,(@{min(self.ratings)}:{max(self.ratings)})")
        self.link.sync()

    @bench_step
    def safe_state(self) -> None:
        self.all_off()

    def _check_channel(self, channel: int) -> None:
        channel_rating(self.ratings, channel, instrument=self.name)
