"""The stated uncertainty covers the truth, and is not so wide that it says nothing.

For the corpus classes added for unequal-width biphasic pairs and for a d.c. leak on
biphasic pairs (8-bit, SNR 30), every metric's truth (closed form from the generating
parameters, `synth_truth`, never from the samples) lies within value +- U, and U is
under a stated share of the value, so a U wide enough to cover anything fails too.

Not held here, and why (each a known gap, see docs/analysis-accuracy.md): a gapless
pair's charges (the lobes are split at a sample, ~1 % at 40 samples per phase, which
U does not carry), records without noise (U from the record alone is ~0 there), and
the r.m.s. (its U leaves out the sampling of the edges).
"""

from __future__ import annotations

import pytest

from harness.analysis.corpus import Case, cases, record
from harness.analysis.synth_truth import mean_current_a, phase_truth

CLASSES = ("biphasic unequal widths (- 2.5x, 40 %)", "biphasic with 20 uA d.c. leak")
HELD = [c for c in cases() if c.cls in CLASSES and c.train.gap_s > 0]
WIDEST = {
    "frequency_hz": 1e-3,
    "pulse_width": 0.01,
    "peak_current": 0.01,
    "charge_per_phase": 0.01,
}
"""Largest U allowed, as a share of the value (a width's may also be one sample: an
edge sharper than a sample is placed to within it, and the issue's own width target is
3 % or 2 samples)."""


def truths(case: Case) -> dict[str, float]:
    t = case.train
    out = {"frequency_hz": t.frequency_hz}
    for positive, tag in ((True, "pos"), (False, "neg")):
        p = phase_truth(t, positive)
        out[f"pulse_width_{tag}_s"] = p.width_s
        out[f"peak_current_{tag}_a"] = p.plateau_a
        out[f"charge_per_phase_{tag}_c"] = p.charge_c
    return out


def test_both_new_classes_are_held() -> None:
    assert {c.cls for c in HELD} == set(CLASSES) and len(HELD) >= 3


@pytest.mark.parametrize("case", HELD, ids=[f"{c.cls}-{c.seed}" for c in HELD])
def test_truth_within_value_plus_minus_u_and_u_tight(case: Case) -> None:
    m, dt = record(case)
    values = m.to_dict()
    for name, truth in truths(case).items():
        value, u = values[name], values[f"{name}_u"]
        assert value is not None and u is not None and u > 0, name
        assert abs(value - truth) <= u, (name, value, truth, u)
        widest = next(share for key, share in WIDEST.items() if name.startswith(key))
        allowed = widest * abs(value)
        if name.startswith("pulse_width"):
            allowed = max(allowed, dt)
        assert u <= allowed, (name, u, value)


@pytest.mark.parametrize(
    "case", [c for c in HELD if c.train.leak_a], ids=lambda c: f"leak-{c.seed}"
)
def test_leak_shows_in_the_mean_within_u(case: Case) -> None:
    m, _ = record(case)
    truth = mean_current_a(case.train)
    assert m.mean_current_a is not None
    u = m.uncertainty["mean_current_a"]
    assert abs(m.mean_current_a - truth) <= u and u <= 0.02 * truth
    assert m.baseline_current_a == pytest.approx(case.train.leak_a, rel=0.05)


def test_unequal_widths_are_told_apart() -> None:
    case = next(c for c in HELD if c.train.width_neg_s)
    m, _ = record(case)
    assert m.biphasic and m.pulse_width_neg_s is not None and m.pulse_width_pos_s is not None
    assert m.pulse_width_neg_s / m.pulse_width_pos_s == pytest.approx(2.5, rel=0.01)
