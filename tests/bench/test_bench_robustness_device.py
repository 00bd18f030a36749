"""A misbehaving test port gives a clear error and the bench still reaches safe state.

The unit's UART is disturbed with `LineFault` (harness/sim/testport_firmware.py) on the
default simulated bench opened through `open_bench`, in-process (`hilsim://`) and over
loopback (a `socket://` port served by a thread). Noise in front of replies is survived
by design (docs/testport.md); a port that answers garbage or nothing raises
`DeviceCommError` naming the port and what it heard. Safe state then relies on the
supplies: a unit that cannot be told to stop is stopped by taking its battery away.
A unit that restarts mid-session (a reset in the test, or the `reboot_at_s` fault of the
bench) raises `DeviceResetError` naming the port and the boot banner it saw.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from robust_bench import DEVICE_TIMEOUT_S, fast_bench_file, model_is_safe, stimulate

from harness.bench.station import Bench, open_bench
from harness.definitions.bench_file import load_bench
from harness.dut.testport import DeviceResetError
from harness.errors import DeviceCommError
from harness.sim.testport_firmware import LineFault, firmware_for

REBOOT_AT_S = 5.0
"""Bench time of the `reboot_at_s` fault: after `stimulate` (about 2 s), mid-session."""


@pytest.fixture(params=["in-process", "loopback"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    bench = open_bench(load_bench(fast_bench_file(tmp_path, request.param)))
    try:
        yield bench
    finally:
        bench.close()


@pytest.fixture(params=["in-process", "loopback"])
def rebooting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    path = fast_bench_file(tmp_path, request.param)
    bench = open_bench(load_bench(path), faults=[f"reboot_at_s={REBOOT_AT_S}"])
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


def test_unit_reset_mid_session_is_a_device_reset_error(opened: Bench) -> None:
    stimulate(opened)
    assert opened.dut.status().boot_count == 1
    opened.sim.device.reset("watchdog")
    with pytest.raises(DeviceResetError) as caught:
        opened.dut.set_level(3)
    assert caught.value.port.startswith("dut (")
    assert "boot banner 'BOOT model=RMD-1" in caught.value.evidence
    assert "(boot 2, reset cause watchdog)" in caught.value.evidence
    assert opened.sim.device.status().level == 1  # the unit is at its defaults, not at 3
    assert opened.safe_state() == []
    model_is_safe(opened.sim)


def test_reboot_fault_mid_session_is_a_device_reset_error(rebooting: Bench) -> None:
    stimulate(rebooting)
    rebooting.dut.status()
    rebooting.clock.sleep(REBOOT_AT_S)  # the watchdog bites during the wait
    with pytest.raises(DeviceResetError, match=r"boot 2, reset cause watchdog"):
        rebooting.dut.status()
    status = rebooting.dut.status()
    assert (status.state, status.boot_count, status.reset_cause) == ("off", 2, "watchdog")
    sim = rebooting.sim
    before = sim.load_current(np.linspace(REBOOT_AT_S - 0.5, REBOOT_AT_S, 20_000, endpoint=False))
    after = sim.load_current(np.linspace(REBOOT_AT_S, sim.clock.now(), 20_000))
    assert np.max(np.abs(before)) > 300e-6
    assert np.max(np.abs(after)) == 0.0
    assert rebooting.safe_state() == []
    model_is_safe(sim)
