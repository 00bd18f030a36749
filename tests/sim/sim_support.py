"""Shared set-ups for the simulated-bench tests: a powered RMD-1 on a chosen load."""

from __future__ import annotations

import numpy as np

from harness.sim.bench import LOAD_BANK_OHMS, SimBench
from harness.sim.faults import NOMINAL_CLOCK_ERROR
from harness.sim.physics import FloatArray

K = 1.0 + NOMINAL_CLOCK_ERROR
"""Device seconds per virtual second of a healthy unit (its crystal is 20 ppm fast)."""
R500, R2K, R10K, R100K = (LOAD_BANK_OHMS[c] for c in (1001, 1002, 1003, 1004))


def treating_bench(
    *faults: str,
    load: float | None = R500,
    level: int = 5,
    frequency: int = 2,
    battery_v: float = 3.8,
) -> SimBench:
    """A unit powered on at t = 0 touching `load`: it treats (ramping) from t = 0."""
    bench = SimBench(faults=faults)
    bench.set_supply(1, battery_v, 1.0, True)
    bench.set_load(load)
    bench.device.power_on()
    bench.device.set_level(level)
    bench.device.set_frequency(frequency)
    return bench


def grid(t0: float, t1: float, n: int = 400_000) -> FloatArray:
    return np.linspace(t0, t1, n, endpoint=False)


def peak(bench: SimBench, t0: float, t1: float, n: int = 400_000) -> float:
    """Largest |current| over [t0, t1) sampled densely (the model is noise-free)."""
    return float(np.max(np.abs(bench.load_current(grid(t0, t1, n)))))
