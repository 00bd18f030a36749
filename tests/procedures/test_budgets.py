"""Each role's uncertainty line, with the numbers worked out here by hand.

The bench file is the packaged simulated bench (its accuracy lines are those of the
34465A, DSOX1204G and E36312A datasheets); a bench file that leaves a line out is the
same file with that instrument's ``accuracy:`` list emptied. Every expected value below
is computed from the datasheet numbers in this file, not by calling the budget code.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from harness.data import SIM_BENCH
from harness.definitions.bench_file import BenchFile, LoadEntry, load_bench
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.auxiliary import worst_window_current
from harness.procedures.budgets import (
    AMMETER_ACCURACY,
    ammeter_accuracy,
    load_tolerance,
    scope_gain,
    scope_timebase,
    supply_readback,
)
from harness.procedures.dmm import read_dc_current, sample_output

ROOT3 = math.sqrt(3.0)


@pytest.fixture(scope="module")
def bench_file() -> BenchFile:
    return load_bench(SIM_BENCH)


def without_lines(bench_file: BenchFile, role: str) -> BenchFile:
    """The same bench file with no accuracy line for the instrument of ``role``."""
    instruments = [
        i.model_copy(update={"accuracy": []}) if i.role == role else i
        for i in bench_file.document.instruments
    ]
    document = bench_file.document.model_copy(update={"instruments": instruments})
    return replace(bench_file, document=document)


def only(budget: UncertaintyBudget) -> float:
    assert len(budget.components) == 1
    return budget.components[0].standard_uncertainty


# -- ammeter ----------------------------------------------------------------------------


def test_ammeter_line_of_the_range_in_use(bench_file: BenchFile) -> None:
    # 1 mA range: ±(0.05 % of 400 µA + 0.005 % of 1 mA) = 0.2 µA + 0.05 µA = 0.25 µA
    budget = ammeter_accuracy(UncertaintyBudget(), bench_file, 400e-6, 1e-3)
    assert budget.components[0].name == AMMETER_ACCURACY
    assert only(budget) == pytest.approx(0.25e-6 / ROOT3, rel=1e-12)
    assert budget.expanded() == pytest.approx(2 * 0.144338e-6, rel=1e-5)
    # 100 µA range: ±(0.05 % of 50 µA + 0.025 % of 100 µA) = 25 nA + 25 nA
    small = ammeter_accuracy(UncertaintyBudget(), bench_file, -50e-6, 100e-6)
    assert only(small) == pytest.approx(50e-9 / ROOT3, rel=1e-12)


@pytest.mark.parametrize("case", ["range not in the file", "no lines at all"])
def test_ammeter_without_a_bench_line_assumes_a_tenth_of_a_percent_of_range(
    bench_file: BenchFile, case: str
) -> None:
    if case == "range not in the file":  # the file lists 100 µA, 1 mA and 10 mA only
        file, range_a = bench_file, 3.0
    else:
        file, range_a = without_lines(bench_file, "ammeter"), 1e-3
    budget = ammeter_accuracy(UncertaintyBudget(), file, 400e-6, range_a)
    # ±0.1 % of the range, nothing of the reading: 1 µA on 1 mA, 3 mA on 3 A
    assert only(budget) == pytest.approx(range_a * 1e-3 / ROOT3, rel=1e-12)
    assert "no bench line" in budget.components[0].name
    assert budget.components[0].name != AMMETER_ACCURACY  # a ratio must not drop it as gain


class FakeAmmeter:
    aperture_s = 0.2

    def __init__(self, readings: list[float]) -> None:
        self.readings = readings
        self.ranges: list[float] = []

    def configure_dc_current(self, range_a: float, nplc: float) -> None:
        self.ranges.append(range_a)

    def read_currents(self, count: int) -> list[float]:
        taken, self.readings = self.readings[:count], self.readings[count:]
        return taken


class FakeClock:
    def sleep(self, seconds: float) -> None:
        pass


class FakeBench:
    def __init__(self, file: BenchFile, readings: list[float]) -> None:
        self.file = file
        self.ammeter = FakeAmmeter(readings)
        self.clock = FakeClock()


def ammeter_lines(budget: UncertaintyBudget) -> list[float]:
    return [c.standard_uncertainty for c in budget.components if c.name.startswith("ammeter acc")]


@pytest.mark.parametrize("procedure", ["read_dc_current", "worst_window_current", "sample_output"])
def test_every_ammeter_procedure_keeps_the_fallback(bench_file: BenchFile, procedure: str) -> None:
    """The three procedures that read the ammeter carry the same line, with or without
    a bench line: once, one of them left the accuracy out when the line was missing."""
    file = without_lines(bench_file, "ammeter")
    pulses = [100e-6, -100e-6, 0.0, 0.0] * 24  # plateaus ±100 µA and gaps
    bench: Any = FakeBench(file, pulses)
    if procedure == "read_dc_current":
        budget = read_dc_current(bench, range_a=1e-3, nplc=100.0, count=4).budget
    elif procedure == "worst_window_current":
        budget = worst_window_current(bench, count=4).budget
    else:
        budget = sample_output(bench, range_a=1e-3, bursts=24, per_burst=4).budget
    # 0.1 % of the 1 mA range, whatever the reading: 1 µA half-width
    assert ammeter_lines(budget) == [pytest.approx(1e-6 / ROOT3, rel=1e-12)]

    with_line = FakeBench(bench_file, pulses)
    if procedure == "sample_output":
        found = sample_output(with_line, range_a=1e-3, bursts=24, per_burst=4)  # type: ignore[arg-type]
        assert found.plateau_a == pytest.approx(100e-6)
        # ±(0.05 % of 100 µA + 0.005 % of 1 mA) = 50 nA + 50 nA
        assert ammeter_lines(found.budget) == [pytest.approx(100e-9 / ROOT3, rel=1e-12)]


# -- oscilloscope -----------------------------------------------------------------------


def test_domain_worked_example_scope_and_load(bench_file: BenchFile) -> None:
    """docs/domain.md, "Measurement uncertainty: a worked example": 400 µA at L5 across
    500 Ω ±0.1 % read by an 8-bit scope with ±3 % gain: u_c ≈ 1.74 %, U ≈ 14 µA."""
    reading = 400.0  # µA
    load = LoadEntry(name="R500", nominal="500 ohm", tolerance="0.1 %", channel=1)
    budget = scope_gain(UncertaintyBudget(), bench_file, reading)
    load_tolerance(budget, load, reading)
    budget.add_normal("quantisation after averaging", reading * 0.001)
    budget.add_normal("repeatability", reading * 0.0016)
    # relative standard uncertainties in %: 3/√3, 0.1/√3, 0.1, 0.16
    u_c_pct = math.sqrt(3.0**2 / 3 + 0.1**2 / 3 + 0.1**2 + 0.16**2)
    assert u_c_pct == pytest.approx(1.7432, abs=1e-4)
    assert budget.combined() / reading * 100 == pytest.approx(u_c_pct, rel=1e-12)
    assert budget.expanded() == pytest.approx(2 * u_c_pct / 100 * reading, rel=1e-12)
    assert budget.expanded() == pytest.approx(13.95, abs=0.01)  # ≈ 14 µA


def test_scope_gain_without_a_bench_line_assumes_three_percent(bench_file: BenchFile) -> None:
    file = without_lines(bench_file, "oscilloscope")
    budget = scope_gain(UncertaintyBudget(), file, 12.0)  # 12 V open circuit
    assert only(budget) == pytest.approx(12.0 * 0.03 / ROOT3, rel=1e-12)
    assert "no bench line" in budget.components[0].name


def test_scope_gain_follows_the_bench_line(bench_file: BenchFile) -> None:
    scope = bench_file.instrument("oscilloscope")
    assert scope is not None
    line = scope.accuracy[0].model_copy(update={"reading_pct": 2.0})
    instruments = [
        i.model_copy(update={"accuracy": [line]}) if i.role == "oscilloscope" else i
        for i in bench_file.document.instruments
    ]
    file = replace(
        bench_file, document=bench_file.document.model_copy(update={"instruments": instruments})
    )
    assert only(scope_gain(UncertaintyBudget(), file, 12.0)) == pytest.approx(0.24 / ROOT3)


def test_scope_timebase_is_fifty_ppm() -> None:
    # 50 ppm of 100 ms is 5 µs
    assert only(scope_timebase(UncertaintyBudget(), 0.1)) == pytest.approx(5e-6 / ROOT3)
    assert only(scope_timebase(UncertaintyBudget(), -0.1)) == pytest.approx(5e-6 / ROOT3)


# -- power supply -----------------------------------------------------------------------


def test_supply_readback_line_of_the_six_volt_range(bench_file: BenchFile) -> None:
    # E36312A 6 V: ±(0.04 % of 3.5 V + 0.083 % of 6 V) = 1.4 mV + 4.98 mV = 6.38 mV
    budget = supply_readback(UncertaintyBudget(), bench_file, 3.5)
    assert only(budget) == pytest.approx(6.38e-3 / ROOT3, rel=1e-12)
    assert budget.components[0].name == "supply readback"


def test_supply_readback_without_a_bench_line(bench_file: BenchFile) -> None:
    file = without_lines(bench_file, "power_supply")
    budget = supply_readback(UncertaintyBudget(), file, 3.5)
    assert only(budget) == pytest.approx(6e-3 / ROOT3, rel=1e-12)  # 0.1 % of 6 V
    assert "no bench line" in budget.components[0].name
    # a range the file has no line for falls back the same way: 0.1 % of 25 V
    other = supply_readback(UncertaintyBudget(), bench_file, 5.0, range_v=25.0)
    assert only(other) == pytest.approx(25e-3 / ROOT3, rel=1e-12)


# -- load resistor ----------------------------------------------------------------------


@pytest.mark.parametrize(("tolerance", "half_width"), [("0.1 %", 0.4), ("1 %", 4.0)])
def test_load_tolerance_is_relative_to_the_value(tolerance: str, half_width: float) -> None:
    load = LoadEntry(name="R2K", nominal="2 kohm", tolerance=tolerance, channel=2)
    budget = load_tolerance(UncertaintyBudget(), load, -400.0)
    assert only(budget) == pytest.approx(half_width / ROOT3, rel=1e-12)
    assert budget.components[0].name == "load R2K tolerance"


def test_sampled_plateaus_are_what_the_fake_meter_gave(bench_file: BenchFile) -> None:
    """The fake bench above is faithful enough: the plateau is the pulses' amplitude."""
    pulses = list(np.tile([200e-6, -200e-6, 1e-9, 1e-9], 24))
    found = sample_output(FakeBench(bench_file, pulses), range_a=1e-3)  # type: ignore[arg-type]
    assert found.plateau_a == pytest.approx(200e-6)
