"""The driver against the real simulated bench (`SimBench`), not a stand-in.

The other test-port tests use a deliberately simple fake unit. These run the driver
against the physical model and firmware state machine the test suites will use, to show
the seams hold: identity, states, refusals, device-clock event timestamps, a unit with no
battery staying silent, and UART time charged to the bench clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from harness.dut.rmd1_port import Rmd1TestPort
from harness.dut.testport import CommandRejected, DeviceIdentity
from harness.errors import DeviceCommError
from harness.sim import registry
from harness.sim.bench import SimBench
from harness.sim.pty_port import ServedDevice, serve_device
from harness.sim.testport_firmware import byte_time_s


@pytest.fixture
def reach() -> Iterator[Callable[[SimBench, str], str]]:
    """Make a bench reachable `hilsim`, `pty` or `socket`; undo it all afterwards."""
    served: list[ServedDevice] = []
    ids: list[str] = []

    def make(bench: SimBench, kind: str) -> str:
        if kind == "hilsim":
            ids.append(f"simbench-{id(bench):x}")
            registry.register(ids[-1], bench)
            return f"hilsim://{ids[-1]}"
        served.append(serve_device(bench, kind="pty" if kind == "pty" else "socket"))
        return served[-1].url

    yield make
    for device in served:
        device.stop()
    for bench_id in ids:
        registry.unregister(bench_id)


def battery_in(bench: SimBench) -> SimBench:
    bench.set_supply(1, 3.8, 1.0, True)
    return bench


def session(port: Rmd1TestPort, bench: SimBench) -> list[object]:
    """Power on, touch a 500-ohm load for 12 s, press buttons; return all reports."""
    seen: list[object] = [port.identify()]
    port.power_on()
    bench.set_load(500.0)
    bench.advance(12.0)
    port.set_level(4)
    seen += [port.level_up(), port.status()]
    port.boost()
    port.set_frequency(3)
    seen += [port.status(), port.events()]
    port.power_off()
    seen.append(port.status())
    return seen


def test_a_session_reads_the_same_over_every_transport(
    reach: Callable[[SimBench, str], str],
) -> None:
    reports = {}
    for kind in ("hilsim", "pty", "socket"):
        bench = battery_in(SimBench(seed=3))
        with Rmd1TestPort(reach(bench, kind), timeout_s=2.0) as port:
            reports[kind] = session(port, bench)
    assert reports["pty"] == reports["hilsim"]
    assert reports["socket"] == reports["hilsim"]
    identity, level, treating = reports["hilsim"][:3]
    assert identity == DeviceIdentity("RMD-1", "RMD1-SIM-0001", "1.4.2", "C")
    assert level == 5
    assert treating.state == "treating" and treating.contact is True


def test_relocate_beeps_are_logged_five_device_seconds_apart(
    reach: Callable[[SimBench, str], str],
) -> None:
    bench = battery_in(SimBench())
    with Rmd1TestPort(reach(bench, "hilsim")) as port:
        port.power_on()
        bench.set_load(500.0)
        bench.advance(16.0)
        beeps = [e for e in port.events() if e.kind == "beep" and e.detail == "relocate"]
    assert len(beeps) == 3
    gaps = [b.t_device_s - a.t_device_s for a, b in itertools.pairwise(beeps)]
    assert gaps == pytest.approx([5.0, 5.0], abs=0.0011)  # device ms resolution


def test_a_unit_without_battery_is_silent(reach: Callable[[SimBench, str], str]) -> None:
    bench = SimBench()  # supply channel 1 (the battery) never switched on
    with (
        Rmd1TestPort(reach(bench, "hilsim"), timeout_s=0.1) as port,
        pytest.raises(DeviceCommError, match=r"'ID\?'.*nothing at all"),
    ):
        port.identify()


def test_the_firmware_refuses_buttons_while_off(reach: Callable[[SimBench, str], str]) -> None:
    bench = battery_in(SimBench())
    with Rmd1TestPort(reach(bench, "hilsim")) as port:
        with pytest.raises(CommandRejected) as refused:
            port.set_level(3)
        assert refused.value.code == 4
        assert "off" in refused.value.text


def test_a_transaction_costs_its_bytes_on_the_bench_clock(
    reach: Callable[[SimBench, str], str],
) -> None:
    bench = battery_in(SimBench())
    with Rmd1TestPort(reach(bench, "hilsim")) as port:
        before = bench.clock.now()
        port.level()
        # "LVL? @NNNNN*CCCC\n" is 17 bytes, "OK level=1 @NNNNN*CCCC\n" is 23.
        assert bench.clock.now() - before == pytest.approx(byte_time_s(17 + 23))
