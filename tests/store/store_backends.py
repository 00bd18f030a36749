"""What the store tests run against: an SQLite file, or a real PostgreSQL server.

The PostgreSQL server comes from ``HIL_TEST_POSTGRES_URL`` (``.ci/run`` starts one with
``scripts/postgres``; on a developer machine: ``export "$(bash scripts/postgres)"``).
Without it the PostgreSQL tests are skipped on a developer machine but FAIL under CI
(``CI=true``), so that CI cannot pass without having run them. Each test gets a database
of its own, dropped afterwards, so tests neither see nor disturb each other's rows.

Import the fixtures you use into the test module (``pytest_plugins`` is for the root
conftest only).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ENV = "HIL_TEST_POSTGRES_URL"


def postgres_server() -> str:
    """The test server's URL, or skip (developer machine) / fail (CI) saying why."""
    url = os.environ.get(ENV, "").strip()
    if url:
        return url
    reason = f'{ENV} is not set: start a server with `export "$(bash scripts/postgres)"`'
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI must run the PostgreSQL store tests, but {reason} (did it fail?)")
    pytest.skip(reason)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server for one test; dropped when it ends."""
    import psycopg

    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"hil_test_{secrets.token_hex(6)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (URL) of this test's own."""
    with fresh_database(postgres_server()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on each backend: an SQLite file path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "results.db")
    else:
        with fresh_database(postgres_server()) as url:
            yield url


class Proxy:
    """A TCP forwarder in front of the database server that can cut every connection.

    From the bench's side, ``cut`` looks like the server or the network going away mid-run
    (open connections reset, new ones refused); ``restore`` brings it back on the same
    port, so the bench's URL stays the same.
    """

    def __init__(self, target_url: str) -> None:
        url = make_url(target_url)
        self._target = (url.host or "127.0.0.1", url.port or 5432)
        self._conns: list[socket.socket] = []
        self._guard = threading.Lock()
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self.url = url.set(host="127.0.0.1", port=self.port).render_as_string(False)

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return listener

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self._target)
            with self._guard:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        with suppress(OSError):  # wakes the thread blocked in accept() (close alone does not)
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._guard:
            conns, self._conns = self._conns, []
        for conn in conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def restore(self) -> None:
        self._listener = self._listen(self.port)


def dead_url() -> str:
    """A PostgreSQL URL on a local port where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://nobody@127.0.0.1:{port}/nothing"
