"""The wall clock and the simulated bench's clock instrument."""

from __future__ import annotations

import pytest

from harness.errors import InstrumentError
from harness.instruments.clock import SimClockInstrument, WallClock
from harness.instruments.protocols import Clock
from harness.instruments.testing import expected_exchanges


def test_sim_clock_reads_and_advances_virtual_time() -> None:
    exchanges = [
        ("SYST:CLOC?", "+1.250000000E+01"),
        ("SYST:CLOC:ADV 0.25;*OPC?", "1"),  # one compound message, one round trip
        ("SYST:CLOC?", "12.75"),
    ]
    with expected_exchanges(exchanges, name="clock") as link:
        clock: Clock = SimClockInstrument(link)
        assert clock.now() == 12.5
        clock.sleep(0.25)
        assert clock.now() == 12.75


def test_sim_clock_refuses_negative_sleep_and_garbage() -> None:
    with expected_exchanges([("SYST:CLOC?", "soon")], name="clock") as link:
        clock = SimClockInstrument(link)
        with pytest.raises(InstrumentError, match="clock: cannot advance"):
            clock.sleep(-1.0)
        with pytest.raises(InstrumentError, match="got reply 'soon'"):
            clock.now()


def test_an_advance_that_does_not_complete_is_an_error() -> None:
    with (
        expected_exchanges([("SYST:CLOC:ADV 1;*OPC?", "0")], name="clock") as link,
        pytest.raises(InstrumentError, match=r"ADV 1;\*OPC\? answered '0'"),
    ):
        SimClockInstrument(link).sleep(1.0)


def test_wall_clock_is_monotonic() -> None:
    clock: Clock = WallClock()
    start = clock.now()
    clock.sleep(0.001)
    assert clock.now() > start
    with pytest.raises(ValueError, match="cannot sleep"):
        clock.sleep(float("nan"))
