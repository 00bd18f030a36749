"""The simulated USB-serial relay board: the project's relay-board protocol, on the model.

The harness's driver (``harness.instruments.serial_relay_board``) defines the protocol:
``R<n> ON``, ``R<n> OFF`` and ``ALL OFF`` (no reply), ``R<n>?`` (``R<n> ON|OFF``),
``*IDN?`` and ``ERR?`` (a queue of the lines the board could not execute). This is the
board at the far end of that line, so the driver is exercised byte for byte through
pyserial (``hilrelay://``, ``harness.sim.transports.protocol_hilrelay``) as it is with a
real board on ``/dev/ttyUSB0``.

What its relays are wired to is the simulated bench's business: a closed relay is a
closed contact, reported to ``SimBench.relays_changed`` (source ``relayboard``), which
presses the RMD-2 button wired across it, as the 34980A's channels do.

``dead`` holds channels whose contact never makes although the coil is driven: the
board's read-back (its own output latch, as a cheap board's is) still says ``ON``. That
is the fault the driver cannot see and the harness must: the button is not pressed, so
the unit does not change, and the procedure's measurement has to say the step failed.

Time: every byte costs its time at 9600 baud 8N1 on the bench's virtual clock, and a
relay that moves costs its operate time, so a press's length on the unit is the hold
plus what the line and the relay really take.
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.sim.bench import SimBench

BAUD_RATE, BITS_PER_BYTE = 9600, 10
OPERATE_TIME_S = 10e-3
"""Operate/release time of a small signal relay on a hobby board, about 10 ms [E]."""
CHANNEL_COUNT = 8
MAX_ERRORS = 10
IDENTITY = "microcurrent-hil,Serial relay board,RB-SIM-0001,1.0"
SOURCE = "relayboard"
_RELAY = re.compile(r"R(\d+) (ON|OFF)")
_QUERY = re.compile(r"R(\d+)\?")


def byte_time_s(n_bytes: int) -> float:
    return n_bytes * BITS_PER_BYTE / BAUD_RATE


class SimRelayBoard:
    """One board's relays and error queue, answering one command line at a time."""

    def __init__(self, bench: SimBench, channel_count: int = CHANNEL_COUNT) -> None:
        # weak: the cache in relay_board_for must not keep a finished bench alive
        self._bench_ref = weakref.ref(bench)
        self.channel_count = channel_count
        self.latched: set[int] = set()
        """Relays the board drives (what ``R<n>?`` reads back)."""
        self.dead: set[int] = set()
        """Relays whose contact does not make when driven (see the module docstring)."""
        self.errors: list[str] = []

    def _bench(self) -> SimBench:
        bench = self._bench_ref()
        if bench is None:
            raise RuntimeError("the simulated bench of this relay board is gone")
        return bench

    def wait(self, seconds: float) -> None:
        """A host waiting for a reply that never comes lets the bench's time run."""
        bench = self._bench()
        with bench.lock:
            bench.clock.advance(seconds)

    def transact(self, line: bytes) -> bytes:
        """Execute one received line (without its ``\\n``); the reply bytes, or b''."""
        bench = self._bench()
        with bench.lock:
            bench.clock.advance(byte_time_s(len(line) + 1))
            reply = self._execute(line.decode("ascii", "replace").strip())
            if reply is None:
                return b""
            wire = (reply + "\r\n").encode("ascii")
            bench.clock.advance(byte_time_s(len(wire)))
            return wire

    def _execute(self, command: str) -> str | None:
        if command == "*IDN?":
            return IDENTITY
        if command == "ERR?":
            return self.errors.pop(0) if self.errors else '0,"No error"'
        if command == "ALL OFF":
            self._drive(set())
            return None
        if (match := _RELAY.fullmatch(command)) is not None:
            channel = int(match.group(1))
            if self._valid(channel, command):
                on = match.group(2) == "ON"
                self._drive(self.latched | {channel} if on else self.latched - {channel})
            return None
        if (match := _QUERY.fullmatch(command)) is not None:
            channel = int(match.group(1))
            if not self._valid(channel, command):
                return f"R{channel} OFF"  # a query is answered; the queue says why
            return f"R{channel} {'ON' if channel in self.latched else 'OFF'}"
        self._error(1, f"unknown command: {command[:40]}")
        return None

    def _valid(self, channel: int, command: str) -> bool:
        if 1 <= channel <= self.channel_count:
            return True
        self._error(2, f"relay {channel} outside 1..{self.channel_count}: {command[:40]}")
        return False

    def _error(self, code: int, text: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f'{code},"{text}"')

    def _drive(self, after: set[int]) -> None:
        if after == self.latched:
            return
        bench = self._bench()
        bench.clock.advance(OPERATE_TIME_S)
        self.latched = after
        bench.relays_changed(after - self.dead, source=SOURCE)


_boards: dict[int, SimRelayBoard] = {}
_boards_lock = threading.Lock()


def relay_board_for(bench: SimBench) -> SimRelayBoard:
    """The one simulated relay board of ``bench``, shared by every link that opens it
    (a board has one set of relays whichever port object reaches it)."""
    with _boards_lock:
        board = _boards.get(id(bench))
        if board is None or board._bench_ref() is not bench:
            board = SimRelayBoard(bench)
            _boards[id(bench)] = board
            weakref.finalize(bench, _boards.pop, id(bench), None)
        return board
