"""The validation corpus: every waveform class the analysis claims, with analytic truth.

Each `Case` is a `synth.PulseTrain` plus how it is recorded (rate, length, noise,
quantisation, where the record starts). `score` analyses one case and returns, per
metric, the error against the truth of `synth_truth` in the unit its target is stated
in, so `benchmarks/analysis_accuracy.py` can print the worst error per class and
`tests/analysis/test_analysis_corpus.py` can hold the analysis to it.

Targets: frequency 0.5 %, widths 3 % or 2 samples, plateaus 3 %, charges 4 %, mean 1 %
of the peak, r.m.s. 3 %. A metric the analysis declares not measurable (None with a
reason) is counted as such, never as an error: a short record has no mean.

SNR is the plateau over the noise's standard deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.synth_truth import mean_current_a, phase_truth, rms_current_a
from harness.analysis.waveform import WaveformMetrics, analyze_voltage

LOAD = 500.0
TARGETS = {
    "frequency": 0.5,
    "width": 3.0,
    "plateau": 3.0,
    "charge": 4.0,
    "mean": 1.0,
    "rms": 3.0,
}
"""Percent: of the true value, or of the peak for the mean."""


@dataclass(frozen=True)
class Case:
    """One record of one class."""

    cls: str
    train: PulseTrain
    periods: float
    samples_per_period: int
    snr: float | None = None
    quantize: bool = False
    seed: int = 0


def _rmd1(f: float, **kw: object) -> PulseTrain:
    return PulseTrain(f, 0.5 / f, 400e-6, pulses_per_polarity=round(f), **kw)  # type: ignore[arg-type]


def _bi(gap_fraction: float, **kw: object) -> PulseTrain:
    w = 2e-3
    return PulseTrain(40.0, w, 300e-6, biphasic=True, gap_s=gap_fraction * w, **kw)  # type: ignore[arg-type]


def cases() -> list[Case]:
    """The corpus: each class in a few record lengths, start phases and sample rates."""
    out: list[Case] = []
    for f, spp in ((4.0, 2500), (10.0, 1000), (40.0, 250)):
        for start in (0.0, -0.3):
            train = _rmd1(f, first_edge_s=start / f)
            out.append(Case("monophasic, reversal in bursts", train, 2.3 * 2 * f, spp))
    for start in (-0.2, 0.35):
        t = _rmd1(40.0, first_edge_s=start / 40)
        out.append(Case("monophasic, 8-bit, SNR 30", t, 4.4 * 40, 400, 30.0, True, 1))
    for gap in (0.0, 0.1, 0.5, 1.5):
        out.append(Case("biphasic symmetric, gap 0..1.5 phase", _bi(gap), 40, 500))
        unbalanced = _bi(gap, amplitude_neg_a=240e-6, first_edge_s=-0.001)
        out.append(Case("biphasic unbalanced (-20 %), gap 0..1.5", unbalanced, 40, 500, seed=2))
    for tau_share in (0.05, 0.09):
        w = 12.5e-3
        mono = PulseTrain(40.0, w, 400e-6, pulses_per_polarity=40, edge_tau_s=tau_share * w)
        out.append(Case("first-order edges to 20 % of the width", mono, 180, 1000))
        pair = _bi(0.0, edge_tau_s=tau_share * 2e-3)
        out.append(Case("first-order edges to 20 % of the width", pair, 40, 1000))
    for gap_fraction, seed in ((0.25, 5), (1.0, 6)):
        # charge-balanced: a short tall + phase, a long low - phase (2.5 x, 40 %)
        unequal = replace(_bi(gap_fraction), width_neg_s=5e-3, amplitude_neg_a=120e-6)
        out.append(
            Case("biphasic unequal widths (- 2.5x, 40 %)", unequal, 40, 500, 30.0, True, seed)
        )
    for gap_fraction, seed in ((0.5, 7), (0.0, 8)):
        leaky = _bi(gap_fraction, leak_a=20e-6, first_edge_s=-0.0005)
        out.append(Case("biphasic with 20 uA d.c. leak", leaky, 40, 500, 30.0, True, seed))
    ringing = _rmd1(40.0, edge_s=0.2 * 12.5e-3, ring_fraction=0.15, ring_hz=4e3, ring_tau_s=2e-4)
    out.append(Case("linear edges 20 %, ringing 15 %", ringing, 180, 1000))
    bursts = PulseTrain(40.0, 5e-3, 300e-6, biphasic=True, gap_s=1e-3, burst_pulses=8)
    bursts = replace(bursts, burst_off_pulses=4, first_edge_s=0.004)
    out.append(Case("bursts with pauses", bursts, 12 * 6 + 0.5, 500))
    out.append(Case("short: 1.5 periods", _bi(0.2, first_edge_s=-0.004), 1.5, 2000))
    fast = replace(_bi(0.0), frequency_hz=300.0, width_s=5e-4, gap_s=1e-4, edge_s=5e-6)
    out.append(Case("long: 3000 periods at 300 Hz", fast, 3000, 40))
    for seed in (3, 4):
        noisy = _rmd1(40.0, first_edge_s=-0.1 / 40)
        out.append(Case("SNR 3, 8-bit", noisy, 4.4 * 40, 1000, 3.0, True, seed))
    return out


def record(case: Case) -> tuple[WaveformMetrics, float]:
    """Synthesise and analyse one case; the metrics and the sample interval."""
    t = case.train
    peak = max(t.amplitude_pos_a, t.neg_a)
    noise = 0.0 if case.snr is None else peak * LOAD / case.snr
    rate = t.frequency_hz * case.samples_per_period
    c = synthesize(
        t,
        sample_rate_hz=rate,
        duration_s=case.periods / t.frequency_hz,
        load_ohms=LOAD,
        noise_v=noise,
        quantize_8bit=case.quantize,
        seed=case.seed,
    )
    return analyze_voltage(c.t0, c.dt, c.volts, load_ohms=LOAD), c.dt


def score(case: Case) -> dict[str, float | None]:
    """Error per metric in percent of its target's basis; None: declared not measurable.

    Widths are scored as a fraction of their target: 3 % or 2 samples, whichever is
    larger, expressed back in percent of 3 % (so 3.0 means exactly at the target).
    """
    m, dt = record(case)
    t = case.train
    peak = max(t.amplitude_pos_a, t.neg_a)
    errors: dict[str, list[float | None]] = {k: [] for k in TARGETS}

    def rel(got: float | None, truth: float) -> float | None:
        return None if got is None else abs(got / truth - 1) * 100

    errors["frequency"].append(rel(m.frequency_hz, t.frequency_hz))
    for positive in (True, False):
        truth = phase_truth(t, positive)
        width = m.pulse_width_pos_s if positive else m.pulse_width_neg_s
        plateau = m.peak_current_pos_a if positive else m.peak_current_neg_a
        charge = m.charge_per_phase_pos_c if positive else m.charge_per_phase_neg_c
        if width is None:
            errors["width"].append(None)
        else:
            allowed = max(0.03 * truth.width_s, 2 * dt)
            errors["width"].append(abs(width - truth.width_s) / allowed * 3.0)
        errors["plateau"].append(rel(plateau, truth.plateau_a))
        errors["charge"].append(rel(charge, truth.charge_c))
    mean = m.mean_current_a
    errors["mean"].append(None if mean is None else abs(mean - mean_current_a(t)) / peak * 100)
    errors["rms"].append(rel(m.rms_current_a, rms_current_a(t)))
    out: dict[str, float | None] = {}
    for key, values in errors.items():
        if any(v is None for v in values):
            out[key] = None
        else:
            out[key] = max(v for v in values if v is not None)
    return out


def worst_by_class() -> dict[str, dict[str, float | None]]:
    """Per class and metric, the worst error over its cases (None if any was None)."""
    table: dict[str, dict[str, float | None]] = {}
    for case in cases():
        row = table.setdefault(case.cls, dict.fromkeys(TARGETS, -math.inf))
        for key, err in score(case).items():
            prev = row[key]
            row[key] = None if err is None or prev is None else max(prev, err)
    return table
