"""One SCPI conversation with one instrument over PyVISA, done the way the bench needs.

PyVISA gives a resource that can write and read; a bench needs a little more, and
each item below comes from trying the real stacks (pyvisa 1.16, pyvisa-py 0.8):

* **Nagle off.** pyvisa-py opens ``TCPIP::host::port::SOCKET`` resources with Nagle's
  algorithm on, so three short writes followed by ``*OPC?`` wait for delayed ACKs
  (~44 ms instead of ~0.2 ms). :func:`set_tcp_nodelay` sets ``TCP_NODELAY`` on the
  session's socket. HiSLIP and VXI-11 frame their own messages and are left alone.
* **Binary blocks with termination off.** ``:WAV:DATA?`` answers an IEEE 488.2
  definite-length block, ``#<n><n digits: length><payload>``. With the read
  termination on, a read stops at every ``0x0A`` byte inside the payload (slow, and a
  naive reader truncates the data). :func:`read_definite_block` switches termination
  off, reads the header, then exactly ``length`` bytes, then the trailing newline, and
  restores termination whatever happens. A pyvisa-py raw socket is read directly
  instead (:mod:`harness.instruments.socket_exchange`): through PyVISA's buffers a 1 MB
  block was 0.15-0.3 of a plain socket's rate, read directly about 0.8.
* **Synchronisation.** Writes are asynchronous: after a configuration sequence a driver
  asks ``*OPC?`` (IEEE 488.2 §12.5.3), which answers ``1`` only once every preceding
  command has finished, before anything else on the bench acts.
* **Error queue.** A rejected command does not raise; it lands in the instrument's
  queue. :meth:`ScpiLink.drain_errors` reads ``SYST:ERR?`` until ``0,"No error"``.
* **One error type.** A VISA timeout, a dropped socket or a garbled (even non-ASCII) reply
  all become :class:`harness.errors.InstrumentError` naming the instrument and the command.

:class:`ScpiLink` wraps anything that looks like a PyVISA message-based resource
(:class:`ScpiResource`), so drivers run unchanged on a real resource, the simulated
bench's backend and the scripted fake in :mod:`harness.instruments.testing`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

import pyvisa
import pyvisa.errors

from harness.errors import InstrumentError
from harness.events.steps import bench_step
from harness.instruments.protocols import Identity
from harness.instruments.scpi_reply import parse_error_entry, parse_identity, parse_int
from harness.instruments.socket_exchange import SocketExchange

log = logging.getLogger(__name__)

#: Bytes asked of the transport per read while collecting a block (1 MiB keeps a
#: 1e6-point float32 record to a handful of reads).
BLOCK_CHUNK_BYTES = 1 << 20
#: An error queue longer than this is an instrument stuck in a loop, not a backlog.
MAX_QUEUED_ERRORS = 64


class ScpiResource(Protocol):
    """The part of ``pyvisa.resources.MessageBasedResource`` the drivers rely on."""

    read_termination: str | None
    write_termination: str
    timeout: float | None  # milliseconds, PyVISA's unit

    def write(self, message: str) -> int: ...

    def read(self) -> str: ...

    def read_bytes(
        self, count: int, chunk_size: int | None = None, break_on_termchar: bool = False
    ) -> bytes: ...

    def close(self) -> None: ...


def session_socket(resource: object) -> socket.socket | None:
    """The TCP socket under a pyvisa-py ``TCPIP::...::SOCKET`` session, if there is one.

    pyvisa-py keeps its sessions in ``resource.visalib.sessions[resource.session]``;
    a raw-socket session's ``interface`` is the ``socket.socket`` itself. NI-VISA,
    HiSLIP, VXI-11, the simulator and the fakes have none.
    """
    visalib = getattr(resource, "visalib", None)
    sessions = getattr(visalib, "sessions", None)
    if not isinstance(sessions, dict):
        return None
    session = sessions.get(getattr(resource, "session", None))
    interface = getattr(session, "interface", None)
    if not isinstance(interface, socket.socket) or interface.type != socket.SOCK_STREAM:
        return None
    return interface


def set_tcp_nodelay(resource: object) -> bool:
    """Turn Nagle's algorithm off on a pyvisa-py raw-socket session; say if it was done.

    Resources without a raw socket are left alone and ``False`` returned: they either
    frame messages themselves (HiSLIP, VXI-11) or have no network at all.
    """
    interface = session_socket(resource)
    if interface is None:
        return False
    interface.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return True


def widen_socket_reads(resource: object, size: int = BLOCK_CHUNK_BYTES) -> bool:
    """Let a pyvisa-py raw-socket session take up to ``size`` bytes per ``recv``.

    pyvisa-py 0.8 receives 4096 bytes at a time (``max_recv_size``), so a long reply
    read through it costs a system call and a buffer copy per 4 kB. Blocks no longer go
    through it (:func:`socket_exchange`); long text replies (a comma list of readings) and a
    pyvisa-py whose session this harness does not recognise still do. Other resources
    are left alone and ``False`` returned.
    """
    if session_socket(resource) is None:
        return False
    session = resource.visalib.sessions[resource.session]  # type: ignore[attr-defined]
    if not hasattr(session, "max_recv_size"):
        return False
    session.max_recv_size = max(int(session.max_recv_size), size)
    return True


def _connection_failure(resource: object) -> str | None:
    """Why a raw socket is not connected, or None if it is (or there is no socket).

    pyvisa-py 0.8 "opens" a SOCKET resource even when the connection was refused;
    the failure would only surface at the first write, inside some test.
    """
    interface = session_socket(resource)
    if interface is None:
        return None
    error = interface.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        return os.strerror(error)
    try:
        interface.getpeername()
    except OSError as exc:
        return f"not connected ({exc.strerror or exc})"
    return None


def parse_block_header(header: bytes, *, instrument: str) -> int:
    """Length announced by a definite-length block header such as ``b"#800001000"``."""
    if len(header) < 2 or header[:1] != b"#" or not header[1:2].isdigit():
        raise InstrumentError(instrument, f"expected an IEEE 488.2 block '#<n>...', got {header!r}")
    digits = int(header[1:2])
    if digits == 0:
        raise InstrumentError(
            instrument, "indefinite-length block '#0' is not supported; expected '#<1-9>'"
        )
    length_text = header[2 : 2 + digits]
    if len(length_text) != digits or not length_text.isdigit():
        raise InstrumentError(
            instrument, f"block header {header!r} promises {digits} length digits"
        )
    return int(length_text)


@contextmanager
def termination_off(resource: ScpiResource) -> Iterator[None]:
    """Read with no termination character, restoring the previous one afterwards."""
    previous = resource.read_termination
    resource.read_termination = None
    try:
        yield
    finally:
        resource.read_termination = previous


class ExactReads(Protocol):
    """Where a block's bytes come from: exactly `count` of them, or an exception."""

    def read_exact(self, count: int, what: str) -> bytes: ...


