"""Load switches: Keysight 34980A (SCPI) and the serial relay board (own protocol)."""

from __future__ import annotations

import pytest

from harness.errors import InstrumentError
from harness.instruments.keysight_34980a import Keysight34980A
from harness.instruments.protocols import Identity, LoadSwitch
from harness.instruments.serial_relay_board import SerialRelayBoard
from harness.instruments.testing import expected_exchanges, expected_serial_exchanges


def test_34980a_close_read_back_and_open_all() -> None:
    exchanges = [
        ("ROUT:CLOS (@1002)", None),
        ("*OPC?", "1"),
        ("ROUT:CLOS? (@1001,1002,1003,1004)", "0,1,0,0"),
        ("ROUT:OPEN (@1002)", None),
        ("*OPC?", "1"),
        ("ROUT:OPEN (@1001,1002,1003,1004)", None),
        ("*OPC?", "1"),
    ]
    with expected_exchanges(exchanges, name="switch") as link:
        switch: LoadSwitch = Keysight34980A(link)
        switch.close_channel(1002)
        assert switch.closed_channels() == {1002}
        switch.open_channel(1002)
        switch.open_all()


def test_34980a_malformed_readback_and_errors() -> None:
    exchanges = [
        ("ROUT:CLOS? (@1001,1002)", "1"),
        ("SYST:ERR?", '+201,"Invalid channel number"'),
        ("SYST:ERR?", '+0,"No error"'),
    ]
    with expected_exchanges(exchanges, name="switch") as link:
        switch = Keysight34980A(link, channels=(1001, 1002))
        with pytest.raises(InstrumentError, match="switch: expected 2 comma-separated 0/1 flags"):
            switch.closed_channels()
        assert switch.check_errors() == ['+201,"Invalid channel number"']


def test_34980a_refuses_unknown_channels_before_sending() -> None:
    with expected_exchanges([], name="switch") as link:
        with pytest.raises(InstrumentError, match="channel 1005 is not one of"):
            Keysight34980A(link).close_channel(1005)
        with pytest.raises(InstrumentError, match="slot"):
            Keysight34980A(link, channels=(9001,))


def test_relay_board_switches_and_reads_every_relay_back() -> None:
    exchanges = [
        ("R2 ON", None),
        ("R2?", "R2 ON"),
        ("R2 OFF", None),
        ("R2?", "R2 OFF"),
        ("ALL OFF", None),
        ("R1?", "R1 OFF"),
        ("R2?", "R2 OFF"),
        ("*IDN?", "HIL,RELAY-2,RB0007,1.2"),
    ]
    with expected_serial_exchanges(exchanges, name="relays") as port:
        board: LoadSwitch = SerialRelayBoard(port, name="relays", channel_count=2)
        board.close_channel(2)
        board.open_channel(2)
        board.open_all()
        assert board.identify() == Identity("HIL", "RELAY-2", "RB0007", "1.2")


def test_relay_board_detects_a_relay_that_did_not_switch() -> None:
    exchanges = [("R1 ON", None), ("R1?", "R1 OFF")]
    with (
        pytest.raises(InstrumentError, match="relays: relay 1 still open after 'R1 ON'"),
        expected_serial_exchanges(exchanges, name="relays") as port,
    ):
        SerialRelayBoard(port, name="relays", channel_count=4).close_channel(1)


def test_relay_board_garbled_or_missing_reply() -> None:
    exchanges = [("R1?", "R1 MAYBE"), ("R1?", None)]
    with expected_serial_exchanges(exchanges, name="relays") as port:
        board = SerialRelayBoard(port, name="relays", channel_count=1)
        with pytest.raises(InstrumentError, match="answered 'R1 MAYBE'"):
            board.closed_channels()
        with pytest.raises(InstrumentError, match="no complete reply line"):
            board.closed_channels()


def test_relay_board_error_queue_and_range_check() -> None:
    exchanges = [("ERR?", '1,"unknown command"'), ("ERR?", '0,"No error"')]
    with expected_serial_exchanges(exchanges, name="relays") as port:
        board = SerialRelayBoard(port, name="relays", channel_count=4)
        with pytest.raises(InstrumentError, match=r"relay 5 outside 1\.\.4"):
            board.close_channel(5)
        assert board.check_errors() == ['1,"unknown command"']
