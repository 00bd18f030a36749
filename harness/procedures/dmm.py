"""Direct currents from the ammeter in series with the load.

The DMM integrates over its aperture (NPLC / line frequency), so it reads the *mean*
current: the d.c. component of a pulse train, a leakage, a suspended output. Choosing
the aperture is part of the method: with NPLC 100 at 50 Hz one reading lasts 2.0 s,
exactly one polarity cycle of the RMD-1, so each reading of a healthy unit averages to
zero whatever phase it starts in, and five readings span five whole cycles (WAV-DC).
The budget takes the accuracy line of the range in use from the bench file
(``budgets.ammeter_accuracy``, with its assumption when the file has no such line).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.bench.station import Bench
from harness.events.steps import summary_step
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.budgets import ammeter_accuracy


@dataclass(frozen=True)
class DcReading:
    """Mean current over ``count`` readings, the readings, and its budget (A)."""

    mean_a: float
    readings_a: tuple[float, ...]
    budget: UncertaintyBudget
    range_a: float
    aperture_s: float


def read_dc_current(bench: Bench, *, range_a: float, nplc: float, count: int) -> DcReading:
    """Configure the ammeter and average ``count`` readings."""
    bench.ammeter.configure_dc_current(range_a, nplc)
    readings = np.asarray(bench.ammeter.read_currents(count), dtype=float)
    mean = float(readings.mean())
    budget = ammeter_accuracy(UncertaintyBudget(), bench.file, mean, range_a)
    budget.add_repeatability("repeatability", readings.tolist())
    return DcReading(
        mean_a=mean,
        readings_a=tuple(readings.tolist()),
        budget=budget,
        range_a=range_a,
        aperture_s=bench.ammeter.aperture_s,
    )


@dataclass(frozen=True)
class SampledOutput:
    """The pulse train as sampled by the ammeter with a short aperture (A).

    ``plateau_a`` is half the difference between the positive and negative plateau
    medians: a d.c. leak, which shifts both plateaus the same way, cancels. ``gap_a``
    is the median of the readings taken between pulses: the leak itself.
    """

    plateau_a: float
    gap_a: float
    positive: tuple[float, ...]
    negative: tuple[float, ...]
    gaps: tuple[float, ...]
    budget: UncertaintyBudget


SAMPLING_NPLC = 0.02
"""0.4 ms at 50 Hz: far shorter than the shortest RMD-1 pulse (12.5 ms at F3)."""
MEDIAN_EFFICIENCY = float(np.sqrt(np.pi / 2.0))
"""Standard error of the median of n normal readings over that of their mean (large n)."""


def gap_readings(readings: npt.NDArray[np.float64], span: float) -> npt.NDArray[np.float64]:
    """The readings of the level between the pulses: the cluster nearest zero current (a
    leak shifts it away from zero); their median is the gap level.

    The cluster is found from a reading that has company: at least a tenth of the
    readings within a tenth of the span. A lone reading caught on an edge can lie nearer
    zero than the gaps do (with a 20 uA leak, one edge sample at -17 uA beside 48 gap
    readings at +20 uA), and taken as the gap it made the negative pulses look like gaps
    and the plateau read 117 uA at level 1's 80 uA."""
    r = readings
    if not r.size or not span:
        return r
    company = (np.abs(r[:, None] - r[None, :]) < 0.1 * span).sum(axis=1)
    crowded = r[company >= max(3, 0.1 * r.size)]
    pool = crowded if crowded.size else r
    nearest = float(pool[np.argmin(np.abs(pool))])
    return r[np.abs(r - nearest) < 0.25 * span]


def sample_output(
    bench: Bench, *, range_a: float, bursts: int = 24, per_burst: int = 4, spacing_s: float = 0.107
) -> SampledOutput:
    """Sample the output with short readings spread over more than a polarity cycle.

    Each reading sees either a plateau or a gap. Readings are taken in bursts separated
    by ``spacing_s`` (not a multiple of any pulse period, so the samples walk across the
    pulses) for ``bursts`` × ``spacing_s`` ≈ 2.6 s, covering both polarities. Because no
    reading depends on integrating over whole pulse periods, the result does not depend
    on the unit's clock; two values on the same range form a ratio whose meter gain
    error cancels (OUT-LOAD, OUT-LINE, OUT-MONO, COM-STATE).
    """
    bench.ammeter.configure_dc_current(range_a, SAMPLING_NPLC)
    values: list[float] = []
    title = f"sample the output: {bursts} bursts of {per_burst} readings, {spacing_s:g} s apart"
    with summary_step(title) as outcome:
        for _ in range(bursts):
            values.extend(float(v) for v in bench.ammeter.read_currents(per_burst))
            bench.clock.sleep(spacing_s)
        outcome(f"{len(values)} readings, {min(values, default=0.0):.4g} to "
                f"{max(values, default=0.0):.4g} A")  # fmt: skip
    r = np.asarray(values)
    span = float(np.max(np.abs(r))) if r.size else 0.0
    gaps = gap_readings(r, span)
    gap = float(np.median(gaps)) if gaps.size else 0.0
    pos, neg = r[r - gap > 0.5 * span], r[r - gap < -0.5 * span]
    if pos.size and neg.size:
        plateau = (float(np.median(pos)) - float(np.median(neg))) / 2.0
    else:  # one polarity only (a stuck H-bridge): its plateau relative to the gaps
        one = pos if pos.size else neg
        plateau = abs(float(np.median(one)) - gap) if one.size else 0.0
    budget = ammeter_accuracy(UncertaintyBudget(), bench.file, plateau, range_a)
    # Type A from each median's readings. Both polarities: c = 1/2 each, the plateau
    # being half their difference; one polarity: c = 1 for it and for the gaps', the
    # plateau being their difference. A median's standard error is sqrt(pi/2) (1.25)
    # times the mean's for normal scatter: s / sqrt(n) alone understated it (OUT-LINE's
    # value moved by about its U between runs that drew other noise)
    both = bool(pos.size and neg.size)
    groups = [("positive plateau", pos), ("negative plateau", neg)]
    if not both:
        groups.append(("gap level", gaps))
    for name, group in groups:
        budget.add_type_a(
            f"{name} repeatability (median)",
            MEDIAN_EFFICIENCY * float(np.std(group, ddof=1)) / np.sqrt(group.size)
            if group.size >= 2
            else 0.0,
            int(group.size),
            sensitivity=0.5 if both else 1.0,
        )
    return SampledOutput(
        plateau_a=plateau,
        gap_a=gap,
        positive=tuple(pos.tolist()),
        negative=tuple(neg.tolist()),
        gaps=tuple(gaps.tolist()),
        budget=budget,
    )
