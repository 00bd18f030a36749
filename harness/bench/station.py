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

Opening is all or nothing for a run: the first instrument or port that cannot be opened
(switched off, wrong address, a VISA library that does not load, a device path that does
not exist) raises one :class:`BenchOpenError` naming it, its resource and the reason,
after what did open is put in that same safe state and closed: a supply left on by a
killed run must not stay on because the relay card is unplugged. ``hil bench check``
uses :func:`open_parts` with ``keep_going`` to try every part and report each.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pyvisa

from harness.bench.drivers import Connection, DevicePortRequest, device_model, instrument_model
from harness.bench.unit_buttons import buttons_of, operator_of
from harness.definitions.bench_file import BenchFile, InstrumentEntry, LoadEntry
from harness.dut.no_port import NoTestPort
from harness.dut.operator import Operator
from harness.dut.testport import TestPort
from harness.errors import HilError, InputError, InstrumentError
from harness.instruments.clock import WallClock
from harness.instruments.keysight_daq970a import option_problems as daq970a_option_problems
from harness.instruments.protocols import (
    Ammeter,
    ButtonActuator,
    Clock,
    Instrument,
    LoadSwitch,
    Oscilloscope,
    PowerSupply,
)
from harness.instruments.visa import ScpiLink, open_scpi
from harness.recording.record import InstrumentIdentity

log = logging.getLogger(__name__)


class _VisaLinks:
    """The bench's one VISA resource manager, loaded when the first instrument needs it.

    A bench whose instruments all have their own transport (a serial relay board) never
    loads a VISA library; one that fails to load is named for each instrument needing it.
    """

    def __init__(self, library: str, cleanup: list[Callable[[], None]]) -> None:
        self.library = library
        self._cleanup = cleanup
        self._manager: pyvisa.ResourceManager | None = None
        self._error: str | None = None

    def open(self, entry: InstrumentEntry, resource: str) -> ScpiLink:
        if self._manager is None and self._error is None:
            try:
                self._manager = pyvisa.ResourceManager(self.library)
                self._cleanup.append(self._manager.close)
            except Exception as exc:  # pyvisa raises what its backend raised
                self._error = f"VISA library {self.library!r} did not load: {exc}"
        if self._manager is None:
            raise BenchOpenError(entry.name, resource, str(self._error))
        return open_scpi(
            resource,
            name=entry.name,
            resource_manager=self._manager,
            timeout_s=float(entry.options.get("timeout_s", 5.0)),
        )


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
    """The unit's test port; a ``NoTestPort`` for a unit without one (``buttons``)."""
    instruments: dict[str, Instrument]
    sim: Any = None
    resources: dict[str, str] = field(default_factory=dict)
    _cleanup: list[Callable[[], None]] = field(default_factory=list)
    buttons: ButtonActuator | None = None
    """Who presses the buttons of a unit without a test port (relay or operator)."""
    operator: Operator | None = None
    """The person (or script) at the bench, when the bench has one."""

    @property
    def has_port(self) -> bool:
        return self.buttons is None

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
        from harness.bench.model_names import model_matches

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
        """Stimulation off, supplies off, relays open; every step tried; problems returned.

        Every relay instrument is opened, not only the one serving the load-switch role: a
        second one across a unit's buttons (``device.actuator``) left closed would hold a
        button down after the run.
        """
        steps: list[tuple[str, Callable[[], None]]] = [
            ("stimulation off", self.dut.safe_state),
            ("supplies off", self.supply.all_off),
            ("relays open", self.switch.open_all),
        ]
        for name, inst in self.instruments.items():
            if inst is not self.switch and self.entry(name).role == "load_switch":
                steps.append((f"relays of {name} open", cast(LoadSwitch, inst).open_all))
        return try_each_safe_step(steps)

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
    unit = file.document.device
    sim = SimBench(
        seed=sim_entry.seed,
        faults=faults,
        serial=serial or sim_entry.unit_serial,
        fault_source="--sim-fault",
        unit_spread=spread,
        model=unit.model,
        button_channels={
            b.channel: name for name, b in unit.buttons.items() if b.channel is not None
        },
    )
    cleanup: list[Callable[[], None]] = []
    resources = {i.name: i.resource for i in file.document.instruments}
    if sim_entry.transport == "in-process":
        bench_key = f"{file.id}-{secrets.token_hex(4)}"
        registry.register(bench_key, sim)
        cleanup.append(lambda: registry.unregister(bench_key))
        for name, resource in resources.items():  # the simulated serial relay board
            if resource.startswith("hilrelay://"):
                resources[name] = f"hilrelay://{bench_key}"
        return sim, resources, f"{bench_key}@hilsim", f"hilsim://{bench_key}", cleanup
    from harness.sim.instruments import ROLE_OF_MODEL
    from harness.sim.pty_port import serve_device
    from harness.sim.server import serve_instruments

    # Each instrument is served as the model the file names (a Rigol scope as the Rigol
    # simulation), never as whatever model usually fills its bench role.
    roles: dict[str, str] = {}
    for index, inst in enumerate(file.document.instruments):
        if inst.model not in ROLE_OF_MODEL:
            raise InputError(
                file.path,
                f"instruments[{index}].model",
                f"a model the loopback simulator serves ({', '.join(sorted(ROLE_OF_MODEL))})",
                got=inst.model,
            )
        roles[inst.name] = ROLE_OF_MODEL[inst.model]
    # its one client is this bench: no idle timeout
    served = serve_instruments(sim, roles=sorted(set(roles.values())), idle_timeout_s=None)
    cleanup.append(served.stop)
    device = serve_device(sim, "socket")
    cleanup.append(device.stop)
    for name, role in roles.items():
        resources[name] = served.resources[role]
    return sim, resources, "@py", device.url, cleanup


