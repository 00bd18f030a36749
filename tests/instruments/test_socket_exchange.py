"""Block queries straight over a pyvisa-py raw socket (harness/instruments/socket_exchange.py).

The direct path skips PyVISA's buffers, so everything those buffers did for real
instruments is checked here on real sockets: a block arriving in pieces, bytes that
pyvisa-py already buffered, nothing read past the block, a short or dropped block, a
malformed header, and the socket left as pyvisa-py expects it. Timing is not asserted
(benchmarks/bench_io.py measures it).
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from harness.errors import InstrumentError
from harness.instruments.socket_exchange import SocketExchange
from harness.instruments.testing import ScriptedResource
from harness.instruments.visa import (
    ScpiLink,
    open_scpi,
    read_block_from,
    read_definite_block,
    socket_exchange,
)

# LF, CR, '#', NUL and high bytes: what trips a reader that scans for terminators.
PAYLOAD = bytes([10, 0, 35, 13, 10, 10, 255, 128, 10]) * 1000


def block(payload: bytes, digits: int = 8) -> bytes:
    return b"#" + str(digits).encode() + str(len(payload)).zfill(digits).encode() + payload + b"\n"


def pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    """`data` cut at the given sizes, cycling through them."""
    out, at, index = [], 0, 0
    while at < len(data):
        size = sizes[index % len(sizes)]
        out.append(data[at : at + size])
        at, index = at + size, index + 1
    return out


# --- SocketExchange on a socket pair ---------------------------------------------------------


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(reader, writer): the reader blocking, as pyvisa-py leaves its socket."""
    reader, writer = socket.socketpair()
    try:
        yield reader, writer
    finally:
        reader.close()
        writer.close()


def send_later(
    writer: socket.socket, chunks: list[bytes], gap_s: float = 0.002
) -> threading.Thread:
    def run() -> None:
        for chunk in chunks:
            time.sleep(gap_s)
            writer.sendall(chunk)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_block_arriving_in_pieces_is_read_whole(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    stream = block(PAYLOAD, digits=9) + b"NEXT"
    thread = send_later(writer, pieces(stream, [1, 1, 3, 7, 4096, 1500]))
    reads = SocketExchange(reader, bytearray(), timeout_ms=5000.0)
    assert read_block_from(reads, instrument="scope") == PAYLOAD
    thread.join()
    # Nothing past the trailer was taken: the next reply is still on the socket.
    assert reads.read_exact(4, "the next reply") == b"NEXT"
    assert reader.gettimeout() is None  # left blocking, as pyvisa-py expects


def test_buffered_bytes_are_taken_first(pair: tuple[socket.socket, socket.socket]) -> None:
    """pyvisa-py may already hold the header and part of the payload from a text read."""
    reader, writer = pair
    stream = block(PAYLOAD)
    pending = bytearray(stream[:25])
    writer.sendall(stream[25:] + b"1\n")
    reads = SocketExchange(reader, pending, timeout_ms=5000.0)
    assert read_block_from(reads, instrument="scope") == PAYLOAD
    assert pending == bytearray()
    assert reader.recv(16) == b"1\n"


def test_buffered_head_and_a_payload_in_pieces_come_out_in_order(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """pyvisa-py's buffer holds part of the payload and the rest trickles in: the bytes
    received into one buffer after the head are exactly the payload's."""
    reader, writer = pair
    stream = block(PAYLOAD) + b"NEXT"
    pending = bytearray(stream[:40])
    thread = send_later(writer, pieces(stream[40:], [5, 1, 999, 3, 4096]))
    reads = SocketExchange(reader, pending, timeout_ms=5000.0)
    assert read_block_from(reads, instrument="scope") == PAYLOAD
    thread.join()
    assert reads.read_exact(4, "the next reply") == b"NEXT"


def test_buffered_bytes_past_the_block_stay_buffered(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    reader, _writer = pair
    pending = bytearray(block(b"abc") + b"+1\n")
    assert read_block_from(SocketExchange(reader, pending, 1000.0), instrument="s") == b"abc"
    assert pending == bytearray(b"+1\n")


def test_short_block_times_out_saying_what_was_awaited(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    reader, writer = pair
    writer.sendall(b"#210abc")
    reads = SocketExchange(reader, bytearray(), timeout_ms=200.0)
    with pytest.raises(TimeoutError, match=r"after 0\.2 s waiting for a block of 10 bytes: 3 of"):
        read_block_from(reads, instrument="scope")


def test_silence_times_out_on_the_header(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, _writer = pair
    with pytest.raises(TimeoutError, match=r"block header '#<n>': 0 of 2 bytes"):
        read_block_from(SocketExchange(reader, bytearray(), 100.0), instrument="scope")


def test_peer_closing_mid_block_is_a_connection_error(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    reader, writer = pair
    writer.sendall(block(PAYLOAD)[:5000])
    writer.close()
    with pytest.raises(ConnectionError, match=r"closed by the instrument after 4990 of the 9000"):
        read_block_from(SocketExchange(reader, bytearray(), 5000.0), instrument="scope")


@pytest.mark.parametrize("timeout_ms", [None, math.inf])
def test_no_timeout_waits_for_the_data(
    pair: tuple[socket.socket, socket.socket], timeout_ms: float | None
) -> None:
    reader, writer = pair
    thread = send_later(writer, pieces(block(b"xyz"), [2]), gap_s=0.01)
    reads = SocketExchange(reader, bytearray(), timeout_ms)
    assert reads.deadline is None
    assert read_block_from(reads, instrument="s") == b"xyz"
    thread.join()


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b"1.234E-3\n", "expected an IEEE 488.2 block"),
        (b"#0" + PAYLOAD + b"\n", "indefinite-length block '#0' is not supported"),
        (b"#4x2ab\n", "promises 4 length digits"),
        (b"#13abcX", r"ended with b'X'"),
    ],
)
def test_malformed_replies_name_the_instrument(
    pair: tuple[socket.socket, socket.socket], stream: bytes, message: str
) -> None:
    reader, writer = pair
    writer.sendall(stream)
    with pytest.raises(InstrumentError, match=message) as info:
        read_block_from(SocketExchange(reader, bytearray(), 1000.0), instrument="scope")
    assert info.value.instrument == "scope"


def test_only_a_blocking_pyvisa_py_socket_is_read_directly() -> None:
    assert socket_exchange(ScriptedResource([], name="scope")) is None
    assert socket_exchange(object()) is None


# --- through pyvisa-py and ScpiLink against a loopback server -------------------------------

Reply = Callable[[socket.socket], None]


@pytest.fixture
def server() -> Iterator[tuple[int, dict[str, Reply]]]:
    """A one-connection server on 127.0.0.1; yields (port, what to do on each command)."""
    replies: dict[str, Reply] = {}
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10.0)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            buffer = b""
            try:
                while data := conn.recv(4096):
                    buffer += data
                    while b"\n" in buffer:
                        line, buffer = buffer.split(b"\n", 1)
                        action = replies.get(line.decode())
                        if action is not None:
                            action(conn)
            except OSError:  # the client closed with a reply unread (reset) or we dropped it
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], replies
    listener.close()
    thread.join(timeout=5)


def sends(*chunks: bytes, gap_s: float = 0.0) -> Reply:
    def act(conn: socket.socket) -> None:
        for chunk in chunks:
            if gap_s:
                time.sleep(gap_s)
            conn.sendall(chunk)

    return act


def drops_after(data: bytes) -> Reply:
    def act(conn: socket.socket) -> None:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_RDWR)

    return act


