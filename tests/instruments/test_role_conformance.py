"""Each driver fills its role; checked statically by mypy and at runtime by isinstance."""

from __future__ import annotations

import pytest

from harness.instruments.keithley_2450 import Keithley2450
from harness.instruments.keysight_34465a import Keysight34465A
from harness.instruments.keysight_34980a import Keysight34980A
from harness.instruments.keysight_dsox1204g import KeysightDSOX1204G
from harness.instruments.keysight_e36312a import KeysightE36312A
from harness.instruments.protocols import (
    Ammeter,
    Instrument,
    LoadSwitch,
    Oscilloscope,
    PowerSupply,
)
from harness.instruments.rigol_dp832 import RigolDP832
from harness.instruments.rigol_ds1054z import RigolDS1054Z
from harness.instruments.serial_relay_board import SerialRelayBoard
from harness.instruments.testing import ScriptedSerial, expected_exchanges


def _roles() -> None:
    """Never called: mypy --strict checks these assignments against the protocols."""
    with expected_exchanges([]) as link:
        ammeters: list[Ammeter] = [Keysight34465A(link), Keithley2450(link)]
        scopes: list[Oscilloscope] = [KeysightDSOX1204G(link), RigolDS1054Z(link)]
        supplies: list[PowerSupply] = [KeysightE36312A(link), RigolDP832(link)]
        switches: list[LoadSwitch] = [
            Keysight34980A(link),
            SerialRelayBoard(ScriptedSerial([]), name="relays"),
        ]
        del ammeters, scopes, supplies, switches


@pytest.mark.parametrize(
    "driver",
    [
        Keysight34465A,
        Keithley2450,
        KeysightDSOX1204G,
        RigolDS1054Z,
        KeysightE36312A,
        RigolDP832,
        Keysight34980A,
    ],
)
def test_every_scpi_driver_is_an_instrument(driver: type) -> None:
    with expected_exchanges([]) as link:
        assert isinstance(driver(link), Instrument)
