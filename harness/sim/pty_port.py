"""Serve the simulated unit's test port on a real pseudo-terminal or a loopback socket.

`hilsim://` reaches the simulated device without any operating-system plumbing. That is
fast, but it cannot show that the driver works over a *real* serial device node, with the
kernel's buffering, partial reads and timing. A pseudo-terminal can: its slave side
(`/dev/pts/N`) is opened by pyserial exactly like a USB-UART adapter. A loopback TCP
socket stands in for a networked serial server (`socket://127.0.0.1:<port>`), and lets
`hil sim serve` offer the device to another process.

The pseudo-terminal exists on POSIX only; the socket everywhere (``docs/windows.md``).

Either way one background thread plays the device: it reads what the host sends, hands
each complete line to the bench's test-port firmware (`firmware_for(sim)`, the same one
`hilsim://` uses, so faults injected there show here too) and writes the reply back.

    served = serve_device(sim, kind="pty")
    port = Rmd1TestPort(served.url)
    ...
    served.stop()
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from harness.sim.testport_firmware import LineReceiver, firmware_for

if TYPE_CHECKING:
    from harness.sim.bench import SimBench

_log = logging.getLogger(__name__)
_POLL_S = 0.05


class ServedDevice:
    """A simulated unit being served on `url` by a background thread, until `stop()`."""

    def __init__(self, url: str, thread: threading.Thread, halt: Callable[[], None]) -> None:
        self.url = url
        self._thread = thread
        self._halt = halt

    def stop(self) -> None:
        """Stop serving and release the pty or socket. Safe to call twice."""
        self._halt()
        self._thread.join(timeout=5.0)

    def __enter__(self) -> ServedDevice:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_device(sim: SimBench, kind: Literal["pty", "socket"] = "pty") -> ServedDevice:
    """Serve `sim`'s test port on a new pty (url = slave path) or loopback socket."""
    if kind == "pty":
        return _serve_pty(sim)
    if kind == "socket":
        return _serve_socket(sim)
    raise ValueError(f"kind must be 'pty' or 'socket', got {kind!r}")


def _write_all(write: Callable[[bytes], int], data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[write(bytes(view)) :]


def _serve_pty(sim: SimBench) -> ServedDevice:
    # POSIX only (tty needs termios): imported here, so that importing this module (hil
    # sim serve, the loopback bench) works on Windows, where only the socket is served
    import tty

    firmware = firmware_for(sim)
    master, slave = os.openpty()
    # Raw mode before anyone opens it: otherwise the line discipline echoes the device's
    # replies back to the device and turns "\n" into "\r\n".
    tty.setraw(slave)
    path = os.ttyname(slave)
    stopping = threading.Event()

    def run() -> None:
        receiver = LineReceiver()
        with selectors.DefaultSelector() as selector:
            selector.register(master, selectors.EVENT_READ)
            while not stopping.is_set():
                if not selector.select(_POLL_S):
                    continue
                try:
                    data = os.read(master, 4096)
                except OSError:  # no slave open right now (EIO); the host may reopen
                    stopping.wait(_POLL_S)
                    continue
                for line in receiver.feed(data):
                    reply = firmware.transact(line)
                    if reply:
                        _write_all(lambda b: os.write(master, b), reply)
        # Keep our own slave fd open until here so that a host closing and reopening the
        # port does not find a dead pty.
        os.close(slave)
        os.close(master)

    thread = threading.Thread(target=run, name=f"sim-pty {path}", daemon=True)
    thread.start()
    return ServedDevice(path, thread, stopping.set)


def _serve_socket(sim: SimBench) -> ServedDevice:
    firmware = firmware_for(sim)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    stopping = threading.Event()

    def run() -> None:
        receivers: dict[socket.socket, LineReceiver] = {}
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not stopping.is_set():
                for key, _ in selector.select(_POLL_S):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is listener:
                        connection, _ = listener.accept()
                        connection.setblocking(True)
                        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        receivers[connection] = LineReceiver()
                        selector.register(connection, selectors.EVENT_READ)
                        continue
                    data = b""
                    with contextlib.suppress(OSError):
                        data = sock.recv(4096)
                    if not data:  # the host hung up
                        selector.unregister(sock)
                        del receivers[sock]
                        sock.close()
                        continue
                    for line in receivers[sock].feed(data):
                        reply = firmware.transact(line)
                        if reply:
                            with contextlib.suppress(OSError):
                                sock.sendall(reply)
        for connection in receivers:
            connection.close()
        listener.close()

    thread = threading.Thread(target=run, name=f"sim-socket {port}", daemon=True)
    thread.start()
    return ServedDevice(f"socket://127.0.0.1:{port}", thread, stopping.set)
