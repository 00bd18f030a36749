"""Cost of analysing a 10,000,000-sample capture, against one numpy pass over it.

The capture is the hardest class of the corpus: the RMD-1 at L5 and 40 Hz with
reversal every second, first-order edges (tau = 5 % of the width), 8-bit quantisation
and noise at SNR 3 (so detection runs on a smoothed copy), 1 MS/s for 10 s, as float32
(and again as float64). For each dtype it prints:

* the wall time of `analyze_voltage` (best of 3) and the ratio to one numpy pass over
  the same array, ``np.abs(x).sum()`` (best of 5); target <= 5;
* the peak memory traced by tracemalloc during the analysis divided by the capture's
  size in bytes; target <= 4;
* the same for the full-rate path (phases found on every sample, the path taken
  before block detection, and still taken when blocks cannot resolve a train), side
  by side, and how far apart the two paths' main metrics are.

Run: ``.venv/bin/python benchmarks/bench_analysis.py [samples]``.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from harness.analysis import coarse
from harness.analysis.synth import PulseTrain, synthesize
from harness.analysis.waveform import analyze_voltage

TIME_TARGET = 5.0
MEMORY_TARGET = 4.0


def best_of(repeat: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main(samples: int = 10_000_000) -> int:
    rate = 1e6
    train = PulseTrain(
        40.0, 0.0125, 400e-6, pulses_per_polarity=40, first_edge_s=-0.004, edge_tau_s=625e-6
    )
    capture = synthesize(
        train,
        sample_rate_hz=rate,
        duration_s=samples / rate,
        load_ohms=500.0,
        noise_v=0.2 / 3,
        quantize_8bit=True,
    )
    ok = True
    for dtype in (np.float32, np.float64):
        x = capture.volts.astype(dtype)

        def analyse(x: np.ndarray = x) -> object:
            return analyze_voltage(0.0, capture.dt, x, load_ohms=500.0, electrode_area_cm2=0.5)

        def one_pass(x: np.ndarray = x) -> object:
            return np.abs(x).sum()

        t_pass = best_of(5, one_pass)
        results = {}
        for path, sizes in (("full-rate", ()), ("blocks", coarse.BLOCK_SIZES)):
            saved = coarse.BLOCK_SIZES
            coarse.BLOCK_SIZES = sizes  # type: ignore[misc]
            try:
                analyse()
                t_analysis = best_of(3, analyse)
                tracemalloc.start()
                metrics = analyse()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            finally:
                coarse.BLOCK_SIZES = saved  # type: ignore[misc]
            ratio = t_analysis / t_pass
            memory = peak / x.nbytes
            results[path] = (ratio, memory, metrics)
            print(
                f"{np.dtype(dtype).name} {path:>9}: {x.size:,} samples: analysis "
                f"{t_analysis * 1e3:.1f} ms, np.abs(x).sum() {t_pass * 1e3:.1f} ms, "
                f"ratio {ratio:.1f} (target <= {TIME_TARGET:g}); peak traced memory "
                f"{peak / 1e6:.1f} MB = {memory:.2f} x capture {x.nbytes / 1e6:.0f} MB "
                f"(target <= {MEMORY_TARGET:g})"
            )
        ratio, memory, metrics = results["blocks"]
        ok &= ratio <= TIME_TARGET and memory <= MEMORY_TARGET
        before = results["full-rate"][2]
        print(f"    speed-up {results['full-rate'][0] / ratio:.1f}x; blocks vs full-rate:")
        for name in ("frequency_hz", "pulse_width_pos_s", "charge_per_phase_pos_c",
                     "peak_current_neg_a", "rms_current_a"):  # fmt: skip
            new, old = getattr(metrics, name), getattr(before, name)
            u = metrics.uncertainty.get(name, float("nan"))
            print(f"      {name}: {new:.6g} vs {old:.6g} (difference {abs(new - old) / u:.2f} U)")
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000))
