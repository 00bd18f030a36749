"""A unit that restarted is reported once, as `DeviceResetError`, whatever showed it.

The evidence the driver accepts (docs/testport.md, "A unit that restarts"): the boot
banner ahead of a reply (from the simulated port over `hilsim://`), the banner left in
the receive buffer between two requests, and in `STAT?` a boot count that changed or an
uptime that went back (scripted replies over a pty, for the cases where no banner came).
And on the unit's side: a request still arriving when the unit resets is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from testport_fakes import FakeBench, FakeStatus, ScriptedUnit, framed

from harness.dut.rmd1_port import Rmd1TestPort
from harness.dut.testport import DeviceResetError
from harness.errors import DeviceCommError
from harness.sim.bench import SimBench
from harness.sim.testport_firmware import byte_time_s, firmware_for

STAT_REVISION_1 = (
    "OK state=off level=1 freq=2 boost=0 contact=0 charging=0 vbat_mv=3800 "
    "session_ms=0 ontime_ms=0 fault=- lowbatt=0"
)
BANNER = "BOOT model=RMD-1 firmware=1.0.0 boot=2 reset=brown-out"


@pytest.fixture
def port(hilsim_url: str) -> Iterator[Rmd1TestPort]:
    with Rmd1TestPort(hilsim_url, timeout_s=0.05) as opened:
        yield opened


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[str, str], bytes]], Rmd1TestPort]]:
    """Open the driver on a `ScriptedUnit` answering with the given function."""
    opened: list[tuple[ScriptedUnit, Rmd1TestPort]] = []

    def open_on(respond: Callable[[str, str], bytes]) -> Rmd1TestPort:
        unit = ScriptedUnit(respond)
        opened.append((unit, Rmd1TestPort(unit.path, timeout_s=0.5)))
        return opened[-1][1]

    yield open_on
    for unit, driver in opened:
        driver.close()
        unit.close()


def stat_replies(*extras: str) -> Callable[[str, str], bytes]:
    """Answer the n-th `STAT?` with the revision-1 fields plus `extras[n]`."""
    pending = list(extras)

    def respond(command: str, tag: str) -> bytes:
        assert command == "STAT?"
        return framed(f"{STAT_REVISION_1}{pending.pop(0)} @{tag}")

    return respond


def test_a_boot_banner_ahead_of_the_reply_raises_once(
    port: Rmd1TestPort, fake_bench: FakeBench
) -> None:
    assert port.status().boot_count == 1
    fake_bench.device.state = FakeStatus(boots=2, reset_cause="watchdog")
    with pytest.raises(DeviceResetError) as caught:
        port.set_level(3)
    assert isinstance(caught.value, DeviceCommError)  # Allure: device communication
    assert caught.value.port.startswith("dut (hilsim://")
    assert caught.value.evidence == (
        "boot banner 'BOOT model=RMD-1 firmware=1.0.0 boot=2 reset=watchdog' "
        "(boot 2, reset cause watchdog); 'LVL 3' may not have been executed"
    )
    port.set_level(3)  # the restart is the reference now: the next test can go on
    status = port.status()
    assert (status.boot_count, status.reset_cause, status.level) == (2, "watchdog", 3)


def test_a_banner_left_in_the_receive_buffer_stops_the_next_request(scripted) -> None:
    received: list[str] = []

    def respond(command: str, tag: str) -> bytes:
        received.append(command)
        if command == "PWR?":  # the unit restarts right after answering
            return framed(f"OK pwr=on @{tag}") + framed(BANNER)
        return framed(f"OK level=1 @{tag}")

    port = scripted(respond)
    assert port.is_powered()
    with pytest.raises(DeviceResetError) as caught:
        port.level()
    assert caught.value.evidence.endswith("(boot 2, reset cause brown-out); 'LVL?' was not sent")
    assert received == ["PWR?"]
    assert port.level() == 1
    assert received == ["PWR?", "LVL?"]


def test_stat_shows_a_restart_whose_banner_was_lost(scripted) -> None:
    port = scripted(
        stat_replies(
            " boot=1 reset=power-on uptime_ms=5000",
            " boot=2 reset=brown-out uptime_ms=1000",
            " boot=2 reset=brown-out uptime_ms=2000",
        )
    )
    port.status()
    with pytest.raises(DeviceResetError) as caught:
        port.status()
    assert caught.value.evidence == (
        "STAT? reports boot 2 (reset cause brown-out), the port last saw boot 1"
    )
    assert port.status().uptime_s == 2.0


def test_an_uptime_that_went_back_is_a_restart_too(scripted) -> None:
    port = scripted(stat_replies(" uptime_ms=5000", " uptime_ms=1200", " uptime_ms=1300"))
    port.status()
    with pytest.raises(DeviceResetError, match=r"uptime went back from 5\.000 s to 1\.200 s"):
        port.status()
    assert port.status().boot_count is None


def test_revision_1_firmware_without_the_restart_fields_still_works(scripted) -> None:
    port = scripted(stat_replies("", ""))
    first, second = port.status(), port.status()
    assert first == second
    assert (first.boot_count, first.reset_cause, first.uptime_s) == (None, None, None)


def test_safe_state_sends_power_off_again_after_a_restart_is_reported(
    port: Rmd1TestPort, fake_bench: FakeBench
) -> None:
    port.power_on()
    fake_bench.device.state = FakeStatus(state="standby", boots=2, reset_cause="watchdog")
    port.safe_state()  # never raises
    assert fake_bench.device.calls[-2:] == ["power_off", "power_off"]


BANNER_2 = b"BOOT model=RMD-1 firmware=1.4.2 boot=2 reset=watchdog*9F13\n"


def restarting_unit(after_bytes: int) -> SimBench:
    """A powered unit whose watchdog bites `after_bytes` UART byte times from now (0)."""
    bench = SimBench(faults=[f"reboot_at_s={byte_time_s(after_bytes)}"])
    bench.set_supply(1, 3.8, 1.0, True)
    return bench


def test_a_request_still_arriving_at_the_reset_is_lost() -> None:
    bench = restarting_unit(3)  # "PWR ON\n" takes 7
    assert firmware_for(bench).transact(b"PWR ON") == BANNER_2  # and no reply
    assert bench.device.status().state == "off"


def test_a_reset_after_the_request_arrived_is_announced_with_the_next_reply() -> None:
    bench = restarting_unit(8)
    port = firmware_for(bench)
    assert port.transact(b"PWR ON").startswith(b"OK state=standby*")
    assert bench.device.status().state == "off"
    assert port.transact(b"PWR?") == BANNER_2 + b"OK pwr=off*BAF8\n"
