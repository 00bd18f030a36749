"""What a package registers to add an instrument model or a device driver to the harness.

The opened bench (``station.py``) does not know any model by name: it asks the
entry-point registry (``harness.definitions.installed_models``) for the object a bench
file's ``model:`` names and opens it through this small contract. A third-party package
writes one of these objects and one entry point (``docs/extending.md``):

    MODEL = InstrumentModel(role="oscilloscope", open=lambda c: AcmeScope(c.scpi(), clock=c.clock))

An ``InstrumentModel`` says which role it fills (the bench file checks its ``role:``
against it before anything is opened) and how to open it from a :class:`Connection`. The
connection offers the SCPI link over the bench's VISA library (``scpi()``, opened only
when called: a serial relay board never needs VISA) and the raw resource string for a
driver with its own transport. A ``DeviceModel`` opens the unit's test port from a
:class:`DevicePortRequest`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.definitions.bench_file import InstrumentEntry, Role
from harness.definitions.installed_models import (
    DEVICES_GROUP,
    INSTRUMENTS_GROUP,
    RegistryError,
    load,
    registrations,
)
from harness.dut.testport import TestPort
from harness.instruments.protocols import Clock, Instrument
from harness.instruments.visa import ScpiLink


@dataclass(frozen=True)
class Connection:
    """Everything a driver is opened with: its bench-file entry, where, the bench clock."""

    entry: InstrumentEntry
    #: the resource to open (the bench file's, or the served one on a simulated bench)
    resource: str
    #: the bench's clock (virtual on a simulated bench); scopes wait on it
    clock: Clock
    _open_scpi: Callable[[], ScpiLink]

    def scpi(self) -> ScpiLink:
        """The instrument's SCPI link over the bench's VISA library (opened now)."""
        return self._open_scpi()

    def option(self, key: str, default: float) -> float:
        """A numeric driver option of the bench file (``options:``), or ``default``."""
        return float(self.entry.options.get(key, default))


@dataclass(frozen=True)
class InstrumentModel:
    """An instrument model as registered under ``microcurrent_hil.instruments``."""

    role: Role
    open: Callable[[Connection], Instrument]


@dataclass(frozen=True)
class DevicePortRequest:
    """Where the unit's test port is and how long it may take to answer."""

    port: str
    timeout_s: float
    #: the bench's name for the unit, used in every error and log line
    name: str = "dut"


@dataclass(frozen=True)
class DeviceModel:
    """A device (test-port) driver as registered under ``microcurrent_hil.devices``."""

    open: Callable[[DevicePortRequest], TestPort]


def _wrong_type(group: str, name: str, got: object, wanted: type) -> RegistryError:
    registration = registrations(group)[name][0]
    return RegistryError(
        f"a {wanted.__name__} from harness.bench.drivers: {registration.describe()} "
        f"gives a {type(got).__name__}"
    )


def instrument_model(name: str) -> InstrumentModel:
    """The installed instrument model a bench file calls ``name`` (RegistryError if none)."""
    model = load(INSTRUMENTS_GROUP, name)
    if not isinstance(model, InstrumentModel):
        raise _wrong_type(INSTRUMENTS_GROUP, name, model, InstrumentModel)
    return model


def device_model(name: str) -> DeviceModel:
    """The installed device driver a bench file's ``device: model:`` names."""
    model = load(DEVICES_GROUP, name)
    if not isinstance(model, DeviceModel):
        raise _wrong_type(DEVICES_GROUP, name, model, DeviceModel)
    return model
