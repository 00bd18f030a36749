"""The uncertainty budget reproduces the worked example of docs/domain.md, section 3
"Measurement uncertainty: a worked example", and the GUM's own numbers for degrees of
freedom and coverage factors (table G.2, example H.1)."""

import itertools
import math

import pytest

from harness.judging.uncertainty import (
    COVERAGE_PROBABILITY,
    Component,
    UncertaintyBudget,
    coverage_factor,
    effective_dof,
)


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


# -- degrees of freedom and the coverage factor (GUM G.4, table G.2, example H.1) -------


GUM_TABLE_G2_9545 = {1: 13.97, 2: 4.53, 3: 3.31, 4: 2.87, 5: 2.65, 6: 2.52, 7: 2.43,
                     8: 2.37, 9: 2.32, 10: 2.28, 16: 2.17, 20: 2.13, 30: 2.09, 50: 2.05,
                     100: 2.025}  # fmt: skip
"""GUM table G.2, the column p = 95.45 %."""


@pytest.mark.parametrize(("nu", "k"), sorted(GUM_TABLE_G2_9545.items()))
def test_coverage_factor_is_student_t_of_gum_table_g2(nu: int, k: float) -> None:
    assert coverage_factor(nu) == pytest.approx(k, abs=0.006 if nu < 100 else 0.0006)


def _t_closed_form(nu: int, p: float) -> float:
    """Student's two-sided t_p(ν) where it has a closed form: ν = 1 (Cauchy), ν = 2, and
    ν = 4 (P(|T| ≤ t) = (3u - u³)/2 with u = t/√(4 + t²), a cubic solved by angles)."""
    if nu == 1:
        return math.tan(math.pi * p / 2.0)
    if nu == 2:
        return p * math.sqrt(2.0 / (1.0 - p * p))
    u = 2.0 * math.cos((math.acos(-p) - 2.0 * math.pi) / 3.0)
    return 2.0 * u / math.sqrt(1.0 - u * u)


@pytest.mark.parametrize("nu", [1, 2, 4])
@pytest.mark.parametrize("p", [COVERAGE_PROBABILITY, 0.5, 0.6827, 0.9, 0.95, 0.99, 0.999])
def test_coverage_factor_to_the_last_digits_where_student_t_has_a_closed_form(
    nu: int, p: float
) -> None:
    """The GUM table has three digits; U is kept to many more, so k must be right to
    them too (the slow start is ν = 1, where t_p is 14 at 95.45 % and 637 at 99.9 %)."""
    assert coverage_factor(nu, p) == pytest.approx(_t_closed_form(nu, p), rel=1e-13)


@pytest.mark.parametrize("p", [COVERAGE_PROBABILITY, 0.95, 0.99, 0.5])
def test_coverage_factor_falls_to_the_normal_quantile_however_large_nu_is(p: float) -> None:
    """k(ν) falls with ν towards z_p and never below it. A repeatability whose spread is
    rounding noise gives a ν_eff of 1e80: k used to come out 0 there (and 1.83 at 1e15),
    recording U = 0. The large-ν side is checked against its own first-order term,
    t ≈ z + z(z² + 1)/(4ν), which is exact to double precision for ν ≥ 1e8."""
    z = coverage_factor(math.inf, p)
    ks = [coverage_factor(10 ** (e / 10), p) for e in range(0, 400)]  # ν from 1 to 1e40
    assert all(a >= b >= z for a, b in itertools.pairwise(ks))
    for nu in (1e8, 1e12, 1e15, 1e17, 1e80):
        first_order = z + z * (z * z + 1.0) / (4.0 * nu)
        assert coverage_factor(nu, p) == pytest.approx(first_order, rel=1e-15)


def test_coverage_factor_other_probabilities_and_infinity() -> None:
    assert coverage_factor(math.inf) == 2.0  # exactly: a Type B budget keeps k = 2
    assert pytest.approx(0.9545, abs=1e-4) == COVERAGE_PROBABILITY
    assert coverage_factor(16, 0.99) == pytest.approx(2.92, abs=0.005)  # GUM H.1.6
    assert coverage_factor(10, 0.95) == pytest.approx(2.23, abs=0.005)  # table G.2
    assert coverage_factor(math.inf, 0.95) == pytest.approx(1.960, abs=0.001)
    assert coverage_factor(16.9) == coverage_factor(16)  # ν_eff truncated (GUM G.4.1)
    with pytest.raises(ValueError):
        coverage_factor(0.5)


