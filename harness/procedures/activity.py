"""Is the unit stimulating, is it switched on? Observed on the bench, not asked of it.

Timer and interlock requirements are about *when* something stops: the session ends,
the unit switches itself off, the output is cut. The unit's own word is not evidence
(a firmware bug is exactly what the test looks for), so these are read off instruments:

* **output activity**: a short scope record across the load (or across the open
  spheres) shows pulses or not;
* **power state**: the battery supply's current readback: milliamps while the unit is on,
  microamps when it is off (the E36312A readback is coarse, but that difference is three
  orders of magnitude).
"""

from __future__ import annotations

import numpy as np

from harness.bench.station import Bench
from harness.procedures.capture import LOAD_CHANNEL, free_run
from harness.procedures.conditions import BATTERY_CHANNEL

ACTIVITY_WINDOW_S = 0.25
"""Longer than the gap between two pulses at the slowest setting (F1: 125 ms)."""
ACTIVITY_POINTS = 2000
UNIT_ON_THRESHOLD_A = 1e-3
"""Battery current above which the unit is on (on: ~8–12 mA; off: ~2 uA)."""


def output_active(
    bench: Bench, *, threshold_v: float, full_scale_v: float, window_s: float = ACTIVITY_WINDOW_S
) -> bool:
    """True when the voltage across the load position exceeds ``threshold_v`` in a
    ``window_s`` record (the record advances the bench clock by its length). A caller
    that knows the pulse period may pass a shorter window, longer than its gaps."""
    bench.scope.configure_channel(LOAD_CHANNEL, full_scale_v / 3.0, 0.0)
    bench.scope.configure_timebase(bench.scope.limits.seconds_per_div_for(window_s), 0.0)
    bench.scope.configure_record(ACTIVITY_POINTS)
    free_run(bench)
    bench.scope.digitize((LOAD_CHANNEL,))
    wave = bench.scope.read_waveform(LOAD_CHANNEL, ACTIVITY_POINTS)
    return bool(np.max(np.abs(wave.volts)) > threshold_v)


def unit_is_on(bench: Bench) -> bool:
    """Whether the unit draws its on-current from the battery supply."""
    return bench.supply.measure_current(BATTERY_CHANNEL) > UNIT_ON_THRESHOLD_A
