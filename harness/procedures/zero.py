"""The scope's reading of zero current, measured by the bench before a d.c. measurement.

A record of the load current is the scope's voltage across a known resistor divided by
that resistance. The scope adds its own offset, a few millivolts: at 500 Ω that is
several microamps, as large as the d.c. limit of a microcurrent stimulator (WAV-DC,
±2 µA). The offset is a property of the *bench*, not of the device, so it must never be
estimated from the device's own record: a leak through the output switch flows between
the pulses too, and taking "the level between pulses" as zero would subtract exactly the
fault WAV-DC exists to catch.

So the bench measures its zero: the load path open and the unit not driving it (switched
off, or its treatment suspended by the lift-off when the zero is taken in a session
shared with others: a unit that keeps driving the open spheres puts its compliance
voltage on the channel, so its caller then switches it off), the channel at the
very settings the measurement will use (same load, same vertical scale, same sample
interval), one record whose mean is the offset, with its uncertainty from the record's
own scatter and the 8-bit step. The record is archived with the run beside the one it
corrects, and the analysis subtracts it as ``zero_offset`` and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.bench.station import Bench
from harness.procedures.capture import CurrentCapture, capture_current

ZERO_RECORD_S = 0.5
"""Long enough to average the scope's noise to well under a microamp at 500 Ω."""


@dataclass(frozen=True)
class ScopeZero:
    """The offset (A) a record of the load current shows at zero current, and its U (k=2)."""

    offset_a: float
    expanded_u_a: float
    capture: CurrentCapture

    def describe(self) -> str:
        return f"{self.offset_a * 1e6:+.3f} uA (U = {self.expanded_u_a * 1e6:.3f} uA)"


def measure_scope_zero(
    bench: Bench,
    load_ohms: float,
    *,
    peak_a: float,
    duration_s: float = ZERO_RECORD_S,
    resolution_s: float = 10e-6,
    unit_off: bool = True,
) -> ScopeZero:
    """Load path open (and the unit off unless ``unit_off`` is False: a suspended unit
    lifted off by the caller): what the scope reads as current at these settings."""
    if unit_off:
        bench.dut.power_off()
    bench.select_load(None)
    cap = capture_current(
        bench, load_ohms, peak_a=peak_a, duration_s=duration_s, resolution_s=resolution_s
    )
    x = np.asarray(cap.current_a, dtype=np.float64)
    spread = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    quantisation = cap.step_a / math.sqrt(12.0)
    # noise of half a code or more dithers the quantiser: the mean's error from the step
    # is then far below a code and both shrink with the count (Widrow); with less noise
    # the step is a fixed error of the mean
    dithered = spread >= 0.5 * cap.step_a
    u_mean = math.hypot(spread, quantisation) / math.sqrt(x.size) if dithered else quantisation
    return ScopeZero(offset_a=float(np.mean(x)), expanded_u_a=2.0 * u_mean, capture=cap)
