"""The stated uncertainty covers the truth, and is not so wide that it says nothing.

Every metric's truth (closed form from the generating parameters, `synth_truth`, never
from the samples) lies within value +- U, and U is under a stated share of the value,
so a U wide enough to cover anything fails too. Held on every class of the corpus:
the unequal-width and leak classes (8-bit, SNR 30, with or without a gap), SNR 3
(8-bit), the noiseless classes with sharp edges (monophasic, biphasic with gaps from
zero, unbalanced, bursts, 300 Hz), where U comes from the sample interval and the
record's resolution alone, and first-order and ringing edges, whose plateau over the
middle half of a phase that has not settled carries the trend the record shows there.
A record shorter than one whole pulse period states no frequency, mean or r.m.s.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from harness.analysis.corpus import Case, cases, record
from harness.analysis.synth import PulseTrain
from harness.analysis.synth_truth import mean_current_a, phase_truth, rms_current_a

CLASSES = (
    "biphasic unequal widths (- 2.5x, 40 %)",
    "biphasic with 20 uA d.c. leak",
    "SNR 3, 8-bit",
    "monophasic, 8-bit, SNR 30",
)
HELD = [c for c in cases() if c.cls in CLASSES]
CLEAN_CLASSES = (
    "monophasic, reversal in bursts",
    "biphasic symmetric, gap 0..1.5 phase",
    "biphasic unbalanced (-20 %), gap 0..1.5",
    "bursts with pauses",
    "long: 3000 periods at 300 Hz",
)
CLEAN = [c for c in cases() if c.cls in CLEAN_CLASSES]
SLOW_CLASSES = ("first-order edges to 20 % of the width", "linear edges 20 %, ringing 15 %")
SLOW = [c for c in cases() if c.cls in SLOW_CLASSES]
SHORT = [c for c in cases() if c.cls == "short: 1.5 periods"]
WIDEST = {
    "frequency_hz": 1e-3,
    "pulse_width": 0.01,
    "peak_current": 0.01,
    "charge_per_phase": 0.01,
    "rms_current": 0.03,
}
"""Largest U allowed, as a share of the value. A width's may also be one sample (an
edge sharper than a sample is placed to within it; the issue's own width target is
3 % or 2 samples), and so may a charge's, one sample of its plateau (a sharp edge
moves the integral by up to half a sample of the step, per edge: at 40 samples a
phase that is 2.5 %, which no analysis of the record can narrow), and an r.m.s.'s a
share of it as large as one sample's of a phase.
The r.m.s. allowance is the issue's target, 3 %."""
MEAN_WIDEST = 0.005
"""Largest U of the mean, as a share of the peak: half its 1 % accuracy target. It
carries the edges' sampling that does not cancel over whole cycles (`mean_edges`)."""
UNSETTLED = {"peak_current": math.inf}
"""A plateau that has not settled within its phase (first-order edges with a time
constant of 9 % of the phase) is uncertain by the trend the record shows there, which
can exceed the plateau's accuracy target (3 %): then the record does not hold the
plateau to the target, and U says so. No ceiling is held for it; the truth within
+- U is."""


def truths(case: Case) -> dict[str, float]:
    t = case.train
    out = {
        "frequency_hz": t.frequency_hz,
        "rms_current_a": rms_current_a(t),
        "mean_current_a": mean_current_a(t),
    }
    for positive, tag in ((True, "pos"), (False, "neg")):
        p = phase_truth(t, positive)
        out[f"pulse_width_{tag}_s"] = p.width_s
        out[f"peak_current_{tag}_a"] = p.plateau_a
        out[f"charge_per_phase_{tag}_c"] = p.charge_c
    return out


def test_classes_are_held() -> None:
    assert {c.cls for c in HELD} == set(CLASSES) and len(HELD) >= 6
    assert {c.cls for c in CLEAN} == set(CLEAN_CLASSES)
    assert {c.cls for c in SLOW} == set(SLOW_CLASSES) and len(SHORT) == 1
    held = {c.cls for c in HELD + CLEAN + SLOW + SHORT}
    assert held == {c.cls for c in cases()}, "every class of the corpus is held here"
    assert any(c.train.biphasic and c.train.gap_s == 0 for c in HELD + CLEAN)


def allowed_u(name: str, value: float, dt: float, train: PulseTrain) -> float:
    """The widest U that still says something (see WIDEST and UNSETTLED)."""
    if name == "mean_current_a":  # its target is 1 % of the peak, not of itself (often 0)
        return MEAN_WIDEST * max(train.amplitude_pos_a, train.neg_a)
    widths = WIDEST
    if train.edge_tau_s is not None:
        widths = {**WIDEST, **UNSETTLED}
    widest = next(share for key, share in widths.items() if name.startswith(key))
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


@pytest.mark.parametrize("case", SLOW, ids=[f"{c.cls}-{i}" for i, c in enumerate(SLOW)])
def test_slow_edges_carry_their_settling(case: Case) -> None:
    """First-order and ringing edges: a plateau still approaching its level, the edge
    corners' sampling in the charge and the r.m.s., all within U."""
    check(case)


@pytest.mark.parametrize("case", SHORT, ids=["short"])
def test_short_record_states_what_it_holds(case: Case) -> None:
    """1.5 periods: the phases are whole and held to U; the r.m.s., mean and frequency
    of the train are not in the record, and say so."""
    m, dt = record(case)
    values = m.to_dict()
    for name, truth in truths(case).items():
        if name in ("frequency_hz", "rms_current_a", "mean_current_a"):
            assert values[name] is None and values[f"{name}_reason"], name
            continue
        value, u = values[name], values[f"{name}_u"]
        assert abs(value - truth) <= u, (name, value, truth, u)
        assert u <= allowed_u(name, value, dt, case.train), (name, u, value)


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
    """The leak within U, and U under 5 % of it: a gapless pair's junction (+Ip, ~0, -In
    on three samples) reads as one edge or as two sub-sample edges a sample apart, and
    the mean carries the larger of the two readings' edge terms (~1 uA at 500 samples
    a period), which the record cannot narrow."""
    m, _ = record(case)
    truth = mean_current_a(case.train)
    assert m.mean_current_a is not None
    u = m.uncertainty["mean_current_a"]
    assert abs(m.mean_current_a - truth) <= u and u <= 0.05 * truth
    assert m.baseline_current_a == pytest.approx(case.train.leak_a, rel=0.05)


def test_unequal_widths_are_told_apart() -> None:
    case = next(c for c in HELD if c.train.width_neg_s)
    m, _ = record(case)
    assert m.biphasic and m.pulse_width_neg_s is not None and m.pulse_width_pos_s is not None
    assert m.pulse_width_neg_s / m.pulse_width_pos_s == pytest.approx(2.5, rel=0.01)
