"""The stated uncertainty covers the truth, and is not so wide that it says nothing.

Every metric's truth (closed form from the generating parameters, `synth_truth`, never
from the samples) lies within value +- U, and U is under a stated share of the value,
so a U wide enough to cover anything fails too. Held on the unequal-width and leak
classes (8-bit, SNR 30, with or without a gap), and on the noiseless classes with
sharp edges (monophasic, biphasic with gaps from zero, unbalanced, bursts, 300 Hz),
where U comes from the sample interval and the record's resolution alone: a width is
placed to within its sample, a charge to within half a sample of its step per edge
(a gapless pair's lobes split on a sample read 0.4 sample short), the r.m.s. and the
mean carry the same per edge.

Not held here, and why (each a known gap, see docs/analysis-accuracy.md): first-order
and ringing edges (the plateau over the middle half of a phase that has not settled),
SNR 3 (the r.m.s. and the frequency), and a record shorter than a whole cycle (the
r.m.s. over the record).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.analysis.corpus import Case, cases, record
from harness.analysis.synth import PulseTrain
from harness.analysis.synth_truth import mean_current_a, phase_truth

CLASSES = ("biphasic unequal widths (- 2.5x, 40 %)", "biphasic with 20 uA d.c. leak")
HELD = [c for c in cases() if c.cls in CLASSES]
CLEAN_CLASSES = (
    "monophasic, reversal in bursts",
    "biphasic symmetric, gap 0..1.5 phase",
    "biphasic unbalanced (-20 %), gap 0..1.5",
    "bursts with pauses",
    "long: 3000 periods at 300 Hz",
)
CLEAN = [c for c in cases() if c.cls in CLEAN_CLASSES]
WIDEST = {
    "frequency_hz": 1e-3,
    "pulse_width": 0.01,
    "peak_current": 0.01,
    "charge_per_phase": 0.01,
    "rms_current": 0.03,
}
"""Largest U allowed, as a share of the value. A width's may also be one sample (an
edge sharper than a sample is placed to within it; the issue's own width target is
3 % or 2 samples), and so may a charge's, one sample of its plateau (the same edge
moves the integral by up to half a sample of the step, per edge), and an r.m.s.'s
(a share of it as large as one sample's of a phase). The r.m.s. allowance is the
issue's target, 3 %."""


def truths(case: Case) -> dict[str, float]:
    t = case.train
    out = {"frequency_hz": t.frequency_hz, "rms_current_a": t.rms_current_a()}
    for positive, tag in ((True, "pos"), (False, "neg")):
        p = phase_truth(t, positive)
        out[f"pulse_width_{tag}_s"] = p.width_s
        out[f"peak_current_{tag}_a"] = p.plateau_a
        out[f"charge_per_phase_{tag}_c"] = p.charge_c
    return out


def test_classes_are_held() -> None:
    assert {c.cls for c in HELD} == set(CLASSES) and len(HELD) >= 4
    assert {c.cls for c in CLEAN} == set(CLEAN_CLASSES)
    assert any(c.train.biphasic and c.train.gap_s == 0 for c in HELD + CLEAN)


def allowed_u(name: str, value: float, dt: float, train: PulseTrain) -> float:
    """The widest U that still says something (see WIDEST)."""
    widest = next(share for key, share in WIDEST.items() if name.startswith(key))
    allowed = widest * abs(value)
    if name.startswith("pulse_width"):
        allowed = max(allowed, dt)
    if name.startswith("charge_per_phase"):
        plateau = phase_truth(train, name.endswith("pos_c")).plateau_a
        allowed = max(allowed, plateau * dt)
    if name == "rms_current_a":
        allowed = max(allowed, abs(value) * dt / min(train.width_s, train.neg_width_s))
    return allowed


def check(case: Case) -> None:
    m, dt = record(case)
    values = m.to_dict()
    for name, truth in truths(case).items():
        value, u = values[name], values[f"{name}_u"]
        assert value is not None and u is not None and u > 0, name
        assert abs(value - truth) <= u, (name, value, truth, u)
        assert u <= allowed_u(name, value, dt, case.train), (name, u, value)


@pytest.mark.parametrize("case", HELD, ids=[f"{c.cls}-{c.seed}" for c in HELD])
def test_truth_within_value_plus_minus_u_and_u_tight(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "case", CLEAN, ids=[f"{c.cls}-gap{c.train.gap_s:g}-{i}" for i, c in enumerate(CLEAN)]
)
def test_noiseless_records_state_their_sampling(case: Case) -> None:
    """No noise: U is the sample interval's and the resolution's, never ~1e-15."""
    check(case)


def test_off_grid_gapless_pair_within_u() -> None:
    """A gapless pair whose edges fall between samples (rate not locked to the pulses):
    the lobes part at the interpolated crossing, and each charge is within U."""
    train = PulseTrain(37.0, 2e-3, 300e-6, amplitude_neg_a=240e-6, biphasic=True)
    train = replace(train, first_edge_s=0.37e-4)
    case = Case("off-grid gapless", train, 30, 557)
    check(case)


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
