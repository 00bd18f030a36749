"""Bench files as people write them: a load tolerance without its unit, an accuracy
line whose range does not read."""

from pathlib import Path

import pytest
from edited_inputs import edited_copy

from harness.data import RMD1_SPEC
from harness.definitions.bench_file import load_bench
from harness.errors import InputError

SIM_BENCH = Path(RMD1_SPEC).parents[1] / "benches" / "sim.yaml"


def _bench(tmp_path: Path, old: str, new: str) -> Path:
    return edited_copy(SIM_BENCH, tmp_path, old, new)


# sim.yaml line 85 is the R500 load, 'tolerance: 0.1 %'. A bare 0.001 was read as
# 0.001 % (a budget term 100x smaller than the 0.1 % its writer meant as a fraction)
@pytest.mark.parametrize("bare", ["0.001", "1", '"0.001"'])
def test_load_tolerance_without_unit_is_an_input_error(tmp_path: Path, bare: str) -> None:
    with pytest.raises(InputError) as info:
        load_bench(_bench(tmp_path, "tolerance: 0.1 %", f"tolerance: {bare}"))
    assert (info.value.field, info.value.line) == ("loads[0].tolerance", 85)
    assert "%" in info.value.expected


@pytest.mark.parametrize(
    ("written", "fraction"), [("0.1 %", 0.001), ("1%", 0.01), ("500 ppm", 5e-4)]
)
def test_load_tolerance_with_unit_is_read(tmp_path: Path, written: str, fraction: float) -> None:
    bench = load_bench(_bench(tmp_path, "tolerance: 0.1 %", f"tolerance: {written}"))
    assert bench.document.loads[0].tolerance_fraction == pytest.approx(fraction, rel=1e-12)


# sim.yaml line 34: the ammeter's '{range: 100 uA, reading_pct: 0.05, range_pct: 0.025}'.
# A range that did not parse in amperes was skipped when the budget looked its line up,
# so the line written was silently replaced by the assumed 0.1 % of range
@pytest.mark.parametrize("written", ["100 uAA", "100 uV", "100", "'100'"])
def test_accuracy_range_not_in_the_roles_unit_is_an_input_error(
    tmp_path: Path, written: str
) -> None:
    with pytest.raises(InputError) as info:
        load_bench(_bench(tmp_path, "range: 100 uA", f"range: {written}"))
    assert (info.value.field, info.value.line) == ("instruments[0].accuracy[0].range", 34)
    assert "A" in info.value.expected


@pytest.mark.parametrize("written", ["100 uA", "100uA", "100 µA", "0.1 mA"])
def test_accuracy_range_in_amperes_is_found(tmp_path: Path, written: str) -> None:
    bench = load_bench(_bench(tmp_path, "range: 100 uA", f"range: {written}"))
    line = bench.document.instruments[0].accuracy_for(100.0, "uA")
    assert line is not None and (line.reading_pct, line.range_pct) == (0.05, 0.025)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("nominal: 500 ohm", "nominal: 0 ohm", "loads[0].nominal"),  # i = v / 0
        ("nominal: 500 ohm", "nominal: -500 ohm", "loads[0].nominal"),  # every current reversed
        ("tolerance: 0.1 %", "tolerance: -0.1 %", "loads[0].tolerance"),
    ],
)
def test_a_load_of_zero_or_negative_ohms_is_an_input_error(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    with pytest.raises(InputError) as info:
        load_bench(_bench(tmp_path, old, new))
    assert info.value.field == field
