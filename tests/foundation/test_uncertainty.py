"""The uncertainty budget reproduces the worked example of docs/domain.md, section 3
"Measurement uncertainty: a worked example"."""

import math

import pytest

from harness.judging.uncertainty import UncertaintyBudget


def test_domain_example_peak_current_at_l5_by_8_bit_scope():
    reading = 400.0  # uA
    budget = (
        UncertaintyBudget()
        .add_accuracy("scope gain", reading, pct_of_reading=3.0, pct_of_range=0.0, range_=1.0)
        .add_relative("load 500 ohm ±0.1 %", reading, 0.001)
        .add_normal("quantisation after averaging", reading * 0.001)
        .add_normal("repeatability", reading * 0.0016)
    )
    assert budget.components[0].standard_uncertainty == pytest.approx(reading * 0.0173, rel=0.01)
    assert budget.combined() / reading == pytest.approx(0.0174, abs=0.0002)
    assert budget.expanded() == pytest.approx(14.0, abs=0.2)
    assert budget.expanded(k=1) == pytest.approx(budget.combined())


def test_components_follow_the_gum():
    b = UncertaintyBudget().add_rectangular("r", 3.0)
    assert b.combined() == pytest.approx(3.0 / math.sqrt(3))
    q = UncertaintyBudget().add_quantisation("lsb", 0.004)
    assert q.combined() == pytest.approx(0.002 / math.sqrt(3))
    acc = UncertaintyBudget().add_accuracy("dmm", 50.0, 0.05, 0.025, 100.0)
    assert acc.combined() == pytest.approx((0.025 + 0.025) / math.sqrt(3))


def test_repeatability_is_standard_deviation_of_the_mean():
    readings = [1.0, 2.0, 3.0, 4.0]
    b = UncertaintyBudget().add_repeatability("type A", readings)
    assert b.combined() == pytest.approx(1.2909944 / 2.0)
    assert UncertaintyBudget().add_repeatability("one", [1.0]).components == []


def test_negative_or_nan_uncertainty_refused():
    with pytest.raises(ValueError):
        UncertaintyBudget().add_normal("nan", math.nan)
