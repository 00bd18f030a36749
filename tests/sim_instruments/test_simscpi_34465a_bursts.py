"""A burst of DC current readings (SAMPle:COUNt > 1) reads what single readings read.

A burst on a fixed range is integrated a block at a time (`TriggerSystem._take`, `dmm_trigger`); the
truth is the same readings taken one READ? at a time, each integrating its own aperture
(`mean_current`), on a twin bench: the same unit, the same noise stream, the same
clock. Autorange and the other functions keep reading one aperture at a time.
"""

from __future__ import annotations

import pytest

from harness.sim.bench import LOAD_BANK_OHMS, SimBench
from harness.sim.instruments.keysight_34465a import BURST_READINGS, Keysight34465A


def treating(level: int = 3, *faults: str) -> tuple[SimBench, Keysight34465A]:
    """An RMD-1 at `level` into 500 ohm with its DMM, 1.5 s after switching on."""
    bench = SimBench(faults=faults)
    dmm = Keysight34465A(bench)
    bench.set_supply(1, 3.8, 1.0, True)
    bench.set_load(LOAD_BANK_OHMS[1001])
    bench.device.power_on()
    bench.device.set_level(level)
    bench.advance_to(1.5)
    return bench, dmm


def numbers(reply: bytes | None) -> list[float]:
    assert reply is not None
    return [float(v) for v in reply.decode().split(",")]


@pytest.mark.parametrize(
    ("setup", "count", "faults"),
    [
        ("CONF:CURR:DC 1e-3;:CURR:DC:NPLC 0.02", 24, ()),
        ("CONF:CURR:DC 1e-3;:CURR:DC:NPLC 0.2", 40, ("soft_start=off",)),
        ("CONF:CURR:DC 1e-3;:CURR:DC:NPLC 10", 12, ()),
        ("CONF:CURR:DC 1e-3;:CURR:DC:NPLC 0.02", BURST_READINGS + 9, ()),
    ],
)
def test_a_burst_reads_what_single_readings_read(
    setup: str, count: int, faults: tuple[str, ...]
) -> None:
    bench, dmm = treating(3, *faults)
    twin, single = treating(3, *faults)
    dmm.execute(setup)
    single.execute(setup)
    dmm.execute(":TRIG:DEL 0.013")
    single.execute(":TRIG:DEL 0.013")
    dmm.execute(f"SAMP:COUN {count}")
    burst = numbers(dmm.execute("READ?"))
    one_by_one = []
    for k in range(count):
        single.execute(":TRIG:DEL 0.013" if k == 0 else ":TRIG:DEL 0")
        one_by_one += numbers(single.execute("READ?"))
    assert burst == one_by_one
    assert bench.clock.now() == twin.clock.now()
    assert len(set(burst)) > count // 2  # noise: every reading its own draw
    assert max(abs(v) for v in burst) > 100e-6  # pulses were seen


def test_autorange_bursts_still_range_and_read() -> None:
    _, dmm = treating(5)
    dmm.execute("CONF:CURR:DC AUTO;:CURR:DC:NPLC 0.02;:SAMP:COUN 8")
    readings = numbers(dmm.execute("READ?"))
    assert len(readings) == 8
    assert dmm.execute("SYST:ERR?") == b'+0,"No error"\n'
