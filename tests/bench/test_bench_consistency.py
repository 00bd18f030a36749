"""The simulated bench is one physical model: its instruments agree with each other.

The DMM's reading, the scope's trace of v/R and the unit's own report describe the same
current, so they must agree within each instrument's stated accuracy (bench file) and
aperture, for a good unit and for one whose gain is off (where all three must move
together, the unit's report excepted: it does not know its sense resistor drifted).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from harness.bench.station import Bench, open_bench
from harness.data import SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.procedures.capture import analyse, capture_current, scope_budget
from harness.procedures.dmm import read_dc_current, sample_output
from harness.procedures.treatment import Conditions, start_treatment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=[[], ["gain=1.2"]], ids=["good", "gain=1.2"])
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    b = open_bench(load_bench(SIM_BENCH), faults=request.param)
    yield b
    b.safe_state()
    b.close()


def test_scope_dmm_and_unit_agree(bench: Bench):
    gain = 1.2 if bench.sim.faults.gain != 1.0 else 1.0
    start_treatment(bench, Conditions(load_ohms=500.0, level=5, frequency=2, battery_v=3.8))
    status = bench.dut.status()
    assert (status.state, status.level, status.frequency) == ("treating", 5, 2)

    cap = capture_current(bench, 500.0, peak_a=400e-6 * gain, duration_s=2.2)
    metrics = analyse(cap)
    scope_peak = metrics.peak_current_pos_a
    assert scope_peak is not None
    u_scope = scope_budget(bench, scope_peak, cap).expanded()

    sampled = sample_output(bench, range_a=1e-3)
    u_dmm = sampled.budget.expanded()
    assert abs(sampled.plateau_a - scope_peak) <= np.hypot(u_scope, u_dmm)
    assert sampled.plateau_a == pytest.approx(400e-6 * gain, rel=0.002)

    # an integrating reading within one polarity half-cycle: peak x duty (50 %)
    bench.ammeter.configure_dc_current(1e-3, 10.0)
    halves = np.abs(bench.ammeter.read_currents(10))
    assert np.median(halves) == pytest.approx(0.5 * sampled.plateau_a, rel=0.01)

    # whole polarity cycles (NPLC 100 = 2.0 s): the d.c. component, nearly zero
    whole = read_dc_current(bench, range_a=1e-3, nplc=100.0, count=3)
    assert abs(whole.mean_a) < 0.01 * sampled.plateau_a
