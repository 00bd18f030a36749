"""A block query straight over the TCP socket under a pyvisa-py ``SOCKET`` session.

Why the harness sends the query and reads the binary block itself instead of through
PyVISA's ``write`` and ``read_bytes``: on a raw-socket resource pyvisa-py 0.8 receives
into a pending ``bytearray``, copies the asked-for slice out twice
(``bytes(buffer[:count])``) and pyvisa copies it again into its own result, so a 1 MB
waveform block crosses memory five or six times after the kernel has delivered it. Over
loopback that was 0.15-0.3 of a plain socket-to-socket copy of the same bytes
(benchmarks/bench_io.py). :class:`SocketExchange` asks the socket for the whole
remaining count in one ``recv``: when the instrument has already sent the block (the
usual case on a LAN) the bytes object ``recv`` returns *is* the payload, with no copy
beyond the kernel's; a block arriving in pieces costs one ``join``. The query goes out
with one ``sendall`` for the same reason: through PyVISA's layers (encoding, termination,
attribute look-ups, a ``select`` per 4 kB) a short write cost more than the rest of the
exchange's bookkeeping, and the reply cannot start before it is done.

What is kept from pyvisa-py's behaviour, because real instruments depend on it:

* **Bytes pyvisa-py already buffered come first.** A text read may have received more
  than its line (pyvisa-py keeps the rest in the session's pending buffer); those bytes
  are taken before the socket is read, so nothing is lost or reordered.
* **Never a byte too many.** Each read asks for at most the bytes still wanted, so the
  next reply stays on the socket for whoever reads next (pyvisa or this reader).
* **The timeout** (the call's, else the resource's) bounds the whole read, not each
  ``recv``; running out raises :class:`TimeoutError` saying what was awaited and how
  much of it arrived. A peer that closes the connection mid-block raises
  :class:`ConnectionError`. Both are ``OSError``, which
  :class:`~harness.instruments.visa.ScpiLink` turns into an ``InstrumentError`` naming
  the instrument and the command.
* **The socket is left as pyvisa-py had it**: blocking, with no Python-level timeout
  (a socket that has one is not read here); the wait is ``select``, as pyvisa-py's own.
"""

from __future__ import annotations

import math
import select
import socket
import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

#: Receive without blocking where the platform has the flag (Linux, macOS, BSD): data
#: already queued costs one system call instead of a wait and a receive. Windows has no
#: such flag and always waits for readability first.
_DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)
#: Longest single wait, so Ctrl-C still gets through on Windows (whose select is not
#: interrupted by it) during a long or infinite timeout.
_MAX_WAIT_S = 1.0
_T = TypeVar("_T")


class SocketExchange:
    """One query and its reply: the query sent whole, then reads of exactly ``count``
    bytes from `sock`, `pending` (pyvisa-py's buffer) first.

    `sock` must be in blocking mode (no Python-level timeout), as pyvisa-py leaves it;
    the timeout is kept here with ``select``. One instance serves one reply:
    ``timeout_ms`` (VISA's unit; None or infinity for none) runs from when it is made, so
    a block trickling in cannot extend it.
    """

    def __init__(self, sock: socket.socket, pending: bytearray, timeout_ms: float | None) -> None:
        self.sock = sock
        self.pending = pending
        infinite = timeout_ms is None or math.isinf(timeout_ms)
        self.timeout_s = None if timeout_ms is None or infinite else max(timeout_ms, 0.0) / 1e3
        self.deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s

    def send(self, data: bytes) -> None:
        """Send all of `data`; like pyvisa-py's own socket write, with no timeout (a short
        query fits the socket's send buffer, so this does not wait on the instrument)."""
        self.sock.sendall(data)

    def read_exact(self, count: int, what: str) -> bytes:
        """Exactly `count` bytes of `what` (named in the error if they do not all come).

        One ``recv`` of everything still wanted: when it is all there already, its bytes
        are the result. Otherwise the rest is received into one buffer of `count` bytes
        (``recv_into``), copied out once at the end, instead of a fresh buffer of up to
        the whole count for every piece and a join of the pieces (over loopback a 1 MB
        block comes in dozens of pieces: 0.88 -> 0.95 of a plain socket copy).
        """
        if count <= 0:
            return b""
        head = b""
        if self.pending:
            head = bytes(self.pending[:count])
            del self.pending[: len(head)]
            if len(head) == count:
                return head
        data = self._receive(count - len(head), what, count, len(head))
        if not data:
            self._closed(what, count, len(head))
        got = len(head) + len(data)
        if got == count:
            return head + data if head else data
        buffer = bytearray(count)
        view = memoryview(buffer)
        view[: len(head)] = head
        view[len(head) : got] = data
        while got < count:
            received = self._receive_into(view[got:], what, count, got)
            if not received:
                self._closed(what, count, got)
            got += received
        return bytes(buffer)

    @staticmethod
    def _closed(what: str, count: int, got: int) -> NoReturn:
        raise ConnectionError(
            f"connection closed by the instrument after {got} of the {count} bytes of {what}"
        )

    def _receive(self, size: int, what: str, count: int, got: int) -> bytes:
        """Up to `size` bytes as soon as any are there (b"" if the peer closed)."""
        return self._when_readable(lambda flags: self.sock.recv(size, flags), what, count, got)

    def _receive_into(self, view: memoryview, what: str, count: int, got: int) -> int:
        """Receive into `view` as soon as any bytes are there; how many (0: peer closed)."""
        return self._when_readable(
            lambda flags: self.sock.recv_into(view, 0, flags), what, count, got
        )

    def _when_readable(self, receive: Callable[[int], _T], what: str, count: int, got: int) -> _T:
        """``receive(flags)`` once the socket has data: at once without blocking where the
        platform can (`_DONTWAIT`), else after waiting for readability."""
        if not _DONTWAIT:
            self._wait_readable(what, count, got)
            return receive(0)
        while True:
            try:
                return receive(_DONTWAIT)
            except BlockingIOError:
                self._wait_readable(what, count, got)

    def _wait_readable(self, what: str, count: int, got: int) -> None:
        """Return once the socket has data (or end of stream); raise at the deadline."""
        while True:
            wait = _MAX_WAIT_S
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"timed out after {self.timeout_s:g} s waiting for {what}: "
                        f"{got} of {count} bytes arrived"
                    )
                wait = min(wait, left)
            readable, _, _ = select.select([self.sock], [], [], wait)
            if readable:  # data, or end of stream / an error that the next recv reports
                return
