"""The analog half of the simulated RMD-1: output stage, load network, battery.

What a QA engineer needs to picture. The device pushes a *regulated current* through
sphere A, the gel and skin (here: the ammeter's burden resistance plus a load resistor)
and back through sphere B. The firmware decides *what* to deliver (a `Drive`: amplitude,
pulse rate, soft-start ramp); this module decides what actually flows:

- **Pulses.** Monophasic rectangular pulses at 50 % duty, edges rising and falling in
  about 20 us, positive for one second then negative for one second (the polarity
  reverses every 1.0 s so the skin sees no net charge over whole cycles).
- **Compliance.** The current source can push at most its compliance voltage (12 V):
  |i| <= Vcomp / (R_load + R_burden). At 10 kOhm, 400 uA needs 4 V (fine); at 100 kOhm
  only 120 uA can flow and the load sees the full 12 V.
- **Soft start.** The pulse envelope rises linearly 0 -> 100 % over 1.25 s (10 % -> 90 %
  in 1.0 s), so nobody feels a jolt on contact. Without it a setpoint step overshoots by
  25 % and decays with a 2 ms time constant.
- **Output capacitance.** 100 nF across the output. Driving an open circuit charges it to
  the compliance voltage; touching a load then discharges it: a spike of Vcomp/R decaying
  with tau = R*C. A healthy unit avoids that by suspending the output on contact loss.
- **Imperfections.** Negative phases are 0.1 % weaker than positive ones; the amplitude
  rises 0.4 %/V with battery voltage (line regulation); a leaky switch adds d.c.
- **Battery draw.** The cell supplies the quiescent current of the electronics plus the
  output power through a boost converter; that is what the bench supply reads back.

Time here is *virtual* bench time in seconds. All observations are vectorised over a
numpy time array: one `Segment` (a stretch of constant drive and load) at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from harness.sim import pulse_runs

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Level = float | FloatArray
"""A quantity that is either constant over the times asked about or one value per time."""
Mode = Literal["idle", "pulses", "dc"]

EDGE_TIME_S = 20e-6
"""Rise and fall time of each pulse edge (linear)."""
SOFT_START_S = 1.25
"""Envelope 0 -> 100 %, device seconds; 10 % -> 90 % therefore takes 1.0 s (WAV-RAMP)."""
OVERSHOOT_FRACTION = 0.25
"""Overshoot of an unramped setpoint step, as a fraction of the step."""
OVERSHOOT_TAU_S = 2e-3
OUTPUT_CAPACITANCE_F = 100e-9
NOMINAL_PHASE_MISMATCH = 0.001
"""Negative phases are this fraction weaker than positive ones (within the 0.2 % budget)."""
LINE_REGULATION_PER_V = 0.004
LINE_REFERENCE_V = 3.8
BOOST_CONVERTER_EFFICIENCY = 0.8
QUIESCENT_OFF_A = 2e-6
QUIESCENT_STANDBY_A = 8e-3
QUIESCENT_TREATING_A = 12e-3
CHARGER_PRESENT_V = 4.5
CHARGER_IDLE_A = 3e-3
CHARGE_CURRENT_A = 0.3
BATTERY_FULL_V = 4.15


@dataclass(frozen=True, slots=True)
class OutputStage:
    """The unit's fixed analog properties (healthy values unless a fault changed them)."""

    compliance_v: float = 12.0
    negative_phase_factor: float = 1.0 - NOMINAL_PHASE_MISMATCH
    stuck_polarity: bool = False
    leak_a: float = 0.0
    edge_s: float = EDGE_TIME_S
    edge_tau_s: float = 0.0
    """First-order pulse edges with this time constant (a slow output stage, an output
    filter) instead of the linear ``edge_s`` ramps; 0: linear edges."""
    biphasic_gap_s: float | None = None
    """Biphasic pulse pairs (+ phase, this gap at zero, - phase of equal width, both within
    the half period a monophasic pulse takes) instead of monophasic pulses whose polarity
    reverses every half cycle; None: monophasic."""


