"""Bench files: what instruments a test station has, where they are, and how good they are.

A *bench file* (``fixtures/benches/*.yaml``) describes one test station: its id, the spec
its units are tested against, each instrument's role (ammeter, oscilloscope, power
supply, load switch, clock), model, VISA resource string, serial number, calibration due
date and accuracy spec, the load resistors with their tolerances and the switch channel
that selects each, and the port of the unit's factory test interface. A simulated bench
adds a ``simulation:`` block (seed, faults, transport).

The file is validated completely before any instrument is opened: a wrong resource
string or a load without a tolerance must stop the run at the desk, not halfway through
a unit. The accuracy spec feeds the uncertainty budget of every reading the instrument
makes, so it is part of the bench file rather than of the driver: a calibration lab's
certificate may state a different one than the datasheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pyvisa import rname

from harness.definitions import installed_models
from harness.definitions.conditions import (
    UNITS,
    ConditionParseError,
    ConditionRange,
    parse_condition,
    range_problems,
)
from harness.errors import InputError
from harness.judging.units import UnitParseError, parse_quantity
from harness.judging.yamlfile import (
    FieldError,
    YamlDocument,
    load_yaml,
    require_unique,
    validate,
)

BENCH_SCHEMA_VERSION = 1

Role = Literal[
    "ammeter", "oscilloscope", "power_supply", "load_switch", "clock", "environment_sensor"
]

#: the roles, in the order a bench file lists them (the ``role:`` values)
ROLES: tuple[Role, ...] = get_args(Role)


def _windows_serial_port(value: str) -> bool:
    """``COM3``: a serial port on Windows (a serial relay board there)."""
    return value.startswith("COM") and value[3:].isdigit()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccuracySpec(_Strict):
    """± (reading_pct % of reading + range_pct % of range + absolute) on one range.

    ``absolute`` is in the range's unit: an environment sensor's accuracy is stated as
    ± 0.2 °C or ± 1.5 %RH, and a percentage of a °C reading means nothing (its zero is
    arbitrary). An environment sensor's lines name their quantity by the range's unit
    (``range: 50 degC``, ``range: 100 %RH``).
    """

    range: str | float
    reading_pct: float = Field(ge=0)
    range_pct: float = Field(ge=0)
    absolute: float = Field(default=0.0, ge=0)


class CalibrationEntry(_Strict):
    """The last calibration of an instrument or reference standard, from its certificate.

    ISO/IEC 17025 6.4 and 6.5 ask a report's reader to be able to follow each measuring
    device to its calibration: when (``date``), by whom (``laboratory``), which
    certificate, and how it is traceable to SI (``traceability``: the national or
    accredited chain the certificate states).
    """

    date: dt.date
    certificate: str = Field(min_length=1)
    laboratory: str = Field(min_length=1)
    traceability: str = Field(min_length=1)
    due: dt.date | None = None
    """When the next calibration is due: a reference standard's due date. An instrument
    states its own as ``calibration_due`` (checked before every run); given here too, it
    must be the same date."""


CALIBRATION_EXPECTED = (
    "a calibration block {date, certificate, laboratory, traceability; due for a reference "
    "standard}, required for every measuring instrument and reference standard of a real bench"
)
CALIBRATION_EXEMPT_ROLES: frozenset[str] = frozenset({"load_switch"})
"""Roles that measure nothing: a relay matrix selects a load, the load is the standard."""


def _is_bare_number(value: str | float) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


RANGE_UNITS: dict[str, str] = {"ammeter": "A", "power_supply": "V", "oscilloscope": "V"}
"""The unit of the ranges of a role's accuracy lines (``harness.procedures.budgets``)."""