class ResourceReads:
    """Exact reads through PyVISA's ``read_bytes`` (termination must already be off).

    What every resource but a pyvisa-py raw socket is read with: NI-VISA, HiSLIP,
    VXI-11, the simulator's backend and the scripted fakes.
    """

    def __init__(self, resource: ScpiResource) -> None:
        self.resource = resource

    def read_exact(self, count: int, what: str) -> bytes:
        return self.resource.read_bytes(count, chunk_size=BLOCK_CHUNK_BYTES) if count else b""


def socket_exchange(resource: object, timeout_s: float | None = None) -> SocketExchange | None:
    """The socket of a pyvisa-py raw-socket session, to query a block over; None for others.

    Taken only when the session has the blocking socket and the pending buffer this was
    written against (pyvisa-py 0.8's ``interface`` and ``_pending_buffer``); any other
    backend or version is read through PyVISA as before. Made per reply: pyvisa-py
    replaces its pending buffer on each of its own reads. The reply must come within
    `timeout_s`, or the resource's timeout when it is None.
    """
    interface = session_socket(resource)
    if interface is None or interface.gettimeout() is not None:
        return None
    session = resource.visalib.sessions[resource.session]  # type: ignore[attr-defined]
    pending = getattr(session, "_pending_buffer", None)
    if not isinstance(pending, bytearray):
        return None
    timeout_ms = getattr(resource, "timeout", None) if timeout_s is None else timeout_s * 1e3
    return SocketExchange(interface, pending, timeout_ms)