@dataclass(frozen=True, slots=True)
class Drive:
    """What the firmware asks of the output stage; times are virtual seconds.

    `origin` is where the pulse train (or the d.c. step) started: pulses and polarity
    half-cycles count from it. `period` and `half_cycle` are already scaled by the
    device's clock error. `ramp_start` is None when no soft-start ramp applies.
    """

    mode: Mode = "idle"
    amplitude_a: float = 0.0
    origin: float = 0.0
    period: float = 0.1
    half_cycle: float = 1.0
    ramp_start: float | None = None
    ramp_length: float = SOFT_START_S
    overshoot_start: float | None = None
    overshoot_a: float = 0.0


IDLE = Drive()


@dataclass(frozen=True, slots=True)
class Spike:
    """Discharge of the output capacitance into a newly touched load."""

    start: float
    amplitude_a: float
    tau: float


@dataclass(frozen=True, slots=True)
class Segment:
    """From `start` until the next segment: one drive into one load network."""

    start: float
    drive: Drive
    load_ohms: float | None
    burden_ohms: float
    spike: Spike | None = None


def current_limit(stage: OutputStage, load_ohms: float | None, burden_ohms: float) -> float:
    """The most current the compliance voltage can push through the external path."""
    if load_ohms is None:
        return 0.0
    return stage.compliance_v / (load_ohms + burden_ohms)


def regulated_amplitude(setpoint_a: float, battery_v: float, gain: float) -> float:
    """Delivered peak for a setpoint: sense gain and a tiny battery dependence."""
    return setpoint_a * gain * (1.0 + LINE_REGULATION_PER_V * (battery_v - LINE_REFERENCE_V))


_NEGLIGIBLE_TAUS = 50.0
"""exp(-50) < 2e-22: after this many time constants a decay is exactly nothing here."""


def _decay(t: FloatArray, start: float, tau: float) -> FloatArray | None:
    """exp(-(t - start)/tau) for t >= start, 0 before; None where it is negligible."""
    if t.size == 0 or float(t.min()) - start > _NEGLIGIBLE_TAUS * tau or float(t.max()) < start:
        return None
    since = t - start
    out = np.zeros(t.shape)
    live = (since >= 0.0) & (since < _NEGLIGIBLE_TAUS * tau)
    out[live] = np.exp(-since[live] / tau)
    return out


def _envelope(drive: Drive, t: FloatArray) -> Level:
    """The setpoint at times t: amplitude x soft-start ramp, plus any overshoot.

    A plain float when it is constant over t (the common, fast case).
    """
    level: Level = drive.amplitude_a
    ramp = drive.ramp_start
    if ramp is not None and t.size and float(t.min()) < ramp + drive.ramp_length:
        level = drive.amplitude_a * np.clip((t - ramp) / drive.ramp_length, 0.0, 1.0)
    if drive.overshoot_start is not None and drive.overshoot_a != 0.0:
        decay = _decay(t, drive.overshoot_start, OVERSHOOT_TAU_S)
        if decay is not None:
            level = level + drive.overshoot_a * decay
    return level


def _level_at(drive: Drive, t: float) -> float:
    return float(np.asarray(_envelope(drive, np.array([t]))).ravel()[0])


def _polarity_factor(drive: Drive, rel: FloatArray, pos: Level, neg: Level) -> FloatArray:
    """`pos` where the polarity is positive, `-neg` where negative (rel: time from origin)."""
    phase = rel * (0.5 / drive.half_cycle)
    phase -= np.floor(phase)
    positive: BoolArray = phase < 0.5
    if isinstance(pos, float) and isinstance(neg, float):
        np.multiply(positive, pos + neg, out=phase)
        phase -= neg
        return phase
    return np.where(positive, pos, np.negative(neg))


def biphasic_phase_s(stage: OutputStage, drive: Drive) -> float:
    """Width of each phase of a biphasic pair: the pair and its gap fill half a period."""
    gap = stage.biphasic_gap_s or 0.0
    return max(0.0, 0.5 * (0.5 * drive.period - gap))


