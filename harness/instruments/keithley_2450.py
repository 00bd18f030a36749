"""Keithley 2450 SourceMeter as the bench's :class:`Ammeter`, sourcing 0 V.

A source-measure unit can stand in for a DMM in the current path: it *sources* 0 V and
*measures* the current that flows. Its feedback loop holds its terminals at 0 V, so
unlike a shunt ammeter it adds (nominally) no resistance to the load path; what remains
is the small offset of its voltage source, which belongs in the uncertainty budget, not
in :attr:`burden_ohms`. The current limit is set to the measure range, so a fault in the
device cannot drive more than that through the SMU.

Commands used (Model 2450 Reference Manual, SCPI command reference):

=========================================  =========================================
``:SOUR:FUNC VOLT``                         source voltage
``:SOUR:VOLT 0``                            at 0 V
``:SOUR:VOLT:ILIM <A>``                     current limit while sourcing voltage
``:SENS:FUNC "CURR"``                       measure current
``:SENS:CURR:RANG <A>``                     fixed measure range (sets autorange off)
``:SENS:CURR:NPLC <n>``                     integration time, 0.01 to 10 PLC
``:OUTP ON`` / ``:OUTP OFF``                output relay
``:READ?``                                  one measurement (defbuffer1)
``:TRAC:CLE``, ``:SENS:COUN``,              ``count`` readings into defbuffer1 and
``:TRAC:TRIG``, ``:TRAC:DATA?``             back as one comma list
``:SYST:ERR?``, ``*OPC?``, ``*IDN?``        error queue, sync, identity
=========================================  =========================================
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from harness.events.steps import bench_step
from harness.instruments.ammeter_settings import (
    check_line_frequency,
    check_reading_count,
    choose_current_range,
)
from harness.instruments.scpi_reply import parse_measurement, parse_measurements
from harness.instruments.visa import ScpiInstrument, ScpiLink

#: Current measure ranges, in amperes.
RANGES_A = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
NPLC_MIN = 0.01
NPLC_MAX = 10.0
DEFAULT_NPLC = 1.0
#: Default reading buffer capacity.
MAX_READINGS = 100_000
BUFFER = '"defbuffer1"'


class Keithley2450(ScpiInstrument):
    """A 2450 used as a zero-burden ammeter: source 0 V, measure current."""

    error_query = ":SYST:ERR?"

    def __init__(self, link: ScpiLink, *, line_frequency_hz: float = 50.0) -> None:
        super().__init__(link)
        check_line_frequency(line_frequency_hz, instrument=self.name)
        self.line_frequency_hz = line_frequency_hz
        self._nplc = DEFAULT_NPLC
        self._configured = False

    @bench_step
    def configure_dc_current(self, range_a: float, nplc: float = DEFAULT_NPLC) -> None:
        """Source 0 V, measure current on a fixed range, and switch the output on."""
        matched = choose_current_range(range_a, RANGES_A, instrument=self.name)
        if not NPLC_MIN <= nplc <= NPLC_MAX:
            raise self._reject(f"NPLC {nplc} outside {NPLC_MIN}..{NPLC_MAX}")
        for command in (
            ":SOUR:FUNC VOLT",
            ":SOUR:VOLT 0",
            f":SOUR:VOLT:ILIM {matched:g}",
            ':SENS:FUNC "CURR"',
            f":SENS:CURR:RANG {matched:g}",
            f":SENS:CURR:NPLC {nplc:g}",
            ":OUTP ON",
        ):
            self.link.write(command)
        self.link.sync()
        self._nplc = nplc
        self._configured = True

    @bench_step
    def read_current(self) -> float:
        """One reading, in amperes."""
        reply = self.link.query(":READ?", timeout_s=self._timeout_s(1))
        return parse_measurement(reply, instrument=self.name, quantity="current")

    @bench_step
    def read_currents(self, count: int) -> npt.NDArray[np.float64]:
        """``count`` readings made into the default buffer, then read as one list."""
        check_reading_count(count, MAX_READINGS, instrument=self.name)
        self.link.write(f":TRAC:CLE {BUFFER}")
        self.link.write(f":SENS:COUN {count}")
        try:
            self.link.write(f":TRAC:TRIG {BUFFER}")
            self.link.sync(timeout_s=self._timeout_s(count))
            reply = self.link.query(f":TRAC:DATA? 1, {count}, {BUFFER}, READ")
        finally:
            self.link.write(":SENS:COUN 1")
        values = parse_measurements(reply, instrument=self.name, quantity="current")
        if len(values) != count:
            raise self._reject(f"asked for {count} readings, buffer returned {len(values)}")
        return np.asarray(values, dtype=np.float64)

    @property
    def aperture_s(self) -> float:
        return self._nplc / self.line_frequency_hz

    @property
    def burden_ohms(self) -> float:
        """Zero: the SMU regulates its own terminal voltage to 0 V (see module text)."""
        if not self._configured:
            raise self._reject("burden unknown: configure_dc_current() has not been called")
        return 0.0

    @bench_step
    def safe_state(self) -> None:
        """Open the output relay."""
        self.link.write(":OUTP OFF")
        self.link.sync()

    def _timeout_s(self, count: int) -> float:
        return 5.0 + 3.0 * count * self.aperture_s
