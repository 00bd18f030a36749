"""Misbehaviour injection: what each kind does to one conversation, and how long it lasts."""

from __future__ import annotations

import socket

import pytest
from fake_bench import FakeBench

from harness.sim.instruments import rack_for
from harness.sim.instruments.misbehaviour import (
    GARBAGE_REPLY,
    WRONG_IDENTITY,
    ConnectionDropped,
    Misbehaviour,
    arm,
    armed,
    disarm,
)
from harness.sim.instruments.session import ScpiSession
from harness.sim.server import serve_instruments


def ask(session: ScpiSession, message: str) -> bytes:
    session.write(message.encode() + b"\n")
    return session.read(1 << 20)[0]


def test_count_limits_the_misbehaving_replies(bench: FakeBench) -> None:
    session = ScpiSession(rack_for(bench).get("psu"))
    arm(bench, "psu", Misbehaviour.GARBAGE, count=2)
    assert ask(session, "*OPC?") == GARBAGE_REPLY
    session.write(b"OUTP ON,(@1)\n")  # a write has no reply and does not count
    assert ask(session, "*OPC?") == GARBAGE_REPLY
    assert ask(session, "*OPC?") == b"1\n"
    assert armed(rack_for(bench).get("psu")) is Misbehaviour.NONE


def test_silent_instrument_executes_nothing(bench: FakeBench) -> None:
    session = ScpiSession(rack_for(bench).get("psu"))
    arm(bench, "psu", Misbehaviour.SILENT)
    session.write(b"OUTP ON,(@1)\n*OPC?\n")
    assert session.read(100) == (b"", False)
    disarm(bench, "psu")
    assert ask(session, "OUTP? (@1)") == b"0\n"


def test_wrong_idn_only_touches_idn(bench: FakeBench) -> None:
    session = ScpiSession(rack_for(bench).get("dmm"))
    arm(bench, "dmm", Misbehaviour.WRONG_IDN, count=1)
    assert ask(session, "*OPC?") == b"1\n"
    assert ask(session, "*IDN?") == WRONG_IDENTITY
    assert b"34465A" in ask(session, "*IDN?")


def test_dropped_session_stays_dead(bench: FakeBench) -> None:
    session = ScpiSession(rack_for(bench).get("dmm"))
    arm(bench, "dmm", Misbehaviour.DROP, count=1)
    with pytest.raises(ConnectionDropped):
        session.write(b"*IDN?\n")
    with pytest.raises(ConnectionDropped):
        session.read(10)
    assert b"34465A" in ask(ScpiSession(rack_for(bench).get("dmm")), "*IDN?")


def test_loopback_drop_resets_and_a_new_connection_works(bench: FakeBench) -> None:
    with serve_instruments(bench, roles=("dmm",)) as served:
        port = served.servers["dmm"].port
        arm(bench, "dmm", Misbehaviour.DROP, count=1)
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            client.sendall(b"*IDN?\n")
            with pytest.raises(ConnectionResetError):
                client.recv(100)
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            client.sendall(b"*IDN?\n")
            assert b"34465A" in client.recv(100)


def test_count_must_be_positive(bench: FakeBench) -> None:
    with pytest.raises(ValueError, match="count"):
        arm(bench, "dmm", Misbehaviour.GARBAGE, count=0)
