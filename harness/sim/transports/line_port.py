"""A pyserial port object whose far end is a simulated line-oriented device, in-process.

The simulated unit's UART (`hilsim://`) and the simulated relay board (`hilrelay://`)
are reached the same way: the harness's driver opens the URL with
`serial.serial_for_url` as it would a USB-serial adapter, and every byte goes through
pyserial's port object. A write hands each complete line to the device at once and
queues its reply; a read returns the queued bytes. No thread and no file descriptor, so a
run stays deterministic on the virtual clock: nothing else can produce bytes while the
caller reads, so a read that finds nothing returns at once, as a real port does when its
timeout expires, and charges that timeout to the bench's clock (a host that waits one
second for a silent device lets the bench's timers run for one second).

Each scheme's module (`protocol_<scheme>`, which pyserial imports by name) subclasses
`LinePort` with its scheme and how to find its device on a registered bench.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from harness.sim.registry import lookup
from harness.sim.testport_firmware import LineReceiver

if TYPE_CHECKING:
    from harness.sim.bench import SimBench


class LineDevice(Protocol):
    """What sits at the far end: it answers a line, and lets bench time pass."""

    def transact(self, line: bytes) -> bytes: ...

    def wait(self, seconds: float) -> None: ...


class LinePort(SerialBase):  # type: ignore[misc]  # pyserial ships no type hints
    """The port object; a subclass names its ``scheme`` and finds its ``device_on``."""

    scheme = ""
    is_open: bool

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._device: LineDevice | None = None
        self._receiver = LineReceiver()
        self._pending = bytearray()
        super().__init__(*args, **kwargs)

    def device_on(self, bench: SimBench) -> LineDevice:
        """The device of this scheme on the registered simulated bench ``bench``."""
        raise NotImplementedError

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        parts = urlsplit(self._port)
        bench_id = parts.netloc + parts.path
        if parts.scheme != self.scheme or not bench_id:
            raise SerialException(f"expected {self.scheme}://<bench_id>, got {self._port!r}")
        try:
            bench = lookup(bench_id)
        except Exception as error:
            raise SerialException(f"no simulated bench {bench_id!r}: {error}") from error
        self._device = self.device_on(bench)
        self._receiver = LineReceiver()
        self._pending.clear()
        self.is_open = True

    def close(self) -> None:
        self.is_open = False
        self._device = None

    def _reconfigure_port(self) -> None:
        """Line settings are accepted and ignored, as by a USB-UART bridge."""

    def _update_dtr_state(self) -> None:
        """No modem lines on this link."""

    def _update_rts_state(self) -> None:
        """No modem lines on this link."""

    def _update_break_state(self) -> None:
        """No break on this link."""

    def _far_end(self) -> LineDevice:
        if not self.is_open or self._device is None:
            raise PortNotOpenError()
        return self._device

    @property
    def in_waiting(self) -> int:
        self._far_end()
        return len(self._pending)

    @property
    def out_waiting(self) -> int:
        return 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        device = self._far_end()
        for line in self._receiver.feed(bytes(data)):
            self._pending += device.transact(line)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        device = self._far_end()
        if not self._pending:
            if self._timeout:
                device.wait(self._timeout)
            return b""
        chunk = bytes(self._pending[:size])
        del self._pending[:size]
        return chunk

    def reset_input_buffer(self) -> None:
        self._far_end()
        self._pending.clear()

    def reset_output_buffer(self) -> None:
        self._far_end()

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


__all__ = ["LineDevice", "LinePort"]
