"""The roles instruments play on the bench, as small interfaces in SI units.

A test never asks for "the Keysight"; it asks for an :class:`Ammeter`, an
:class:`Oscilloscope`, a :class:`PowerSupply`, a :class:`LoadSwitch` and a
:class:`Clock` (and the run, for the room it is in, an :class:`EnvironmentSensor`).
Each concrete driver (one module per model) satisfies one role, so the
same test runs on a Keysight 34465A, a Keithley 2450 or the simulated DMM, and a bench
file decides which. The protocols are structural (``typing.Protocol``): a driver does
not inherit from them, it simply has the methods, and ``mypy --strict`` checks it.

Units are SI throughout: amperes, volts, seconds, ohms. No milli- or micro- in a
signature; a requirement in µA is converted once, at the spec boundary. The one
exception is the room: ambient conditions are stated in °C and %RH by every standard,
certificate and lab procedure, so the environment sensor answers in those.

Every instrument can also say who it is (:class:`Identity`, recorded with each result
for traceability), drain its error queue (after every test, so a silently rejected
command cannot go unnoticed), and go to a safe state (outputs off, relays open) when a
test ends or aborts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

# a setting's words are defined with the checks that read them, and named here too
from harness.instruments.scope_settings import Coupling as Coupling
from harness.instruments.scope_settings import ScopeLimits
from harness.instruments.scope_settings import Slope as Slope
from harness.instruments.scope_settings import Sweep as Sweep


@dataclass(frozen=True)
class Identity:
    """Who an instrument says it is (the four ``*IDN?`` fields), recorded with results."""

    manufacturer: str
    model: str
    serial: str
    firmware: str


@dataclass(frozen=True, eq=False)
class Waveform:
    """One channel's record, in volts, with what is needed to trace it to the raw data.

    ``volts[i]`` was sampled at ``t0 + i * dt`` seconds relative to the trigger. The
    raw ADC ``codes`` and the ``preamble`` text exactly as the scope sent it are kept so
    an auditor can redo the scaling; ``volts`` is derived, never the primary record.
    """

    channel: int
    t0: float
    dt: float
    volts: npt.NDArray[np.float64]
    codes: npt.NDArray[np.uint8] = field(repr=False)
    preamble: str

    @property
    def times(self) -> npt.NDArray[np.float64]:
        """Sample times in seconds relative to the trigger."""
        return self.t0 + self.dt * np.arange(len(self.volts), dtype=np.float64)

    @property
    def duration_s(self) -> float:
        """Time spanned by the record: points × sample interval."""
        return len(self.volts) * self.dt


@runtime_checkable
class Instrument(Protocol):
    """What every bench instrument offers, whatever its role."""

    @property
    def name(self) -> str:
        """The bench's name for it (``"dmm"``), used in every error and log line."""
        ...

    def identify(self) -> Identity:
        """Ask the instrument who it is (``*IDN?``)."""
        ...

    def check_errors(self) -> list[str]:
        """Drain the error queue; an empty list means no command was rejected."""
        ...

    def safe_state(self) -> None:
        """Leave nothing energised: outputs off, relays open, acquisitions stopped."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class Ammeter(Instrument, Protocol):
    """Measures the current through the load path, in series with it."""

    def configure_dc_current(self, range_a: float, nplc: float) -> None:
        """Fix the range (no autorange: a range change mid-test moves the burden)."""
        ...

    def read_current(self) -> float:
        """One reading in amperes, averaged over :attr:`aperture_s`."""
        ...

    def read_currents(self, count: int) -> npt.NDArray[np.float64]:
        """``count`` back-to-back readings in amperes."""
        ...

    @property
    def aperture_s(self) -> float:
        """Integration time of one reading: NPLC / line frequency."""
        ...

    @property
    def burden_ohms(self) -> float:
        """Resistance the ammeter adds to the load path on the selected range."""
        ...


class Oscilloscope(Instrument, Protocol):
    """Captures voltage waveforms: across the load (current) and on test points."""

    def configure_channel(
        self,
        channel: int,
        volts_per_div: float,
        offset_v: float,
        coupling: Coupling = "DC",
        probe: float = 1.0,
    ) -> None: ...

    def configure_timebase(self, seconds_per_div: float, position_s: float = 0.0) -> None: ...

    def configure_edge_trigger(
        self, channel: int, level_v: float, slope: Slope = "rising", sweep: Sweep = "normal"
    ) -> None: ...

    def configure_record(self, points: int) -> None:
        """Acquire at least ``points`` samples per record (before arming or digitizing)."""
        ...

    def arm_single(self) -> None:
        """Arm for one acquisition and return at once (pair with :meth:`wait_acquired`)."""
        ...

    def wait_acquired(self, timeout_s: float) -> None:
        """Block until the armed acquisition is complete, or raise after ``timeout_s``."""
        ...

    def digitize(self, channels: tuple[int, ...]) -> None:
        """Acquire once on ``channels`` and block until done."""
        ...

    def read_waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Transfer a channel's record; ``None`` means the whole record."""
        ...

    @property
    def record_duration_s(self) -> float:
        """Time spanned by one acquisition (divisions × seconds per division)."""
        ...

    @property
    def limits(self) -> ScopeLimits:
        """The model's data-sheet limits, the same table its arguments are checked against.

        A procedure reads what differs between models from here rather than assuming
        one: a screen is 10 divisions wide on an InfiniiVision but 12 on a DS1000Z, so
        a record ``duration`` long needs ``limits.seconds_per_div_for(duration)``.
        """
        ...


