"""Direct currents from the ammeter in series with the load.

The DMM integrates over its aperture (NPLC / line frequency), so it reads the *mean*
current: the d.c. component of a pulse train, a leakage, a suspended output. Choosing
the aperture is part of the method: with NPLC 100 at 50 Hz one reading lasts 2.0 s,
exactly one polarity cycle of the RMD-1, so each reading of a healthy unit averages to
zero whatever phase it starts in, and five readings span five whole cycles (WAV-DC).
The budget takes the accuracy line of the range in use from the bench file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.bench import Bench
from harness.uncertainty import UncertaintyBudget


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
    entry = bench.file.instrument("ammeter")
    spec = entry.accuracy_for(range_a * 1e6, "uA") if entry is not None else None
    budget = UncertaintyBudget()
    if spec is not None:
        budget.add_accuracy("ammeter accuracy", mean, spec.reading_pct, spec.range_pct, range_a)
    else:
        budget.add_accuracy(
            "ammeter accuracy (no bench line; 0.1 % rng assumed)", mean, 0.0, 0.1, range_a
        )
    budget.add_repeatability("repeatability", readings.tolist())
    return DcReading(
        mean_a=mean,
        readings_a=tuple(readings.tolist()),
        budget=budget,
        range_a=range_a,
        aperture_s=bench.ammeter.aperture_s,
    )


def pulse_train_mean(bench: Bench, *, range_a: float, count: int = 10) -> DcReading:
    """Mean |current| of the pulse train within one polarity half-cycle.

    With NPLC 10 (0.2 s at 50 Hz) each reading spans whole pulse periods at every RMD-1
    frequency, so it is the peak times the duty cycle whatever phase it starts in; the
    readings that straddle a polarity reversal come out smaller, so the median of the
    magnitudes is taken. Two such values on the same range form a ratio whose gain
    error cancels (OUT-LOAD, OUT-LINE).
    """
    bench.ammeter.configure_dc_current(range_a, 10.0)
    readings = np.abs(np.asarray(bench.ammeter.read_currents(count), dtype=float))
    value = float(np.median(readings))
    entry = bench.file.instrument("ammeter")
    spec = entry.accuracy_for(range_a * 1e6, "uA") if entry is not None else None
    budget = UncertaintyBudget()
    if spec is not None:
        budget.add_accuracy("ammeter accuracy", value, spec.reading_pct, spec.range_pct, range_a)
    full = readings[readings >= 0.9 * value]
    budget.add_repeatability("repeatability (full half-cycle readings)", full.tolist())
    return DcReading(
        mean_a=value,
        readings_a=tuple(readings.tolist()),
        budget=budget,
        range_a=range_a,
        aperture_s=bench.ammeter.aperture_s,
    )
