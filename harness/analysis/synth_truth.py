"""The true metrics of a `PulseTrain`, in closed form from its generating parameters.

An accuracy figure is only as good as its truth, so nothing here looks at samples: every
number is algebra on the parameters of `synth.PulseTrain`. The forms assume what the
corpus guarantees: each phase reaches its plateau before it ends, and the pause after a
pulse is long enough for the output to settle (gap between pulses >> edge or tau).

Definitions (the same ones the analysis uses, see `harness.analysis.waveform`):

- **plateau**: the settled current of a phase against zero, so a d.c. leak ``L`` adds to
  the + plateau and takes from the - one;
- **width**: between the 50 % crossings of the step from the baseline to the plateau;
- **charge**: the charge of the phase above the baseline (to where the current comes back
  to it, or crosses it into the next phase) plus the baseline current over the width;
- **rise / fall**: 10 % to 90 % of the step.

First-order edges (``tau``): a rectangular drive of length D through ``1 - exp(-t/tau)``
keeps its area, so a settled phase carries ``I * D`` and its 50 % points are D apart.
In a biphasic pair the + tail runs into the - drive: with ``y_g = Ip exp(-g/tau)`` left
at the end of the gap g, the + lobe ends where the current crosses zero and carries
``Ip D - In tau ln(1 + y_g/In)``; the - lobe ``In (D - tau ln(1 + y_g/In))``. Linear
edges (length e) of a gapless pair merge into one ramp from +Ip to -In; its crossing
points are found on that ramp. Ringing (linear edges, gap >= e) adds no charge to a phase:
the rising edge's ring and the falling edge's ring are equal and opposite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from harness.analysis.synth import PulseTrain

LN9 = math.log(9.0)


@dataclass(frozen=True)
class PhaseTruth:
    """One polarity's phase: plateau (A, magnitude against zero), width, charge, edges."""

    plateau_a: float
    width_s: float
    charge_c: float
    rise_s: float
    fall_s: float


def burst_duty(train: PulseTrain) -> float:
    """Share of pulse slots that carry a pulse."""
    if train.burst_pulses is None:
        return 1.0
    return train.burst_pulses / (train.burst_pulses + train.burst_off_pulses)


def phase_truth(train: PulseTrain, positive: bool) -> PhaseTruth:
    """The true phase of one polarity (a monophasic train's or a biphasic pair's)."""
    ip, ineg, d, leak = train.amplitude_pos_a, train.neg_a, train.width_s, train.leak_a
    mine = ip if positive else ineg
    plateau = mine + (leak if positive else -leak)
    tau, e = train.edge_tau_s, train.edge_s
    if train.width_neg_s is not None:
        if not train.biphasic or tau is not None or train.gap_s < e:
            raise ValueError(
                "unequal widths: closed form only for a biphasic pair whose "
                "phases are separated by a gap of at least the linear edge"
            )
        d = d if positive else train.neg_width_s
    if not train.biphasic or (tau is None and train.gap_s >= e):
        if tau is not None:
            return PhaseTruth(plateau, d, plateau * d, tau * LN9, tau * LN9)
        return PhaseTruth(plateau, d, plateau * d, 0.8 * e, 0.8 * e)
    if tau is None:
        lobe = _linear_gapless(ip, ineg, d, e, positive)
        # a leak moves the baseline with the levels: the crossings stay, the plateau
        # and the charge (above the baseline, plus the leak over the width) move with it
        shift = leak if positive else -leak
        return replace(lobe, plateau_a=lobe.plateau_a + shift,
                       charge_c=lobe.charge_c + shift * lobe.width_s)  # fmt: skip
    return _first_order_pair(ip, ineg, d, train.gap_s, tau, positive)


def _linear_gapless(ip: float, ineg: float, d: float, e: float, positive: bool) -> PhaseTruth:
    """Gapless pair with linear edges: the + fall and - rise are one ramp +Ip -> -In."""
    total = ip + ineg
    ramp_start = d - e / 2
    if positive:
        fall50 = ramp_start + e * ip / (2 * total)
        charge = ip * (d - e / 2) + ip * ip * e / (2 * total)
        return PhaseTruth(ip, fall50, charge, 0.8 * e, 0.8 * e * ip / total)
    rise50 = ramp_start + e * (ip + ineg / 2) / total
    charge = ineg * (d - e / 2) + ineg * ineg * e / (2 * total)
    return PhaseTruth(ineg, 2 * d - rise50, charge, 0.8 * e * ineg / total, 0.8 * e)


