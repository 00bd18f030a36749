"""How fast the simulated RMD-1 model answers: dense observations and a long session.

The unit tests of ``harness/sim`` check what the model computes; how long it takes
depends on the machine and its load, so it is measured here, on demand, never asserted.
In one run this prints, each figure beside the reference it is compared with:

1. **A million observations.** A unit treating at L5, F3 into 500 Ω, observed at
   1,000,000 instants over 10 s: ``load_current(t)`` and ``load_voltage(t)`` (best of 3
   each), against one numpy pass over the same time array, ``np.abs(t).sum()`` (best of
   5). Target: each observation under 100 ms.
2. **The 20-minute auto-off in one-second steps.** 1210 times ``advance(1.0)``, a
   ``device.status()`` and a ``supply_current(1)``, as a polling test does (best of 3,
   a fresh bench each time, its construction not timed), against the same 1210 virtual
   seconds in a single ``advance(1210.0)``: the ratio is the cost of stepping. Also the
   virtual seconds simulated per wall second. Target: the stepped run under 1 s.
3. **What a compliance run asks most.** A simulated DSOX1204G's ``:DIGitize`` of a
   1,000,000-point record on three channels (CH1 load, CH2 buzzer, CH3 charger), the
   largest records the suite takes; and the simulated 34465A's ``READ?`` of a burst of
   4 readings at 0.02 NPLC, as ``sample_output`` takes 24 of them per sample, beside the
   same 4 apertures integrated one ``mean_current`` at a time (the path a burst no
   longer takes). Best of 5 each; no target: the figures are for comparing trees.

Run: ``.venv/bin/python benchmarks/bench_sim_speed.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.sim.bench import LOAD_BANK_OHMS, SimBench  # noqa: E402
from harness.sim.instruments.keysight_34465a import OVERHEAD_S, Keysight34465A  # noqa: E402
from harness.sim.instruments.keysight_dsox1204g import KeysightDSOX1204G  # noqa: E402

OBSERVE_TARGET_S = 0.1
SESSION_TARGET_S = 1.0
POINTS = 1_000_000
STEPS = 1210
R500 = LOAD_BANK_OHMS[1001]


def treating_bench(*, frequency: int = 2, level: int = 5) -> SimBench:
    """A unit switched on at t = 0 touching 500 Ω at ``level``: it treats from t = 0."""
    bench = SimBench()
    bench.set_supply(1, 3.8, 1.0, True)
    bench.set_load(R500)
    bench.device.power_on()
    bench.device.set_level(level)
    bench.device.set_frequency(frequency)
    return bench


def best_of(repeat: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def best_of_fresh(
    repeat: int, make: Callable[[], SimBench], run: Callable[[SimBench], object]
) -> float:
    """Best wall time of ``run`` on a new bench each time; building it is not timed."""
    best = float("inf")
    for _ in range(repeat):
        bench = make()
        start = time.perf_counter()
        run(bench)
        best = min(best, time.perf_counter() - start)
    return best


def observations() -> bool:
    bench = treating_bench(frequency=3)
    bench.advance_to(20.0)
    t = np.linspace(5.0, 15.0, POINTS, endpoint=False)
    bench.load_current(t)  # warm up
    t_current = best_of(3, lambda: bench.load_current(t))
    t_voltage = best_of(3, lambda: bench.load_voltage(t))
    t_pass = best_of(5, lambda: np.abs(t).sum())
    print(f"{POINTS:,} observations over 10 s at L5, F3, 500 ohm:")
    for name, seconds in (("load_current(t)", t_current), ("load_voltage(t)", t_voltage)):
        print(
            f"    {name}: {seconds * 1e3:.1f} ms, {seconds / t_pass:.0f} x one numpy pass "
            f"({t_pass * 1e3:.2f} ms; target < {OBSERVE_TARGET_S * 1e3:.0f} ms)"
        )
    return max(t_current, t_voltage) < OBSERVE_TARGET_S


def session() -> bool:
    def stepped(bench: SimBench) -> object:
        states = []
        for _ in range(STEPS):
            bench.advance(1.0)
            states.append(bench.device.status().state)
            bench.supply_current(1)
        return states

    def at_once(bench: SimBench) -> object:
        bench.advance(float(STEPS))
        return bench.device.status().state

    t_stepped = best_of_fresh(3, treating_bench, stepped)
    t_once = best_of_fresh(3, treating_bench, at_once)
    print(f"{STEPS} virtual seconds through the auto-off (L5, F2, 500 ohm):")
    print(
        f"    in {STEPS} one-second steps with status and supply current: "
        f"{t_stepped * 1e3:.1f} ms ({t_stepped / STEPS * 1e6:.0f} us per step, "
        f"{STEPS / t_stepped:,.0f} x real time; target < {SESSION_TARGET_S:g} s)"
    )
    print(
        f"    in one advance({STEPS:.0f}): {t_once * 1e3:.2f} ms; "
        f"stepping costs {t_stepped / t_once:.0f} x that"
    )
    return t_stepped < SESSION_TARGET_S


def instruments() -> None:
    bench = treating_bench(frequency=3)
    bench.advance_to(3.0)
    scope, dmm = KeysightDSOX1204G(bench), Keysight34465A(bench)
    scope.execute(":CHAN2:DISP ON;:CHAN3:DISP ON;:TIM:SCAL 0.05;:WAV:POIN:MODE RAW")
    scope.execute(":WAV:POIN 1000000")
    t_record = best_of(5, lambda: scope.execute(":DIG"))
    dmm.execute("CONF:CURR:DC 1e-3;:CURR:DC:NPLC 0.02;:SAMP:COUN 4")
    t_burst = best_of(5, lambda: dmm.execute("READ?"))
    now, aperture = bench.clock.now(), 0.02 / 50.0
    windows = [(now + k * (aperture + OVERHEAD_S), now + k * (aperture + OVERHEAD_S) + aperture)
               for k in range(4)]  # fmt: skip
    t_apart = best_of(5, lambda: [bench.mean_current(a, b) for a, b in windows])
    t_together = best_of(5, lambda: bench.mean_currents(windows))
    print("What a compliance run asks most (L5, F3, 500 ohm):")
    print(f"    :DIGitize, 1,000,000 points on CH1-CH3: {t_record * 1e3:.1f} ms")
    print(
        f"    READ? of 4 readings at 0.02 NPLC: {t_burst * 1e6:.0f} us; its 4 apertures "
        f"integrated together {t_together * 1e6:.0f} us, one at a time {t_apart * 1e6:.0f} us"
    )


def main() -> int:
    ok = observations()
    ok &= session()
    instruments()
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
