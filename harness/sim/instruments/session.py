"""One client's conversation with one simulated instrument, independent of the transport.

A message-based instrument reads bytes until its input terminator (a newline), runs the
message and leaves any reply in an output queue that the client reads at its own pace.
Two rules of IEEE 488.2 live here because they concern the conversation, not a command:
a reply is one *message* (its end is what VISA calls END, so a reader with termination
off still knows where a binary block stops), and a new command arriving while a reply is
still unread discards that reply and queues -410 "Query INTERRUPTED".

Both transports — the in-process PyVISA backend and the loopback TCP server — feed bytes
into a `ScpiSession`, so they behave identically by construction. That includes an armed
`Misbehaviour` (harness/sim/instruments/misbehaviour.py): a dropped connection raises
`ConnectionDropped` here, and every later write or read on this session raises it again.
"""

from __future__ import annotations

from collections import deque

from harness.sim.instruments.base import SimInstrument
from harness.sim.instruments.misbehaviour import ConnectionDropped, respond


class ScpiSession:
    """Input framing, the output queue and the -410 rule for one connection."""

    def __init__(self, instrument: SimInstrument) -> None:
        self.instrument = instrument
        self._input = bytearray()
        self._replies: deque[bytearray] = deque()
        self._dropped = False

    @property
    def pending(self) -> int:
        """Bytes of reply not yet read."""
        return sum(len(r) for r in self._replies)

    def write(self, data: bytes) -> None:
        """Accept bytes; run every complete (newline-terminated) message in them."""
        self._check_connected()
        self._input += data
        while (end := self._input.find(b"\n")) >= 0:
            line = bytes(self._input[:end]).rstrip(b"\r")
            del self._input[: end + 1]
            if not line.strip():
                continue
            if self._replies:
                self._replies.clear()
                self.instrument.engine.push_error(-410)
            try:
                reply = respond(self.instrument, line.decode("latin-1"))
            except ConnectionDropped:
                self._dropped = True
                raise
            if reply:
                self._replies.append(bytearray(reply))

    def read(self, count: int, term_char: int | None = None) -> tuple[bytes, bool]:
        """Up to `count` bytes of the oldest reply, stopping after `term_char` if given.

        Returns the bytes and whether they end the reply message (END). An empty result
        means nothing is waiting: the transport decides whether that is a timeout.
        """
        self._check_connected()
        if not self._replies:
            return b"", False
        reply = self._replies[0]
        size = min(count, len(reply))
        if term_char is not None:
            stop = reply.find(bytes([term_char]), 0, size)
            if stop >= 0:
                size = stop + 1
        chunk = bytes(reply[:size])
        del reply[:size]
        if not reply:
            self._replies.popleft()
            return chunk, True
        return chunk, False

    def _check_connected(self) -> None:
        if self._dropped:
            raise ConnectionDropped(f"{self.instrument.model}: the connection was dropped")

    def clear(self) -> None:
        """Device clear: drop unread input and output, as VISA viClear does."""
        self._input.clear()
        self._replies.clear()
