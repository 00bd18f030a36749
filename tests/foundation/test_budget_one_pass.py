"""``combined_and_dof`` gives exactly what ``combined`` and ``effective_dof`` give.

``measure`` takes u_c and ν_eff from it for every row (U, k and the recorded budget), so
a difference in the last bit would change a stored U or a verdict at a limit's edge: the
check is equality, not closeness.
"""

from __future__ import annotations

import math

import pytest

from harness.judging.uncertainty import Component, UncertaintyBudget


def budgets() -> list[UncertaintyBudget]:
    mixed = (
        UncertaintyBudget()
        .add_accuracy("dmm", 401.0, 0.05, 0.025, 1000.0)
        .add_relative("load", 401.0, 0.001)
        .add_quantisation("scope", 0.39)
        .add_type_a("repeat", 0.731, 4, sensitivity=0.5)
        .add_normal("carried", 0.2, degrees_of_freedom=9.5)
    )
    return [
        UncertaintyBudget(),  # no lines: u_c 0, ν_eff ∞
        UncertaintyBudget().add_rectangular("zero", 0.0),
        UncertaintyBudget().add_accuracy("dmm", 400.0, 0.05, 0.025, 1000.0),
        UncertaintyBudget().add_type_a("only A", 1e-7, 3),
        UncertaintyBudget().add(Component("zero with dof", 0.0, "normal", degrees_of_freedom=2)),
        mixed,
    ]


@pytest.mark.parametrize("budget", budgets())
def test_one_pass_equals_the_two(budget: UncertaintyBudget) -> None:
    u_c, nu = budget.combined_and_dof()
    assert u_c == budget.combined()
    dof = budget.effective_dof()
    assert nu == dof or (math.isinf(nu) and math.isinf(dof))
    assert budget.expanded() == budget.coverage_factor() * u_c
