"""Hardware-free driver tests: run a driver against a script of the manual's exchanges.

A driver test states, from the programming manual, exactly what the driver must send
and what the instrument answers::

    with expected_exchanges([("CONF:CURR:DC 0.0001", None), ("*OPC?", "1")]) as link:
        Keysight34465A(link).configure_dc_current(1e-4, 10)

The fake resource fails the test on the first command that differs from the script,
on a command sent while a reply is still unread (a real instrument would answer
``-410 Query INTERRUPTED``), and, when the block ends, on any exchange left over. A
read with nothing to read behaves like the real thing: a VISA timeout, which the link
turns into :class:`~harness.errors.InstrumentError`.

Replies: ``None`` for a command that answers nothing; a ``str`` is sent with the
termination character appended, as instruments do; ``bytes`` are sent exactly as
given (a binary block, including its trailing newline if the instrument sends one).
The fake honours the read termination the way pyvisa-py does (a read stops at the
termination byte) so a block reader that forgets to switch it off fails here too.

:func:`expected_serial_exchanges` does the same for line-based serial devices (the
relay board): each command is one ``\\n``-terminated line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pyvisa.constants
import pyvisa.errors

from harness.instruments.visa import ScpiLink

Reply = str | bytes | None
Exchange = tuple[str, Reply]


class _Script:
    """The expected exchanges and the bytes the 'instrument' has queued for reading."""

    def __init__(self, exchanges: Sequence[Exchange], name: str) -> None:
        self.remaining: deque[Exchange] = deque(exchanges)
        self.pending = bytearray()
        self.name = name

    def receive(self, command: str, termination: str) -> None:
        if self.pending:
            raise AssertionError(
                f"{self.name}: sent {command!r} while the reply {bytes(self.pending)!r} "
                "was still unread (the instrument would report Query INTERRUPTED)"
            )
        if not self.remaining:
            raise AssertionError(f"{self.name}: unexpected command {command!r}: script is done")
        expected, reply = self.remaining.popleft()
        if command != expected:
            raise AssertionError(f"{self.name}: sent {command!r}, script expected {expected!r}")
        if isinstance(reply, str):
            self.pending.extend((reply + termination).encode("ascii"))
        elif isinstance(reply, bytes):
            self.pending.extend(reply)

    def take(self, count: int) -> bytes:
        out = bytes(self.pending[:count])
        del self.pending[:count]
        return out

    def assert_done(self) -> None:
        if self.remaining:
            left = ", ".join(repr(command) for command, _ in self.remaining)
            raise AssertionError(f"{self.name}: exchanges never sent: {left}")
        if self.pending:
            raise AssertionError(f"{self.name}: reply never read: {bytes(self.pending)!r}")


def _timeout() -> pyvisa.errors.VisaIOError:
    return pyvisa.errors.VisaIOError(pyvisa.constants.StatusCode.error_timeout)


class ScriptedResource:
    """A stand-in for a PyVISA message-based resource that follows a script."""

    def __init__(self, exchanges: Sequence[Exchange], *, name: str = "scripted") -> None:
        self.script = _Script(exchanges, name)
        self.read_termination: str | None = "\n"
        self.write_termination = "\n"
        self.timeout: float | None = 5000.0
        self.closed = False
        #: (count, read termination) of every ``read_bytes`` call, for tests of readers.
        self.byte_reads: list[tuple[int, str | None]] = []

    def write(self, message: str) -> int:
        self.script.receive(message, self.write_termination)
        return len(message) + len(self.write_termination)

    def read(self) -> str:
        pending = self.script.pending
        if not pending:
            raise _timeout()
        term = (self.read_termination or "").encode("ascii")
        if term and term in pending:
            raw = self.script.take(pending.index(term) + len(term))[: -len(term)]
        else:
            raw = self.script.take(len(pending))
        return raw.decode("ascii")

    def read_bytes(
        self, count: int, chunk_size: int | None = None, break_on_termchar: bool = False
    ) -> bytes:
        """Exactly ``count`` bytes, reading up to a termination byte at a time.

        Like pyvisa-py, each low-level read ends at the termination byte while
        termination is on; with ``break_on_termchar`` the first such end stops the
        whole read, which is how a newline inside a block truncates it.
        """
        self.byte_reads.append((count, self.read_termination))
        out = bytearray()
        term = (self.read_termination or "").encode("ascii")[-1:]
        while len(out) < count:
            pending = self.script.pending
            if not pending:
                raise _timeout()
            want = min(count - len(out), chunk_size or count)
            if term and term in pending[:want]:
                want = pending.index(term) + 1
                out.extend(self.script.take(want))
                if break_on_termchar:
                    break
            else:
                out.extend(self.script.take(want))
        return bytes(out)

    def close(self) -> None:
        self.closed = True


@contextmanager
def expected_exchanges(
    exchanges: Sequence[Exchange], *, name: str = "instrument"
) -> Iterator[ScpiLink]:
    """A :class:`ScpiLink` over a scripted resource; leftovers fail the test on exit."""
    resource = ScriptedResource(exchanges, name=name)
    yield ScpiLink(resource, name)
    resource.script.assert_done()


class ScriptedSerial:
    """A stand-in for a ``serial.Serial`` port speaking one text line per message."""

    def __init__(self, exchanges: Sequence[Exchange], *, name: str = "serial") -> None:
        self.script = _Script(exchanges, name)
        self.port = name
        self.closed = False

    def write(self, data: bytes) -> int:
        text = data.decode("ascii")
        if not text.endswith("\n") or "\n" in text[:-1]:
            raise AssertionError(f"{self.script.name}: {data!r} is not exactly one line")
        self.script.receive(text[:-1], "\n")
        return len(data)

    def readline(self) -> bytes:
        """One line with its newline, or ``b""`` like pyserial after its read timeout."""
        pending = self.script.pending
        if b"\n" in pending:
            return self.script.take(pending.index(b"\n") + 1)
        return self.script.take(len(pending))

    def reset_input_buffer(self) -> None:
        self.script.pending.clear()

    def close(self) -> None:
        self.closed = True


@contextmanager
def expected_serial_exchanges(
    exchanges: Sequence[Exchange], *, name: str = "serial"
) -> Iterator[ScriptedSerial]:
    """A scripted serial port; leftovers fail the test on exit."""
    port = ScriptedSerial(exchanges, name=name)
    yield port
    port.script.assert_done()
