"""The SCPI link: block reading, sync, error draining, and the real pyvisa-py socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from harness.errors import InstrumentError
from harness.instruments.protocols import Identity
from harness.instruments.testing import ScriptedResource, expected_exchanges
from harness.instruments.visa import (
    ScpiLink,
    open_scpi,
    parse_block_header,
    read_definite_block,
)

# A payload full of the bytes that break naive readers: LF, CR, '#', and NUL.
PAYLOAD = bytes([10, 0, 35, 13, 10, 10, 255, 128, 10]) * 1000


def block(payload: bytes, digits: int = 8) -> bytes:
    return b"#" + str(digits).encode() + str(len(payload)).zfill(digits).encode() + payload + b"\n"


def test_block_with_newlines_is_read_whole_with_termination_off() -> None:
    resource = ScriptedResource([(":WAV:DATA?", block(PAYLOAD))], name="scope")
    resource.write(":WAV:DATA?")
    assert read_definite_block(resource, instrument="scope") == PAYLOAD
    # Every byte read happened with termination off, and it was restored afterwards.
    assert resource.byte_reads and all(term is None for _, term in resource.byte_reads)
    assert resource.read_termination == "\n"
    resource.script.assert_done()


def test_naive_read_with_termination_on_truncates_at_first_newline() -> None:
    """Why termination must be off: the same block read as text stops at byte 2."""
    resource = ScriptedResource([(":WAV:DATA?", block(PAYLOAD))], name="scope")
    resource.write(":WAV:DATA?")
    assert resource.read_bytes(20, break_on_termchar=True) == b"#800009000\n"


def test_nine_digit_header_as_rigol_sends() -> None:
    with expected_exchanges([(":WAV:DATA?", block(PAYLOAD, digits=9))], name="scope") as link:
        assert link.query_block(":WAV:DATA?") == PAYLOAD


def test_empty_block() -> None:
    with expected_exchanges([("D?", b"#10\n")], name="scope") as link:
        assert link.query_block("D?") == b""


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"1.234E-3\n", "expected an IEEE 488.2 block"),
        (b"#0" + PAYLOAD + b"\n", "indefinite-length block"),
        (b"#A00000010", "expected an IEEE 488.2 block"),
        (b"#4x2ab\n", "promises 4 length digits"),
    ],
)
def test_malformed_block_header_raises_naming_instrument(reply: bytes, message: str) -> None:
    resource = ScriptedResource([("D?", reply)], name="scope")
    link = ScpiLink(resource, "scope")
    with pytest.raises(InstrumentError, match=message) as info:
        link.query_block("D?")
    assert info.value.instrument == "scope"
    assert resource.read_termination == "\n"  # restored even on error


def test_short_block_times_out_into_instrument_error() -> None:
    with (
        pytest.raises(InstrumentError, match="scope: 'D\\?': Timeout"),
        expected_exchanges([("D?", b"#210abc")], name="scope") as link,
    ):
        link.query_block("D?")


def test_block_with_wrong_trailer_raises() -> None:
    with (
        pytest.raises(InstrumentError, match=r"ended with b'X'"),
        expected_exchanges([("D?", b"#13abcX")], name="scope") as link,
    ):
        link.query_block("D?")


def test_parse_block_header() -> None:
    assert parse_block_header(b"#800001000", instrument="s") == 1000
    assert parse_block_header(b"#9000250000", instrument="s") == 250_000


def test_sync_accepts_one_and_rejects_other_replies() -> None:
    with expected_exchanges([("*OPC?", "1"), ("*OPC?", "0")], name="psu") as link:
        link.sync()
        with pytest.raises(InstrumentError, match=r"psu: \*OPC\? answered '0'"):
            link.sync()


def test_drain_errors_reads_until_no_error() -> None:
    exchanges = [
        ("SYST:ERR?", '-113,"Undefined header"'),
        ("SYST:ERR?", '-222,"Data out of range"'),
        ("SYST:ERR?", '+0,"No error"'),
    ]
    with expected_exchanges(exchanges, name="dmm") as link:
        assert link.drain_errors() == ['-113,"Undefined header"', '-222,"Data out of range"']


def test_drain_errors_gives_up_on_an_endless_queue() -> None:
    exchanges = [("SYST:ERR?", '-350,"Queue overflow"')] * 64
    with (
        pytest.raises(InstrumentError, match="still not empty after 64"),
        expected_exchanges(exchanges, name="dmm") as link,
    ):
        link.drain_errors()


def test_identify() -> None:
    with expected_exchanges([("*IDN?", "RIGOL TECHNOLOGIES,DP832,DP8C1234,00.01.14")]) as link:
        assert link.identify() == Identity("RIGOL TECHNOLOGIES", "DP832", "DP8C1234", "00.01.14")


def test_query_timeout_override_is_restored() -> None:
    resource = ScriptedResource([("READ?", "1")], name="dmm")
    link = ScpiLink(resource, "dmm")
    assert link.query("READ?", timeout_s=42.0) == "1"
    assert resource.timeout == 5000.0


# --- the real pyvisa-py stack against a loopback server -------------------------------

Handler = Callable[[str], bytes | None]


@pytest.fixture
def loopback_instrument() -> Iterator[tuple[int, list[str]]]:
    """A one-connection SCPI-ish server on 127.0.0.1; yields (port, commands received)."""
    replies: dict[str, bytes] = {
        "*IDN?": b"Loopback,LB1,0001,1.0\n",
        "*OPC?": b"1\n",
        ":WAV:DATA?": block(PAYLOAD),
    }
    received: list[str] = []
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(10.0)

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            buffer = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    command = line.decode()
                    received.append(command)
                    if command in replies:
                        conn.sendall(replies[command])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    server.close()
    thread.join(timeout=5)


def test_pyvisa_py_socket_gets_tcp_nodelay_and_reads_blocks(
    loopback_instrument: tuple[int, list[str]],
) -> None:
    port, received = loopback_instrument
    link = open_scpi(f"TCPIP0::127.0.0.1::{port}::SOCKET", name="loop", timeout_s=5.0)
    try:
        resource = link.resource
        session = resource.visalib.sessions[resource.session]  # type: ignore[attr-defined]
        nodelay = session.interface.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert nodelay != 0
        assert link.identify() == Identity("Loopback", "LB1", "0001", "1.0")
        assert link.query_block(":WAV:DATA?") == PAYLOAD
        link.sync()  # the stream is clean after the block: the trailer was consumed
        assert resource.read_termination == "\n"
    finally:
        link.close()
    assert received == ["*IDN?", ":WAV:DATA?", "*OPC?"]


def test_pyvisa_py_timeout_becomes_instrument_error(
    loopback_instrument: tuple[int, list[str]],
) -> None:
    port, _ = loopback_instrument
    link = open_scpi(f"TCPIP0::127.0.0.1::{port}::SOCKET", name="loop", timeout_s=0.2)
    try:
        with pytest.raises(InstrumentError, match="loop: 'SILENT\\?'"):
            link.query("SILENT?")
    finally:
        link.close()


def test_open_scpi_reports_unreachable_resource() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens here now
    with pytest.raises(InstrumentError, match=r"nobody: cannot connect to .*refused"):
        open_scpi(f"TCPIP0::127.0.0.1::{port}::SOCKET", name="nobody", timeout_s=0.5)
