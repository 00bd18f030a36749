"""A bench, opened: the instruments of a bench file by role, the unit's port, safe state.

``open_bench`` turns a validated ``BenchFile`` into a ``Bench``: it creates the simulated
model first when the file has a ``simulation:`` block (in-process, or served on loopback
sockets so the very same drivers talk TCP), opens each instrument through its model's
driver, and the unit's test port. Tests never see the drivers' classes: they get an
``Ammeter``, an ``Oscilloscope``… from the bench.

``safe_state`` is the one place that knows how to leave a bench harmless: stimulation
off (over the test port), every supply output off, every relay open. It is best effort
by design: it tries every step even when an earlier one fails (a unit that stopped
answering must not keep the supplies on) and returns what went wrong.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pyvisa

from harness.benchfile import BenchFile, InstrumentEntry, LoadEntry
from harness.dut.rmd1_port import Rmd1TestPort
from harness.dut.testport import TestPort
from harness.errors import HilError, InputError, InstrumentError
from harness.instruments.clock import SimClockInstrument, WallClock
from harness.instruments.keithley_2450 import Keithley2450
from harness.instruments.keysight_34465a import Keysight34465A
from harness.instruments.keysight_34980a import Keysight34980A
from harness.instruments.keysight_dsox1204g import KeysightDSOX1102G, KeysightDSOX1204G
from harness.instruments.keysight_e36312a import KeysightE36312A
from harness.instruments.protocols import (
    Ammeter,
    Clock,
    Instrument,
    LoadSwitch,
    Oscilloscope,
    PowerSupply,
)
from harness.instruments.rigol_dp832 import RigolDP832
from harness.instruments.rigol_ds1054z import RigolDS1054Z
from harness.instruments.serial_relay_board import open_serial_relay_board
from harness.instruments.visa import ScpiLink, open_scpi
from harness.record import InstrumentIdentity

log = logging.getLogger(__name__)

#: bench-file role → the simulated rack's role (its resource host name)
SIM_ROLES = {
    "ammeter": "dmm",
    "oscilloscope": "scope",
    "power_supply": "psu",
    "load_switch": "switch",
    "clock": "clock",
}

Driver = Callable[[ScpiLink, InstrumentEntry, Any], Instrument]


def _line_hz(entry: InstrumentEntry) -> float:
    return float(entry.options.get("line_frequency_hz", 50.0))


DRIVERS: dict[str, Driver] = {
    "Keysight 34465A": lambda link, e, clk: Keysight34465A(link, line_frequency_hz=_line_hz(e)),
    "Keithley 2450": lambda link, e, clk: Keithley2450(link, line_frequency_hz=_line_hz(e)),
    "Keysight DSOX1204G": lambda link, e, clk: KeysightDSOX1204G(link, clock=clk),
    "Keysight DSOX1102G": lambda link, e, clk: KeysightDSOX1102G(link, clock=clk),
    "Rigol DS1054Z": lambda link, e, clk: RigolDS1054Z(link, clock=clk),
    "Keysight E36312A": lambda link, e, clk: KeysightE36312A(link),
    "Rigol DP832": lambda link, e, clk: RigolDP832(link),
    "Keysight 34980A": lambda link, e, clk: Keysight34980A(
        link,
        channels=tuple(
            int(c) for c in str(e.options.get("channels", "1001,1002,1003,1004")).split(",")
        ),
    ),
    "microcurrent-hil SIMCLOCK": lambda link, e, clk: SimClockInstrument(link),
}


@dataclass
class Bench:
    """An open bench: instruments by role, the unit's port, the simulated model if any."""

    file: BenchFile
    ammeter: Ammeter
    scope: Oscilloscope
    supply: PowerSupply
    switch: LoadSwitch
    clock: Clock
    dut: TestPort
    instruments: dict[str, Instrument]
    sim: Any = None
    resources: dict[str, str] = field(default_factory=dict)
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    def entry(self, name: str) -> InstrumentEntry:
        return next(i for i in self.file.document.instruments if i.name == name)

    def name_of(self, role: str) -> str:
        entry = self.file.instrument(role)  # type: ignore[arg-type]
        return entry.name if entry else role

    def select_load(self, ohms: float | None) -> LoadEntry | None:
        """Connect the load of ``ohms`` (None: open circuit) and read the relays back."""
        load = None if ohms is None else self.file.load_for(ohms)
        self.switch.open_all()
        if load is not None:
            self.switch.close_channel(load.channel)
        closed = self.switch.closed_channels()
        wanted = set() if load is None else {load.channel}
        if closed != wanted:
            raise InstrumentError(
                self.name_of("load_switch"),
                f"relays read back {sorted(closed)}, expected {sorted(wanted)}",
            )
        return load

    def identities(self) -> list[InstrumentIdentity]:
        """Each instrument's ``*IDN?`` with the bench file's calibration date."""
        out = []
        for name, inst in self.instruments.items():
            entry = self.entry(name)
            idn = inst.identify()
            out.append(
                InstrumentIdentity(
                    name=name,
                    role=entry.role,
                    model=f"{idn.manufacturer} {idn.model}",
                    serial=idn.serial,
                    resource=self.resources.get(name, entry.resource),
                    calibration_due=entry.calibration_due.isoformat(),
                    firmware=idn.firmware,
                )
            )
        return out

    def identity_problems(self) -> list[str]:
        """Instruments whose ``*IDN?`` model or serial differs from the bench file.

        A swapped instrument would put the wrong serial and calibration date on every
        result; the session refuses to start rather than record that.
        """
        from harness.bench_check import model_matches

        problems = []
        for name, inst in self.instruments.items():
            entry = self.entry(name)
            idn = inst.identify()
            if not model_matches(entry.model, idn.model) or idn.serial != entry.serial:
                problems.append(
                    f"{name} at {self.resources.get(name, entry.resource)} answers "
                    f"{idn.manufacturer} {idn.model} {idn.serial}, bench file says "
                    f"{entry.model} {entry.serial}"
                )
        return problems

    def check_errors(self) -> dict[str, list[str]]:
        """Drain every instrument's error queue; names with errors only."""
        found: dict[str, list[str]] = {}
        for name, inst in self.instruments.items():
            errors = inst.check_errors()
            if errors:
                found[name] = errors
        return found

    def safe_state(self) -> list[str]:
        """Stimulation off, supplies off, relays open; every step tried; problems returned."""
        problems: list[str] = []
        steps: list[tuple[str, Callable[[], None]]] = [
            ("stimulation off", self.dut.safe_state),
            ("supplies off", self.supply.all_off),
            ("relays open", self.switch.open_all),
        ]
        for label, step in steps:
            try:
                step()
            except Exception as exc:  # safe state must try every step
                problems.append(f"{label}: {exc}")
                log.error("safe state: %s failed: %s", label, exc)
        return problems

    def close(self) -> None:
        for inst in self.instruments.values():
            try:
                inst.close()
            except Exception as exc:  # closing is best effort
                log.warning("closing %s: %s", inst.name, exc)
        try:
            self.dut.close()
        except Exception as exc:
            log.warning("closing the device port: %s", exc)
        for cleanup in reversed(self._cleanup):
            cleanup()