def _first_order_pair(
    ip: float, ineg: float, d: float, g: float, tau: float, positive: bool
) -> PhaseTruth:
    """Pair with first-order edges: the + tail decays over the gap, then into the - drive."""
    y_g = ip * math.exp(-g / tau)

    def plus_fall(level: float) -> float:
        """Time after the end of the + drive at which the + lobe falls to level x Ip."""
        s = tau * math.log(1 / level)
        return s if s <= g else g + tau * math.log((y_g + ineg) / (level * ip + ineg))

    def minus_rise(level: float) -> float:
        """Time after the - step at which the - lobe reaches level x In (magnitude)."""
        return tau * math.log((y_g + ineg) / ((1 - level) * ineg))

    lost = ineg * tau * math.log(1 + y_g / ineg)
    if positive:
        width = d + plus_fall(0.5) - tau * math.log(2)
        return PhaseTruth(ip, width, ip * d - lost, tau * LN9, plus_fall(0.1) - plus_fall(0.9))
    width = d + tau * math.log(2) - minus_rise(0.5)
    return PhaseTruth(ineg, width, ineg * d - lost, minus_rise(0.9) - minus_rise(0.1), tau * LN9)


def mean_current_a(train: PulseTrain) -> float:
    """Mean over whole polarity cycles (whole pulse periods when there are none)."""
    ip, ineg, f, d = train.amplitude_pos_a, train.neg_a, train.frequency_hz, train.width_s
    duty = burst_duty(train)
    if train.biphasic:
        pulses = (ip * d - ineg * train.neg_width_s) * f
    elif train.pulses_per_polarity is None:
        pulses = ip * d * f
    else:
        pulses = (ip - ineg) * d * f / 2
    return pulses * duty + train.leak_a


def _square_per_phase(train: PulseTrain, amplitude: float, d: float | None = None) -> float:
    """Integral of i^2 over one settled monophasic phase (or a biphasic phase with gap)."""
    d = train.width_s if d is None else d
    if train.edge_tau_s is not None:
        return amplitude**2 * (d - train.edge_tau_s)
    flat = amplitude**2 * (d - train.edge_s / 3)
    if not train.ring_fraction:
        return flat
    a, w, r = 1.0 / train.ring_tau_s, 2 * math.pi * train.ring_hz, train.ring_fraction
    first = w / (w * w + a * a)
    second = 1 / (4 * a) - a / (4 * a * a + 4 * w * w)
    return flat + 2 * amplitude**2 * r * first + 2 * (r * amplitude) ** 2 * second


def _square_per_pair(train: PulseTrain) -> float:
    """Integral of i^2 over one biphasic pair."""
    if train.width_neg_s is not None and (
        train.edge_tau_s is not None or train.gap_s < train.edge_s
    ):
        raise ValueError("unequal widths: closed form only with a gap of at least the edge")
    ip, ineg, d, g, e = train.amplitude_pos_a, train.neg_a, train.width_s, train.gap_s, train.edge_s
    tau = train.edge_tau_s
    if tau is not None:
        y_g = ip * math.exp(-g / tau)
        c = y_g + ineg
        return (
            ip**2 * (d - 1.5 * tau)
            + ip**2 * tau / 2 * (1 - math.exp(-2 * g / tau))
            + ineg**2 * d
            - 2 * ineg * c * tau
            + c * c * tau / 2
            + ineg**2 * tau / 2
        )
    if g >= e:
        return _square_per_phase(train, ip) + _square_per_phase(train, ineg, train.neg_width_s)
    flat = (ip**2 + ineg**2) * (d - e)
    outer = (ip**2 + ineg**2) * e / 3
    return flat + outer + e * (ip**2 - ip * ineg + ineg**2) / 3


def mean_square_a2(train: PulseTrain) -> float:
    """Mean of i^2 over whole cycles, leak included: ms(p + L) = ms(p) + 2 L mean(p) + L^2."""
    f, duty, leak = train.frequency_hz, burst_duty(train), train.leak_a
    if train.biphasic:
        pulses = _square_per_pair(train) * f
    elif train.pulses_per_polarity is None:
        pulses = _square_per_phase(train, train.amplitude_pos_a) * f
    else:
        both = _square_per_phase(train, train.amplitude_pos_a)
        both += _square_per_phase(train, train.neg_a)
        pulses = both / 2 * f
    pulse_mean = mean_current_a(train) - leak
    return pulses * duty + 2 * leak * pulse_mean + leak**2


def average_abs_a(train: PulseTrain) -> float:
    """Mean |i| over whole cycles (no leak: each lobe keeps its sign)."""
    f, duty = train.frequency_hz, burst_duty(train)
    q_pos = phase_truth(train, True).charge_c
    q_neg = phase_truth(train, False).charge_c
    if train.biphasic:
        return (q_pos + q_neg) * f * duty
    if train.pulses_per_polarity is None:
        return q_pos * f * duty
    return (q_pos + q_neg) / 2 * f * duty


def phase_charge_c(train: PulseTrain, positive: bool) -> float:
    """The true charge of one polarity's phase (``phase_truth``'s)."""
    return phase_truth(train, positive).charge_c


def rms_current_a(train: PulseTrain) -> float:
    return math.sqrt(mean_square_a2(train))


def ramp_10_90_s(train: PulseTrain) -> float | None:
    """The soft start's 10 -> 90 % time (a linear envelope: 0.8 of its length); None
    without a soft start."""
    return None if train.ramp_start_s is None else 0.8 * train.ramp_length_s
