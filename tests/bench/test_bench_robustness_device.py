"""A misbehaving test port gives a clear error and the bench still reaches safe state.

The unit's UART is disturbed with `LineFault` (harness/sim/testport_firmware.py) on the
default simulated bench opened through `open_bench`, in-process (`hilsim://`) and over
loopback (a `socket://` port served by a thread). Noise in front of replies is survived
by design (docs/testport.md); a port that answers garbage or nothing raises
`DeviceCommError` naming the port and what it heard. Safe state then relies on the
supplies: a unit that cannot be told to stop is stopped by taking its battery away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from robust_bench import DEVICE_TIMEOUT_S, fast_bench_file, model_is_safe, stimulate

from harness.bench import Bench, open_bench
from harness.benchfile import load_bench
from harness.errors import DeviceCommError
from harness.sim.testport_firmware import LineFault, firmware_for


@pytest.fixture(params=["in-process", "loopback"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    bench = open_bench(load_bench(fast_bench_file(tmp_path, request.param)))
    try:
        yield bench
    finally:
        bench.close()


def test_noise_before_every_reply_is_survived(opened: Bench) -> None:
    stimulate(opened)
    firmware_for(opened.sim).inject(LineFault.NOISE)
    for _ in range(10):
        assert opened.dut.status().state == "treating"
    assert opened.safe_state() == []
    model_is_safe(opened.sim)


def test_garbage_instead_of_replies_is_a_device_comm_error(opened: Bench) -> None:
    stimulate(opened)
    firmware_for(opened.sim).inject(LineFault.GARBAGE)
    with pytest.raises(DeviceCommError) as caught:
        opened.dut.status()
    assert caught.value.port.startswith("dut (")
    assert "no valid reply to 'STAT?' in 2 attempt(s)" in caught.value.detail
    assert "unparseable line b'RMD-1 bootloader" in caught.value.detail
    assert opened.safe_state() == []
    model_is_safe(opened.sim)


def test_unit_that_stops_answering(opened: Bench, caplog: pytest.LogCaptureFixture) -> None:
    stimulate(opened)
    firmware_for(opened.sim).inject(LineFault.SILENT)
    start = time.monotonic()
    with pytest.raises(DeviceCommError) as caught:
        opened.dut.set_level(3)
    assert time.monotonic() - start < 4 * DEVICE_TIMEOUT_S + 1.0
    assert caught.value.port.startswith("dut (")
    assert "no valid reply to 'LVL 3'" in caught.value.detail
    assert "nothing at all" in caught.value.detail
    assert opened.sim.device.status().state == "treating"  # nothing was executed
    with caplog.at_level(logging.INFO):
        problems = opened.safe_state()
    # The port's own safe_state logs the unanswered PWR OFF instead of raising, so the
    # problem list stays empty; the supplies going off is what stops the unit.
    assert problems == []
    logged = [r.getMessage() for r in caplog.records if "safe_state" in r.getMessage()]
    assert any("PWR OFF" in m and m.startswith("dut (") for m in logged), logged
    model_is_safe(opened.sim)


def test_partial_reply_then_recovery_on_retry(opened: Bench) -> None:
    stimulate(opened)
    firmware_for(opened.sim).inject(LineFault.PARTIAL, count=1)
    assert opened.dut.level_up() == 1  # from 5 it wraps; the retry is not a second press
    assert opened.sim.device.status().level == 1
    assert opened.safe_state() == []
    model_is_safe(opened.sim)
