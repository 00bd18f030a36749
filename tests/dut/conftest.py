"""Fixtures for the test-port tests (the fakes themselves are in `testport_fakes`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testport_fakes import FakeBench


@pytest.fixture
def fake_bench() -> Iterator[FakeBench]:
    yield FakeBench()


@pytest.fixture
def hilsim_url(fake_bench: FakeBench) -> Iterator[str]:
    """`hilsim://<id>` of `fake_bench`, registered for the duration of one test."""
    registry = pytest.importorskip("harness.sim.registry")
    bench_id = f"testport-{id(fake_bench):x}"
    registry.register(bench_id, fake_bench)
    yield f"hilsim://{bench_id}"
    registry.unregister(bench_id)
