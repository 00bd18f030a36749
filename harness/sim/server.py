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
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from harness.sim.instruments import DEFAULT_ROLES, rack_for
from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.misbehaviour import ConnectionDropped
from harness.sim.instruments.session import ScpiSession

RECV_BYTES = 65536


class InstrumentServer:
    """A listening socket for one simulated instrument and its connection threads."""

    def __init__(self, instrument: SimInstrument, host: str, port: int = 0) -> None:
        self.instrument = instrument
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

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(
                target=self._serve,
                args=(conn,),
                daemon=True,
                name=f"sim-{self.instrument.model}-conn",
            )
            with self._guard:
                self._connections.add(conn)
                self._threads.append(thread)
            thread.start()

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

    def __enter__(self) -> ServedInstruments:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_instruments(
    sim: BenchModel,
    host: str = "127.0.0.1",
    roles: Iterable[str] = DEFAULT_ROLES,
) -> ServedInstruments:
    """Serve each role's simulated instrument on its own ephemeral port of `host`."""
    rack = rack_for(sim)
    served = ServedInstruments()
    try:
        for role in roles:
            served.servers[role] = InstrumentServer(rack.get(role), host)
    except Exception:
        served.stop()
        raise
    return served