def link_to(port: int, timeout_s: float = 5.0) -> ScpiLink:
    return open_scpi(f"TCPIP0::127.0.0.1::{port}::SOCKET", name="loop", timeout_s=timeout_s)


def test_pyvisa_py_session_is_read_directly_and_stays_usable(
    server: tuple[int, dict[str, Reply]],
) -> None:
    port, replies = server
    big = bytes(range(256)) * 3907  # ~1 MB, a 1e6-point BYTE record
    replies[":WAV:DATA?"] = sends(*pieces(block(big, digits=9), [65536, 1, 300_000]))
    replies["*OPC?"] = sends(b"1\n")
    link = link_to(port)
    try:
        assert socket_exchange(link.resource) is not None
        assert link.query_block(":WAV:DATA?") == big
        link.sync()  # the trailer was consumed and nothing more
        assert link.resource.read_termination == "\n"
    finally:
        link.close()


def test_block_behind_a_text_reply_pyvisa_py_buffered(
    server: tuple[int, dict[str, Reply]],
) -> None:
    """Two queries answered in one segment: pyvisa-py's text read keeps the block's start."""
    port, replies = server
    replies["*IDN?"] = sends(b"Loopback,LB1,0001,1.0\n" + block(PAYLOAD))
    link = link_to(port)
    try:
        assert link.query("*IDN?") == "Loopback,LB1,0001,1.0"
        resource = link.resource
        session = resource.visalib.sessions[resource.session]  # type: ignore[attr-defined]
        assert session._pending_buffer, "the block's start should sit in pyvisa-py's buffer"
        assert read_definite_block(resource, instrument="loop") == PAYLOAD
    finally:
        link.close()


def test_short_block_over_the_socket_names_instrument_and_command(
    server: tuple[int, dict[str, Reply]],
) -> None:
    port, replies = server
    replies["D?"] = sends(b"#210abc")
    link = link_to(port, timeout_s=0.3)
    try:
        with pytest.raises(
            InstrumentError, match=r"loop: 'D\?': timed out after 0\.3 s .*3 of 10 bytes"
        ):
            link.query_block("D?")
    finally:
        link.close()


def test_dropped_connection_mid_block_names_instrument_and_command(
    server: tuple[int, dict[str, Reply]],
) -> None:
    port, replies = server
    replies["D?"] = drops_after(block(PAYLOAD)[:100])
    link = link_to(port)
    try:
        with pytest.raises(InstrumentError, match=r"loop: 'D\?': connection closed .* 90 of"):
            link.query_block("D?")
    finally:
        link.close()


def test_malformed_header_over_the_socket(server: tuple[int, dict[str, Reply]]) -> None:
    port, replies = server
    replies["D?"] = sends(b"+9.9E+37\n")
    link = link_to(port)
    try:
        with pytest.raises(InstrumentError, match=r"loop: expected an IEEE 488\.2 block"):
            link.query_block("D?")
    finally:
        link.close()


def test_a_call_timeout_bounds_the_direct_read_and_leaves_the_resource_alone(
    server: tuple[int, dict[str, Reply]],
) -> None:
    port, replies = server
    replies["D?"] = sends(b"#210abc")
    link = link_to(port, timeout_s=5.0)
    try:
        with pytest.raises(InstrumentError, match=r"loop: 'D\?': timed out after 0\.2 s"):
            link.query_block("D?", timeout_s=0.2)
        assert link.resource.timeout == 5000.0
    finally:
        link.close()


def test_the_query_goes_out_with_its_termination_and_encoding(
    server: tuple[int, dict[str, Reply]],
) -> None:
    port, replies = server
    heard: list[bytes] = []
    replies[":WAV:DATA? 1"] = lambda conn: (heard.append(b"ok"), conn.sendall(block(b"z")))[1]
    link = link_to(port)
    try:
        assert link.query_block(":WAV:DATA? 1") == b"z"
        assert heard == [b"ok"]  # the server split its input at the newline we sent
    finally:
        link.close()
