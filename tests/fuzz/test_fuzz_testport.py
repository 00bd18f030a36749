"""Fuzzing the RMD-1 test-port driver (harness/dut/rmd1_port.py) and the simulated port
(harness/sim/testport_firmware.py).

Properties: whatever line comes back (noise, a frame with any payload, a reply with any
fields, any event records) the driver returns a value or raises `DeviceCommError` naming
the command, and never waits longer than its attempts allow; the firmware answers any
request line with nothing or one well-framed `OK`/`ERR` line (after a restart, behind the
boot banner) and never an internal error;
`LineReceiver` splits any byte stream into the lines it contains; and what the
simulated firmware frames and percent-encodes the driver decodes back exactly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pytest
from fuzz_support import FUZZ, LineSerial, crc, framed, outcome, wire_bytes, wire_text, within
from hypothesis import given
from hypothesis import strategies as st

from harness.dut.rmd1_port import Rmd1TestPort
from harness.dut.testport import DEVICE_STATES, DeviceEvent, DeviceIdentity, DeviceResetError
from harness.errors import DeviceCommError
from harness.sim.testport_firmware import FIRST_BOOT, LineReceiver, TestPortFirmware

QUERIES = ("identify", "is_powered", "level", "level_up", "frequency", "status", "events")


def _port(serial: LineSerial) -> Rmd1TestPort:
    port = Rmd1TestPort("loop://", timeout_s=0.05, name="dut", retries=1)
    port._serial.close()
    port._serial = serial  # type: ignore[assignment]
    return port


def _call(port: Rmd1TestPort, query: str) -> tuple[object, BaseException | None]:
    with within(2.0):
        return outcome(getattr(port, query), errors=(DeviceCommError,))


# --- the driver against arbitrary replies -------------------------------------------------


@FUZZ
@given(st.sampled_from(QUERIES), st.lists(wire_bytes(60), max_size=4))
def test_noise_is_a_device_comm_error_naming_the_command(query: str, noise: list[bytes]) -> None:
    port = _port(LineSerial(lambda tag, request: b"\n".join(noise)))
    _, error = _call(port, query)
    assert error is not None, "noise was taken for a reply"
    assert "dut (loop://)" in str(error)


_KEYS = ["model", "serial", "firmware", "hardware", "pwr", "level", "freq", "state", "boost",
         "contact", "charging", "vbat_mv", "session_ms", "ontime_ms", "fault", "lowbatt",
         "count", "next", "more", "boot", "reset", "uptime_ms", "x"]  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(["0", "1", "-1", "on", "off", "-", "standby", "x", "", "%", "%2D", "1.5"]),
    st.sampled_from(["--5", "٣", "%D9%A3", "9" * 5000, "-" + "9" * 30, "%FF", "%0A"]),
    st.integers(-(10**12), 10**12).map(str),
    st.text(alphabet="0123456789-%ABCDEFabcdef,=", max_size=12),
)


@st.composite
def payloads(draw: st.DrawFn) -> str:
    """A reply payload: key=value fields, and sometimes event records or stray tokens."""
    tokens = [
        f"{draw(st.sampled_from(_KEYS))}={draw(_VALUES)}" for _ in range(draw(st.integers(0, 12)))
    ]
    records = st.lists(_VALUES, min_size=1, max_size=5).map(",".join)
    tokens += draw(
        st.lists(st.one_of(records, st.sampled_from(["=", "k=", "=v", "x"])), max_size=3)
    )
    return " ".join(draw(st.permutations(tokens)))


@FUZZ
@given(st.sampled_from(QUERIES), payloads(), st.sampled_from(["OK", "OK", "ERR", "ERR 7", "OKAY"]))
def test_any_framed_reply_is_a_value_or_names_the_field(
    query: str, payload: str, head: str
) -> None:
    """A well-framed, correctly tagged reply: parsed, or refused naming what was wrong."""

    def respond(tag: str, request: bytes) -> bytes:
        return framed(f"{head} {payload} @{tag}".replace("  ", " "))

    port = _port(LineSerial(respond))
    value, error = _call(port, query)
    if error is not None:
        assert query.upper()[:3] in str(error).upper() or "?" in str(error) or "LVL" in str(error)
        return
    if query == "status":
        assert value.state in DEVICE_STATES  # type: ignore[attr-defined]
    if query in ("level", "level_up", "frequency"):
        assert isinstance(value, int)


@FUZZ
@given(st.lists(st.tuples(_VALUES, _VALUES, _VALUES, _VALUES).map(",".join), max_size=4))
def test_any_event_records_parse_or_name_the_record(records: list[str]) -> None:
    payload = " ".join([f"count={len(records)} next=1 more=0", *records])
    port = _port(LineSerial(lambda tag, request: framed(f"OK {payload} @{tag}")))
    events, error = _call(port, "events")
    if error is not None:
        assert "EVT?" in str(error)
        return
    assert len(events) == len(records)  # type: ignore[arg-type]


# --- the simulated firmware, and the round trip through the driver ------------------------


@dataclass(frozen=True)
class _Status:
    state: str
    level: int
    frequency: int
    boost: bool
    contact: bool
    charging: bool
    battery_mv: float
    session_s: float
    on_time_s: float
    fault: str | None
    lowbatt_warning: bool
    boots: int
    reset_cause: str
    uptime_s: float


@dataclass
class _Device:
    """A unit whose every answer is what the example says, to check the wire both ways."""

    identity: tuple[str, str, str, str]
    state: _Status
    log: list[DeviceEvent] = field(default_factory=list)
    has_power: bool = True

    def status(self) -> _Status:
        return self.state

    def events(self, since: int = 0) -> list[DeviceEvent]:
        return [event for event in self.log if event.index >= since]

    def level_up(self) -> None:
        pass

    def set_level(self, level: int) -> None:
        pass

    def set_frequency(self, index: int) -> None:
        raise ValueError("not now")

    def power_on(self) -> None:
        pass

    def power_off(self) -> None:
        pass

    def press_boost(self) -> None:
        raise RuntimeError("charging, \x00 * @")

    def start_ocp_selftest(self) -> None:
        pass


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


class _Bench:
    def __init__(self, device: _Device) -> None:
        self.device = device
        self.clock = _Clock()
        self.lock = threading.RLock()

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(len(name))


_FREE_TEXT = st.text(max_size=12)


@st.composite
def devices(draw: st.DrawFn) -> _Device:
    status = _Status(
        state=draw(st.sampled_from(sorted(DEVICE_STATES))),
        level=draw(st.integers(1, 5)),
        frequency=draw(st.integers(1, 3)),
        boost=draw(st.booleans()),
        contact=draw(st.booleans()),
        charging=draw(st.booleans()),
        battery_mv=draw(st.integers(0, 5000)),
        session_s=draw(st.integers(0, 10**7)) / 1000,
        on_time_s=draw(st.integers(0, 10**7)) / 1000,
        fault=draw(st.one_of(st.none(), _FREE_TEXT.filter(bool))),
        lowbatt_warning=draw(st.booleans()),
        boots=draw(st.integers(FIRST_BOOT, 10**6)),
        reset_cause=draw(_FREE_TEXT),
        uptime_s=draw(st.integers(0, 10**9)) / 1000,
    )
    kinds = st.tuples(_FREE_TEXT, _FREE_TEXT, st.integers(-(10**6), 10**9))
    log = [
        DeviceEvent(index, t_ms / 1000, kind, detail)
        for index, (kind, detail, t_ms) in enumerate(draw(st.lists(kinds, max_size=20)))
    ]
    identity = draw(st.tuples(_FREE_TEXT, _FREE_TEXT, _FREE_TEXT, _FREE_TEXT))
    return _Device(identity, status, log)


def _firmware_port(device: _Device) -> tuple[Rmd1TestPort, TestPortFirmware]:
    bench = _Bench(device)  # the firmware holds it weakly: keep it alive in `respond`
    firmware = TestPortFirmware(bench)  # type: ignore[arg-type]
    receiver = LineReceiver()

    def respond(tag: str, request: bytes) -> bytes:
        assert bench.device is device
        return b"".join(firmware.transact(line) for line in receiver.feed(request))

    return _port(LineSerial(respond)), firmware


@FUZZ
@given(devices())
def test_what_the_firmware_frames_the_driver_reads_back(device: _Device) -> None:
    port, _ = _firmware_port(device)
    with within(3.0):
        if device.state.boots != FIRST_BOOT:
            with pytest.raises(DeviceResetError):
                port.identify()  # the unit restarted: its banner comes first
        assert port.identify() == DeviceIdentity(*device.identity)
        status = port.status()
        events = port.events()
    s = device.state
    assert (status.state, status.level, status.frequency) == (s.state, s.level, s.frequency)
    assert (status.boost, status.contact, status.charging) == (s.boost, s.contact, s.charging)
    assert status.battery_v == round(s.battery_mv) / 1000
    assert status.session_s == round(s.session_s * 1000) / 1000
    assert status.fault == s.fault and status.lowbatt_warning == s.lowbatt_warning
    assert (status.boot_count, status.reset_cause) == (s.boots, s.reset_cause)
    assert status.uptime_s == round(s.uptime_s * 1000) / 1000
    assert [(e.index, e.kind, e.detail) for e in events] == [
        (e.index, e.kind, e.detail) for e in device.log
    ]
    assert [e.t_device_s for e in events] == [round(e.t_device_s * 1000) / 1000 for e in device.log]


def _frame_body(line: bytes) -> str:
    """The body of one framed line (without its newline), its CRC checked."""
    text = line.decode("ascii")
    body, star, sent_crc = text.rpartition("*")
    assert star and sent_crc == crc(body), f"bad frame {line!r}"
    assert body.isprintable()
    return body


def _check_reply(wire: bytes, *, banner: bool) -> None:
    """Nothing, or exactly one line `OK...`/`ERR <code> ...` whose CRC checks out; with
    `banner`, the boot banner goes first whatever follows."""
    if banner:
        first, _, wire = wire.partition(b"\n")
        assert _frame_body(first).startswith("BOOT ")
    if not wire:
        return
    assert wire.endswith(b"\n") and wire.count(b"\n") == 1
    body = _frame_body(wire[:-1])
    assert body == "OK" or body.startswith(("OK ", "ERR "))
    assert not body.startswith("ERR 9"), f"simulator bug: {body!r}"


_REQUESTS = st.sampled_from(
    ["ID?", "PWR ON", "PWR OFF", "PWR?", "LVL UP", "LVL 3", "LVL 0", "LVL 999", "LVL", "LVL?",
     "FREQ 2", "FREQ x", "FREQ?", "BOOST", "STAT?", "OCP TEST", "EVT?", "EVT? 3", "EVT? -1",
     "EVT? 99999999999", "", " ", "lvl 2", "NOPE", "ID? x"]
)  # fmt: skip


@st.composite
def request_lines(draw: st.DrawFn) -> bytes:
    """A request as the driver frames it, a mangled one, or arbitrary bytes."""
    command = draw(st.one_of(_REQUESTS, wire_text(30)))
    tag = draw(st.sampled_from(["", " @00001", " @65535", " @99999", " @1", "@12"]))
    body = command + tag
    ending = draw(st.sampled_from(["crc", "crc", "badcrc", "none", "lower"]))
    if ending == "crc":
        line = f"{body}*{crc(body) if body.isascii() else '0000'}"
    elif ending == "lower":
        line = f"{body}*{crc(body).lower() if body.isascii() else 'zz'}"
    elif ending == "badcrc":
        line = f"{body}*FFFFF"
    else:
        line = body
    raw = line.encode("utf-8")
    return draw(st.one_of(st.just(raw), st.just(raw + b"\r"), wire_bytes(140)))


@FUZZ
@given(devices(), st.lists(request_lines(), min_size=1, max_size=6))
def test_firmware_answers_any_line_with_one_frame_or_silence(
    device: _Device, lines: list[bytes]
) -> None:
    bench = _Bench(device)
    firmware = TestPortFirmware(bench)  # type: ignore[arg-type]
    restarted = device.state.boots != FIRST_BOOT
    with within(2.0):
        for i, line in enumerate(lines):
            _check_reply(firmware.transact(line.replace(b"\n", b"")), banner=restarted and i == 0)


@FUZZ
@given(st.lists(st.binary(max_size=50), max_size=10), st.integers(1, 64))
def test_line_receiver_splits_a_stream_into_its_lines(chunks: list[bytes], limit: int) -> None:
    receiver = LineReceiver(max_bytes=limit)
    lines = [line for chunk in chunks for line in receiver.feed(chunk)]
    stream = b"".join(chunks)
    *expected, _rest = stream.split(b"\n")
    assert len(lines) == len(expected)
    for got, want in zip(lines, expected, strict=True):
        # a line longer than the bound keeps its first `limit` bytes then what follows
        assert got == want or (len(want) > limit and want.startswith(got[:limit]))
