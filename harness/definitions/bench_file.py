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
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pyvisa import rname

from harness.errors import InputError
from harness.judging.units import UnitParseError, parse_quantity
from harness.judging.yamlfile import FieldError, load_yaml, require_unique, validate

BENCH_SCHEMA_VERSION = 1

Role = Literal["ammeter", "oscilloscope", "power_supply", "load_switch", "clock"]

#: model name → the role it can play. The drivers live in harness.instruments.
KNOWN_MODELS: dict[str, Role] = {
    "Keysight 34465A": "ammeter",
    "Keithley 2450": "ammeter",
    "Keysight DSOX1204G": "oscilloscope",
    "Keysight DSOX1102G": "oscilloscope",
    "Rigol DS1054Z": "oscilloscope",
    "Keysight E36312A": "power_supply",
    "Rigol DP832": "power_supply",
    "Keysight 34980A": "load_switch",
    "Serial relay board": "load_switch",
    "microcurrent-hil SIMCLOCK": "clock",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccuracySpec(_Strict):
    """± (reading_pct % of reading + range_pct % of range) on one range."""

    range: str | float
    reading_pct: float = Field(ge=0)
    range_pct: float = Field(ge=0)


class InstrumentEntry(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Role
    model: str
    resource: str
    serial: str
    calibration_due: dt.date
    accuracy: list[AccuracySpec] = Field(default_factory=list)
    options: dict[str, str | float | int | bool] = Field(default_factory=dict)

    @field_validator("model")
    @classmethod
    def _model_known(cls, value: str) -> str:
        if value not in KNOWN_MODELS:
            raise ValueError(f"one of the supported models ({', '.join(sorted(KNOWN_MODELS))})")
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
        if "://" in value or value.startswith("/dev/"):
            return value  # a pyserial URL or device path (serial relay board)
        raise ValueError("a VISA resource string such as TCPIP0::host::5025::SOCKET")

    @model_validator(mode="after")
    def _role_matches_model(self) -> InstrumentEntry:
        if KNOWN_MODELS[self.model] != self.role:
            raise FieldError("role", f"role {KNOWN_MODELS[self.model]!r} for model {self.model}")
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
    name: str
    nominal: str | float
    tolerance: str | float
    channel: int

    @model_validator(mode="after")
    def _values_parse(self) -> LoadEntry:
        for field_name, unit in (("nominal", "ohm"), ("tolerance", "%")):
            try:
                parse_quantity(getattr(self, field_name), unit)
            except UnitParseError as exc:
                raise FieldError(field_name, str(exc)) from None
        return self

    @property
    def ohms(self) -> float:
        return parse_quantity(self.nominal, "ohm")

    @property
    def tolerance_fraction(self) -> float:
        return parse_quantity(self.tolerance, "%") / 100.0


class DeviceEntry(_Strict):
    port: str
    model: str = "RMD-1"
    timeout_s: float = Field(default=1.0, gt=0)


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
    lab: str | None = None
    """The laboratory's trust file (its pinned public keys, the bench's signing key),
    relative to the bench file. A bench that names one signs every run it seals."""


class BenchDocument(_Strict):
    schema_version: Literal[1] = Field(alias="schema")
    bench: BenchHeader
    instruments: list[InstrumentEntry] = Field(min_length=1)
    loads: list[LoadEntry] = Field(default_factory=list)
    device: DeviceEntry
    simulation: SimulationEntry | None = None


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

    def expired(self, today: dt.date) -> list[InstrumentEntry]:
        """Instruments whose calibration due date is before ``today``."""
        return [i for i in self.document.instruments if i.calibration_due < today]


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
    return BenchFile(path=doc.source.resolve(), document=parsed)
