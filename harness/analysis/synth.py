"""Synthetic captures with known truth, for accuracy tests and benchmarks.

An analysis routine can only be trusted if it recovers numbers that were put in on
purpose. This module builds what a scope would record across the load resistor for a
pulse train described by its *generating parameters* (`PulseTrain`), and computes the
true metrics from those same parameters (never from the samples), so a test can compare
the two.

The waveform follows the RMD-1 model in `harness/sim/physics.py`: rectangular phases
with linear edges (`edge_s`, 0 -> 100 %) whose 50 % points are exactly `width_s` apart,
either *monophasic* (one phase per pulse, polarity reversing after
`pulses_per_polarity` pulses, or never) or *biphasic* (a + phase immediately followed
by a - phase). A soft-start envelope rises linearly 0 -> 100 % over `ramp_length_s`, and
an optional setpoint-step overshoot decays exponentially. The recording adds a scope's
imperfections: Gaussian noise, a d.c. offset, and 8-bit quantisation described by an
InfiniiVision-like preamble (``V = (code - yref) * yinc + yorig``). A negative
`first_edge_s` makes the record start in the middle of a pulse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PulseTrain:
    """What the device delivers, in SI units (amperes, seconds)."""

    frequency_hz: float
    width_s: float
    """Width of each phase at 50 % of its plateau."""
    amplitude_pos_a: float
    amplitude_neg_a: float | None = None
    """Magnitude of the negative phases; None means equal to the positive ones."""
    biphasic: bool = False
    pulses_per_polarity: int | None = None
    """Monophasic only: the polarity reverses after this many pulses; None: never."""
    edge_s: float = 20e-6
    first_edge_s: float = 0.0
    """Time of the first pulse's rising 50 % point; negative starts the record mid-pulse."""
    ramp_start_s: float | None = None
    ramp_length_s: float = 1.25
    overshoot_at_s: float | None = None
    overshoot_fraction: float = 0.0
    overshoot_tau_s: float = 2e-3

    @property
    def period_s(self) -> float:
        return 1.0 / self.frequency_hz

    @property
    def neg_a(self) -> float:
        return self.amplitude_pos_a if self.amplitude_neg_a is None else self.amplitude_neg_a

    @property
    def polarity_period_s(self) -> float | None:
        """Time of one full + then - cycle; None when biphasic or never reversing."""
        if self.biphasic or self.pulses_per_polarity is None:
            return None
        return 2 * self.pulses_per_polarity * self.period_s

    def phase_charge_c(self, positive: bool) -> float:
        """Charge of one full-amplitude phase: a symmetric trapezoid has area I * width."""
        return (self.amplitude_pos_a if positive else self.neg_a) * self.width_s

    def mean_current_a(self) -> float:
        """Mean over whole polarity cycles (or whole pulse periods), at full amplitude."""
        ip, ineg, f, w = self.amplitude_pos_a, self.neg_a, self.frequency_hz, self.width_s
        if self.biphasic:
            return (ip - ineg) * w * f
        if self.pulses_per_polarity is None:
            return ip * w * f
        return (ip - ineg) * w * f / 2

    def mean_square_current_a2(self) -> float:
        """Mean of i^2 over whole cycles; linear edges of length e hold I^2 * e / 3 each."""
        ip, ineg, f, w, e = (
            self.amplitude_pos_a,
            self.neg_a,
            self.frequency_hz,
            self.width_s,
            self.edge_s,
        )
        if self.biphasic:
            flat = (ip**2 + ineg**2) * (w - e)
            outer = (ip**2 + ineg**2) * e / 3
            transition = e * (ip**2 - ip * ineg + ineg**2) / 3
            return (flat + outer + transition) * f
        if self.pulses_per_polarity is None:
            return ip**2 * (w - e / 3) * f
        return (ip**2 + ineg**2) / 2 * (w - e / 3) * f

    def rms_current_a(self) -> float:
        return math.sqrt(self.mean_square_current_a2())

    def average_abs_current_a(self) -> float:
        """Mean |i| over whole cycles; a symmetric trapezoid has mean |i| = I * w * f."""
        ip, ineg, f, w, e = (
            self.amplitude_pos_a,
            self.neg_a,
            self.frequency_hz,
            self.width_s,
            self.edge_s,
        )
        if self.biphasic:
            transition = e * (ip**2 + ineg**2) / (2 * (ip + ineg))
            return ((ip + ineg) * (w - e / 2) + transition) * f
        if self.pulses_per_polarity is None:
            return ip * w * f
        return (ip + ineg) / 2 * w * f

    def ramp_10_90_s(self) -> float | None:
        return None if self.ramp_start_s is None else 0.8 * self.ramp_length_s

    def current(self, t: FloatArray) -> FloatArray:
        """The ideal current at times t (no noise, offset or quantisation)."""
        period, w = self.period_s, self.width_s
        e = max(self.edge_s, 1e-12 * period)
        span = 2 * w if self.biphasic else w
        gap_mid = (period - span) / 2
        shifted = t - self.first_edge_s + gap_mid
        k = np.floor(shifted / period)
        u = shifted - k * period - gap_mid
        if self.biphasic:
            out = self.amplitude_pos_a * _trapezoid(u, w, e) - self.neg_a * _trapezoid(u - w, w, e)
        else:
            if self.pulses_per_polarity is None:
                negative = np.zeros(t.shape, dtype=bool)
            else:
                negative = (np.floor_divide(k, self.pulses_per_polarity) % 2) == 1
            amp = np.where(negative, -self.neg_a, self.amplitude_pos_a)
            out = amp * _trapezoid(u, w, e)
        return out * self._envelope(t)

    def _envelope(self, t: FloatArray) -> FloatArray:
        env = np.ones_like(t)
        if self.ramp_start_s is not None:
            env = np.clip((t - self.ramp_start_s) / self.ramp_length_s, 0.0, 1.0)
        if self.overshoot_at_s is not None and self.overshoot_fraction:
            age = t - self.overshoot_at_s
            decay = np.exp(-np.maximum(age, 0.0) / self.overshoot_tau_s) * (age >= 0)
            env = env + self.overshoot_fraction * decay
        return env


