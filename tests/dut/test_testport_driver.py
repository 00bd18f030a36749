"""The harness driver `Rmd1TestPort` against the simulated port, over `hilsim://`.

Each misbehaviour of the link is produced by the simulated port itself
(`TestPortFirmware.inject`), so these tests show what an operator would see: either the
driver recovers, or it raises `DeviceCommError` saying which command failed and what
arrived instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testport_fakes import FakeBench, FakeStatus, ScriptedUnit, framed

from harness.dut.rmd1_port import Rmd1TestPort
from harness.dut.testport import CommandRejected, DeviceEvent, DeviceIdentity, DeviceStatus
from harness.errors import DeviceCommError
from harness.sim.testport_firmware import LineFault, firmware_for


@pytest.fixture
def port(hilsim_url: str) -> Iterator[Rmd1TestPort]:
    with Rmd1TestPort(hilsim_url, timeout_s=0.05) as opened:
        yield opened


def test_every_command_reaches_the_device_and_reports_back(
    port: Rmd1TestPort, fake_bench: FakeBench
) -> None:
    assert port.identify() == DeviceIdentity("RMD-1", "RMD1-SIM-0001", "1.0.0", "A")
    assert port.is_powered() is False
    port.power_on()
    assert port.is_powered() is True
    port.set_level(4)
    assert port.level() == 4
    assert port.level_up() == 5
    assert port.level_up() == 1
    port.set_frequency(3)
    assert port.frequency() == 3
    port.boost()
    assert port.status() == DeviceStatus(
        state="standby", level=1, frequency=3, boost=True, contact=False, charging=False,
        battery_v=3.8, session_s=0.0, on_time_s=0.0, fault=None, lowbatt_warning=False,
        boot_count=1, reset_cause="power-on", uptime_s=0.0,
    )  # fmt: skip
    port.start_ocp_selftest()
    assert port.status().fault == "overcurrent"
    port.power_off()
    assert fake_bench.device.calls == [
        "power_on", "set_level 4", "level_up", "level_up", "set_frequency 3",
        "press_boost", "start_ocp_selftest", "power_off",
    ]  # fmt: skip


def test_status_converts_the_wire_units_to_si(port: Rmd1TestPort, fake_bench: FakeBench) -> None:
    fake_bench.device.state = FakeStatus(
        state="treating", level=5, contact=True, battery_mv=3412.4, session_s=61.2344,
        on_time_s=75.5, lowbatt_warning=True,
    )  # fmt: skip
    status = port.status()
    assert status.battery_v == pytest.approx(3.412)
    assert status.session_s == pytest.approx(61.234)
    assert status.on_time_s == pytest.approx(75.5)
    assert (status.state, status.contact, status.lowbatt_warning) == ("treating", True, True)


def test_events_carry_device_timestamps_and_span_several_pages(
    port: Rmd1TestPort, fake_bench: FakeBench
) -> None:
    for _ in range(10):
        port.boost()  # each press logs an event at the virtual time it happened
    events = port.events()
    assert [e.index for e in events] == list(range(10))
    assert all(e.kind == "boost" and e.detail == "start" for e in events)
    expected = [round(e.t_device_s, 3) for e in fake_bench.device.log]
    assert [e.t_device_s for e in events] == pytest.approx(expected)
    assert events[1].t_device_s > events[0].t_device_s > 0  # the UART bytes took time
    assert port.events(since=8) == events[8:]
    assert port.events(since=10) == []
    assert isinstance(events[0], DeviceEvent)


def test_a_refused_command_raises_command_rejected_with_its_code(
    port: Rmd1TestPort, fake_bench: FakeBench
) -> None:
    with pytest.raises(CommandRejected) as out_of_range:
        port.set_level(9)
    assert out_of_range.value.code == 3
    assert "LVL 9" in str(out_of_range.value)
    fake_bench.device.state = FakeStatus(charging=True)
    with pytest.raises(CommandRejected) as refused:
        port.set_frequency(1)
    assert (refused.value.code, refused.value.text) == (4, "charging")
    assert isinstance(refused.value, DeviceCommError)


def test_noise_before_every_reply_is_skipped(port: Rmd1TestPort, fake_bench: FakeBench) -> None:
    firmware_for(fake_bench).inject(LineFault.NOISE)
    for level in (1, 2, 3, 4, 5):
        port.set_level(level)
        assert port.level() == level
    assert port.identify().model == "RMD-1"


def test_a_corrupted_reply_is_retried_without_pressing_the_button_twice(
    port: Rmd1TestPort, fake_bench: FakeBench
) -> None:
    firmware_for(fake_bench).inject(LineFault.CORRUPT, count=1)
    assert port.level_up() == 2
    assert fake_bench.device.calls == ["level_up"]


@pytest.mark.parametrize(
    ("fault", "evidence"),
    [
        (LineFault.SILENT, "nothing at all"),
        (LineFault.PARTIAL, "a partial line b'OK lev"),
        (LineFault.GARBAGE, "an unparseable line b'RMD-1 bootloader"),
        (LineFault.CORRUPT, "a line failing its CRC"),
    ],
)
def test_a_broken_link_raises_naming_the_command_and_what_arrived(
    port: Rmd1TestPort, fake_bench: FakeBench, fault: LineFault, evidence: str
) -> None:
    firmware_for(fake_bench).inject(fault)
    with pytest.raises(DeviceCommError) as error:
        port.level()
    message = str(error.value)
    assert "'LVL?'" in message and "dut (hilsim://" in message
    assert evidence in message
    firmware_for(fake_bench).inject(LineFault.NONE)
    assert port.level() == 1  # the driver is usable again once the link is


def test_an_unpowered_unit_is_reported_as_silent(port: Rmd1TestPort, fake_bench: FakeBench) -> None:
    fake_bench.device.has_power = False
    before = fake_bench.clock.now()
    with pytest.raises(DeviceCommError, match=r"'PWR ON'.*2 attempt.*is the unit powered"):
        port.power_on()
    # Waiting for a silent unit takes (virtual) time: the timeout, once per attempt.
    assert fake_bench.clock.now() - before >= 2 * 0.05
    assert fake_bench.device.calls == []


@pytest.mark.parametrize(
    ("status", "field"),
    [
        (FakeStatus(level="x"), "'level': expected an integer, got 'x'"),
        (FakeStatus(state="dancing"), "'state': expected one of"),
    ],
)
def test_a_malformed_field_raises_naming_the_field(
    port: Rmd1TestPort, fake_bench: FakeBench, status: FakeStatus, field: str
) -> None:
    fake_bench.device.state = status
    with pytest.raises(DeviceCommError, match="'STAT\\?'") as error:
        port.status()
    assert field in str(error.value)


def test_safe_state_powers_off_and_never_raises(port: Rmd1TestPort, fake_bench: FakeBench) -> None:
    port.power_on()
    port.safe_state()
    assert fake_bench.device.calls[-1] == "power_off"
    fake_bench.device.has_power = False
    port.safe_state()  # silent unit: logged, not raised
    port.close()
    port.safe_state()  # closed port: nothing to do


def test_opening_a_missing_port_is_a_device_comm_error(fake_bench: FakeBench) -> None:
    with pytest.raises(DeviceCommError, match="cannot open"):
        Rmd1TestPort("hilsim://no-such-bench")
    with pytest.raises(DeviceCommError, match="cannot open"):
        Rmd1TestPort("/dev/no-such-uart")
    with pytest.raises(DeviceCommError, match="cannot open"):
        Rmd1TestPort("nosuchscheme://x")


def test_over_a_loopback_the_driver_hears_only_its_own_echo_and_says_so() -> None:
    with (
        Rmd1TestPort("loop://", timeout_s=0.05, retries=0) as port,
        pytest.raises(DeviceCommError) as error,
    ):
        port.identify()
    assert "an unparseable line b'ID? @" in str(error.value)


def test_a_late_reply_to_an_earlier_request_is_not_taken_for_this_one() -> None:
    def respond(command: str, tag: str) -> bytes:
        stale = framed(f"OK level=9 @{int(tag) - 1:05d}")
        return stale + framed(f"OK level=3 @{tag}")

    unit = ScriptedUnit(respond)
    try:
        with Rmd1TestPort(unit.path, timeout_s=1.0) as port:
            assert port.level() == 3
    finally:
        unit.close()


def test_an_endless_line_of_noise_is_cut_off_and_reported() -> None:
    unit = ScriptedUnit(lambda command, tag: b"\xff" * 10_000)
    try:
        with (
            Rmd1TestPort(unit.path, timeout_s=0.3, retries=0) as port,
            pytest.raises(DeviceCommError, match=r"'LVL\?'.*unparseable line b'\\xff"),
        ):
            port.level()
    finally:
        unit.close()


def test_noise_inside_a_reply_line_is_caught_by_the_crc() -> None:
    def respond(command: str, tag: str) -> bytes:
        good = framed(f"OK level=3 @{tag}")
        return good[:5] + b"\x00" + good[6:]  # one byte hit on the wire

    unit = ScriptedUnit(respond)
    try:
        with (
            Rmd1TestPort(unit.path, timeout_s=0.2) as port,
            pytest.raises(DeviceCommError, match="a line failing its CRC"),
        ):
            port.level()
    finally:
        unit.close()
