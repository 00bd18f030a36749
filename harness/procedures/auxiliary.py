"""Currents between the spheres when there should be none: suspended, charging, off.

Two readings of "the d.c. current", for two different questions:

* **Is the output really stopped?** (SAF-NOCONTACT-I, SAF-CHG-DC). A stopped output
  delivers nothing in *any* window. The RMD-1's polarity reverses only every second, so
  a DMM in DC mode at its usual aperture (NPLC 10: 200 ms at 50 Hz, whole pulse periods
  at F2 and F3, well inside one polarity half-cycle) reads an output that kept running
  as a d.c. current of alternating sign. Averaging over whole polarity cycles would let
  it cancel to zero, so each reading is kept and the one of largest magnitude is judged.
* **What is the d.c. component?** (LKG-AUX-DC, IEC 60601-1 patient auxiliary current,
  d.c.). Stimulation is not auxiliary current (docs/domain.md, section 2 "IEC 60601-1"),
  so the d.c. component is the mean over whole polarity cycles: NPLC 100 is 2.0 s at
  50 Hz, exactly one cycle, as in ``dmm.read_dc_current``'s own reasoning for WAV-DC.

Both use a range that cannot overload when a fault lets the output run (1 mA: a running
L5 output reads up to 200 µA per 200 ms, an overload would raise instead of failing the
requirement), and the range's accuracy line from the bench file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.bench.station import Bench
from harness.judging.uncertainty import UncertaintyBudget
from harness.procedures.budgets import ammeter_accuracy

SAFE_RANGE_A = 1e-3
"""1 mA: above anything a faulty RMD-1 output can average over a reading (≤ 500 µA peak)."""
WINDOW_NPLC = 10.0
"""200 ms at 50 Hz (167 ms at 60 Hz): inside one polarity half-cycle (1 s)."""
CYCLE_NPLC = 100.0
"""2.0 s at 50 Hz: one whole polarity cycle of the RMD-1."""


@dataclass(frozen=True)
class WorstReading:
    """The reading of largest magnitude (A, signed), all readings, and its budget."""

    value_a: float
    readings_a: tuple[float, ...]
    budget: UncertaintyBudget
    range_a: float
    aperture_s: float


def worst_window_current(
    bench: Bench, *, count: int, range_a: float = SAFE_RANGE_A, nplc: float = WINDOW_NPLC
) -> WorstReading:
    """``count`` back-to-back readings of ``nplc``; the one of largest magnitude.

    The budget is the ammeter's accuracy line at that reading plus its resolution
    (6½ digits of the range); no repeatability, because the worst reading is not an
    average.
    """
    bench.ammeter.configure_dc_current(range_a, nplc)
    readings = np.asarray(bench.ammeter.read_currents(count), dtype=float)
    worst = float(readings[int(np.argmax(np.abs(readings)))])
    budget = ammeter_accuracy(UncertaintyBudget(), bench.file, worst, range_a)
    budget.add_quantisation("ammeter resolution (6½ digits)", range_a * 1e-6)
    return WorstReading(
        value_a=worst,
        readings_a=tuple(readings.tolist()),
        budget=budget,
        range_a=range_a,
        aperture_s=bench.ammeter.aperture_s,
    )
