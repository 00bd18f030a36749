"""pyserial URL handler `hilsim://<bench_id>`: the simulated unit's UART, in-process.

This is the fastest and most deterministic way to reach the simulated device: no thread,
no file descriptor, no wall-clock waiting. A write runs each complete request line
through the bench's test-port firmware at once (advancing the virtual clock by the bytes
moved, see `harness.sim.testport_firmware`) and queues the reply; a read hands the queued
bytes back.

Because nothing else can produce bytes while the caller is reading, a read that finds
nothing queued returns at once, as a real port does when its timeout expires. It still
charges its timeout to the virtual clock: a host that waits one second for a silent unit
lets the unit's timers run for one second, on the bench's clock.

pyserial imports this module by name once `harness.sim.transports` is imported.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from harness.sim.registry import lookup
from harness.sim.testport_firmware import LineReceiver, TestPortFirmware, firmware_for


class Serial(SerialBase):  # type: ignore[misc]  # pyserial ships no type hints
    """A pyserial port object whose far end is a simulated RMD-1."""

    is_open: bool

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._firmware: TestPortFirmware | None = None
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
        if parts.scheme != "hilsim" or not bench_id:
            raise SerialException(f"expected hilsim://<bench_id>, got {self._port!r}")
        try:
            bench = lookup(bench_id)
        except Exception as error:
            raise SerialException(f"no simulated bench {bench_id!r}: {error}") from error
        self._firmware = firmware_for(bench)
        self._receiver = LineReceiver()
        self._pending.clear()
        self.is_open = True

    def close(self) -> None:
        self.is_open = False
        self._firmware = None

    def _reconfigure_port(self) -> None:
        """Line settings are accepted and ignored, as by a USB-UART bridge."""

    def _update_dtr_state(self) -> None:
        """No modem lines on this link."""

    def _update_rts_state(self) -> None:
        """No modem lines on this link."""

    def _update_break_state(self) -> None:
        """No break on this link."""

    def _port_firmware(self) -> TestPortFirmware:
        if not self.is_open or self._firmware is None:
            raise PortNotOpenError()
        return self._firmware

    @property
    def in_waiting(self) -> int:
        self._port_firmware()
        return len(self._pending)

    @property
    def out_waiting(self) -> int:
        return 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        firmware = self._port_firmware()
        for line in self._receiver.feed(bytes(data)):
            self._pending += firmware.transact(line)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        firmware = self._port_firmware()
        if not self._pending:
            if self._timeout:
                firmware.wait(self._timeout)
            return b""
        chunk = bytes(self._pending[:size])
        del self._pending[:size]
        return chunk

    def reset_input_buffer(self) -> None:
        self._port_firmware()
        self._pending.clear()

    def reset_output_buffer(self) -> None:
        self._port_firmware()

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
