"""The scripted fake itself must fail tests loudly, or exchange tests prove nothing."""

from __future__ import annotations

import pytest

from harness.errors import InstrumentError
from harness.instruments.testing import expected_exchanges, expected_serial_exchanges


def test_unexpected_command_fails() -> None:
    with (
        pytest.raises(AssertionError, match="sent 'B', script expected 'A'"),
        expected_exchanges([("A", None)]) as link,
    ):
        link.write("B")


def test_leftover_exchange_fails_on_exit() -> None:
    with pytest.raises(AssertionError, match="never sent: 'B'"):  # noqa: SIM117
        with expected_exchanges([("A", None), ("B", None)]) as link:
            link.write("A")


def test_command_sent_over_an_unread_reply_fails() -> None:
    with (
        pytest.raises(AssertionError, match="still unread"),
        expected_exchanges([("Q?", "1"), ("X", None)]) as link,
    ):
        link.write("Q?")
        link.write("X")


def test_command_after_script_end_fails() -> None:
    with pytest.raises(AssertionError, match="script is done"), expected_exchanges([]) as link:
        link.write("A")


def test_read_with_nothing_to_read_is_a_timeout() -> None:
    with (
        pytest.raises(InstrumentError, match="instrument: 'A': Timeout"),
        expected_exchanges([("A", None)]) as link,
    ):
        link.query("A")


def test_serial_script_checks_lines() -> None:
    with expected_serial_exchanges([("R1?", "R1 ON")]) as port:
        port.write(b"R1?\n")
        assert port.readline() == b"R1 ON\n"
    with pytest.raises(AssertionError, match="not exactly one line"):  # noqa: SIM117
        with expected_serial_exchanges([("R1?", None)]) as port:
            port.write(b"R1?")
