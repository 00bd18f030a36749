"""Unit-to-unit spread: stable per serial, off by default, explicit faults win."""

from __future__ import annotations

import numpy as np
import pytest
from sim_support import R500, peak

from harness.bench.station import open_bench
from harness.cli.main import DEFAULT_BENCH
from harness.definitions.bench_file import load_bench
from harness.sim.bench import SimBench
from harness.sim.faults import NOMINAL_CLOCK_ERROR, FaultProfile
from harness.sim.unit_spread import SPREAD_KNOBS, draw_unit, fault_names


def test_same_serial_and_seed_give_the_same_unit() -> None:
    assert draw_unit("RMD1-SIM-0042", 1) == draw_unit("RMD1-SIM-0042", 1)
    assert draw_unit("RMD1-SIM-0042", 1).knobs() != draw_unit("RMD1-SIM-0043", 1).knobs()
    assert draw_unit("RMD1-SIM-0042", 1).knobs() != draw_unit("RMD1-SIM-0042", 2).knobs()


def test_a_known_unit_keeps_its_values() -> None:
    """Pinned values: a change here silently changes every stored simulated lot."""
    unit = draw_unit("RMD1-SIM-0001", 1)
    assert unit.gain == pytest.approx(1.0214760538373957, rel=1e-12)
    assert unit.compliance_v == pytest.approx(12.109307471453146, rel=1e-12)
    assert unit.leak_ua == pytest.approx(0.030360923296429466, rel=1e-12)


def test_spread_is_off_by_default() -> None:
    bench = SimBench()
    assert bench.unit_spread is None
    assert bench.faults == FaultProfile()


def test_spread_sets_the_serials_knobs() -> None:
    bench = SimBench(seed=3, serial="RMD1-SIM-0007", unit_spread=True)
    drawn = draw_unit("RMD1-SIM-0007", 3)
    assert bench.unit_spread == drawn
    for name, value in drawn.knobs().items():
        assert getattr(bench.faults, name) == value
    assert bench.stage.compliance_v == drawn.compliance_v
    assert bench.stage.leak_a == pytest.approx(drawn.leak_ua * 1e-6)


def test_explicit_faults_win_over_drawn_values() -> None:
    bench = SimBench(faults=["gain=0.7", "ocp=off"], serial="RMD1-SIM-0002", unit_spread=True)
    drawn = draw_unit("RMD1-SIM-0002", 0)
    assert bench.faults.gain == 0.7
    assert bench.faults.ocp is False
    assert bench.faults.compliance_v == drawn.compliance_v
    assert bench.faults.clock_error == drawn.clock_error


def test_fault_texts_rebuild_exactly_the_same_unit() -> None:
    unit = draw_unit("RMD1-SIM-0099", 1)
    assert FaultProfile.from_faults(unit.fault_texts()) == unit.apply(FaultProfile())
    assert fault_names(unit.fault_texts(skip=["gain"])) == list(SPREAD_KNOBS[1:])


def test_the_lot_has_the_documented_distributions() -> None:
    units = [draw_unit(f"RMD1-SIM-{i:04d}", 1) for i in range(1, 2001)]
    gain = np.array([u.gain for u in units])
    clock = np.array([u.clock_error for u in units])
    vcomp = np.array([u.compliance_v for u in units])
    phase = np.array([u.phase_asymmetry for u in units])
    leak = np.array([u.leak_ua for u in units])
    # 2000 draws: the sample sd is within ~5 % of the true one (3 standard errors ~ 4.7 %)
    assert gain.mean() == pytest.approx(1.0, abs=0.002)
    assert gain.std(ddof=1) == pytest.approx(0.015, rel=0.05)
    assert clock.mean() == pytest.approx(NOMINAL_CLOCK_ERROR, abs=2e-6)
    assert clock.std(ddof=1) == pytest.approx(20e-6, rel=0.05)
    assert vcomp.std(ddof=1) / 12.0 == pytest.approx(0.02, rel=0.05)
    assert phase.std(ddof=1) == pytest.approx(0.001, rel=0.05)
    assert leak.min() >= 0.0
    assert leak.mean() == pytest.approx(0.05, rel=0.08)


def _l5_peak(bench: SimBench) -> float:
    bench.set_supply(1, 3.8, 1.0, True)
    bench.set_load(R500)
    bench.device.power_on()
    bench.device.set_level(5)
    bench.device.set_frequency(2)
    bench.advance(3.0)  # past the soft start
    t = bench.clock.now()
    return peak(bench, t - 1.0, t, 200_000)


def test_the_output_current_follows_the_drawn_gain() -> None:
    nominal = _l5_peak(SimBench(serial="RMD1-SIM-0005"))
    # the drawn leak would add its d.c. to the peak: pin it, so only the gain differs
    spread = SimBench(faults=["leak_ua=0"], serial="RMD1-SIM-0005", unit_spread=True)
    assert spread.unit_spread is not None
    assert abs(spread.unit_spread.gain - 1.0) > 1e-4  # the check below is not vacuous
    assert _l5_peak(spread) / nominal == pytest.approx(spread.unit_spread.gain, rel=1e-6)


def test_open_bench_passes_the_spread_through() -> None:
    file = load_bench(DEFAULT_BENCH)
    bench = open_bench(file, serial="RMD1-SIM-0042", unit_spread=True)
    try:
        assert bench.sim.unit_spread == draw_unit("RMD1-SIM-0042", file.document.simulation.seed)
    finally:
        bench.close()
    plain = open_bench(file)
    try:
        assert plain.sim.unit_spread is None
        assert plain.sim.faults == FaultProfile()
    finally:
        plain.close()
