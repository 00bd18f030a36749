"""pyserial URL handler `hilrelay://<bench_id>`: the simulated relay board, in-process.

The serial relay board's counterpart of `hilsim://` (the unit's UART): the harness's
relay-board driver opens it with `serial.serial_for_url` like a board on a USB port, and
every byte goes through pyserial's port object; each complete line is executed by the
bench's simulated board (`harness.sim.relay_board`) at once, its reply queued. No thread
and no file descriptor, so a run stays deterministic on the virtual clock: a read that
finds nothing queued returns at once and charges its timeout to that clock, as a real
port's read waits out its timeout.

pyserial imports this module by name once `harness.sim.transports` is imported.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from harness.sim.registry import lookup
from harness.sim.relay_board import SimRelayBoard, relay_board_for
from harness.sim.testport_firmware import LineReceiver


class Serial(SerialBase):  # type: ignore[misc]  # pyserial ships no type hints
    """A pyserial port object whose far end is a simulated relay board."""

    is_open: bool

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._link: SimRelayBoard | None = None
        self._receiver = LineReceiver()
        self._pending = bytearray()
        super().__init__(*args, **kwargs)

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        parts = urlsplit(self._port)
        bench_id = parts.netloc + parts.path
        if parts.scheme != "hilrelay" or not bench_id:
            raise SerialException(f"expected hilrelay://<bench_id>, got {self._port!r}")
        try:
            bench = lookup(bench_id)
        except Exception as error:
            raise SerialException(f"no simulated bench {bench_id!r}: {error}") from error
        self._link = relay_board_for(bench)
        self._receiver = LineReceiver()
        self._pending.clear()
        self.is_open = True

    def close(self) -> None:
        self.is_open = False
        self._link = None

    def _reconfigure_port(self) -> None:
        """Line settings are accepted and ignored, as by a USB-UART bridge."""

    def _update_dtr_state(self) -> None:
        """No modem lines on this link."""

    def _update_rts_state(self) -> None:
        """No modem lines on this link."""

    def _update_break_state(self) -> None:
        """No break on this link."""

    def _board(self) -> SimRelayBoard:
        if not self.is_open or self._link is None:
            raise PortNotOpenError()
        return self._link

    @property
    def in_waiting(self) -> int:
        self._board()
        return len(self._pending)

    @property
    def out_waiting(self) -> int:
        return 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        board = self._board()
        for line in self._receiver.feed(bytes(data)):
            self._pending += board.transact(line)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        board = self._board()
        if not self._pending:
            if self._timeout:
                board.wait(self._timeout)
            return b""
        chunk = bytes(self._pending[:size])
        del self._pending[:size]
        return chunk

    def reset_input_buffer(self) -> None:
        self._board()
        self._pending.clear()

    def reset_output_buffer(self) -> None:
        self._board()

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