def _sim_setup(
    file: BenchFile, faults: list[str], serial: str | None, unit_spread: bool | None = None
) -> tuple[Any, dict[str, str], str, str, list[Callable[[], None]]]:
    """Create the simulated bench; return it, resource strings, VISA library, port, cleanups.

    ``unit_spread`` (None: the simulation block's ``unit_spread``, default off) gives the
    unit its serial's drawn analog properties (``harness.sim.unit_spread``).
    """
    from harness.sim import registry
    from harness.sim.bench import SimBench

    sim_entry = file.document.simulation
    assert sim_entry is not None
    spread = bool(getattr(sim_entry, "unit_spread", False)) if unit_spread is None else unit_spread
    sim = SimBench(
        seed=sim_entry.seed,
        faults=faults,
        serial=serial or sim_entry.unit_serial,
        fault_source="--sim-fault",
        unit_spread=spread,
    )
    cleanup: list[Callable[[], None]] = []
    resources = {i.name: i.resource for i in file.document.instruments}
    if sim_entry.transport == "in-process":
        bench_key = f"{file.id}-{secrets.token_hex(4)}"
        registry.register(bench_key, sim)
        cleanup.append(lambda: registry.unregister(bench_key))
        return sim, resources, f"{bench_key}@hilsim", f"hilsim://{bench_key}", cleanup
    from harness.sim.pty_port import serve_device
    from harness.sim.server import serve_instruments

    served = serve_instruments(sim)
    cleanup.append(served.stop)
    device = serve_device(sim, "socket")
    cleanup.append(device.stop)
    for inst in file.document.instruments:
        resources[inst.name] = served.resources[SIM_ROLES[inst.role]]
    return sim, resources, "@py", device.url, cleanup


