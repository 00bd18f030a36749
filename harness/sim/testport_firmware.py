"""The simulated RMD-1's side of the factory test port: lines in, lines out.

This is the part of the device firmware that listens on the UART. It turns one request
line (docs/testport.md) into calls on the simulated device (`SimDevice`) and one reply
line, exactly as the real firmware would, so the harness driver can be tested end to end
without hardware. Every transport (the in-process `hilsim://` URL, a pseudo-terminal, a
loopback socket) feeds it the same way, which is why their answers are identical.

Three things a plain command table would miss:

* **Time.** A UART transaction takes time: 10 bit times per byte at 115200 baud. Each
  transaction advances the bench's virtual clock by the bytes it moved, so a test that
  polls the port a thousand times sees the device's timers move accordingly.
* **Atomicity.** The bench lock is held for the whole transaction, so an instrument in
  another thread never observes the device half-way through a command.
* **Misbehaviour.** `inject(LineFault.X, count)` makes the port misbehave the way real
  links do (noise, a corrupted byte, a truncated line, garbage, silence), so the
  driver's error handling is exercised rather than assumed. A device without power
  answers nothing at all, as a real unit would.
* **Restarts.** When the unit has rebooted since the port last spoke, the boot banner
  (the one line the firmware sends unprompted) goes out first. The port only speaks
  inside a transaction, so the banner reaches the host ahead of the next reply, just
  as it would sit in a real host's receive buffer. A reset while a request was still
  arriving loses that request: the host gets the banner and no reply. A reply being
  sent is not cut short; a reset during it shows with the next one.

It is written from the protocol document, independently of the harness driver, so that a
misreading of the protocol on one side is not silently mirrored on the other.
"""

from __future__ import annotations

import binascii
import logging
import re
import threading
import weakref
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from harness.sim.bench import SimBench
    from harness.sim.firmware import DeviceStatus

_log = logging.getLogger(__name__)

BAUD_RATE = 115200
BITS_PER_BYTE = 10  # start + 8 data + stop
MAX_REQUEST_BYTES = 120
EVENTS_PER_REPLY = 8
_EVENT_BYTES = 320  # records per reply stop here, keeping replies under 400 bytes
_TAG = re.compile(r"^(.*?)\s*@(\d{1,5})$")
FIRST_BOOT = 1
"""The power-on boot: its banner went out before any host listened."""


def byte_time_s(n_bytes: int) -> float:
    """How long `n_bytes` take on the wire at 115200 8N1."""
    return n_bytes * BITS_PER_BYTE / BAUD_RATE


class LineFault(Enum):
    """Ways a simulated port can misbehave, for testing the driver's error handling."""

    NONE = "none"
    NOISE = "noise"  # random bytes before the reply, sometimes as a line of their own
    CORRUPT = "corrupt"  # one byte of the reply changed (its CRC no longer matches)
    PARTIAL = "partial"  # the first half of the reply, no newline, then silence
    GARBAGE = "garbage"  # a line that is not protocol at all, instead of the reply
    SILENT = "silent"  # nothing; the command is not executed either


class _Refused(Exception):
    """Internal: the command cannot be executed; becomes an `ERR <code> <text>` reply."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _crc(text: str) -> str:
    return f"{binascii.crc_hqx(text.encode('ascii'), 0xFFFF):04X}"


def _enc(value: object) -> str:
    """Percent-encode a value so it cannot contain separators; empty becomes `-`."""
    text = "" if value is None else str(value)
    if text == "-":
        return "%2D"
    return quote(text, safe="") or "-"


def _plain(text: str) -> str:
    """Make free text safe for an ERR line: no separators, no control characters."""
    return "".join(c if c.isascii() and c.isprintable() and c not in "*@" else "?" for c in text)


def _int_arg(args: list[str], name: str, low: int, high: int) -> int:
    if len(args) != 1 or not re.fullmatch(r"\d{1,3}", args[0]):
        raise _Refused(2, f"expected {name} {low}-{high}")
    value = int(args[0])
    if not low <= value <= high:
        raise _Refused(3, f"{name} must be {low}-{high}")
    return value


class LineReceiver:
    """Splits the incoming byte stream into request lines (one per transport)."""

    def __init__(self, max_bytes: int = 4096) -> None:
        self._buffer = bytearray()
        self._max = max_bytes

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete lines (without `\\n`) now available."""
        self._buffer += data
        *lines, rest = bytes(self._buffer).split(b"\n")
        # Bound memory on a stream that never ends a line; the tail still becomes one
        # (too long) line when its newline arrives, and is answered ERR 5.
        self._buffer = bytearray(rest[: self._max])
        return lines