def _trapezoid(u: FloatArray, width: float, edge: float) -> FloatArray:
    """1 on the plateau, 0 outside, linear edges of length `edge` centred on 0 and width."""
    rise = u / edge + 0.5
    fall = (width - u) / edge + 0.5
    return np.clip(np.minimum(rise, fall), 0.0, 1.0)


@dataclass(frozen=True)
class ScopePreamble:
    """The vertical scaling of an 8-bit record: ``V = (code - yref) * yinc + yorig``."""

    xinc: float
    xorig: float
    yinc: float
    yorig: float
    yref: float


@dataclass(frozen=True, eq=False)
class SynthCapture:
    """A synthetic record: voltage across the load, sample spacing, and how it was made."""

    t0: float
    dt: float
    volts: FloatArray
    load_ohms: float
    train: PulseTrain
    preamble: ScopePreamble | None = None
    codes: npt.NDArray[np.uint8] | None = None


def synthesize(
    train: PulseTrain,
    *,
    sample_rate_hz: float,
    duration_s: float,
    load_ohms: float,
    noise_v: float = 0.0,
    offset_v: float = 0.0,
    quantize_8bit: bool = False,
    seed: int = 0,
    dtype: type[np.floating] = np.float64,
) -> SynthCapture:
    """Record `train` across `load_ohms` as a scope would, starting at t = 0.

    With `quantize_8bit` the vertical range is set like an operator would (the signal
    spans about 80 % of the screen) and the samples are the 8-bit codes converted back.
    """
    dt = 1.0 / sample_rate_hz
    n = round(duration_s * sample_rate_hz)
    rng = np.random.default_rng(seed)
    peak_v = max(train.amplitude_pos_a, train.neg_a) * load_ohms * (1 + train.overshoot_fraction)
    preamble = None
    if quantize_8bit:
        low = 0.0 if (not train.biphasic and train.pulses_per_polarity is None) else -peak_v
        yinc = (peak_v - low) / 0.8 / 256
        preamble = ScopePreamble(dt, 0.0, yinc, (peak_v + low) / 2, 128.0)
    volts = np.empty(n, dtype=dtype)
    codes = np.empty(n, dtype=np.uint8) if preamble else None
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        t = np.arange(a, b, dtype=np.float64) * dt
        v = train.current(t) * load_ohms + offset_v
        if noise_v:
            v += rng.normal(0.0, noise_v, b - a)
        if preamble is not None and codes is not None:
            c = np.clip(np.rint((v - preamble.yorig) / preamble.yinc + preamble.yref), 0, 255)
            codes[a:b] = c.astype(np.uint8)
            v = (c - preamble.yref) * preamble.yinc + preamble.yorig
        volts[a:b] = v
    return SynthCapture(0.0, dt, volts, load_ohms, train, preamble, codes)
