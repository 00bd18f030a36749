"""Fixtures for the simulated-instrument tests: a fake bench with closed-form physics."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_bench import FakeBench


@pytest.fixture
def bench() -> FakeBench:
    """A running device into 500 Ω: 400 µA, 10 Hz, 50 % duty (mean 200 µA)."""
    sim = FakeBench(seed=7)
    sim.set_load(500.0)
    sim.set_supply(1, 3.8, 0.5, True)
    return sim
