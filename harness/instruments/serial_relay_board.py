"""A USB-serial relay board as the bench's :class:`LoadSwitch`, and its protocol.

Cheap relay boards are the usual alternative to a switch mainframe. They are
*fire-and-forget*: a command to switch a relay is not acknowledged, so a lost byte or a
board that reset leaves the wrong load connected with no error anywhere. This driver
therefore reads every relay back after switching it and raises if the state differs.

The protocol (defined by this project so a microcontroller board, the simulator and
the tests agree; 9600 baud, 8N1, ASCII, one command per line ending in ``\\n``; the
board may end its lines with ``\\r\\n``):

==================  ============================  ===================================
command             reply                         meaning
==================  ============================  ===================================
``R<n> ON``         none                          close relay n (1..channel count)
``R<n> OFF``        none                          open relay n
``ALL OFF``         none                          open every relay
``R<n>?``           ``R<n> ON`` or ``R<n> OFF``   state of relay n
``*IDN?``           ``maker,model,serial,fw``     identity, as IEEE 488.2
``ERR?``            ``0,"No error"`` or           pop one entry of the queue of lines
                    ``<code>,"<text>"``           the board could not execute
==================  ============================  ===================================
"""

from __future__ import annotations

from typing import Protocol

import serial

from harness.errors import InstrumentError
from harness.events.steps import bench_step
from harness.instruments.protocols import Identity
from harness.instruments.scpi_reply import parse_error_entry, parse_identity

BAUD_RATE = 9600
MAX_QUEUED_ERRORS = 32


class SerialLine(Protocol):
    """The part of ``serial.Serial`` the driver uses."""

    def write(self, data: bytes, /) -> int | None: ...

    def readline(self) -> bytes: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


class SerialRelayBoard:
    """A relay board with ``channel_count`` relays numbered from 1."""

    def __init__(self, port: SerialLine, *, name: str, channel_count: int = 8) -> None:
        if not 1 <= channel_count <= 64:
            raise InstrumentError(name, f"channel count {channel_count} outside 1..64")
        self.port = port
        self._name = name
        self.channel_count = channel_count

    @property
    def name(self) -> str:
        return self._name

    @bench_step
    def identify(self) -> Identity:
        return parse_identity(self._query("*IDN?"), instrument=self.name)

    @bench_step
    def check_errors(self) -> list[str]:
        entries: list[str] = []
        for _ in range(MAX_QUEUED_ERRORS):
            reply = self._query("ERR?")
            code, _text = parse_error_entry(reply, instrument=self.name)
            if code == 0:
                return entries
            entries.append(reply)
        raise InstrumentError(self.name, f"error queue not empty after {MAX_QUEUED_ERRORS} reads")

    @bench_step
    def close_channel(self, channel: int) -> None:
        """Close one relay and confirm by reading it back."""
        self._check(channel)
        self._send(f"R{channel} ON")
        if not self.is_closed(channel):
            raise InstrumentError(self.name, f"relay {channel} still open after 'R{channel} ON'")

    @bench_step
    def open_channel(self, channel: int) -> None:
        """Open one relay and confirm by reading it back."""
        self._check(channel)
        self._send(f"R{channel} OFF")
        if self.is_closed(channel):
            raise InstrumentError(self.name, f"relay {channel} still closed after 'R{channel} OFF'")

    @bench_step
    def open_all(self) -> None:
        """Open every relay and confirm none is left closed."""
        self._send("ALL OFF")
        stuck = self.closed_channels()
        if stuck:
            raise InstrumentError(self.name, f"relays {sorted(stuck)} still closed after 'ALL OFF'")

    @bench_step
    def is_closed(self, channel: int) -> bool:
        self._check(channel)
        reply = self._query(f"R{channel}?")
        if reply == f"R{channel} ON":
            return True
        if reply == f"R{channel} OFF":
            return False
        raise InstrumentError(
            self.name, f"'R{channel}?' answered {reply!r}, expected 'R{channel} ON' or '... OFF'"
        )

    @bench_step
    def closed_channels(self) -> set[int]:
        """Every relay's state, read back one by one."""
        return {n for n in range(1, self.channel_count + 1) if self.is_closed(n)}

    @bench_step
    def safe_state(self) -> None:
        self.open_all()

    @bench_step
    def close(self) -> None:
        self.port.close()

    def _check(self, channel: int) -> None:
        if not 1 <= channel <= self.channel_count:
            raise InstrumentError(self.name, f"relay {channel} outside 1..{self.channel_count}")

    def _send(self, line: str) -> None:
        try:
            self.port.write((line + "\n").encode("ascii"))
        except (serial.SerialException, OSError) as exc:
            raise InstrumentError(self.name, f"{line!r}: {exc}") from exc

    def _query(self, line: str) -> str:
        try:
            self.port.reset_input_buffer()
            self._send(line)
            raw = self.port.readline()
        except (serial.SerialException, OSError) as exc:
            raise InstrumentError(self.name, f"{line!r}: {exc}") from exc
        if not raw.endswith(b"\n"):
            raise InstrumentError(self.name, f"{line!r}: no complete reply line (got {raw!r})")
        try:
            return raw.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise InstrumentError(self.name, f"{line!r}: reply is not ASCII: {raw!r}") from exc


def open_serial_relay_board(
    url: str, *, name: str, channel_count: int = 8, timeout_s: float = 1.0
) -> SerialRelayBoard:
    """Open a board by device path or pyserial URL (``/dev/ttyUSB0``, ``socket://...``)."""
    try:
        port = serial.serial_for_url(url, baudrate=BAUD_RATE, timeout=timeout_s)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise InstrumentError(name, f"cannot open {url!r}: {exc}") from exc
    return SerialRelayBoard(port, name=name, channel_count=channel_count)