class PowerSupply(Instrument, Protocol):
    """Feeds the device: the battery on one channel, the charger input on another."""

    def set_output(self, channel: int, volts: float, current_limit_a: float) -> None: ...

    def enable(self, channel: int, on: bool) -> None: ...

    def measure_voltage(self, channel: int) -> float: ...

    def measure_current(self, channel: int) -> float: ...

    def all_off(self) -> None: ...


class LoadSwitch(Instrument, Protocol):
    """Selects the load resistor between the spheres; no channel closed = open circuit."""

    def close_channel(self, channel: int) -> None:
        """Close one relay (the bench decides which loads may be closed together).

        Named ``close_channel`` rather than ``close`` because ``close()`` already
        means "release the connection" on every :class:`Instrument`.
        """
        ...

    def open_channel(self, channel: int) -> None: ...

    def open_all(self) -> None: ...

    def closed_channels(self) -> set[int]:
        """Relays that are closed, read back from the switch itself."""
        ...


class ButtonActuator(Protocol):
    """Presses the buttons of a unit that has no test port.

    Served by a relay channel across each button's contacts (a load-switch mainframe or
    a relay board, ``harness.instruments.relay_buttons``) or by the operator
    (``harness.dut.buttons``). A press is an action, not a result: whether the unit
    reacted is confirmed by measurement (``harness.procedures.unit_control``).
    """

    @property
    def name(self) -> str: ...

    def press(self, button: str) -> None:
        """Press ``button`` for its press length (bench file) and release it."""
        ...

    def has(self, button: str) -> bool:
        """Whether the unit has ``button`` (the bench file lists it)."""
        ...


class Clock(Protocol):
    """The bench's time: wall time on real hardware, virtual time on the simulator.

    Waits in tests go through this, never ``time.sleep``, so a simulated bench runs
    a 20-minute auto-off test in milliseconds.
    """

    def now(self) -> float:
        """Seconds since an arbitrary origin; only differences mean anything."""
        ...

    def sleep(self, seconds: float) -> None: ...


class EnvironmentSensor(Instrument, Protocol):
    """Measures the room the test is done in: air temperature and relative humidity.

    ISO/IEC 17025 7.8.2.1 asks a report for the conditions of the test when they can
    influence the result, and the instruments' accuracies hold only inside a stated
    range (a DMM's "1 year, 23 ± 5 °C"). The run reads the sensor at its start and its
    end. The readings' accuracy is the bench file's ``accuracy:`` lines of the sensor
    (probe and transmitter included), not the driver's, as for every other role.
    :meth:`safe_state` does nothing: a sensor energises nothing.
    """

    def read_temperature(self) -> float:
        """One air-temperature reading in °C."""
        ...

    def read_humidity(self) -> float:
        """One relative-humidity reading in %RH (0 to 100)."""
        ...