def _first_order(rel: FloatArray, on: float, width: float, tau: float) -> FloatArray:
    """0..1 response of a first-order stage to a rectangular pulse [on, on + width)."""
    x = rel - on
    rise = -np.expm1(-np.clip(x, 0.0, None) / tau)
    top = -np.expm1(-width / tau)
    fall = top * np.exp(-np.clip(x - width, 0.0, None) / tau)
    return np.where(x < 0.0, 0.0, np.where(x < width, rise, fall))


def _shaped(stage: OutputStage, drive: Drive, rel: FloatArray) -> FloatArray:
    """Signed -1..1 shape of one period, for first-order edges or biphasic pairs."""
    x = rel * (1.0 / drive.period)
    x -= np.floor(x)
    x *= drive.period
    if stage.biphasic_gap_s is None:
        width = 0.5 * drive.period
        if stage.edge_tau_s > 0.0:
            return _first_order(x, 0.0, width, stage.edge_tau_s)
        return np.clip(np.minimum(x, width + stage.edge_s - x) / stage.edge_s, 0.0, 1.0)
    w = biphasic_phase_s(stage, drive)
    second = w + stage.biphasic_gap_s
    if stage.edge_tau_s > 0.0:
        return _first_order(x, 0.0, w, stage.edge_tau_s) - _first_order(
            x, second, w, stage.edge_tau_s
        )
    pos = np.clip(np.minimum(x, w + stage.edge_s - x) / stage.edge_s, 0.0, 1.0)
    y = x - second
    neg = np.clip(np.minimum(y, w + stage.edge_s - y) / stage.edge_s, 0.0, 1.0)
    return pos - neg


def _pulse_shape(stage: OutputStage, drive: Drive, rel: FloatArray) -> FloatArray:
    """The 0..1 trapezoid pulse train, computed in place over rel (time from origin)."""
    if stage.edge_tau_s > 0.0 or stage.biphasic_gap_s is not None:
        return _shaped(stage, drive, rel)
    rel *= 1.0 / drive.period
    rel -= np.floor(rel)
    high = 0.5 + stage.edge_s / drive.period
    other = np.subtract(high, rel)
    np.minimum(rel, other, out=rel)
    rel *= drive.period / stage.edge_s
    np.clip(rel, 0.0, 1.0, out=rel)
    return rel


def _signed_pulses(
    stage: OutputStage,
    drive: Drive,
    t: FloatArray,
    pos: Level,
    neg: Level,
    ascending: bool = False,
) -> FloatArray:
    """Pulse train times `pos` on positive half-cycles and `-neg` on negative ones.

    `ascending` times (a scope record) of a plain trapezoid train under a constant
    envelope are computed a flat run at a time, to the same bits (`pulse_runs`).
    """
    plain = stage.edge_tau_s == 0.0 and stage.biphasic_gap_s is None
    if ascending and plain and isinstance(pos, float) and isinstance(neg, float):
        p, q = pos, neg
        runs = pulse_runs.by_runs(
            lambda times: _signed_pulses(stage, drive, times, p, q),
            t,
            origin=drive.origin,
            period=drive.period,
            edge_s=stage.edge_s,
            half_cycle=None if stage.stuck_polarity else drive.half_cycle,
        )
        if runs is not None:
            return runs
    rel = np.subtract(t, drive.origin)
    if stage.biphasic_gap_s is not None:  # each pair balanced: no polarity reversal
        shape = _pulse_shape(stage, drive, rel)
        positive = shape > 0.0
        return np.where(positive, shape * pos, shape * neg)
    factor = pos if stage.stuck_polarity else _polarity_factor(drive, rel, pos, neg)
    shape = _pulse_shape(stage, drive, rel)
    shape *= factor
    return shape


def _driven(
    stage: OutputStage, drive: Drive, t: FloatArray, limit: float, ascending: bool
) -> FloatArray:
    """Regulated output current (A) into a load that allows at most `limit`."""
    if drive.mode == "idle":
        return np.zeros(t.shape)
    level = _envelope(drive, t)
    if drive.mode == "dc":
        rise = np.clip((t - drive.origin) / stage.edge_s, 0.0, 1.0)
        rise *= np.minimum(level, limit)
        return rise
    if isinstance(level, float):
        pos: Level = min(level, limit)
        neg: Level = min(level * stage.negative_phase_factor, limit)
    else:
        pos = np.minimum(level, limit)
        neg = np.minimum(level * stage.negative_phase_factor, limit)
    return _signed_pulses(stage, drive, t, pos, neg, ascending)