def read_block_from(reads: ExactReads, *, instrument: str, trailing: bytes = b"\n") -> bytes:
    """Read one ``#<n><length><payload><trailing>`` reply from `reads`; return the payload."""
    start = reads.read_exact(2, "a block header '#<n>'")
    if start[:1] != b"#" or not start[1:2].isdigit() or start[1:2] == b"0":
        parse_block_header(start, instrument=instrument)  # raises, before reading any more
    digits = int(start[1:2])
    rest = reads.read_exact(digits, f"the {digits} length digits of a block header")
    length = parse_block_header(start + rest, instrument=instrument)
    payload = reads.read_exact(length, f"a block of {length} bytes")
    if len(payload) != length:
        raise InstrumentError(
            instrument, f"block announced {length} bytes but {len(payload)} arrived"
        )
    if trailing:
        end = reads.read_exact(len(trailing), f"the {trailing!r} after a block")
        if end != trailing:
            raise InstrumentError(
                instrument, f"block of {length} bytes ended with {end!r}, not {trailing!r}"
            )
    return payload


def read_definite_block(
    resource: ScpiResource, *, instrument: str, trailing: bytes = b"\n"
) -> bytes:
    """Read one ``#<n><length><payload>`` block whose query has just been written.

    ``trailing`` is what the instrument sends after the payload (a newline for every
    model on this bench); it is consumed and checked so the next query starts clean.
    A pyvisa-py raw socket is read directly (:mod:`harness.instruments.socket_exchange`:
    PyVISA's copies made a 1 MB block several times slower than the socket); every other
    resource through ``read_bytes`` with termination off.
    """
    direct = socket_exchange(resource)
    if direct is not None:
        return read_block_from(direct, instrument=instrument, trailing=trailing)
    with termination_off(resource):
        return read_block_from(ResourceReads(resource), instrument=instrument, trailing=trailing)


class ScpiLink:
    """A named SCPI conversation: write, query, read blocks, sync, drain errors.

    ``name`` is the bench's name for the instrument (``"dmm"``); every error raised
    here carries it, so a failed run says which box to look at.
    """

    def __init__(self, resource: ScpiResource, name: str) -> None:
        self.resource = resource
        self.name = name

    def write(self, command: str) -> None:
        """Send one command; no reply is expected."""
        log.debug("%s <- %s", self.name, command)
        with self._translated_errors(command):
            self.resource.write(command)

    def query(self, command: str, *, timeout_s: float | None = None) -> str:
        """Send a query and return its reply without the termination character."""
        log.debug("%s <- %s", self.name, command)
        with self._translated_errors(command), self._timeout(timeout_s):
            self.resource.write(command)
            reply = self.resource.read()
        log.debug("%s -> %s", self.name, reply)
        return reply

    def query_block(self, command: str, *, timeout_s: float | None = None) -> bytes:
        """Send a query whose reply is a definite-length binary block; return its payload."""
        log.debug("%s <- %s", self.name, command)
        with self._translated_errors(command):
            direct = socket_exchange(self.resource, timeout_s)
            if direct is not None:  # a pyvisa-py raw socket: query and block over it directly
                query = command + self.resource.write_termination
                direct.send(query.encode(getattr(self.resource, "encoding", "ascii")))
                payload = read_block_from(direct, instrument=self.name)
            else:
                with self._timeout(timeout_s):
                    self.resource.write(command)
                    payload = read_definite_block(self.resource, instrument=self.name)
        log.debug("%s -> block of %d bytes", self.name, len(payload))
        return payload

    def sync(self, *, timeout_s: float | None = None) -> None:
        """Wait until every command sent so far has finished (``*OPC?`` answers 1)."""
        reply = self.query("*OPC?", timeout_s=timeout_s)
        if parse_int(reply, instrument=self.name) != 1:
            raise InstrumentError(self.name, f"*OPC? answered {reply!r}, expected 1")

    def send_and_sync(self, command: str, *, timeout_s: float | None = None) -> None:
        """Send `command` and ``*OPC?`` as one compound message (IEEE 488.2 7.4: units
        separated by ``;``) and wait for its 1: one round trip instead of two, for a
        command sent thousands of times in a run (the bench clock's advance)."""
        reply = self.query(f"{command};*OPC?", timeout_s=timeout_s)
        if parse_int(reply, instrument=self.name) != 1:
            raise InstrumentError(self.name, f"{command};*OPC? answered {reply!r}, expected 1")

    def drain_errors(self, command: str = "SYST:ERR?") -> list[str]:
        """Read the error queue until it reports code 0; return the entries read."""
        entries: list[str] = []
        for _ in range(MAX_QUEUED_ERRORS):
            reply = self.query(command)
            code, _message = parse_error_entry(reply, instrument=self.name)
            if code == 0:
                return entries
            entries.append(reply.strip())
        raise InstrumentError(
            self.name, f"error queue still not empty after {MAX_QUEUED_ERRORS} reads"
        )

    def identify(self) -> Identity:
        """Ask ``*IDN?`` and split the answer."""
        return parse_identity(self.query("*IDN?"), instrument=self.name)

    def close(self) -> None:
        with self._translated_errors("close"):
            self.resource.close()

    @contextmanager
    def _translated_errors(self, command: str) -> Iterator[None]:
        try:
            yield
        except pyvisa.errors.VisaIOError as exc:
            raise InstrumentError(self.name, f"{command!r}: {exc.description}") from exc
        except OSError as exc:
            raise InstrumentError(self.name, f"{command!r}: {exc}") from exc
        except UnicodeDecodeError as exc:  # line noise, a wrong baud rate, another protocol
            raise InstrumentError(
                self.name, f"{command!r}: reply is not ASCII text: {exc.object[:40]!r}"
            ) from exc

    @contextmanager
    def _timeout(self, timeout_s: float | None) -> Iterator[None]:
        if timeout_s is None:
            yield
            return
        previous = self.resource.timeout
        self.resource.timeout = timeout_s * 1000.0
        try:
            yield
        finally:
            self.resource.timeout = previous


