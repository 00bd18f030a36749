"""The session timing's brackets hold the simulated truth, on both reference devices.

On the simulated bench the truth is known from the model: a session of
``faults.session_s`` device seconds lasts ``session_s / k`` on the bench clock (``k``:
the unit's crystal, 1 + its clock error), and the output stops ``CONTACT_LOSS_S / k``
after lift-off (RMD-1 0.2 s, RMD-2 0.3 s, which falls inside the scope record that sees
the output stopped). The procedure must bracket both instants around the truth, and
report a treatment length whose value ± U (k = 2) holds the model's. It once did not:
brackets between the *starts* of two scope records put RMD-2's session at 179.3 s for
180 s, its lift-off bracket missing the true suspension.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bench.station import Bench, open_bench
from harness.data import BENCHES, SPECS
from harness.definitions.bench_file import load_bench
from harness.judging.spec import load_spec
from harness.procedures.session_timer import time_session
from harness.procedures.treatment import Conditions, conditions_for
from harness.sim import faults_rmd2, firmware

CASES = {
    "RMD-1": ("sim.yaml", "rmd1.yaml", firmware.CONTACT_LOSS_S),
    "RMD-2": ("sim-rmd2-relay.yaml", "rmd2.yaml", faults_rmd2.CONTACT_LOSS_S),
}
Case = tuple[Bench, Conditions, float | None, float]


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Iterator[Case]:
    bench_name, spec_name, loss_s = CASES[request.param]
    spec = load_spec(SPECS / spec_name)
    req = spec.requirement("TIM-SESSION")
    bench = open_bench(load_bench(BENCHES / bench_name), faults=[])
    try:
        yield bench, conditions_for(spec, req), req.lower_limit, loss_s
    finally:
        bench.safe_state()
        bench.close()


def test_the_session_brackets_hold_the_models_truth(case: Case) -> None:
    bench, conditions, lower, loss_s = case
    unit = bench.sim._firmware
    timing = time_session(bench, conditions, lower)
    assert timing.suspended is not None and timing.end is not None
    true_suspension = timing.lift_off + loss_s / unit.k
    assert timing.suspended.before <= true_suspension <= timing.suspended.at, timing
    true_length = unit.faults.session_s / unit.k
    true_end = timing.contact + (timing.back - true_suspension) + true_length
    assert timing.end.before <= true_end <= timing.end.at, (timing, true_end)
    assert timing.seconds is not None
    u = timing.budget.expanded()
    assert abs(timing.seconds - true_length) <= u, (timing.seconds, u, true_length)
