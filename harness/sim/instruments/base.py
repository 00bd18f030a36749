"""What a simulated instrument is: a command table over the one physical model.

A simulated instrument owns no physics. It keeps only its own settings (range, V/div,
closed relays...) and, when asked to measure, *observes* the shared bench model through
the narrow `BenchModel` interface below — the subset of `harness.sim.bench.SimBench`
(see docs/design/contracts.md) that instruments use. When it sets something (a supply
voltage, a load, its own burden resistance) it tells the model, which applies it at the
model's current virtual time. Measuring takes virtual time, so instruments advance the
model's clock by what the real instrument would take (an aperture, a record length, a
relay operate time): a test written against the simulation therefore meets the same
timing a real bench imposes.

Declaring the interface as a Protocol lets the SCPI layer be tested against a tiny fake
bench and lets the type checker prove the real SimBench fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from harness.sim.scpi import Command, ScpiEngine

FloatArray = npt.NDArray[np.float64]


class Clock(Protocol):
    """Virtual time in seconds; only instruments move it."""

    def now(self) -> float: ...

    def advance(self, dt: float) -> object: ...


class BenchModel(Protocol):
    """The part of SimBench that simulated instruments observe and set."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def load_bank(self) -> Mapping[int, float]: ...

    @property
    def load_ohms(self) -> float | None: ...

    def set_load(self, ohms: float | None) -> None: ...

    def set_supply(self, channel: int, volts: float, current_limit: float, on: bool) -> None: ...

    def set_ammeter_burden(self, ohms: float) -> None: ...

    def load_current(self, t: FloatArray) -> FloatArray: ...

    def load_voltage(self, t: FloatArray) -> FloatArray: ...

    def buzzer_voltage(self, t: FloatArray) -> FloatArray: ...

    def supply_voltage(self, channel: int, t: FloatArray) -> FloatArray: ...

    def mean_current(self, t0: float, t1: float) -> float: ...

    def mean_currents(self, windows: Sequence[tuple[float, float]]) -> list[float]: ...

    def supply_current(self, channel: int) -> float: ...

    def rng(self, name: str) -> np.random.Generator: ...


class SimInstrument:
    """Base of every simulated model: identity, reset, and the SCPI engine over a table.

    Subclasses set their state in `__init__` *before* calling this constructor, list their
    commands in `commands()` (one `Command` a line, as data), and put power-on values in
    `reset()`, which is also what `*RST` runs.
    """

    manufacturer = "Keysight Technologies"
    model = "SIM"
    firmware = "0"
    status_subsystem = True
    """False for a model whose manual has no SCPI STATus subsystem (the scopes)."""

    def __init__(self, sim: BenchModel, serial: str) -> None:
        self.sim = sim
        self.serial = serial
        self.beeper = True
        self.remote = False
        self.engine = ScpiEngine(
            self.commands(),
            identity=self.identity,
            reset=self.reset,
            status_subsystem=self.status_subsystem,
        )
        self.reset()

    def commands(self) -> list[Command]:
        """The instrument's command table (common commands are added by the engine)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Power-on / *RST state."""

    def front_panel_commands(self) -> list[Command]:
        """SYSTem:BEEPer and LOCal/REMote/RWLock, shared by the Keysight bench boxes.

        The simulation has no speaker and no keys, so these only keep the state a driver
        reads back; they exist so a driver that beeps or locks the panel gets no -113.
        """
        return [
            Command("SYSTem:BEEPer[:IMMediate]", lambda c: None),
            Command("SYSTem:BEEPer:STATe", lambda c: setattr(self, "beeper", c.boolean(0))),
            Command("SYSTem:BEEPer:STATe?", lambda c: str(int(self.beeper))),
            Command("SYSTem:LOCal", lambda c: setattr(self, "remote", False)),
            Command("SYSTem:REMote", lambda c: setattr(self, "remote", True)),
            Command("SYSTem:RWLock", lambda c: setattr(self, "remote", True)),
        ]

    def identity(self) -> str:
        """The *IDN? answer: manufacturer,model,serial,firmware."""
        return f"{self.manufacturer},{self.model},{self.serial},{self.firmware}"

    def execute(self, message: str) -> bytes | None:
        """Run one message while holding the bench lock, as every transport must."""
        with self.sim.lock:
            return self.engine.execute(message)