class ScpiInstrument:
    """What every SCPI driver shares: a name, identity, error queue and closing.

    Subclasses add their role's methods and their own :meth:`safe_state`.
    """

    #: The query that pops one error-queue entry (``:SYST:ERR?`` on some models).
    error_query = "SYST:ERR?"

    def __init__(self, link: ScpiLink) -> None:
        self.link = link

    @property
    def name(self) -> str:
        return self.link.name

    @bench_step
    def identify(self) -> Identity:
        return self.link.identify()

    @bench_step
    def check_errors(self) -> list[str]:
        return self.link.drain_errors(self.error_query)

    @bench_step
    def close(self) -> None:
        self.link.close()

    def _reject(self, detail: str) -> InstrumentError:
        """An argument error, raised before anything is sent to the instrument."""
        return InstrumentError(self.name, detail)


def open_scpi(
    resource_name: str,
    *,
    name: str,
    resource_manager: pyvisa.ResourceManager | None = None,
    timeout_s: float = 5.0,
    termination: str = "\n",
) -> ScpiLink:
    """Open a message-based VISA resource ready for SCPI and wrap it as :class:`ScpiLink`.

    Without a ``resource_manager`` the pure-Python backend (``@py``) is used. Raw
    TCP sockets are checked to be connected and get ``TCP_NODELAY``; every resource
    gets ``termination`` both ways and a timeout in seconds.
    """
    manager = resource_manager if resource_manager is not None else pyvisa.ResourceManager("@py")
    try:
        resource: Any = manager.open_resource(resource_name)
    except (pyvisa.errors.VisaIOError, OSError, ValueError) as exc:
        raise InstrumentError(name, f"cannot open {resource_name!r}: {exc}") from exc
    if not isinstance(resource, pyvisa.resources.MessageBasedResource):
        resource.close()
        raise InstrumentError(name, f"{resource_name!r} is not a message-based resource")
    failure = _connection_failure(resource)
    if failure is not None:
        resource.close()
        raise InstrumentError(name, f"cannot connect to {resource_name!r}: {failure}")
    resource.read_termination = termination
    resource.write_termination = termination
    resource.timeout = timeout_s * 1000.0
    if set_tcp_nodelay(resource):
        log.debug("%s: TCP_NODELAY set on %s", name, resource_name)
        widen_socket_reads(resource)
    # PyVISA types ``timeout`` as a float property that also accepts None on assignment.
    return ScpiLink(cast(ScpiResource, resource), name)
