"""One simulated unit, three ways to reach it: `hilsim://`, a real pty, a loopback socket.

The same requests must get byte-identical replies whichever way they travel, and the
driver must behave the same over each. The pty and socket cases go through the
operating system (kernel tty layer, TCP), which is where partial reads and timing show
up; `hilsim://` is the in-process shortcut the rest of the suite relies on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial
from testport_fakes import FakeBench

import harness.sim.transports  # noqa: F401  (registers hilsim:// with pyserial)
from harness.dut.rmd1_port import Rmd1TestPort
from harness.errors import DeviceCommError
from harness.sim import registry
from harness.sim.pty_port import ServedDevice, serve_device
from harness.sim.testport_firmware import LineFault, firmware_for

KINDS = ("hilsim", "pty", "socket")
RAW_SCRIPT = [
    b"ID?",
    b"PWR ON @1",
    b"LVL 4*5C6A",  # a wrong CRC
    b"LVL 4",
    b"LVL UP @2",
    b"LVL UP @2",  # a retry: replayed, not executed
    b"FREQ 3",
    b"BOOST",
    b"STAT?",
    b"EVT? 0",
    b"NONSENSE",
    b"OCP TEST",
    b"STAT?",
    b"PWR OFF",
]


@pytest.fixture
def open_url() -> Iterator[Callable[[FakeBench, str], str]]:
    """Serve a bench the given way and return its URL; everything is torn down after."""
    served: list[ServedDevice] = []
    ids: list[str] = []

    def make(bench: FakeBench, kind: str) -> str:
        if kind == "hilsim":
            bench_id = f"transports-{id(bench):x}"
            registry.register(bench_id, bench)  # type: ignore[arg-type]
            ids.append(bench_id)
            return f"hilsim://{bench_id}"
        device = serve_device(bench, kind="pty" if kind == "pty" else "socket")
        served.append(device)
        return device.url

    yield make
    for device in served:
        device.stop()
    for bench_id in ids:
        registry.unregister(bench_id)


def raw_exchange(url: str, lines: list[bytes]) -> list[bytes]:
    """Send each line with a plain pyserial port and collect each reply line."""
    replies = []
    with serial.serial_for_url(url, baudrate=115200, timeout=2.0) as link:
        for line in lines:
            link.write(line + b"\n")
            replies.append(link.read_until(b"\n"))
    return replies


def test_every_transport_gives_byte_identical_replies(
    open_url: Callable[[FakeBench, str], str],
) -> None:
    results = {}
    for kind in KINDS:
        bench = FakeBench(seed=0)
        results[kind] = (raw_exchange(open_url(bench, kind), RAW_SCRIPT), bench.clock.now())
    assert results["pty"] == results["hilsim"]
    assert results["socket"] == results["hilsim"]
    replies, _ = results["hilsim"]
    assert all(r.endswith(b"\n") for r in replies)
    assert replies[2].startswith(b"ERR 1 ")
    assert replies[4] == replies[5]


def drive(port: Rmd1TestPort) -> list[object]:
    """A short session through the driver; returns everything it reported."""
    seen: list[object] = [port.identify()]
    port.power_on()
    port.set_level(3)
    seen.append(port.level_up())
    port.set_frequency(1)
    port.boost()
    seen += [port.level(), port.frequency(), port.is_powered(), port.status()]
    port.start_ocp_selftest()
    seen += [port.status(), port.events()]
    port.power_off()
    seen.append(port.is_powered())
    return seen


def test_the_driver_reports_the_same_over_every_transport(
    open_url: Callable[[FakeBench, str], str],
) -> None:
    sessions = {}
    for kind in KINDS:
        bench = FakeBench(seed=0)
        with Rmd1TestPort(open_url(bench, kind), timeout_s=2.0) as port:
            sessions[kind] = drive(port)
    assert sessions["pty"] == sessions["hilsim"]
    assert sessions["socket"] == sessions["hilsim"]


def test_the_driver_works_through_pyserials_spy_wrapper(
    open_url: Callable[[FakeBench, str], str], tmp_path: Path
) -> None:
    bench = FakeBench()
    path = open_url(bench, "pty")
    trace = tmp_path / "spy.txt"
    with Rmd1TestPort(f"spy://{path}?file={trace}", timeout_s=2.0) as port:
        assert port.identify().model == "RMD-1"
    assert "ID? @" in trace.read_text()


@pytest.mark.parametrize("kind", ["pty", "socket"])
def test_a_served_port_can_be_closed_and_opened_again(
    open_url: Callable[[FakeBench, str], str], kind: str
) -> None:
    bench = FakeBench()
    url = open_url(bench, kind)
    for level in (2, 5):
        with Rmd1TestPort(url, timeout_s=2.0) as port:
            port.set_level(level)
            assert port.level() == level


@pytest.mark.parametrize("kind", ["pty", "socket"])
def test_noise_on_a_real_link_is_skipped(
    open_url: Callable[[FakeBench, str], str], kind: str
) -> None:
    bench = FakeBench()
    with Rmd1TestPort(open_url(bench, kind), timeout_s=2.0) as port:
        firmware_for(bench).inject(LineFault.NOISE)
        for _ in range(20):
            assert port.identify().serial == "RMD1-SIM-0001"


@pytest.mark.parametrize("kind", ["pty", "socket"])
def test_a_half_reply_on_a_real_link_times_out_with_what_arrived(
    open_url: Callable[[FakeBench, str], str], kind: str
) -> None:
    bench = FakeBench()
    with Rmd1TestPort(open_url(bench, kind), timeout_s=0.2) as port:
        firmware_for(bench).inject(LineFault.PARTIAL)
        started = time.monotonic()
        with pytest.raises(DeviceCommError, match=r"'FREQ\?'.*a partial line b'OK fr"):
            port.frequency()
        assert 0.35 < time.monotonic() - started < 2.0  # two attempts of 0.2 s


def test_stop_releases_the_port_and_is_idempotent() -> None:
    bench = FakeBench()
    device = serve_device(bench, kind="socket")
    device.stop()
    device.stop()
    with pytest.raises(DeviceCommError, match="cannot open"):
        Rmd1TestPort(device.url, timeout_s=0.2)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="pty"):
        serve_device(FakeBench(), kind="usb")  # type: ignore[arg-type]
