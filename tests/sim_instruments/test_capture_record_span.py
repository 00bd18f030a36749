"""A capture is as long as asked on every scope model, whatever its screen width.

The record spans the whole screen: divisions × s/div. The procedure asks the scope
for its number of divisions (10 on the InfiniiVision, 12 on the DS1000Z) instead of
assuming 10, which made a Rigol record 20 % longer than asked (2.64 s for 2.2 s).
With a second channel left on, the DS1000Z's memory depths halve, and the driver must
pick one of those (a one-channel depth is refused, -224, and the scope keeps its old
one). Both benches run in process on the simulated instruments, through the real
drivers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bench.station import Bench, open_bench
from harness.data import BENCHES
from harness.definitions.bench_file import load_bench
from harness.procedures.capture import BUZZER_CHANNEL, capture_channel, capture_current
from harness.procedures.treatment import Conditions, start_treatment


@pytest.fixture(params=[("sim", 10), ("sim-rigol", 12)], ids=["keysight", "rigol"])
def bench(request: pytest.FixtureRequest) -> Iterator[tuple[Bench, int]]:
    name, divisions = request.param
    b = open_bench(load_bench(BENCHES / f"{name}.yaml"))
    yield b, divisions
    b.safe_state()
    b.close()


def test_current_and_channel_records_span_the_duration_asked(bench: tuple[Bench, int]) -> None:
    scope_bench, divisions = bench
    assert scope_bench.scope.limits.horizontal_divisions == divisions
    start_treatment(scope_bench, Conditions(load_ohms=500.0, level=5, frequency=2, battery_v=3.8))
    cap = capture_current(scope_bench, 500.0, peak_a=400e-6, duration_s=2.2)
    assert scope_bench.scope.record_duration_s == pytest.approx(2.2)
    assert cap.current_a.size * cap.dt == pytest.approx(2.2, rel=1e-3)
    assert cap.times[0] == pytest.approx(-1.1, abs=cap.dt)
    wave = capture_channel(
        scope_bench, BUZZER_CHANNEL, volts_per_div=1.0, duration_s=0.3, resolution_s=1e-4
    )
    assert wave.volts.size * wave.dt == pytest.approx(0.3, rel=1e-3)
    # channel 2 stays on: a DS1000Z now allows half the one-channel memory depths
    again = capture_current(scope_bench, 500.0, peak_a=400e-6, duration_s=2.2)
    assert again.current_a.size * again.dt == pytest.approx(2.2, rel=1e-3)
    assert scope_bench.scope.check_errors() == []