class InstrumentEntry(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Role
    model: str
    resource: str
    serial: str
    calibration_due: dt.date
    calibration: CalibrationEntry | None = None
    """Required on a real bench for every measuring role (see ``BenchDocument``)."""
    accuracy: list[AccuracySpec] = Field(default_factory=list)
    options: dict[str, str | float | int | bool] = Field(default_factory=dict)

    @field_validator("model")
    @classmethod
    def _model_known(cls, value: str) -> str:
        # an installed model (entry point; unknown, clashing or broken: RegistryError)
        installed_models.instrument_role(value, ROLES)
        return value

    @field_validator("resource")
    @classmethod
    def _resource_parses(cls, value: str) -> str:
        if value.startswith(("ASRL", "TCPIP", "USB", "GPIB")):
            try:
                rname.parse_resource_name(value)
            except (rname.InvalidResourceName, ValueError) as exc:
                raise ValueError(
                    f"a VISA resource string such as TCPIP0::host::5025::SOCKET ({exc})"
                ) from None
            return value
        if "://" in value or value.startswith("/dev/") or _windows_serial_port(value):
            return value  # a pyserial URL or device path (serial relay board)
        raise ValueError("a VISA resource string such as TCPIP0::host::5025::SOCKET")

    @model_validator(mode="after")
    def _role_matches_model(self) -> InstrumentEntry:
        role = installed_models.instrument_role(self.model, ROLES)
        if role != self.role:
            raise FieldError("role", f"role {role!r} for model {self.model}")
        return self

    @model_validator(mode="after")
    def _sensor_accuracy_stated(self) -> InstrumentEntry:
        """An environment sensor states its accuracy for both quantities it reads: a
        room reading without it cannot say whether the room was within its range."""
        if self.role != "environment_sensor":
            return self
        for quantity, (unit, _spellings) in UNITS.items():
            if self.condition_accuracy(quantity) is None:
                raise FieldError(
                    "accuracy",
                    f"an accuracy line for the {quantity}, such as "
                    f"{{range: {'50 degC' if unit == 'degC' else '100 %RH'}, reading_pct: 0, "
                    f"range_pct: 0, absolute: {0.2 if unit == 'degC' else 2.0}}}",
                )
        return self

    def condition_accuracy(self, quantity: str) -> AccuracySpec | None:
        """The accuracy line of an environment sensor for ``quantity`` (its range's unit
        is the quantity's: ``50 degC`` for temperature, ``100 %RH`` for humidity)."""
        for spec in self.accuracy:
            try:
                parse_condition(quantity, spec.range)
            except ConditionParseError:
                continue
            return spec
        return None

    @model_validator(mode="after")
    def _ranges_in_unit(self) -> InstrumentEntry:
        """Each accuracy line's range is a quantity in the role's unit (``100 uA``).

        The budget finds a line by its range and skips one that does not parse, so a
        typo (``100 uAA``), another unit or a bare ``100`` silently replaced the line
        written by the assumed ±0.1 % of range; smaller than a certificate's stated
        accuracy, it understated every reading's uncertainty."""
        unit = RANGE_UNITS.get(self.role)
        for index, spec in enumerate(self.accuracy if unit else ()):
            try:
                parse_quantity(spec.range, unit or "")
                bare = _is_bare_number(spec.range)
            except UnitParseError:
                bare = True
            if bare:
                expected = f"a range in {unit} with its unit, such as 1 m{unit}"
                raise FieldError(("accuracy", index, "range"), expected)
        return self

    @model_validator(mode="after")
    def _one_due_date(self) -> InstrumentEntry:
        due = None if self.calibration is None else self.calibration.due
        if due is not None and due != self.calibration_due:
            raise FieldError(("calibration", "due"), f"calibration_due {self.calibration_due}")
        return self

    def accuracy_for(self, range_value: float, unit: str) -> AccuracySpec | None:
        """The accuracy line for ``range_value`` (in ``unit``), if the file gives one."""
        for spec in self.accuracy:
            try:
                if abs(parse_quantity(spec.range, unit) - range_value) <= 1e-9 * abs(range_value):
                    return spec
            except UnitParseError:
                continue
        return None


class LoadEntry(_Strict):
    """A load resistor: the reference standard of every current taken as i = v/R."""

    name: str
    nominal: str | float
    tolerance: str | float
    channel: int
    model: str | None = Field(default=None, min_length=1)
    serial: str | None = Field(default=None, min_length=1)
    calibration: CalibrationEntry | None = None
    """model, serial and calibration (with its ``due`` date): required on a real bench."""

    @property
    def calibration_due(self) -> dt.date | None:
        return None if self.calibration is None else self.calibration.due

    @model_validator(mode="after")
    def _values_parse(self) -> LoadEntry:
        """Both values parse, the resistance above 0 and the tolerance not below; the
        tolerance carries its unit (``0.1 %``, ``500 ppm``).

        A bare ``0.001`` was read as 0.001 %: written as a fraction (0.1 %), it made the
        load's term of every current's uncertainty budget 100 times too small, and a
        guarded verdict passed readings closer to a limit than the bench can tell."""
        if _is_bare_number(self.tolerance):
            raise FieldError(
                "tolerance", "a tolerance with its unit, such as '0.1 %' or '500 ppm' "
                "(a bare number could be a fraction or a percentage)",
            )  # fmt: skip
        values = {}
        for field_name, unit in (("nominal", "ohm"), ("tolerance", "%")):
            try:
                values[field_name] = parse_quantity(getattr(self, field_name), unit)
            except UnitParseError as exc:
                raise FieldError(field_name, str(exc)) from None
        # every current is i = v / R: a zero load made it infinite, a negative one
        # reversed it, so a polarity (OUT-AMP's "both polarities", WAV-DC) was judged
        # on the other one; a tolerance is a half-width, never below zero
        if not values["nominal"] > 0:
            raise FieldError("nominal", "a resistance above 0 ohm")
        if values["tolerance"] < 0:
            raise FieldError("tolerance", "a tolerance of 0 % or more")
        return self

    @property
    def ohms(self) -> float:
        return parse_quantity(self.nominal, "ohm")

    @property
    def tolerance_fraction(self) -> float:
        return parse_quantity(self.tolerance, "%") / 100.0


class ButtonEntry(_Strict):
    """One button of a unit without a test port: how long a press lasts, and (for a
    relay actuator) the relay channel wired across its contacts."""

    press_s: float = Field(default=0.2, gt=0, le=10)
    channel: int | None = None
    label: str | None = None
    """What the operator is told to press (default: the button's name in capitals)."""


Control = Literal["port", "operator", "relay"]
"""How the harness works the unit's buttons: over its factory test port, by asking the
operator, or by a relay channel across each button's contacts (``actuator``)."""


class DeviceEntry(_Strict):
    """The unit under test: its test port, or its buttons and who presses them.

    A unit without a test port has ``control: operator`` or ``control: relay`` and a
    ``buttons`` table; every state change is then confirmed by measurement
    (``harness.procedures.unit_control``), never taken on trust.
    """

    port: str | None = None
    model: str = "RMD-1"
    timeout_s: float = Field(default=1.0, gt=0)
    control: Control | None = None
    """Default: ``port`` when a port is given."""
    buttons: dict[str, ButtonEntry] = Field(default_factory=dict)
    actuator: str | None = None
    """The instrument (a relay: Keysight 34980A or serial relay board) whose channels press
    the buttons, for ``control: relay``."""
    operator_timeout_s: float = Field(default=300.0, gt=0)
    """How long an operator prompt waits for an answer before the step fails."""

    @model_validator(mode="after")
    def _control_complete(self) -> DeviceEntry:
        control = self.how_controlled
        if control == "port" and self.port is None:
            raise FieldError("port", "the unit's test port (or control: operator or relay)")
        if control != "port" and "power" not in self.buttons:
            raise FieldError("buttons", "a 'power' button (and 'level' if the unit has levels)")
        if control == "relay":
            if self.actuator is None:
                raise FieldError("actuator", "the name of the relay instrument that presses")
            for name, button in self.buttons.items():
                if button.channel is None:
                    raise FieldError(("buttons", name, "channel"), "the relay channel")
        return self

    @model_validator(mode="after")
    def _driver_installed(self) -> DeviceEntry:
        """A unit driven over its port needs a driver for ``model`` (an entry point)."""
        if self.how_controlled == "port":
            try:
                installed_models.load(installed_models.DEVICES_GROUP, self.model)
            except installed_models.RegistryError as error:
                raise FieldError("model", str(error)) from None
        return self

    @property
    def how_controlled(self) -> Control:
        if self.control is not None:
            return self.control
        return "port" if self.port is not None else "operator"


class SimulationEntry(_Strict):
    seed: int = 0
    transport: Literal["in-process", "loopback"] = "in-process"
    faults: list[str] = Field(default_factory=list)
    unit_serial: str = "RMD1-SIM-0001"
    unit_spread: bool = False


class BenchHeader(_Strict):
    id: str
    station: str
    spec: str
    visa_library: str = "@py"
    environment: dict[str, str] = Field(default_factory=dict)
    allowed_conditions: dict[str, ConditionRange] = Field(default_factory=dict)
    """The ambient range the laboratory allows for a test, per quantity (temperature,
    humidity), with its basis; conditions outside it are a deviation in the report."""
    lab: str | None = None
    """The laboratory's trust file (its pinned public keys, the bench's signing key),
    relative to the bench file. A bench that names one signs every run it seals."""

    @model_validator(mode="after")
    def _conditions_readable(self) -> BenchHeader:
        for where, expected, _got in range_problems(
            dict(self.allowed_conditions), dict(self.environment)
        ):
            raise FieldError(tuple(where.split(".")), expected)
        return self


class BenchDocument(_Strict):
    schema_version: Literal[1] = Field(alias="schema")
    bench: BenchHeader
    instruments: list[InstrumentEntry] = Field(min_length=1)
    loads: list[LoadEntry] = Field(default_factory=list)
    device: DeviceEntry
    simulation: SimulationEntry | None = None

    @model_validator(mode="after")
    def _real_bench_is_traceable(self) -> BenchDocument:
        """A real bench names the calibration of everything a number depends on.

        A simulated bench may leave these out (its values are the model's); a real one
        may not, because the report must list each instrument and reference standard
        with its certificate and traceability (ISO/IEC 17025 7.8.2.1, 6.5).
        """
        if self.simulation is not None:
            return self
        for index, inst in enumerate(self.instruments):
            if inst.role not in CALIBRATION_EXEMPT_ROLES and inst.calibration is None:
                raise FieldError(("instruments", index, "calibration"), CALIBRATION_EXPECTED)
        for index, load in enumerate(self.loads):
            for name in ("model", "serial"):
                if getattr(load, name) is None:
                    raise FieldError(
                        ("loads", index, name),
                        f"the load resistor's {name} "
                        "(required for every reference standard of a real bench)",
                    )
            if load.calibration is None:
                raise FieldError(("loads", index, "calibration"), CALIBRATION_EXPECTED)
            if load.calibration.due is None:
                raise FieldError(
                    ("loads", index, "calibration", "due"),
                    "the date the standard's next calibration is due "
                    "(required for every reference standard of a real bench)",
                )
        return self


@dataclass(frozen=True)
class BenchFile:
    """A validated bench file; paths inside it are resolved against its folder."""

    path: Path
    document: BenchDocument

    @property
    def id(self) -> str:
        return self.document.bench.id

    @property
    def spec_path(self) -> Path:
        return (self.path.parent / self.document.bench.spec).resolve()

    @property
    def lab_path(self) -> Path | None:
        lab = self.document.bench.lab
        return None if lab is None else (self.path.parent / lab).resolve()

    def instrument(self, role: Role) -> InstrumentEntry | None:
        return next((i for i in self.document.instruments if i.role == role), None)

    def load_for(self, ohms: float) -> LoadEntry:
        """The load whose nominal value is ``ohms``; KeyError when the bench lacks it."""
        for load in self.document.loads:
            if abs(load.ohms - ohms) <= 1e-6 * ohms:
                return load
        raise KeyError(f"bench {self.id} has no {ohms:g} ohm load")

    def expired(self, today: dt.date) -> list[InstrumentEntry | LoadEntry]:
        """Instruments and reference standards (loads) whose calibration was due before
        ``today``: a current taken as v/R is only as traceable as the R."""
        items: list[InstrumentEntry | LoadEntry] = list(self.document.instruments)
        items += self.document.loads
        return [i for i in items if i.calibration_due is not None and i.calibration_due < today]

    def expired_names(self, today: dt.date) -> str:
        """The expired equipment as one line for an error or a deviation ('' if none)."""
        described = []
        for item in self.expired(today):
            what = " ".join(part for part in (item.model or "load", item.serial) if part)
            described.append(f"{item.name} ({what}, due {item.calibration_due})")
        return ", ".join(described)


def load_bench(path: str | Path) -> BenchFile:
    """Read and validate a bench file (InputError naming file, line and field)."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(doc.source, "(document)", "a mapping with schema, bench, instruments")
    parsed = validate(BenchDocument, doc)
    require_unique(
        doc, "instruments", "name", [i.name for i in parsed.instruments], "a name used once"
    )
    require_unique(
        doc, "loads", "channel", [ld.channel for ld in parsed.loads], "a switch channel used once"
    )
    _check_actuator(doc, parsed)
    return BenchFile(path=doc.source.resolve(), document=parsed)


RELAY_MODELS = ("Keysight 34980A", "Serial relay board")


def _check_actuator(doc: YamlDocument, parsed: BenchDocument) -> None:
    """A relay actuator is a relay instrument of this bench whose button channels are its
    own and no load's: a button wired to a load's relay would press on every load change."""
    device = parsed.device
    if device.how_controlled != "relay":
        return
    field = ("device", "actuator")
    entry = next((i for i in parsed.instruments if i.name == device.actuator), None)
    if entry is None or entry.model not in RELAY_MODELS:
        raise InputError(
            doc.source, "device.actuator",
            f"the name of a relay instrument ({' or '.join(RELAY_MODELS)})",
            line=doc.line_of(field), got=device.actuator,
        )  # fmt: skip
    loads = {ld.channel for ld in parsed.loads}
    listed = str(entry.options.get("channels", ""))
    own = {int(c) for c in listed.split(",") if c.strip().isdigit()}
    for name, button in device.buttons.items():
        where = ("device", "buttons", name, "channel")
        if button.channel in loads:
            raise InputError(
                doc.source, f"device.buttons.{name}.channel", "a channel no load uses",
                line=doc.line_of(where), got=button.channel,
            )  # fmt: skip
        if entry.model == "Keysight 34980A" and button.channel not in own:
            raise InputError(
                doc.source, f"device.buttons.{name}.channel",
                f"one of the channels of {entry.name}'s options.channels ({listed or 'none'})",
                line=doc.line_of(where), got=button.channel,
            )  # fmt: skip