class TestPortFirmware:
    """The command interpreter of one simulated unit's UART."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, bench: SimBench) -> None:
        # Weak, so that `firmware_for`'s cache does not keep finished benches alive.
        self._bench_ref = weakref.ref(bench)
        self._fault = LineFault.NONE
        self._fault_count: int | None = None
        self._last_key: tuple[str, str] | None = None
        self._last_reply = ""
        self._announced_boot = FIRST_BOOT
        self._rng = bench.rng("testport")

    @property
    def _bench(self) -> SimBench:
        bench = self._bench_ref()
        if bench is None:
            raise RuntimeError("the simulated bench behind this test port is gone")
        return bench

    def inject(self, fault: LineFault, count: int | None = None) -> None:
        """Misbehave as `fault` for the next `count` replies (None: until told otherwise)."""
        with self._bench.lock:
            self._fault = fault
            self._fault_count = count

    def wait(self, seconds: float) -> None:
        """Let `seconds` pass on the bench clock, as a host waiting for a reply does."""
        with self._bench.lock:
            self._bench.clock.advance(seconds)

    def transact(self, line: bytes) -> bytes:
        """Handle one received request line; return the bytes sent back (maybe none)."""
        with self._bench.lock:
            device = self._bench.device
            boots_before = device.status().boots
            self._bench.clock.advance(byte_time_s(len(line) + 1))
            if not device.has_power:
                return b""  # an unpowered MCU hears nothing and says nothing
            status = device.status()
            banner = self._banner(status)
            if status.boots != boots_before:
                # the reset fell while the request arrived: the rebooted MCU never saw it
                self._bench.clock.advance(byte_time_s(len(banner)))
                return banner
            fault = self._take_fault()
            if fault is LineFault.SILENT:
                return banner
            reply = self._answer(line)
            if reply is None:
                return banner
            wire = self._disturb((reply + "\n").encode("ascii"), fault)
            self._bench.clock.advance(byte_time_s(len(wire)))
            return banner + wire

    def _banner(self, status: DeviceStatus) -> bytes:
        """The boot banner if the unit booted since the port last spoke, else nothing."""
        if status.boots == self._announced_boot:
            return b""
        self._announced_boot = status.boots
        model, _, firmware, _ = self._bench.device.identity
        body = (
            f"BOOT model={_enc(model)} firmware={_enc(firmware)} "
            f"boot={status.boots} reset={_enc(status.reset_cause)}"
        )
        return f"{body}*{_crc(body)}\n".encode("ascii")

    def _take_fault(self) -> LineFault:
        fault = self._fault
        if self._fault_count is not None:
            self._fault_count -= 1
            if self._fault_count <= 0:
                self._fault, self._fault_count = LineFault.NONE, None
        return fault

    def _disturb(self, wire: bytes, fault: LineFault) -> bytes:
        rng = self._rng
        if fault is LineFault.NOISE:
            noise = bytes(int(b) for b in rng.integers(0, 256, int(rng.integers(1, 17))))
            noise = noise.replace(b"\n", b"\x00")
            separator = b"\n" if rng.random() < 0.5 else b""
            return noise + separator + wire
        if fault is LineFault.CORRUPT:
            position = int(rng.integers(0, len(wire) - 1))
            corrupted = bytearray(wire)
            corrupted[position] = 0x3F if corrupted[position] != 0x3F else 0x21
            return bytes(corrupted)
        if fault is LineFault.PARTIAL:
            return wire[: len(wire) // 2]
        if fault is LineFault.GARBAGE:
            return b"RMD-1 bootloader v0.3 press any key\n"
        return wire

    def _answer(self, raw: bytes) -> str | None:
        text = raw.decode("ascii", errors="replace").rstrip("\r")
        tag: str | None = None  # echoed verbatim, leading zeros and all
        body = text
        crc_ok = True
        if "*" in text:
            body, _, crc = text.rpartition("*")
            crc_ok = body.isascii() and crc.upper() == _crc(body)
        match = _TAG.match(body)
        if match and int(match.group(2)) <= 0xFFFF:
            body, tag = match.group(1), match.group(2)
        command = body.strip()
        if not command and crc_ok:
            return None
        key = None if tag is None else (tag, command)
        if key is not None and key == self._last_key:
            return self._last_reply  # a retry: do not execute twice
        try:
            if len(raw) > MAX_REQUEST_BYTES:
                raise _Refused(5, f"line longer than {MAX_REQUEST_BYTES} bytes")
            if not crc_ok:
                raise _Refused(1, "checksum mismatch")
            if not command.isascii() or not command.isprintable():
                raise _Refused(2, "non-printable characters")
            reply = "OK" + (" " + payload if (payload := self._execute(command)) else "")
        except _Refused as refusal:
            reply = f"ERR {refusal.code} {refusal.text}"
        except Exception as error:  # a simulator bug must surface, not hang the port
            _log.exception("test port: %r failed", command)
            reply = f"ERR 9 internal {type(error).__name__}"
        if tag is not None:
            reply += f" @{tag}"
        reply += "*" + _crc(reply)
        self._last_key, self._last_reply = key, reply
        return reply

    def _execute(self, command: str) -> str:
        words = command.split()
        verb, args = words[0].upper(), [w.upper() for w in words[1:]]
        device = self._bench.device
        if verb == "ID?" and not args:
            model, serial, firmware, hardware = device.identity
            return (
                f"model={_enc(model)} serial={_enc(serial)} "
                f"firmware={_enc(firmware)} hardware={_enc(hardware)}"
            )
        if verb == "PWR" and args in (["ON"], ["OFF"]):
            device.power_on() if args == ["ON"] else device.power_off()
            return f"state={_enc(device.status().state)}"
        if verb == "PWR?" and not args:
            return "pwr=off" if device.status().state == "off" else "pwr=on"
        if verb == "LVL" and args == ["UP"]:
            self._refusing(device.level_up)
            return f"level={device.status().level}"
        if verb == "LVL":
            level = _int_arg(args, "level", 1, 5)
            self._refusing(lambda: device.set_level(level))
            return f"level={device.status().level}"
        if verb == "LVL?" and not args:
            return f"level={device.status().level}"
        if verb == "FREQ":
            index = _int_arg(args, "freq", 1, 3)
            self._refusing(lambda: device.set_frequency(index))
            return f"freq={device.status().frequency}"
        if verb == "FREQ?" and not args:
            return f"freq={device.status().frequency}"
        if verb == "BOOST" and not args:
            self._refusing(device.press_boost)
            return f"boost={int(device.status().boost)}"
        if verb == "STAT?" and not args:
            return self._status_payload()
        if verb == "OCP" and args == ["TEST"]:
            self._refusing(device.start_ocp_selftest)
            return "ocp=started"
        if verb == "EVT?":
            since = _int_arg(args, "since", 0, 10**9) if args else 0
            return self._events_payload(since)
        raise _Refused(2, f"unknown command {_plain(command)}")

    @staticmethod
    def _refusing(action: Callable[[], None]) -> None:
        """Run a device action; a ValueError/RuntimeError from the firmware is a refusal."""
        try:
            action()
        except (ValueError, RuntimeError) as refusal:
            raise _Refused(4, _plain(str(refusal)) or "refused") from refusal

    def _status_payload(self) -> str:
        s = self._bench.device.status()
        return (
            f"state={_enc(s.state)} level={s.level} freq={s.frequency} "
            f"boost={int(s.boost)} contact={int(s.contact)} charging={int(s.charging)} "
            f"vbat_mv={round(s.battery_mv)} session_ms={round(s.session_s * 1000)} "
            f"ontime_ms={round(s.on_time_s * 1000)} "
            f"fault={'-' if s.fault is None else _enc(s.fault)} "
            f"lowbatt={int(s.lowbatt_warning)} boot={s.boots} reset={_enc(s.reset_cause)} "
            f"uptime_ms={round(s.uptime_s * 1000)}"
        )

    def _events_payload(self, since: int) -> str:
        pending = [e for e in self._bench.device.events(since) if e.index >= since]
        records: list[str] = []
        following = since
        for event in pending:
            record = (
                f"{event.index},{round(event.t_device_s * 1000)},"
                f"{_enc(event.kind)},{_enc(event.detail)}"
            )
            too_long = sum(len(r) + 1 for r in records) + len(record) > _EVENT_BYTES
            if records and (len(records) == EVENTS_PER_REPLY or too_long):
                break
            records.append(record)
            following = event.index + 1
        more = len(records) < len(pending)
        header = f"count={len(records)} next={following} more={int(more)}"
        return " ".join([header, *records])


_firmware: dict[int, TestPortFirmware] = {}
_firmware_lock = threading.Lock()


def firmware_for(bench: SimBench) -> TestPortFirmware:
    """The one test-port firmware of `bench`, shared by every transport that reaches it.

    A unit has one UART whatever cable the host uses, so a fault injected here shows on
    `hilsim://`, the pty and the socket alike.
    """
    with _firmware_lock:
        firmware = _firmware.get(id(bench))
        if firmware is None or firmware._bench_ref() is not bench:
            firmware = TestPortFirmware(bench)
            _firmware[id(bench)] = firmware
            weakref.finalize(bench, _firmware.pop, id(bench), None)
        return firmware
