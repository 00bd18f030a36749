"""The loopback instrument server under stress: no descriptors, too many clients, idle ones.

`hil sim serve` may run for days beside a line of benches. A process that runs out of
file descriptors (its own leak, or a client opening connections in a loop) must not stop
accepting for good while it still prints "serving"; a client that opens connection after
connection must not cost a thread and a descriptor each, without bound; and a client
that connects and goes away without closing must not hold its slot for ever.

Each test looks at what a client can see (an answer to ``*IDN?``, a connection closed
by the server) and never at how long anything took.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bench import FakeBench

from harness.cli import sim as serve_cmd
from harness.sim import serve as serve_module
from harness.sim.instruments import rack_for
from harness.sim.server import InstrumentServer, serve_instruments

ROOT = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT_S = 20.0


def connect(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S)
    client.settimeout(CLIENT_TIMEOUT_S)
    return client


def ask(client: socket.socket, command: bytes = b"*IDN?") -> bytes:
    client.sendall(command + b"\n")
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = client.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed by the server after {reply!r}")
        reply += chunk
    return reply


def closed_by_server(client: socket.socket) -> bool:
    """True when the server has closed this connection (EOF or reset), False if it answers
    or stays silent until the client's timeout."""
    try:
        client.sendall(b"*IDN?\n")
    except OSError:
        return True
    try:
        return client.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def wait_for(condition: Any, what: str) -> None:
    done = threading.Event()
    for _ in range(int(CLIENT_TIMEOUT_S / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def sim() -> FakeBench:
    return FakeBench(seed=3)


@pytest.fixture
def bounded(sim: FakeBench) -> Iterator[InstrumentServer]:
    server = InstrumentServer(rack_for(sim).get("dmm"), "127.0.0.1", max_connections=2)
    try:
        yield server
    finally:
        server.stop()


# --- descriptors run out, then come back ---------------------------------------------------

EXHAUSTED_SERVER = textwrap.dedent(
    """
    import os, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    from fake_bench import FakeBench
    from harness.sim.instruments import rack_for
    from harness.sim.server import InstrumentServer

    server = InstrumentServer(rack_for(FakeBench(seed=3)).get("dmm"), "127.0.0.1")
    print(server.port, flush=True)
    in_use = len(os.listdir("/proc/self/fd"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 16, hard))
    hogs = []
    try:
        while True:
            hogs.append(os.open(os.devnull, os.O_RDONLY))
    except OSError as exc:
        print("exhausted", exc.errno, flush=True)
    sys.stdin.readline()  # the client has connected: accept() meets EMFILE
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until the server met it, or gave up
        if getattr(server, "accept_failures", 0) or not server._acceptor.is_alive():
            break
        time.sleep(0.01)
    print("acceptor alive" if server._acceptor.is_alive() else "acceptor dead", flush=True)
    for fd in hogs:
        os.close(fd)
    print("freed", flush=True)
    sys.stdin.readline()
    server.stop()
    """
)


def test_server_answers_again_once_descriptors_are_freed() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", EXHAUSTED_SERVER, str(Path(__file__).parent)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        port = int(child.stdout.readline())
        exhausted = child.stdout.readline().split()
        assert exhausted == ["exhausted", str(errno.EMFILE)], exhausted
        client = connect(port)  # the kernel completes the handshake; accept() fails
        child.stdin.write("connected\n")
        child.stdin.flush()
        state = child.stdout.readline().strip()
        assert child.stdout.readline().strip() == "freed"
        with client:
            assert state == "acceptor alive"
            assert ask(client).startswith(b"Keysight Technologies,34465A,")
        with connect(port) as another:
            assert ask(another).startswith(b"Keysight Technologies,34465A,")
        child.stdin.write("quit\n")
        child.stdin.flush()
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


class _FailingListener:
    """A listening socket whose next ``accept`` calls fail with the given errors first."""

    def __init__(self, listener: socket.socket, errors: list[int]) -> None:
        self._listener = listener
        self._errors = list(errors)

    def accept(self) -> tuple[socket.socket, Any]:
        if self._errors:
            code = self._errors.pop(0)
            raise OSError(code, f"injected: {errno.errorcode[code]}")
        return self._listener.accept()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._listener, name)


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM])
def test_a_resource_shortage_in_accept_is_waited_out(
    sim: FakeBench, code: int, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.create_server

    def failing(*args: Any, **kwargs: Any) -> Any:
        return _FailingListener(real(*args, **kwargs), [code, code, code])

    monkeypatch.setattr(socket, "create_server", failing)
    caplog.set_level(logging.WARNING, logger="harness.sim.server")
    server = InstrumentServer(rack_for(sim).get("dmm"), "127.0.0.1")
    try:
        with connect(server.port) as client:
            assert ask(client).startswith(b"Keysight Technologies,34465A,")
        assert server.accept_failures == 3
        assert errno.errorcode[code] in caplog.text or "injected" in caplog.text
    finally:
        server.stop()


# --- a bound on connections ----------------------------------------------------------------


def test_connections_beyond_the_bound_are_closed_at_once_and_logged(
    bounded: InstrumentServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="harness.sim.server")
    first, second = connect(bounded.port), connect(bounded.port)
    try:
        assert ask(first).startswith(b"Keysight")
        assert ask(second).startswith(b"Keysight")
        with connect(bounded.port) as third:
            assert closed_by_server(third)
        assert "2 connections" in caplog.text
        assert ask(first).startswith(b"Keysight")  # the two admitted ones carry on
    finally:
        first.close()
    wait_for(lambda: bounded.connection_count < 2, "the server to notice a closed client")
    with connect(bounded.port) as fourth:
        assert ask(fourth).startswith(b"Keysight")
    second.close()


def test_the_bound_is_a_parameter_of_serve_instruments(sim: FakeBench) -> None:
    with serve_instruments(sim, roles=("dmm",), max_connections=1) as served:
        server = served.servers["dmm"]
        assert server.max_connections == 1
        with connect(server.port) as first, connect(server.port) as second:
            assert ask(first).startswith(b"Keysight")
            assert closed_by_server(second)


def test_the_default_bound_admits_a_bench_worth_of_clients(sim: FakeBench) -> None:
    server = InstrumentServer(rack_for(sim).get("dmm"), "127.0.0.1")
    clients = [connect(server.port) for _ in range(8)]
    try:
        assert server.max_connections >= 8
        for client in clients:
            assert ask(client).startswith(b"Keysight")
    finally:
        for client in clients:
            client.close()
        server.stop()


@pytest.mark.parametrize("bad", [0, -1])
def test_a_bound_below_one_is_refused(sim: FakeBench, bad: int) -> None:
    with pytest.raises(ValueError, match="max_connections"):
        InstrumentServer(rack_for(sim).get("dmm"), "127.0.0.1", max_connections=bad)


# --- idle connections ----------------------------------------------------------------------


def test_an_idle_connection_is_closed_by_the_server(
    sim: FakeBench, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="harness.sim.server")
    server = InstrumentServer(rack_for(sim).get("dmm"), "127.0.0.1", idle_timeout_s=0.2)
    try:
        with connect(server.port) as client:
            assert ask(client).startswith(b"Keysight")
            assert client.recv(4096) == b""  # waits (up to the client's 20 s) for the close
        wait_for(lambda: server.connection_count == 0, "the slot to be given back")
        assert "idle" in caplog.text
        with connect(server.port) as again:
            assert ask(again).startswith(b"Keysight")
    finally:
        server.stop()


def test_the_idle_timeout_is_a_parameter_of_serve_instruments(sim: FakeBench) -> None:
    with serve_instruments(sim, roles=("dmm",), idle_timeout_s=0.2) as served:
        server = served.servers["dmm"]
        assert server.idle_timeout_s == 0.2
        with connect(server.port) as client:
            assert client.recv(4096) == b""


def test_no_idle_timeout_when_none(sim: FakeBench) -> None:
    server = InstrumentServer(rack_for(sim).get("dmm"), "127.0.0.1", idle_timeout_s=None)
    try:
        assert server.idle_timeout_s is None
        with connect(server.port) as client:
            assert ask(client).startswith(b"Keysight")
    finally:
        server.stop()


# --- hil sim serve -------------------------------------------------------------------------


def serve_args(**changes: Any) -> argparse.Namespace:
    args = argparse.Namespace(
        bench=None, seed=None, sim_fault=[], serial=None, device="socket", write_bench=None,
        max_connections=16, idle_timeout=300.0,
    )  # fmt: skip
    for key, value in changes.items():
        setattr(args, key, value)
    return args


@pytest.mark.parametrize(
    ("changes", "field"), [({"max_connections": 0}, "max_connections"),
                           ({"idle_timeout": -1.0}, "idle_timeout_s")],
)  # fmt: skip
def test_sim_serve_refuses_bounds_that_serve_nobody(
    changes: dict[str, Any], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stopped = threading.Event()
    stopped.set()  # were the bounds taken, it would serve and stop at once: status 0
    assert serve_cmd.run(serve_args(**changes), stop=stopped) == 2
    assert field in capsys.readouterr().err


def test_sim_serve_passes_its_bounds_to_every_instrument(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Any] = []
    real = serve_module.serve_bench

    def recording(*args: Any, **kwargs: Any) -> Any:
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(serve_module, "serve_bench", recording)
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            serve_cmd.run(serve_args(max_connections=3, idle_timeout=0.0), stop=stop)
        )
    )
    thread.start()
    try:
        wait_for(lambda: started, "the bench to be served")
        servers = started[0].instruments.servers.values()
        assert {(s.max_connections, s.idle_timeout_s) for s in servers} == {(3, None)}
    finally:
        stop.set()
        thread.join(timeout=30)
    assert codes == [0]


def test_sim_serve_exits_when_an_instrument_stops_accepting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Any] = []
    real = serve_module.serve_bench

    def recording(*args: Any, **kwargs: Any) -> Any:
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(serve_module, "serve_bench", recording)
    codes: list[int] = []
    stop = threading.Event()
    thread = threading.Thread(target=lambda: codes.append(serve_cmd.run(serve_args(), stop=stop)))
    thread.start()
    try:
        wait_for(lambda: started, "the bench to be served")
        dmm = started[0].instruments.servers["dmm"]
        dmm._listener.shutdown(socket.SHUT_RDWR)  # accept() fails: the listener is broken
        wait_for(lambda: codes or not thread.is_alive(), "hil sim serve to give up")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert codes == [1]
    assert "dmm stopped accepting" in capsys.readouterr().err
