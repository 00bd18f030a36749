"""Loopback servers: each simulated instrument as a real TCP SOCKET resource.

The in-process backend is the fast path; these servers are the faithful one. Each role
listens on its own port of `127.0.0.1` (port 0: the OS picks a free one) exactly like a
LAN instrument's raw SCPI socket (5025 on a real one), so any client — pyvisa-py,
PyMeasure, a plain `socket` — can talk to the simulated bench with its normal code path,
including the real TCP framing that makes binary blocks and Nagle's algorithm matter.

One thread per accepted connection reads bytes, feeds them to a `ScpiSession` (which
holds `SimBench.lock` while it runs each command) and sends every reply back at once.
Accepted sockets get TCP_NODELAY so small replies are not delayed by Nagle. Because a
reply leaves for the network as soon as it is produced, -410 "Query INTERRUPTED" does
not arise here as it can in-process; everything else is byte-for-byte the same. An armed
`Misbehaviour.DROP` resets the connection (RST, as a crashed instrument's stack does), so
the client's next read fails at once instead of waiting for its timeout.

    served = serve_instruments(sim)
    served.resources["dmm"]      # 'TCPIP0::127.0.0.1::40123::SOCKET'
    served.stop()

A server may run for days (`hil sim serve` beside a line of benches), so it is built to
outlast its clients:

* **Descriptors run out.** When the process is at its file-descriptor limit (or the
  kernel is short of buffers or memory), `accept()` fails with EMFILE, ENFILE, ENOBUFS
  or ENOMEM. That is a shortage, not the end: the server waits (10 ms, doubling up to
  1 s) and accepts again; the waiting client stays in the listen backlog meanwhile and
  is served once descriptors are back. Only a listener that is really gone (closed by
  `stop()`, or an unexpected error, which is logged and kept in `failure`) ends the
  loop, and `alive` says so, so `hil sim serve` can stop saying "serving".
* **Too many clients.** Each connection costs a thread and a descriptor, so at most
  `max_connections` (default 16: a bench opens one per instrument, a line a few) are
  served at once; one more is accepted and closed at once (the client reads EOF) and
  logged, rather than left waiting in the backlog with no word.
* **Clients that vanish.** A client that crashed or lost its network never closes its
  socket; a connection silent for `idle_timeout_s` (default 300 s, longer than any
  pause between two commands of a test; None: never) is closed by the server and its
  slot given back.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from harness.sim.instruments import DEFAULT_ROLES, rack_for
from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.misbehaviour import ConnectionDropped
from harness.sim.instruments.session import ScpiSession

log = logging.getLogger(__name__)

RECV_BYTES = 65536
#: connections served at once per instrument (see the module docstring)
MAX_CONNECTIONS = 16
#: seconds a connection may stay silent before the server closes it
IDLE_TIMEOUT_S = 300.0
#: accept() errors that mean "short of a resource for now", not "the listener is gone"
SHORTAGE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: accept() errors about one client that gave up before it was accepted
CLIENT_ERRNOS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM})
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.01, 1.0


class InstrumentServer:
    """A listening socket for one simulated instrument and its connection threads."""

    def __init__(
        self,
        instrument: SimInstrument,
        host: str,
        port: int = 0,
        *,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout_s: float | None = IDLE_TIMEOUT_S,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        if idle_timeout_s is not None and not idle_timeout_s > 0:
            raise ValueError(f"idle_timeout_s must be above 0 or None, got {idle_timeout_s}")
        self.instrument = instrument
        self.max_connections = max_connections
        self.idle_timeout_s = idle_timeout_s
        #: accept() calls that failed for a shortage and were retried
        self.accept_failures = 0
        #: why the accept loop ended while the server was not being stopped
        self.failure: str | None = None
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._guard = threading.Lock()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"sim-{instrument.model}-accept", daemon=True
        )
        self._acceptor.start()

    @property
    def resource(self) -> str:
        return f"TCPIP0::{self.host}::{self.port}::SOCKET"

    @property
    def connection_count(self) -> int:
        """Connections being served now."""
        with self._guard:
            return len(self._connections)

    @property
    def alive(self) -> bool:
        """Whether the server still accepts connections."""
        return self._acceptor.is_alive()

    def _accept_loop(self) -> None:
        delay = 0.0
        while not self._stopping.is_set():
            try:
                conn, peer = self._listener.accept()
            except OSError as exc:
                if self._stopping.is_set():
                    return
                if exc.errno in CLIENT_ERRNOS:
                    continue
                if exc.errno not in SHORTAGE_ERRNOS:
                    self.failure = f"accept failed: {exc}"
                    log.error("%s: %s; no longer accepting", self.resource, self.failure)
                    return
                self.accept_failures += 1
                delay = min(max(2 * delay, BACKOFF_FIRST_S), BACKOFF_MAX_S)
                log.warning("%s: accept failed (%s); retrying in %.2f s", self.resource, exc, delay)
                self._stopping.wait(delay)
                continue
            delay = 0.0
            self._admit(conn, peer)

    def _admit(self, conn: socket.socket, peer: object) -> None:
        with self._guard:
            self._threads = [t for t in self._threads if t.is_alive()]
            full = len(self._connections) >= self.max_connections
            if not full:
                self._connections.add(conn)
        if full:
            log.warning(
                "%s: refused a connection from %s: %d connections already open (the bound)",
                self.resource,
                peer,
                self.max_connections,
            )
            conn.close()
            return
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(self.idle_timeout_s)
            thread = threading.Thread(
                target=self._serve,
                args=(conn,),
                daemon=True,
                name=f"sim-{self.instrument.model}-conn",
            )
            thread.start()
        except (OSError, RuntimeError) as exc:  # RuntimeError: no thread can be started
            log.warning("%s: dropped a connection from %s: %s", self.resource, peer, exc)
            with self._guard:
                self._connections.discard(conn)
            conn.close()
            return
        with self._guard:
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        conversation = ScpiSession(self.instrument)
        try:
            while not self._stopping.is_set():
                data = conn.recv(RECV_BYTES)
                if not data:
                    return
                conversation.write(data)
                while conversation.pending:
                    chunk, _ = conversation.read(1 << 24)
                    conn.sendall(chunk)
        except ConnectionDropped:  # linger 0: close() sends RST instead of FIN
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        except TimeoutError:
            log.info("%s: closed a connection idle for %s s", self.resource, self.idle_timeout_s)
            return
        except OSError:
            return
        finally:
            with self._guard:
                self._connections.discard(conn)
            conn.close()

    def stop(self) -> None:
        """Close the listener and every connection, then wait for the threads."""
        self._stopping.set()
        with contextlib.suppress(OSError):  # shutdown wakes the thread blocked in accept()
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._guard:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(timeout=5)
        for thread in threads:
            thread.join(timeout=5)


@dataclass
class ServedInstruments:
    """The running servers of one bench: resource strings by role, and `stop()`."""

    servers: dict[str, InstrumentServer] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, str]:
        return {role: server.resource for role, server in self.servers.items()}

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def failures(self) -> dict[str, str]:
        """Roles whose server stopped accepting on its own, and why."""
        return {
            role: server.failure or "not accepting"
            for role, server in self.servers.items()
            if not server.alive
        }

    def __enter__(self) -> ServedInstruments:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_instruments(
    sim: BenchModel,
    host: str = "127.0.0.1",
    roles: Iterable[str] = DEFAULT_ROLES,
    *,
    max_connections: int = MAX_CONNECTIONS,
    idle_timeout_s: float | None = IDLE_TIMEOUT_S,
) -> ServedInstruments:
    """Serve each role's simulated instrument on its own ephemeral port of `host`, each
    with at most `max_connections` clients, each closed after `idle_timeout_s` of
    silence."""
    rack = rack_for(sim)
    served = ServedInstruments()
    try:
        for role in roles:
            served.servers[role] = InstrumentServer(
                rack.get(role),
                host,
                max_connections=max_connections,
                idle_timeout_s=idle_timeout_s,
            )
    except Exception:
        served.stop()
        raise
    return served
