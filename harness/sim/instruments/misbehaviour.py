"""Instrument misbehaviour on demand: how a simulated instrument can fail its client.

Real bench instruments fail in a handful of ways that a harness must survive without
leaving a unit stimulating: a reply garbled by a bad cable or a firmware bug, an
instrument that hangs and never answers, a LAN connection that drops in the middle of a
query, and the wrong box answering at an address (an IP lease that moved, a swapped
USB cable). `Misbehaviour` names these, in the spirit of the test port's `LineFault`
(harness/sim/testport_firmware.py), so a test can make one simulated instrument fail in
one precise way and check that the harness reports it clearly and still reaches safe
state.

    arm(sim, "psu", Misbehaviour.SILENT, count=1)   # the supply ignores the next query

What each kind does, seen from the client:

* `GARBAGE`: the command runs, but its reply is replaced by a line of noise (not ASCII,
  not a number, not a block), as a corrupted link would deliver it.
* `SILENT`: the instrument hangs. Messages are not executed and queries get no reply,
  so the client times out. Writes while it is armed are lost too (a hung instrument does
  not hear them) but do not count.
* `DROP`: the command runs, then the connection is lost instead of the reply. Over
  loopback the server resets the TCP connection; in-process the session raises
  `ConnectionDropped`. Either way that connection stays dead.
* `WRONG_IDN`: `*IDN?` is answered with another instrument's identity; nothing else
  changes and only `*IDN?` replies count.

`count` is how many replies misbehave (None: until `disarm`). The state lives on the
instrument (one per role of one bench), so the in-process backend and the loopback
server, which share a bench's instruments through `rack_for`, share it too. Both feed
messages through `respond`, called by `ScpiSession`, which is the only hook.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from enum import Enum

from harness.sim.instruments import rack_for
from harness.sim.instruments.base import BenchModel, SimInstrument

GARBAGE_REPLY = b"\xfe\x13\x7f?%NAK\xff line noise\x00\x9c\n"
"""What a garbled reply looks like: control bytes, non-ASCII, ends with a newline."""

WRONG_IDENTITY = b"RIGOL TECHNOLOGIES,DP832,DP8C000000001,00.01.16\n"
"""The identity a wrongly addressed instrument gives: a supply of another make."""


class Misbehaviour(Enum):
    """Ways a simulated instrument can fail its client (see the module docstring)."""

    NONE = "none"
    GARBAGE = "garbage"
    SILENT = "silent"
    DROP = "drop"
    WRONG_IDN = "wrong-idn"


class ConnectionDropped(ConnectionResetError):
    """The simulated instrument dropped the connection (`Misbehaviour.DROP`)."""


@dataclass
class _Armed:
    kind: Misbehaviour = Misbehaviour.NONE
    remaining: int | None = None

    def take(self) -> None:
        """One misbehaving reply happened; disarm when the count runs out."""
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.kind, self.remaining = Misbehaviour.NONE, None


_STATE: weakref.WeakKeyDictionary[SimInstrument, _Armed] = weakref.WeakKeyDictionary()


def arm_instrument(instrument: SimInstrument, kind: Misbehaviour, count: int | None = None) -> None:
    """Make `instrument` misbehave as `kind` for its next `count` replies (None: always)."""
    if count is not None and count < 1:
        raise ValueError(f"count must be >= 1 or None, got {count}")
    with instrument.sim.lock:
        if kind is Misbehaviour.NONE:
            _STATE.pop(instrument, None)
        else:
            _STATE[instrument] = _Armed(kind, count)


def arm(sim: BenchModel, role: str, kind: Misbehaviour, count: int | None = None) -> None:
    """Make the instrument playing `role` (`dmm`, `psu`, ...) on bench `sim` misbehave."""
    arm_instrument(rack_for(sim).get(role), kind, count)


def disarm(sim: BenchModel, role: str) -> None:
    """Let the instrument playing `role` behave again."""
    arm_instrument(rack_for(sim).get(role), Misbehaviour.NONE)


def armed(instrument: SimInstrument) -> Misbehaviour:
    """The misbehaviour `instrument` is armed with now (NONE when it behaves)."""
    state = _STATE.get(instrument)
    return Misbehaviour.NONE if state is None else state.kind


def respond(instrument: SimInstrument, message: str) -> bytes | None:
    """Run one message as the (maybe misbehaving) instrument; return its reply bytes.

    Raises `ConnectionDropped` for `DROP`. Without an armed misbehaviour this is exactly
    `instrument.execute(message)`.
    """
    state = _STATE.get(instrument)
    if state is None:
        return instrument.execute(message)
    with instrument.sim.lock:
        kind = state.kind
        if kind is Misbehaviour.SILENT:
            if "?" in message:
                state.take()
            return None
        reply = instrument.execute(message)
        if reply is None:
            return None
        if kind is Misbehaviour.WRONG_IDN:
            if message.strip().upper() != "*IDN?":
                return reply
            state.take()
            return WRONG_IDENTITY
        state.take()
        if kind is Misbehaviour.DROP:
            raise ConnectionDropped(f"{instrument.model} dropped the connection")
        if kind is Misbehaviour.GARBAGE:
            return GARBAGE_REPLY
        return reply


__all__ = [
    "ConnectionDropped",
    "Misbehaviour",
    "arm",
    "arm_instrument",
    "armed",
    "disarm",
    "respond",
]
