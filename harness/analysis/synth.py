"""Synthetic captures with known truth, for accuracy tests and benchmarks.

An analysis routine can only be trusted if it recovers numbers that were put in on
purpose. This module builds what a scope would record across the load resistor for a
pulse train described by its *generating parameters* (`PulseTrain`); `synth_truth`
computes the true metrics from those same parameters in closed form (never from the
samples), so a test can compare the two.

The current is a sum of **edges**. Each pulse period holds the drive steps of one pulse:
monophasic, ``+a`` at 0 and ``-a`` at ``width_s`` (``a`` reversing sign after
`pulses_per_polarity` pulses); biphasic, ``+Ip`` at 0, ``-Ip`` at ``width_s``, ``-In``
after the interphase `gap_s` and ``+In`` one width later. Each step is shaped by the
output stage, either

- **linear** (`edge_s`, 0 -> 100 %, centred on the step time, so the 50 % points of a
  phase are exactly `width_s` apart), optionally followed by damped **ringing**
  (`ring_fraction` of the step, `ring_hz`, decay `ring_tau_s`) starting where the edge
  ends; or
- **first order** (`edge_tau_s`): ``1 - exp(-t / tau)`` from the step time, as an RC
  output filter or a slow current loop gives; each level is approached, never reached.

Only the steps of the previous, present and next period are summed (a linear edge
starts half an edge before its step): every period's steps add up to zero, so older
periods contribute ``exp(-T / tau)`` at most. Bursts switch
whole pulses off (`burst_pulses` on, `burst_off_pulses` off), a d.c. `leak_a` flows
all the time, a soft-start envelope rises 0 -> 100 % over `ramp_length_s`, and an
optional setpoint-step overshoot decays exponentially. The recording adds a scope's
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
    """Duration of each phase's drive; for linear edges its width at 50 %."""
    amplitude_pos_a: float
    amplitude_neg_a: float | None = None
    """Magnitude of the negative phases; None means equal to the positive ones."""
    biphasic: bool = False
    pulses_per_polarity: int | None = None
    """Monophasic only: the polarity reverses after this many pulses; None: never."""
    edge_s: float = 20e-6
    first_edge_s: float = 0.0
    """Time of the first pulse's rising step; negative starts the record mid-pulse."""
    ramp_start_s: float | None = None
    ramp_length_s: float = 1.25
    overshoot_at_s: float | None = None
    overshoot_fraction: float = 0.0
    overshoot_tau_s: float = 2e-3
    gap_s: float = 0.0
    """Biphasic only: interphase gap between the end of the + drive and the - drive."""
    edge_tau_s: float | None = None
    """First-order edges with this time constant instead of linear ones."""
    ring_fraction: float = 0.0
    ring_hz: float = 0.0
    ring_tau_s: float = 1e-4
    burst_pulses: int | None = None
    """Pulses per burst; None: no pauses."""
    burst_off_pulses: int = 0
    """Pulse slots left empty after each burst (the pause)."""
    leak_a: float = 0.0
    """A d.c. current flowing all the time (a leaky output switch)."""
    width_neg_s: float | None = None
    """Biphasic only: the - phase's drive duration; None: the same as `width_s`."""

    @property
    def period_s(self) -> float:
        return 1.0 / self.frequency_hz

    @property
    def neg_width_s(self) -> float:
        return self.width_s if self.width_neg_s is None else self.width_neg_s

    @property
    def neg_a(self) -> float:
        return self.amplitude_pos_a if self.amplitude_neg_a is None else self.amplitude_neg_a

    @property
    def polarity_period_s(self) -> float | None:
        """Time of one full + then - cycle; None when biphasic or never reversing."""
        if self.biphasic or self.pulses_per_polarity is None:
            return None
        return 2 * self.pulses_per_polarity * self.period_s

    def edges(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Step times within a period, their sizes, and which carry the pulse's sign.

        The third array is 1 for steps whose sign follows the monophasic polarity.
        """
        w, ip, ineg = self.width_s, self.amplitude_pos_a, self.neg_a
        if self.biphasic:
            g = self.gap_s
            return (
                np.array([0.0, w, w + g, w + g + self.neg_width_s]),
                np.array([ip, -ip, -ineg, ineg]),
                np.zeros(4),
            )
        return np.array([0.0, w]), np.array([1.0, -1.0]), np.ones(2)

    def current(self, t: FloatArray) -> FloatArray:
        """The ideal current at times t (no noise, offset or quantisation)."""
        period = self.period_s
        times, steps, signed = self.edges()
        shifted = t - self.first_edge_s
        k = np.floor(shifted / period)
        u = shifted - k * period
        out = np.zeros(t.shape)
        for back in (1, 0, -1):
            amp_pos, _, on = self._pulse(k - back)
            for t_e, step, follows in zip(times, steps, signed, strict=True):
                if follows:
                    size = np.where(amp_pos, self.amplitude_pos_a, -self.neg_a) * step
                else:
                    size = np.full(t.shape, step)
                out += np.where(on, size, 0.0) * self._response(u + back * period - t_e)
        return out * self._envelope(t) + self.leak_a

    def _pulse(
        self, k: FloatArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Per pulse index: positive?, negative?, delivered at all (bursts)?"""
        if self.pulses_per_polarity is None:
            positive = np.ones(k.shape, dtype=bool)
        else:
            positive = (np.floor_divide(k, self.pulses_per_polarity) % 2) == 0
        on = np.ones(k.shape, dtype=bool)
        if self.burst_pulses is not None:
            on = np.mod(k, self.burst_pulses + self.burst_off_pulses) < self.burst_pulses
        return positive, ~positive, on

    def _response(self, d: FloatArray) -> FloatArray:
        """Unit step response of the output stage at time d after the step."""
        if self.edge_tau_s is not None:
            y = np.where(d >= 0, -np.expm1(-np.maximum(d, 0.0) / self.edge_tau_s), 0.0)
            ring_from = d
        else:
            e = max(self.edge_s, 1e-12 * self.period_s)
            y = np.clip(d / e + 0.5, 0.0, 1.0)
            ring_from = d - e / 2
        if self.ring_fraction:
            r = np.maximum(ring_from, 0.0)
            y = y + self.ring_fraction * np.where(
                ring_from >= 0,
                np.exp(-r / self.ring_tau_s) * np.sin(2 * math.pi * self.ring_hz * r),
                0.0,
            )
        return y

    def _envelope(self, t: FloatArray) -> FloatArray:
        env = np.ones_like(t)
        if self.ramp_start_s is not None:
            env = np.clip((t - self.ramp_start_s) / self.ramp_length_s, 0.0, 1.0)
        if self.overshoot_at_s is not None and self.overshoot_fraction:
            age = t - self.overshoot_at_s
            decay = np.exp(-np.maximum(age, 0.0) / self.overshoot_tau_s) * (age >= 0)
            env = env + self.overshoot_fraction * decay
        return env


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
    reach = max(train.amplitude_pos_a, train.neg_a) * (
        1 + train.overshoot_fraction + train.ring_fraction
    )
    peak_v = (reach + abs(train.leak_a)) * load_ohms + 3 * noise_v
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