def _number_option(file: BenchFile, index: int, key: str) -> None:
    entry = file.document.instruments[index]
    value = entry.options.get(key)
    if value is None:
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise InputError(
            file.path, f"instruments[{index}].options.{key}", "a number above 0", got=value
        )


def check_options(file: BenchFile) -> None:
    """The driver options the drivers read as numbers are numbers (InputError if not),
    checked before anything is opened."""
    for index, entry in enumerate(file.document.instruments):
        for key in ("timeout_s", "line_frequency_hz"):
            _number_option(file, index, key)
        channels = entry.options.get("channels")
        if channels is not None and not all(c.strip().isdigit() for c in str(channels).split(",")):
            raise InputError(
                file.path,
                f"instruments[{index}].options.channels",
                "switch channel numbers separated by commas, such as 1001,1002",
                got=channels,
            )
        if entry.model == "Keysight DAQ970A":  # its probes' channels, thermistor, transmitter
            for key, expected, got in daq970a_option_problems(entry.options):
                raise InputError(
                    file.path, f"instruments[{index}].options.{key}", expected, got=got
                )


class BenchOpenError(HilError):
    """An instrument or the unit's port that could not be opened: which, where and why.

    ``name`` is the bench file's name for it (``dmm``; ``dut`` for the unit's port),
    ``resource`` its resource string or port, ``reason`` one line from the stack below
    (``Connection refused``, ``No such file or directory``, a VISA library that did not
    load).
    """

    def __init__(self, name: str, resource: str, reason: str) -> None:
        self.name = name
        self.resource = resource
        self.reason = " ".join(reason.split()) or "no reason given"
        self.detail = f"{resource} could not be opened: {self.reason}"
        super().__init__(f"{name} ({resource}) could not be opened: {self.reason}")


def _open_failure(name: str, resource: str, error: BaseException) -> BenchOpenError:
    """``error`` raised while opening ``name`` at ``resource``, as one BenchOpenError."""
    if isinstance(error, BenchOpenError):
        return error
    detail = getattr(error, "detail", None) if isinstance(error, HilError) else None
    text = str(detail) if detail else f"{type(error).__name__}: {error}"
    for prefix in (f"cannot open {resource!r}: ", f"cannot connect to {resource!r}: "):
        text = text.removeprefix(prefix)
    return BenchOpenError(name, resource, text.removeprefix("cannot open: "))


@dataclass
class OpenedParts:
    """What of a bench could be opened, and why the rest could not.

    ``open_bench`` needs all of it or nothing; ``hil bench check`` reports each part.
    Either way, :meth:`make_safe` leaves what did open harmless and :meth:`close` closes
    it.
    """

    file: BenchFile
    sim: Any
    resources: dict[str, str]
    port: str
    instruments: dict[str, Instrument] = field(default_factory=dict)
    clock: Clock = field(default_factory=WallClock)
    dut: TestPort | None = None
    #: bench-file name (``dut`` for the unit's port) → why it could not be opened
    failures: dict[str, BenchOpenError] = field(default_factory=dict)
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def make_safe(self) -> list[str]:
        """Stimulation off, supplies off, relays open, for whatever was opened."""
        steps: list[tuple[str, Callable[[], None]]] = []
        if self.dut is not None:
            steps.append(("stimulation off", self.dut.safe_state))
        roles = {e.name: e.role for e in self.file.document.instruments}
        for name, inst in self.instruments.items():
            if roles.get(name) == "power_supply":
                steps.append((f"{name}: supplies off", cast(PowerSupply, inst).all_off))
            elif roles.get(name) == "load_switch":
                steps.append((f"{name}: relays open", cast(LoadSwitch, inst).open_all))
        return try_each_safe_step(steps)

    def close(self) -> None:
        for inst in self.instruments.values():
            with contextlib.suppress(Exception):  # closing is best effort
                inst.close()
        if self.dut is not None:
            with contextlib.suppress(Exception):
                self.dut.close()
        for step in reversed(self.cleanup):
            with contextlib.suppress(Exception):
                step()