def current(
    stage: OutputStage, seg: Segment, t: FloatArray, *, ascending: bool = False
) -> FloatArray:
    """Current through the load (A, sphere A -> B positive) at times t within `seg`;
    `ascending`: t is in ascending order (a caller's promise that saves work)."""
    if seg.load_ohms is None:
        return np.zeros(t.shape)
    limit = current_limit(stage, seg.load_ohms, seg.burden_ohms)
    out = _driven(stage, seg.drive, t, limit, ascending)
    if stage.leak_a != 0.0:
        out += float(np.clip(stage.leak_a, -limit, limit))
    if seg.spike is not None:
        decay = _decay(t, seg.spike.start, seg.spike.tau)
        if decay is not None:
            out += seg.spike.amplitude_a * decay
    return out


def voltage(
    stage: OutputStage, seg: Segment, t: FloatArray, *, ascending: bool = False
) -> FloatArray:
    """Voltage across the load resistor; an open circuit shows the compliance voltage."""
    if seg.load_ohms is not None:
        volts = current(stage, seg, t, ascending=ascending)
        volts *= seg.load_ohms  # in place: a scope record's 8 MB not allocated twice
        return volts
    drive = seg.drive
    if drive.mode == "idle" or drive.amplitude_a <= 0.0:
        return np.zeros(t.shape)
    if drive.mode == "dc":
        return np.clip((t - drive.origin) / stage.edge_s, 0.0, 1.0) * stage.compliance_v
    level = _envelope(drive, t)
    if isinstance(level, float):
        compliance = stage.compliance_v
        return _signed_pulses(stage, drive, t, compliance, compliance, ascending)
    on = np.where(np.asarray(level) > 0.0, stage.compliance_v, 0.0)
    return _signed_pulses(stage, drive, t, on, on)


def breakpoints(stage: OutputStage, seg: Segment, a: float, b: float) -> FloatArray:
    """Sorted times in [a, b] between which the current is smooth (for exact integration).

    Pulse edges, polarity reversals, ramp end and clamp onset are kinks; after an
    overshoot or a spike the exponential is cut into short pieces so that a 3-point
    Gauss rule is accurate to far below a nanoampere.
    """
    parts: list[FloatArray] = [np.array([a, b])]
    drive = seg.drive
    if drive.mode == "pulses":
        n0 = np.floor((a - drive.origin) / drive.period) - 1
        n1 = np.ceil((b - drive.origin) / drive.period) + 1
        base = drive.origin + np.arange(n0, n1 + 1) * drive.period
        half = 0.5 * drive.period
        edges = [0.0, half]
        if stage.biphasic_gap_s is not None:
            w = biphasic_phase_s(stage, drive)
            edges = [0.0, w, w + stage.biphasic_gap_s, 2 * w + stage.biphasic_gap_s]
        after = (
            stage.edge_tau_s * np.array([0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0])
            if stage.edge_tau_s > 0.0
            else np.array([stage.edge_s])
        )
        for edge in edges:
            parts.append(base + edge)
            parts += [base + edge + d for d in after]
        m0 = np.floor((a - drive.origin) / drive.half_cycle)
        m1 = np.ceil((b - drive.origin) / drive.half_cycle)
        parts.append(drive.origin + np.arange(m0, m1 + 1) * drive.half_cycle)
    elif drive.mode == "dc":
        parts.append(np.array([drive.origin, drive.origin + stage.edge_s]))
    if drive.mode != "idle" and drive.ramp_start is not None:
        r = drive.ramp_start
        parts.append(np.array([r, r + drive.ramp_length]))
        limit = current_limit(stage, seg.load_ohms, seg.burden_ohms)
        for peak in (drive.amplitude_a, drive.amplitude_a * stage.negative_phase_factor):
            if peak > limit > 0.0:
                parts.append(np.array([r + drive.ramp_length * limit / peak]))
    if drive.mode != "idle" and drive.overshoot_start is not None:
        parts.append(drive.overshoot_start + OVERSHOOT_TAU_S * np.arange(0.0, 30.0, 0.25))
    if seg.spike is not None:
        parts.append(seg.spike.start + seg.spike.tau * np.arange(0.0, 40.0, 0.25))
    points = np.concatenate(parts)
    return np.unique(points[(points >= a) & (points <= b)])


