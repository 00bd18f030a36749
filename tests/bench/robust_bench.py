"""Helpers for the robustness tests: a fast-failing simulated bench and a safety check.

The bench is the default simulated one (harness/data/benches/sim.yaml) with short timeouts
(each instrument's `timeout_s` option, the device port's `timeout_s`), so a silent
instrument or unit costs a fraction of a second over loopback instead of the 5 s a real
station allows. `model_is_safe` looks at the *model* (the SimBench itself), not at what
the instruments report: after a misbehaving instrument, the instruments' word is exactly
what cannot be trusted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from harness.bench.station import Bench
from harness.data import RMD1_SPEC, SIM_BENCH

ROOT = Path(__file__).resolve().parents[2]
SIM_YAML = SIM_BENCH
INSTRUMENT_TIMEOUT_S = 0.3
DEVICE_TIMEOUT_S = 0.2


def fast_bench_file(tmp_path: Path, transport: str) -> Path:
    """sim.yaml with `transport` (in-process or loopback) and short timeouts."""
    doc: dict[str, Any] = yaml.safe_load(SIM_YAML.read_text())
    doc["bench"]["spec"] = str(RMD1_SPEC)
    doc["simulation"]["transport"] = transport
    for entry in doc["instruments"]:
        entry.setdefault("options", {})["timeout_s"] = INSTRUMENT_TIMEOUT_S
    doc["device"]["timeout_s"] = DEVICE_TIMEOUT_S
    path = tmp_path / f"fast-{transport}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def stimulate(bench: Bench) -> None:
    """Battery on, unit on, 500 Ω, level 5, two seconds: the unit is treating."""
    bench.supply.set_output(1, 3.8, 0.5)
    bench.supply.enable(1, True)
    bench.dut.power_on()
    bench.select_load(500)
    bench.dut.set_level(5)
    bench.clock.sleep(2.0)
    assert bench.sim.device.status().state == "treating"


def output_current_a(sim: Any, seconds: float = 0.5) -> float:
    """Largest |load current| over the next `seconds` of model time (advances the clock)."""
    t0 = sim.clock.now()
    sim.advance(seconds)
    times = np.linspace(t0, sim.clock.now(), 2001)
    return float(np.max(np.abs(sim.load_current(times))))


def model_is_safe(sim: Any, *, supplies_off: bool = True, load_open: bool = True) -> None:
    """Assert the model is safe: no stimulation, zero output current, and (by default)
    every supply output off and the load open."""
    state = sim.device.status().state
    assert state != "treating", f"unit still {state}"
    assert output_current_a(sim) == 0.0
    if supplies_off:
        on = [ch for ch in (1, 2, 3) if sim.supply(ch).on]
        assert not on, f"supply outputs still on: {on}"
    if load_open:
        assert sim.load_ohms is None, f"load still connected: {sim.load_ohms} ohm"
