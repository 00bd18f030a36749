"""Simulated bench instruments, one module per real model, and the rack that holds them.

Every simulated instrument speaks its model's SCPI (see `harness.sim.scpi`) and observes
or sets the one shared physical model (`SimBench`). A `Rack` holds the instruments of one
simulated bench by *role* — the names used in resource strings (`dmm.sim`, `scope.sim`,
...) — and creates each on first use, so the in-process VISA backend and the loopback
server see the same instrument state for a given bench, and an instrument that is never
used (the Keithley 2450 alternate ammeter) never touches the model.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.keithley_2450 import Keithley2450
from harness.sim.instruments.keysight_34465a import Keysight34465A
from harness.sim.instruments.keysight_34980a import Keysight34980A
from harness.sim.instruments.keysight_daq970a import KeysightDAQ970A
from harness.sim.instruments.keysight_dsox1204g import KeysightDSOX1204G
from harness.sim.instruments.keysight_e36312a import KeysightE36312A
from harness.sim.instruments.rigol_dp832 import RigolDP832
from harness.sim.instruments.rigol_ds1054z import RigolDS1054Z
from harness.sim.instruments.sim_clock import SimClock

MODELS: dict[str, Callable[[BenchModel], SimInstrument]] = {
    "dmm": Keysight34465A,
    "scope": KeysightDSOX1204G,
    "psu": KeysightE36312A,
    "switch": Keysight34980A,
    "clock": SimClock,
    "env": KeysightDAQ970A,
    "smu": Keithley2450,
    "rigol-scope": RigolDS1054Z,
    "rigol-psu": RigolDP832,
}
"""Role -> simulated model. `env` is the environment sensor reading the bench's room;
`smu` is the alternate ammeter (2450 at 0 V); `rigol-*` are
the alternate scope and supply of the sim-rigol bench (harness/data/benches)."""

DEFAULT_ROLES = ("dmm", "scope", "psu", "switch", "clock", "env")

ROLE_OF_MODEL: dict[str, str] = {
    "Keysight 34465A": "dmm",
    "Keithley 2450": "smu",
    "Keysight DSOX1204G": "scope",
    "Keysight E36312A": "psu",
    "Keysight 34980A": "switch",
    "Keysight DAQ970A": "env",
    "Rigol DS1054Z": "rigol-scope",
    "Rigol DP832": "rigol-psu",
    "microcurrent-hil SIMCLOCK": "clock",
}
"""Bench-file `model:` -> the role of the rack that plays it. A bench file names its
instruments by model, and two models can fill one bench role (the Keysight or the Rigol
scope as the oscilloscope), so whatever serves a bench file's instruments (`hil sim
serve`, a loopback bench) picks each one's simulation by its model, never by its bench
role. The serial relay board is absent: it is a line device (hilrelay://), not SCPI."""


def role_of_model(model: str) -> str | None:
    """The rack role simulating the bench-file model `model`; None if none does."""
    return ROLE_OF_MODEL.get(model)


class Rack:
    """The simulated instruments of one bench, created on first use by role."""

    def __init__(self, sim: BenchModel) -> None:
        self.sim = sim
        self._instruments: dict[str, SimInstrument] = {}
        self._guard = threading.Lock()

    def get(self, role: str) -> SimInstrument:
        """The instrument playing `role`; KeyError for an unknown role."""
        factory = MODELS[role]
        with self._guard, self.sim.lock:
            if role not in self._instruments:
                self._instruments[role] = factory(self.sim)
            return self._instruments[role]


_RACKS: weakref.WeakKeyDictionary[object, Rack] = weakref.WeakKeyDictionary()
_RACKS_GUARD = threading.Lock()


def rack_for(sim: BenchModel) -> Rack:
    """The one rack of a bench, so every transport shares instrument state."""
    with _RACKS_GUARD:
        rack = _RACKS.get(sim)
        if rack is None:
            rack = _RACKS[sim] = Rack(sim)
        return rack


__all__ = [
    "DEFAULT_ROLES",
    "MODELS",
    "ROLE_OF_MODEL",
    "Rack",
    "SimInstrument",
    "rack_for",
    "role_of_model",
]
