"""The level between the pulses, from short DMM readings that each see a plateau, a gap
or (rarely) an edge: closed-form reading sets, truth by construction."""

from __future__ import annotations

import numpy as np
import pytest

from harness.procedures.dmm import gap_readings


def _readings(leak_ua: float, edges: list[float]) -> np.ndarray:
    """Level 1 (80 uA) with a d.c. leak: 48 gap, 27 positive, 20 negative readings."""
    noise = np.random.default_rng(7).normal(0.0, 0.05e-6, 95)
    levels = [leak_ua] * 48 + [80.0 + leak_ua] * 27 + [-80.0 + leak_ua] * 20
    return np.array(levels + edges) * 1e-6 + np.concatenate((noise, np.zeros(len(edges))))


@pytest.mark.parametrize("leak_ua", [0.0, 20.0, -20.0])
def test_the_gap_is_the_crowd_nearest_zero_not_a_lone_edge_reading(leak_ua: float) -> None:
    # one reading caught on an edge: with a leak, nearer zero than the gaps are
    edge = -0.8 * leak_ua if leak_ua else 30.0
    r = _readings(leak_ua, [edge])
    span = float(np.max(np.abs(r)))
    gaps = gap_readings(r, span)
    assert gaps.size == 48
    assert float(np.median(gaps)) == pytest.approx(leak_ua * 1e-6, abs=0.1e-6)


def test_all_gaps_and_no_readings() -> None:
    assert gap_readings(np.full(10, 3e-6), 3e-6).size == 10
    assert gap_readings(np.array([]), 0.0).size == 0


@pytest.mark.parametrize(("faults", "one_polarity"), [([], False), (["stuck_polarity"], True)])
def test_a_one_polarity_plateau_carries_its_own_and_the_gaps_scatter_in_full(
    faults: list[str], one_polarity: bool
) -> None:
    """Both polarities: the plateau is half their medians' difference (c = 1/2 each).
    One polarity (a stuck H-bridge): it is that median less the gaps' (c = 1 for each,
    and the gaps' own scatter is a term)."""
    from harness.bench.station import open_bench
    from harness.data import BENCHES, SPECS
    from harness.definitions.bench_file import load_bench
    from harness.judging.spec import load_spec
    from harness.procedures.dmm import sample_output
    from harness.procedures.treatment import conditions_for, start_treatment

    bench = open_bench(load_bench(BENCHES / "sim.yaml"), faults=faults)
    try:
        spec = load_spec(SPECS / "rmd1.yaml")
        start_treatment(bench, conditions_for(spec, spec.requirement("OUT-LOAD-2K")).but(level=5))
        sampled = sample_output(bench, range_a=1e-3)
        terms = {c.name: c for c in sampled.budget.components if "repeatability" in c.name}
        assert ("gap level repeatability (median)" in terms) is one_polarity
        assert {c.sensitivity for c in terms.values()} == ({1.0} if one_polarity else {0.5})
        assert sampled.plateau_a == pytest.approx(400e-6, rel=0.05)
    finally:
        bench.safe_state()
        bench.close()
