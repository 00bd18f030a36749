"""The simulated unit's side of the test port, held to docs/testport.md line by line.

These tests speak raw bytes to `TestPortFirmware`, with no driver in between, so a
misreading of the protocol shared by both sides would still be caught here: the expected
lines are the worked examples of the protocol document, CRCs included.
"""

from __future__ import annotations

import binascii

import pytest
from testport_fakes import FakeBench, FakeEvent

from harness.sim.testport_firmware import (
    LineFault,
    LineReceiver,
    TestPortFirmware,
    byte_time_s,
    firmware_for,
)


def send(firmware: TestPortFirmware, line: str) -> str:
    reply = firmware.transact(line.encode("ascii"))
    assert reply.endswith(b"\n") and reply.count(b"\n") == 1, reply
    return reply[:-1].decode("ascii")


def with_crc(body: str) -> str:
    return f"{body}*{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"


@pytest.fixture
def firmware(fake_bench: FakeBench) -> TestPortFirmware:
    return TestPortFirmware(fake_bench)


def test_worked_examples_of_the_protocol_document(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    assert (
        send(firmware, "ID?")
        == "OK model=RMD-1 serial=RMD1-SIM-0001 firmware=1.0.0 hardware=A*AB04"
    )
    assert send(firmware, "LVL 3 @7*8E27") == "OK level=3 @7*009D"
    assert send(firmware, "LVL 9 @8*1763") == "ERR 3 level must be 1-5 @8*848F"
    device = fake_bench.device
    device.state = device.state.__class__(
        state="treating", level=3, frequency=2, contact=True, battery_mv=3800.0,
        session_s=12.345, on_time_s=23.456, uptime_s=34.567,
    )  # fmt: skip
    assert send(firmware, "STAT?*7A7C") == (
        "OK state=treating level=3 freq=2 boost=0 contact=1 charging=0 vbat_mv=3800 "
        "session_ms=12345 ontime_ms=23456 fault=- lowbatt=0 boot=1 reset=power-on "
        "uptime_ms=34567*8D5D"
    )
    device.state = device.state.__class__(boots=2, reset_cause="watchdog")
    assert firmware.transact(b"PWR? @41*5E8A") == (
        b"BOOT model=RMD-1 firmware=1.0.0 boot=2 reset=watchdog*53F4\nOK pwr=off @41*1649\n"
    )
    assert send(firmware, "PWR? @42") == "OK pwr=off @42*262A"  # one banner per boot
    device.log[:] = [FakeEvent(i, 0.0, "x", "") for i in range(12)] + [
        FakeEvent(12, 5.012, "beep", ""),
        FakeEvent(13, 5.020, "suspend", "contact lost"),
        FakeEvent(14, 5.230, "resume", ""),
    ]
    assert send(firmware, "EVT? 12 @40*1A67") == (
        "OK count=3 next=15 more=0 12,5012,beep,- 13,5020,suspend,contact%20lost "
        "14,5230,resume,- @40*75EA"
    )


@pytest.mark.parametrize(
    ("request_line", "calls", "payload"),
    [
        ("PWR ON", ["power_on"], "state=standby"),
        ("PWR OFF", ["power_off"], "state=off"),
        ("PWR?", [], "pwr=off"),
        ("LVL 4", ["set_level 4"], "level=4"),
        ("LVL UP", ["level_up"], "level=2"),
        ("LVL?", [], "level=1"),
        ("FREQ 3", ["set_frequency 3"], "freq=3"),
        ("FREQ?", [], "freq=2"),
        ("BOOST", ["press_boost"], "boost=1"),
        ("OCP TEST", ["start_ocp_selftest"], "ocp=started"),
        ("lvl up", ["level_up"], "level=2"),
    ],
)
def test_each_command_calls_the_device_once_and_reports_the_result(
    firmware: TestPortFirmware,
    fake_bench: FakeBench,
    request_line: str,
    calls: list[str],
    payload: str,
) -> None:
    assert send(firmware, request_line) == with_crc(f"OK {payload}")
    assert fake_bench.device.calls == calls


@pytest.mark.parametrize(
    ("request_line", "code"),
    [
        ("LVL? @3*0000", 1),  # wrong CRC: nothing executed
        ("JUMP", 2),
        ("LVL high", 2),
        ("LVL 0", 3),
        ("FREQ 4", 3),
        ("ID? extra", 2),
        ("LVL " + "1" * 130, 5),
    ],
)
def test_malformed_requests_get_the_documented_error_code(
    firmware: TestPortFirmware, fake_bench: FakeBench, request_line: str, code: int
) -> None:
    reply = send(firmware, request_line)
    assert reply.startswith(f"ERR {code} "), reply
    assert fake_bench.device.calls == []


def test_a_refusal_by_the_firmware_is_err_4_with_readable_text(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    fake_bench.device.state = fake_bench.device.state.__class__(charging=True)
    assert send(firmware, "FREQ 1 @5") == with_crc("ERR 4 charging @5")


def test_a_repeated_tagged_request_is_answered_again_but_not_executed_again(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    first = send(firmware, "LVL UP @9")
    assert send(firmware, "LVL UP @9") == first
    assert fake_bench.device.calls == ["level_up"]
    send(firmware, "LVL UP @10")
    assert fake_bench.device.calls == ["level_up", "level_up"]


def test_an_unpowered_unit_is_silent_and_does_nothing(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    fake_bench.device.has_power = False
    assert firmware.transact(b"PWR ON") == b""
    assert fake_bench.device.calls == []


def test_empty_lines_and_carriage_returns_are_tolerated(firmware: TestPortFirmware) -> None:
    assert firmware.transact(b"") == b""
    assert firmware.transact(b"\r") == b""
    assert send(firmware, "LVL?\r") == with_crc("OK level=1")


def test_each_transaction_costs_its_bytes_on_the_virtual_clock(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    reply = firmware.transact(b"STAT?")
    expected = byte_time_s(len(b"STAT?\n") + len(reply))
    assert fake_bench.clock.now() == pytest.approx(expected)
    assert byte_time_s(1) == pytest.approx(86.8e-6, rel=1e-3)


def test_events_are_paged_and_keep_device_timestamps(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    fake_bench.device.log[:] = [FakeEvent(i, 5.0 * i, "beep", "") for i in range(11)]
    first = send(firmware, "EVT? 0").rpartition("*")[0].split()
    assert first[:4] == ["OK", "count=8", "next=8", "more=1"]
    assert first[4:6] == ["0,0,beep,-", "1,5000,beep,-"]
    second = send(firmware, "EVT? 8").rpartition("*")[0].split()
    assert second[:4] == ["OK", "count=3", "next=11", "more=0"]
    assert send(firmware, "EVT? 11") == with_crc("OK count=0 next=11 more=0")


def test_values_that_could_break_the_framing_are_percent_encoded(
    firmware: TestPortFirmware, fake_bench: FakeBench
) -> None:
    fake_bench.device.log[:] = [FakeEvent(0, 1.0, "fault", "a*b @c,d=e")]
    fake_bench.device.identity = ("RMD-1", "SN 1", "1.0", "-")
    assert send(firmware, "EVT? 0") == with_crc(
        "OK count=1 next=1 more=0 0,1000,fault,a%2Ab%20%40c%2Cd%3De"
    )
    assert "serial=SN%201" in send(firmware, "ID?")
    assert "hardware=%2D" in send(firmware, "ID?")


@pytest.mark.parametrize("fault", list(LineFault))
def test_injected_faults_change_only_the_next_n_replies(
    firmware: TestPortFirmware, fault: LineFault
) -> None:
    clean = with_crc("OK level=1")
    firmware.inject(fault, count=1)
    disturbed = firmware.transact(b"LVL?")
    if fault is LineFault.NONE:
        assert disturbed == (clean + "\n").encode()
    else:
        assert disturbed != (clean + "\n").encode()
    assert send(firmware, "LVL?") == clean


def test_noise_never_hides_the_reply_itself(firmware: TestPortFirmware) -> None:
    firmware.inject(LineFault.NOISE)
    for _ in range(50):
        assert firmware.transact(b"LVL?").endswith((with_crc("OK level=1") + "\n").encode())


def test_line_receiver_splits_a_stream_and_bounds_an_endless_line() -> None:
    receiver = LineReceiver(max_bytes=16)
    assert receiver.feed(b"ID") == []
    assert receiver.feed(b"?\nLVL") == [b"ID?"]
    assert receiver.feed(b"?\n\n") == [b"LVL?", b""]
    receiver.feed(b"x" * 1000)
    assert receiver.feed(b"\n") == [b"x" * 16]


def test_every_transport_of_one_bench_shares_one_firmware(fake_bench: FakeBench) -> None:
    assert firmware_for(fake_bench) is firmware_for(fake_bench)
    assert firmware_for(fake_bench) is not firmware_for(FakeBench())
