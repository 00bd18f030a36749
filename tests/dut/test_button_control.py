"""A unit without a test port, worked by its buttons: every change confirmed by measurement.

On the simulated RMD-2 relay bench: a healthy unit's presses are seen (on, output, level);
a dead LEVEL contact is a level press not confirmed, raised as the step's failure; a bench
file that wires a button badly is refused before anything is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.bench.station import Bench, open_bench
from harness.data import BENCHES
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.procedures.activity import unit_is_on
from harness.procedures.treatment import Conditions, start_treatment
from harness.procedures.unit_control import StepNotConfirmed, output_peak_a, power_cycle

RELAY_BENCH = BENCHES / "sim-rmd2-relay.yaml"
L2 = Conditions(load_ohms=500.0, level=2, frequency=None, battery_v=3.8)


def _open(faults: list[str]) -> Iterator[Bench]:
    bench = open_bench(load_bench(RELAY_BENCH), faults=faults)
    try:
        yield bench
    finally:
        bench.safe_state()
        bench.close()


@pytest.fixture
def good() -> Iterator[Bench]:
    yield from _open([])


@pytest.fixture
def dead_level_button() -> Iterator[Bench]:
    yield from _open(["level_button=off"])


def test_presses_are_confirmed_on_a_good_unit(good: Bench) -> None:
    start_treatment(good, L2, settle_s=0.5)
    assert unit_is_on(good)
    assert 200e-6 < output_peak_a(good, 500.0) < 300e-6  # level 2: 250 uA
    power_cycle(good)
    assert unit_is_on(good)


def test_a_level_press_the_output_does_not_show_fails_the_step(dead_level_button: Bench) -> None:
    with pytest.raises(StepNotConfirmed, match="level press from level 1"):
        start_treatment(dead_level_button, L2, settle_s=0.5)


def test_a_port_question_to_a_unit_without_one_is_refused_by_name(good: Bench) -> None:
    assert not good.has_port
    with pytest.raises(Exception, match="has no test port"):
        good.dut.status()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["device"].pop("actuator"), "actuator"),
        (lambda d: d["device"]["buttons"]["level"].update(channel=1001), "level.channel"),
        (lambda d: d["device"]["buttons"]["level"].update(channel=1020), "level.channel"),
        (lambda d: d["device"].update(control="port"), "port"),
        (lambda d: d["device"]["buttons"].pop("power"), "buttons"),
    ],
)
def test_a_badly_wired_button_is_an_input_error(tmp_path: Path, change: object, field: str) -> None:
    data = yaml.safe_load(RELAY_BENCH.read_text(encoding="utf-8"))
    data["bench"]["spec"] = str(RELAY_BENCH.parent / data["bench"]["spec"])
    change(data)  # type: ignore[operator]
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_bench(path)
    assert field in caught.value.field and str(path) in str(caught.value)
