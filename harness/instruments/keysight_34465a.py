"""Keysight 34465A (Truevolt 6½-digit DMM) as the bench's :class:`Ammeter`.

The DMM sits in series between sphere A and the load; it measures the current as the
voltage across an internal shunt, so it adds that shunt (the *burden*) to the load path.
A fixed range is used throughout a test because each range has its own shunt: an
autorange step in the middle of a pulse train would change the load the device sees.

Commands used (Keysight Truevolt Series Operating and Service Guide, SCPI reference):

=====================================  ==============================================
``CONFigure:CURRent:DC <range>``       DC current, fixed range, one immediate trigger
``[SENSe:]CURRent:DC:NPLCycles <n>``   integration time in power-line cycles
``SAMPle:COUNt <n>``                   readings per trigger (1 after each block)
``READ?``                              arm, trigger, return the readings (comma list)
``SYSTem:ERRor?``                      pop one error-queue entry
``*OPC?`` / ``*IDN?``                  IEEE 488.2 sync / identity
=====================================  ==============================================

An overloaded reading comes back as ``+9.9E+37``; it raises
``InstrumentError(name, "overload: ...")`` rather than being returned.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from harness.events.steps import bench_step
from harness.instruments.ammeter_settings import (
    check_line_frequency,
    check_reading_count,
    choose_current_range,
    table_entry,
)
from harness.instruments.scpi_reply import parse_measurement, parse_measurements
from harness.instruments.visa import ScpiInstrument, ScpiLink

#: DC current ranges on the 3 A terminals, in amperes.
STANDARD_RANGES_A = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 3.0)
#: The 1 µA and 10 µA ranges (34465A/34470A; not on the 34460A/34461A).
LOW_RANGES_A = (1e-6, 1e-5)
#: Integration times offered without the DIG option, in power-line cycles.
NPLC_CHOICES = (0.02, 0.06, 0.2, 1.0, 10.0, 100.0)
#: Power-on NPLC.
DEFAULT_NPLC = 10.0
#: Readings memory without the MEM option.
MAX_READINGS = 50_000
#: Resistance between the current terminals per range: full-scale burden voltage
#: divided by full-scale current, from the Truevolt data sheet's DC current table.
#: The 1 µA / 10 µA entries are estimates; a bench file can pass measured values.
BURDEN_OHMS: Mapping[float, float] = {
    1e-6: 10e3,
    1e-5: 1e3,
    1e-4: 110.0,
    1e-3: 110.0,
    1e-2: 5.0,
    1e-1: 5.0,
    1.0: 0.7,
    3.0: 0.67,
}


class Keysight34465A(ScpiInstrument):
    """A 34465A used only as a DC ammeter on a fixed range.

    ``line_frequency_hz`` is the mains frequency where the bench stands (50 or 60 Hz);
    it turns NPLC into seconds for :attr:`aperture_s`. ``low_current_ranges`` says
    whether the 1 µA and 10 µA ranges exist on this unit.
    """

    def __init__(
        self,
        link: ScpiLink,
        *,
        line_frequency_hz: float = 50.0,
        low_current_ranges: bool = True,
        burden_ohms: Mapping[float, float] | None = None,
    ) -> None:
        super().__init__(link)
        check_line_frequency(line_frequency_hz, instrument=self.name)
        self.line_frequency_hz = line_frequency_hz
        self.ranges_a = (LOW_RANGES_A if low_current_ranges else ()) + STANDARD_RANGES_A
        self._burden = dict(BURDEN_OHMS if burden_ohms is None else burden_ohms)
        self._range_a: float | None = None
        self._nplc = DEFAULT_NPLC

    @bench_step
    def configure_dc_current(self, range_a: float, nplc: float = DEFAULT_NPLC) -> None:
        """Select DC current on a fixed range with the given integration time."""
        matched_range = choose_current_range(range_a, self.ranges_a, instrument=self.name)
        matched_nplc = table_entry(nplc, NPLC_CHOICES)
        if matched_nplc is None:
            raise self._reject(f"NPLC {nplc} not one of {NPLC_CHOICES}")
        self.link.write(f"CONF:CURR:DC {matched_range:g}")
        self.link.write(f"CURR:DC:NPLC {matched_nplc:g}")
        self.link.sync()
        self._range_a = matched_range
        self._nplc = matched_nplc

    @bench_step
    def read_current(self) -> float:
        """One reading, in amperes."""
        reply = self.link.query("READ?", timeout_s=self._reading_timeout_s(1))
        return parse_measurement(reply, instrument=self.name, quantity="current")

    @bench_step
    def read_currents(self, count: int) -> npt.NDArray[np.float64]:
        """``count`` readings taken back to back by the DMM, in amperes."""
        check_reading_count(count, MAX_READINGS, instrument=self.name)
        self.link.write(f"SAMP:COUN {count}")
        try:
            reply = self.link.query("READ?", timeout_s=self._reading_timeout_s(count))
        finally:
            self.link.write("SAMP:COUN 1")
        values = parse_measurements(reply, instrument=self.name, quantity="current")
        if len(values) != count:
            raise self._reject(f"asked for {count} readings, READ? returned {len(values)}")
        return np.asarray(values, dtype=np.float64)

    @property
    def aperture_s(self) -> float:
        """Integration time of one reading: NPLC / line frequency."""
        return self._nplc / self.line_frequency_hz

    @property
    def burden_ohms(self) -> float:
        """Shunt resistance in the load path on the configured range."""
        if self._range_a is None:
            raise self._reject("burden unknown: configure_dc_current() has not been called")
        return self._burden[self._range_a]

    @bench_step
    def safe_state(self) -> None:
        """Nothing to switch off; leave a single-sample configuration behind."""
        self.link.write("SAMP:COUN 1")
        self.link.sync()

    def _reading_timeout_s(self, count: int) -> float:
        # Aperture plus autozero (a second conversion) per reading, with margin.
        return 5.0 + 3.0 * count * self.aperture_s
