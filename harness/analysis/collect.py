"""Each metric's value, uncertainty and reason, from the phases and the timing.

`waveform.analyze_signal` measures the record; this module turns those measurements
into the reported metrics in SI units: the pulse frequency and polarity period
(`pulse_metrics`) and, per polarity, the median width, edges, plateau and charge
(`polarity_metrics`), each with its expanded uncertainty from `record_uncertainty`, or
None with the reason it cannot be measured from this record. A `Collector` gathers
them by name, so the metrics a user reads and their uncertainties cannot drift apart.
"""

from __future__ import annotations

import math

import numpy as np

from harness.analysis import record_uncertainty as ru
from harness.analysis.phase_metrics import PhaseMetrics
from harness.analysis.phases import Phases
from harness.analysis.timing import Timing

REPORTED = (
    "frequency_hz",
    "polarity_period_s",
    "pulse_width_pos_s",
    "pulse_width_neg_s",
    "rise_time_pos_s",
    "fall_time_pos_s",
    "rise_time_neg_s",
    "fall_time_neg_s",
    "peak_current_pos_a",
    "peak_current_neg_a",
    "charge_per_phase_pos_c",
    "charge_per_phase_neg_c",
    "max_charge_per_phase_c",
    "mean_current_a",
    "baseline_current_a",
    "rms_current_a",
)
"""Metrics that carry an uncertainty and, when None, a reason."""


class Collector:
    """Values, uncertainties and reasons by metric name, scaled to SI on the way in."""

    def __init__(self, dt: float, k: float, polarity_k: float) -> None:
        self.dt, self.k, self.polarity_k = dt, k, polarity_k
        self.values: dict[str, float | None] = dict.fromkeys(REPORTED)
        self.uncertainty: dict[str, float] = {}
        self.reasons: dict[str, str] = {}

    def put(self, name: str, value: float, u: float) -> None:
        self.values[name] = value
        self.uncertainty[name] = u

    def none(self, name: str, reason: str) -> None:
        self.values[name] = None
        self.reasons[name] = reason


def pulse_metrics(
    out: Collector, timing: Timing, pm: PhaseMetrics, phases: Phases, rec: ru.RecordNoise, n: int
) -> None:
    """Frequency and polarity period with their uncertainties, or the reasons."""
    dt = out.dt
    valid = pm.valid
    step = float(np.median(pm.step[valid])) if valid.any() else 0.0
    edge = pm.rise_time[valid & np.isfinite(pm.rise_time)]
    crossing = ru.crossing_u(rec, step, float(np.median(edge)) if edge.size else None)
    period = timing.pulse_period
    if period is None:
        reason = "no pulses found" if len(phases) == 0 else "fewer than two regular pulse starts"
        out.none("frequency_hz", reason)
    else:
        f = 1.0 / (period * dt)
        u = ru.frequency_u(f, period, timing.period_intervals, crossing, timing.period_runs)
        out.put("frequency_hz", f, u)
    if timing.polarity_period is not None:
        cycles = max(timing.cycles, 1)
        u = ru.K * math.sqrt(2.0) * crossing / cycles * dt
        out.put("polarity_period_s", timing.polarity_period * dt, u)
    elif timing.biphasic:
        out.none("polarity_period_s", "biphasic: the polarity reverses within every pulse")
    elif len(phases) and ((phases.polarity > 0).all() or (phases.polarity < 0).all()):
        out.none("polarity_period_s", "no polarity reversal in the record")
    else:
        out.none("polarity_period_s", "too few whole polarity bursts to time a cycle")


def polarity_metrics(
    out: Collector,
    tag: str,
    sign: int,
    phases: Phases,
    pm: PhaseMetrics,
    rec: ru.RecordNoise,
    smoothing: int,
) -> None:
    """Median width, edges, plateau and charge of one polarity, with U or reasons."""
    dt, k = out.dt, out.k
    if out.polarity_k < 0:  # a negative amperes_per_unit swaps which polarity is which
        tag = "neg" if tag == "pos" else "pos"
    names: tuple[str, ...] = (
        f"pulse_width_{tag}_s",
        f"rise_time_{tag}_s",
        f"fall_time_{tag}_s",
        f"peak_current_{tag}_a",
        f"charge_per_phase_{tag}_c",
    )
    polarity = sign * out.polarity_k
    mine = pm.valid & (phases.polarity == sign)
    label = "+" if polarity > 0 else "-"
    if not mine.any():
        present = bool((phases.polarity == sign).any())
        why = (
            f"no complete {label} phase: the record starts or ends inside it, or its "
            "50 % points were not found"
            if present
            else f"no {label} phases in the record"
        )
        for name in names:
            out.none(name, why)
        return
    step = float(np.median(pm.step[mine]))
    widths = pm.width[mine]
    edges = pm.rise_time[mine]
    edge = float(np.nanmedian(edges)) if np.isfinite(edges).any() else None
    one = math.sqrt(2.0) * ru.crossing_u(rec, step, edge)
    # a plateau not yet settled misplaces the 50 % level, and both crossings with it
    slope = 0.8 * step / max(edge or 1.0, 1.0)
    level = ru.settling_u(pm.settling[mine]) / slope if step > 0 else 0.0
    u_width = math.sqrt(ru.spread_u(widths, one) ** 2 + ru.locked_grid_u(edge) ** 2 + level**2)
    out.put(names[0], float(np.median(widths)) * dt, ru.K * u_width * dt)
    for name, values in ((names[1], pm.rise_time[mine]), (names[2], pm.fall_time[mine])):
        values = values[np.isfinite(values)]
        if smoothing > 1:
            out.none(name, f"noise needed a {smoothing}-sample average to find the phases; "
                     "10 % and 90 % points are not located in it")  # fmt: skip
        elif values.size == 0:
            out.none(name, "10 % or 90 % crossing not found")
        else:
            u_edge = math.hypot(ru.spread_u(values, one), ru.locked_grid_u(edge))
            u_edge = math.hypot(u_edge, level)
            out.put(name, float(np.median(values)) * dt, ru.K * u_edge * dt)
    lengths = (phases.stop - phases.start)[mine].astype(np.float64)
    plateaus = pm.plateau[mine]
    u_plateau = ru.plateau_u(rec, lengths, plateaus, pm.settling[mine])
    out.put(names[3], float(np.median(plateaus)) * k, u_plateau * k)
    charges = pm.charge[mine]
    beyond = float(np.median(pm.span[mine] - widths))
    u_q = ru.charge_u(rec, widths, lengths, charges, step, edge, max(beyond, 0.0))
    out.put(names[4], float(np.median(charges)) * dt * k, u_q * dt * k)