def open_parts(
    file: BenchFile,
    *,
    faults: list[str] | None = None,
    serial: str | None = None,
    unit_spread: bool | None = None,
    keep_going: bool = False,
) -> OpenedParts:
    """Open each instrument (the clock first) and the unit's port.

    A part that cannot be opened raises :class:`BenchOpenError` at once, after what was
    opened is made safe and closed; with ``keep_going`` it is noted in ``failures`` and
    the next part is tried. Bench-file errors (``InputError``) come before anything is
    opened.
    """
    faults = list(faults or [])
    check_options(file)
    resources = {i.name: i.resource for i in file.document.instruments}
    library = file.document.bench.visa_library
    port = file.document.device.port or ""
    sim: Any = None
    cleanup: list[Callable[[], None]] = []
    if file.document.simulation is not None:
        sim, resources, library, port, cleanup = _sim_setup(file, faults, serial, unit_spread)
    elif faults:
        raise InputError(file.path, "simulation", "a simulated bench for --sim-fault")
    parts = OpenedParts(file, sim, resources, port, cleanup=cleanup)
    try:
        _open_each(parts, library, keep_going)
    except BaseException:
        parts.make_safe()
        parts.close()
        raise
    return parts


def _open_each(parts: OpenedParts, library: str, keep_going: bool) -> None:
    file = parts.file
    visa = _VisaLinks(library, parts.cleanup)
    clock_entry = file.instrument("clock")
    for entry in sorted(file.document.instruments, key=lambda i: i.role != "clock"):
        resource = parts.resources[entry.name]
        inst: Instrument
        try:
            # the model's driver, as installed (entry point): the harness's or a package's
            connection = Connection(
                entry, resource, parts.clock, functools.partial(visa.open, entry, resource)
            )
            inst = instrument_model(entry.model).open(connection)
        except Exception as exc:  # any stack's failure to open is this part's failure
            failure = _open_failure(entry.name, resource, exc)
            if not keep_going:
                raise failure from exc
            parts.failures[entry.name] = failure
            continue
        parts.instruments[entry.name] = inst
        if clock_entry is not None and entry.name == clock_entry.name:
            parts.clock = cast(Clock, inst)
    if file.document.device.how_controlled != "port":
        return  # a unit without a test port: nothing to open, its buttons are pressed
    try:
        driver = device_model(file.document.device.model)  # installed, as the model's
        request = DevicePortRequest(parts.port, file.document.device.timeout_s, name="dut")
        parts.dut = driver.open(request)
    except Exception as exc:  # pyserial raises what the OS or the URL handler raised
        failure = _open_failure("dut", parts.port, exc)
        if not keep_going:
            raise failure from exc
        parts.failures["dut"] = failure


def open_bench(
    file: BenchFile,
    *,
    faults: list[str] | None = None,
    serial: str | None = None,
    unit_spread: bool | None = None,
    operator_input: Path | None = None,
) -> Bench:
    """Open every instrument and the unit's port, or raise one error.

    A part that cannot be opened is a :class:`BenchOpenError` naming it, its resource and
    the reason; what was opened before it is put in its safe state and closed.
    ``unit_spread`` applies to a simulated bench only (see ``_sim_setup``). A unit
    without a test port gets its button actuator (``harness.bench.unit_buttons``);
    ``operator_input`` scripts the operator's answers (read before anything is opened).
    """
    roles = {e.role for e in file.document.instruments}
    missing = [
        r for r in ("ammeter", "oscilloscope", "power_supply", "load_switch") if r not in roles
    ]
    if missing:
        raise InputError(file.path, "instruments", f"an instrument for roles {missing}")
    operator = operator_of(file, operator_input)
    parts = open_parts(file, faults=faults, serial=serial, unit_spread=unit_spread)
    if parts.dut is None:  # a unit without a test port (open_parts raised otherwise)
        parts.dut = NoTestPort(file.document.device.model)
    # the first instrument of a role is the role's (a second load switch, such as a relay
    # board across a unit's buttons, is reached by name as the button actuator)
    by_role = {e.role: parts.instruments[e.name] for e in reversed(file.document.instruments)}
    return Bench(
        file=file,
        ammeter=cast(Ammeter, by_role["ammeter"]),
        scope=cast(Oscilloscope, by_role["oscilloscope"]),
        supply=cast(PowerSupply, by_role["power_supply"]),
        switch=cast(LoadSwitch, by_role["load_switch"]),
        clock=parts.clock,
        dut=parts.dut,
        instruments=parts.instruments,
        sim=parts.sim,
        resources=parts.resources,
        _cleanup=parts.cleanup,
        buttons=buttons_of(file, parts.instruments, parts.clock, parts.sim, operator),
        operator=operator,
    )


__all__ = ["Bench", "BenchOpenError", "HilError", "OpenedParts", "open_bench", "open_parts"]


def try_each_safe_step(steps: Sequence[tuple[str, Callable[[], object]]]) -> list[str]:
    """Run every safe-state step, whatever the ones before it did; the problems, named.

    A bench is safe only when stimulation is off, supplies are off and relays are open:
    one instrument that fails to answer must not keep the others from being switched off.
    """
    problems: list[str] = []
    for label, step in steps:
        try:
            step()
        except Exception as exc:  # safe state must try every step
            problems.append(f"{label}: {exc}")
            log.error("safe state: %s failed: %s", label, exc)
    return problems