def open_bench(
    file: BenchFile,
    *,
    faults: list[str] | None = None,
    serial: str | None = None,
    unit_spread: bool | None = None,
) -> Bench:
    """Open every instrument and the unit's port; on any failure close what was opened.

    ``unit_spread`` applies to a simulated bench only (see ``_sim_setup``).
    """
    faults = list(faults or [])
    cleanup: list[Callable[[], None]] = []
    sim = None
    resources = {i.name: i.resource for i in file.document.instruments}
    library = file.document.bench.visa_library
    port = file.document.device.port
    if file.document.simulation is not None:
        sim, resources, library, port, cleanup = _sim_setup(file, faults, serial, unit_spread)
    elif faults:
        raise InputError(file.path, "simulation", "a simulated bench for --sim-fault")
    opened: dict[str, Instrument] = {}
    try:
        manager = pyvisa.ResourceManager(library)
        cleanup.append(manager.close)
        clock: Clock = WallClock()
        clock_entry = file.instrument("clock")
        ordered = sorted(file.document.instruments, key=lambda i: i.role != "clock")
        for entry in ordered:
            if entry.model == "Serial relay board":
                opened[entry.name] = open_serial_relay_board(resources[entry.name], name=entry.name)
                continue
            link = open_scpi(
                resources[entry.name],
                name=entry.name,
                resource_manager=manager,
                timeout_s=float(entry.options.get("timeout_s", 5.0)),
            )
            opened[entry.name] = DRIVERS[entry.model](link, entry, clock)
            if clock_entry is not None and entry.name == clock_entry.name:
                clock = opened[entry.name]  # type: ignore[assignment]
        dut = Rmd1TestPort(port, timeout_s=file.document.device.timeout_s, name="dut")
        by_role = {e.role: opened[e.name] for e in file.document.instruments}
        missing = [
            r
            for r in ("ammeter", "oscilloscope", "power_supply", "load_switch")
            if r not in by_role
        ]
        if missing:
            raise InputError(file.path, "instruments", f"an instrument for roles {missing}")
        return Bench(
            file=file,
            ammeter=cast(Ammeter, by_role["ammeter"]),
            scope=cast(Oscilloscope, by_role["oscilloscope"]),
            supply=cast(PowerSupply, by_role["power_supply"]),
            switch=cast(LoadSwitch, by_role["load_switch"]),
            clock=clock,
            dut=dut,
            instruments=opened,
            sim=sim,
            resources=resources,
            _cleanup=cleanup,
        )
    except BaseException:
        for inst in opened.values():
            with contextlib.suppress(Exception):  # already failing; closing is best effort
                inst.close()
        for step in reversed(cleanup):
            step()
        raise


__all__ = ["Bench", "HilError", "open_bench"]