def test_welch_satterthwaite_of_gum_example_h1_end_gauge() -> None:
    """GUM H.1: contributions 25 nm (ν 18), 9.7 nm (25.6), 2.9 nm (50), 16.6 nm (2) and
    a Type B line of ν = ∞ give u_c ≈ 32 nm, ν_eff ≈ 16.7, so t₉₉(16) = 2.92 and
    U₉₉ ≈ 93 nm."""
    budget = (
        UncertaintyBudget()
        .add_normal("calibration of the standard", 25.0, degrees_of_freedom=18)
        .add_normal("measured difference", 9.7, degrees_of_freedom=25.6)
        .add_normal("thermal expansion coefficients", 2.9, degrees_of_freedom=50)
        .add(Component("temperature difference", 0.029, "rectangular", 1.0, -575.0,
                       degrees_of_freedom=2))  # c = -l_S·α_S: 0.029 °C -> 16.6 nm
        .add_rectangular("a bound taken as exact", 0.0)
    )  # fmt: skip
    assert budget.combined() == pytest.approx(31.7, abs=0.1)
    assert budget.effective_dof() == pytest.approx(16.7, abs=0.1)
    assert budget.coverage_factor(0.99) * budget.combined() == pytest.approx(93, abs=1)
    assert budget.coverage_factor() == pytest.approx(2.17, abs=0.006)
    assert budget.expanded() == pytest.approx(2.17 * budget.combined(), rel=0.003)


def test_welch_satterthwaite_by_hand() -> None:
    # u_c = 5 from 3 (ν = 4) and 4 (∞): ν_eff = 5⁴ / (3⁴/4) = 30.86 -> k = t(30) = 2.09
    assert effective_dof([(3.0, 4), (4.0, None)]) == pytest.approx(625 / 20.25)
    budget = UncertaintyBudget().add_type_a("spread", 3.0, n=5).add_normal("meter", 4.0)
    assert budget.effective_dof() == pytest.approx(30.864, abs=0.001)
    assert budget.coverage_factor() == pytest.approx(2.09, abs=0.005)
    assert budget.expanded() == pytest.approx(5.0 * coverage_factor(30))
    assert effective_dof([(0.0, 3), (1.0, None)]) == math.inf  # a zero line adds no doubt


def test_type_b_budget_keeps_k_2_and_its_numbers() -> None:
    budget = (
        UncertaintyBudget()
        .add_accuracy("dmm", 50.0, 0.05, 0.025, 100.0)
        .add_relative("load", 50.0, 0.001)
        .add_quantisation("lsb", 0.004)
    )
    assert budget.effective_dof() == math.inf and budget.coverage_factor() == 2.0
    half_widths = [0.05, 0.05, 0.002]
    u_c = math.sqrt(sum((a / math.sqrt(3)) ** 2 for a in half_widths))
    assert budget.expanded() == pytest.approx(2 * u_c, rel=1e-15)
    assert [c.divisor for c in budget.components] == [math.sqrt(3)] * 3


def test_type_a_lines_carry_n_minus_1_and_their_sensitivity() -> None:
    b = UncertaintyBudget().add_repeatability("readings", [1.0, 2.0, 3.0, 4.0])
    (line,) = b.components
    assert (line.degrees_of_freedom, line.evaluation, line.note) == (3, "A", "n = 4")
    assert b.coverage_factor() == pytest.approx(3.31, abs=0.005)  # ν = 3
    half = UncertaintyBudget().add_type_a("plateau", 0.4, n=10, sensitivity=0.5)
    assert half.components[0].standard_uncertainty == 0.4
    assert half.combined() == pytest.approx(0.2)
    assert UncertaintyBudget().add_type_a("one", 1.0, n=1).components == []
    with pytest.raises(ValueError):
        UncertaintyBudget().add_normal("no dof", 1.0, degrees_of_freedom=0)