def batches_exactly(seg: Segment, a: float, b: float) -> bool:
    """Whether `current` gives each time in [a, b] the same bits in one call as in many.

    Its fast paths are chosen by the times of a call, not per time: an envelope that is
    constant over them (no soft start still rising, no overshoot to add) is applied by
    arithmetic that can round a plateau by one ulp differently from the per-time
    envelope, and a decay that is negligible over them is skipped. Inside [a, b] every
    set of times makes the same choices unless a ramp ends there or an overshoot's or a
    contact spike's decay is alive there; then a caller splitting its times between
    calls must make the calls it would have made (`SegmentHistory.integrate_windows`).
    """
    drive = seg.drive
    if drive.ramp_start is not None and a < drive.ramp_start + drive.ramp_length <= b:
        return False
    decays = [(seg.spike.start, seg.spike.tau)] if seg.spike is not None else []
    if drive.overshoot_start is not None and drive.overshoot_a != 0.0:
        decays.append((drive.overshoot_start, OVERSHOOT_TAU_S))
    return all(a - start > _NEGLIGIBLE_TAUS * tau or b < start for start, tau in decays)


def polarity_at(stage: OutputStage, drive: Drive, t: float) -> float:
    """+1 or -1: the polarity of the pulse train at virtual time t."""
    if stage.stuck_polarity:
        return 1.0
    return 1.0 if (t - drive.origin) % (2.0 * drive.half_cycle) < drive.half_cycle else -1.0


def next_pulse_start(drive: Drive, t: float) -> float:
    """t itself if a pulse is on at t, else the next rising edge (where a step shows)."""
    x = (t - drive.origin) % drive.period
    return t if x < 0.5 * drive.period else t + (drive.period - x)


def contact_spike(
    stage: OutputStage, before: Segment, load_ohms: float | None, burden_ohms: float, t: float
) -> Spike | None:
    """The capacitor discharge when a load appears on an output sitting at compliance."""
    drive = before.drive
    if load_ohms is None or drive.mode == "idle" or drive.amplitude_a <= 0.0:
        return None
    before_limit = current_limit(stage, before.load_ohms, before.burden_ohms)
    if before.load_ohms is not None and _level_at(drive, t) <= before_limit:
        return None
    total = load_ohms + burden_ohms
    sign = 1.0 if drive.mode == "dc" else polarity_at(stage, drive, t)
    return Spike(t, sign * stage.compliance_v / total, total * OUTPUT_CAPACITANCE_F)


def mean_abs_output(stage: OutputStage, seg: Segment, t: float) -> float:
    """Average |i| the stage delivers around t (what the battery has to supply)."""
    drive = seg.drive
    if drive.mode == "idle" or seg.load_ohms is None:
        return 0.0
    limit = current_limit(stage, seg.load_ohms, seg.burden_ohms)
    level = min(_level_at(drive, t), limit)
    if drive.mode == "dc":
        return level
    if stage.biphasic_gap_s is not None:
        return level * 2.0 * biphasic_phase_s(stage, drive) / drive.period
    return 0.5 * level


def battery_current(
    quiescent_a: float, output_a: float, compliance_v: float, battery_v: float
) -> float:
    """Current drawn from the cell: electronics plus output power through the converter."""
    if battery_v <= 0.0:
        return 0.0
    return quiescent_a + output_a * compliance_v / BOOST_CONVERTER_EFFICIENCY / battery_v


def charger_current(charger_v: float, battery_v: float, current_limit_a: float) -> float:
    """Current drawn from the charger input: controller plus charge current until full."""
    if charger_v <= CHARGER_PRESENT_V:
        return 0.0
    charge = CHARGE_CURRENT_A if battery_v < BATTERY_FULL_V else 0.0
    return min(CHARGER_IDLE_A + charge, current_limit_a)
