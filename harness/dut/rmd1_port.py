"""Driver for the RMD-1 factory test port (the UART protocol in docs/testport.md).

`Rmd1TestPort` implements the `TestPort` role over pyserial. It opens its port with
`serial.serial_for_url`, so one driver serves every way the unit can be reached: a
USB-serial adapter (`/dev/ttyUSB0`), a pseudo-terminal (`/dev/pts/N`), a loopback socket
(`socket://127.0.0.1:5025`), pyserial's `loop://` and `spy://` wrappers, and the
in-process simulated bench (`hilsim://<bench_id>`).

A UART is not a reliable link, and this driver is where that is dealt with, once:

* Every request carries a tag and a CRC; every reply must echo the tag and carry a valid
  CRC. Noise before a reply on the same line is skipped; a line that does not check out
  is discarded (and logged), and the driver waits for the next one.
* If no valid reply arrives within `timeout_s` the request is sent again, with the same
  tag, so the unit re-sends its reply instead of pressing a button twice.
* When that fails too, `DeviceCommError` names the port, the command and what did arrive
  (nothing, a partial line, or the lines discarded and why), because "timeout" alone
  sends the operator looking in the wrong place.
* A reply that is well framed but carries a malformed field (`level=x`) is a firmware
  bug, not line noise: it raises at once, naming the field.
* A unit that restarts mid-session is off again with its defaults, which a test would
  otherwise measure as a limit failure. The driver raises `DeviceResetError` as soon as
  it sees the restart: the boot banner (among stale bytes before a request, or instead
  of a reply), or in `STAT?` a boot count that changed or an uptime that went back since
  the last `STAT?`. It then takes the new boot as its reference, so the next test, which
  sets the unit up again, proceeds.
"""

from __future__ import annotations

import binascii
import logging
import random
import re
import time
from types import TracebackType
from typing import NoReturn, cast
from urllib.parse import unquote

import serial

from harness.dut.testport import (
    DEVICE_STATES,
    CommandRejected,
    DeviceEvent,
    DeviceIdentity,
    DeviceResetError,
    DeviceState,
    DeviceStatus,
)
from harness.errors import DeviceCommError
from harness.events.steps import bench_step

_log = logging.getLogger(__name__)

_MAX_LINE = 4096  # bytes; a longer run without newline is noise
_FRAME_START = re.compile(r"OK|ERR")
_BANNER_START = re.compile(r"BOOT ")
_TAG_SUFFIX = re.compile(r" @(\d{1,5})$")
_MAX_EVENT_PAGES = 100_000


def _crc(text: str) -> str:
    return f"{binascii.crc_hqx(text.encode('latin-1'), 0xFFFF):04X}"


def _find_frame(text: str, start_at: re.Pattern[str] = _FRAME_START) -> str | None:
    """The reply (or, with `_BANNER_START`, the boot banner) inside `text`: the first
    `OK`/`ERR` (`BOOT`) from which the CRC checks out."""
    for start in start_at.finditer(text):
        body, star, crc = text[start.start() :].rpartition("*")
        if star and crc == _crc(body) and body.isascii() and body.isprintable():
            return body
    return None


class Rmd1TestPort:
    """The RMD-1 test port over any pyserial URL; implements `harness.dut.TestPort`."""

    def __init__(
        self, url: str, timeout_s: float = 1.0, name: str = "dut", *, retries: int = 1
    ) -> None:
        """Open the port at 115200 8N1; raise `DeviceCommError` if it cannot be opened.

        `timeout_s` is how long one attempt waits for a reply; `retries` how many times a
        request is re-sent (safely: same tag) before the driver gives up.
        """
        self._name = name
        self._url = url
        self._timeout_s = timeout_s
        self._retries = retries
        self._tag = random.randrange(0, 0x10000)  # a restarted host never reuses a tag
        self._rx = bytearray()
        self._boot: int | None = None  # the unit's boot count when last seen
        self._uptime_s: float | None = None  # and its uptime then (device seconds)
        try:
            self._serial = serial.serial_for_url(
                url, baudrate=115200, bytesize=8, parity="N", stopbits=1,
                timeout=timeout_s, write_timeout=timeout_s,
            )  # fmt: skip
        except (serial.SerialException, OSError, ValueError) as error:
            raise DeviceCommError(self._port_label, f"cannot open: {error}") from error

    @property
    def name(self) -> str:
        """The bench role name, used in logs and error messages."""
        return self._name

    @property
    def _port_label(self) -> str:
        return f"{self._name} ({self._url})"

    # --- the TestPort role -------------------------------------------------------------

    @bench_step
    def identify(self) -> DeviceIdentity:
        fields = self._query("ID?")
        return DeviceIdentity(
            model=self._text(fields, "ID?", "model"),
            serial=self._text(fields, "ID?", "serial"),
            firmware=self._text(fields, "ID?", "firmware"),
            hardware=self._text(fields, "ID?", "hardware"),
        )

    @bench_step
    def power_on(self) -> None:
        self._query("PWR ON")

    @bench_step
    def power_off(self) -> None:
        self._query("PWR OFF")

    @bench_step
    def is_powered(self) -> bool:
        """True unless the firmware reports the `off` state (`PWR?`)."""
        value = self._text(self._query("PWR?"), "PWR?", "pwr")
        if value not in ("on", "off"):
            self._bad_field("PWR?", "pwr", "on or off", value)
        return value == "on"

    @bench_step
    def set_level(self, level: int) -> None:
        self._query(f"LVL {int(level)}")

    @bench_step
    def level_up(self) -> int:
        return self._int(self._query("LVL UP"), "LVL UP", "level")

    @bench_step
    def level(self) -> int:
        """The intensity level the firmware reports (`LVL?`)."""
        return self._int(self._query("LVL?"), "LVL?", "level")

    @bench_step
    def set_frequency(self, index: int) -> None:
        self._query(f"FREQ {int(index)}")

    @bench_step
    def frequency(self) -> int:
        """The frequency index (1-3) the firmware reports (`FREQ?`)."""
        return self._int(self._query("FREQ?"), "FREQ?", "freq")

    @bench_step
    def boost(self) -> None:
        self._query("BOOST")

    @bench_step
    def status(self) -> DeviceStatus:
        f = self._query("STAT?")
        state = self._text(f, "STAT?", "state")
        if state not in DEVICE_STATES:
            self._bad_field("STAT?", "state", "one of " + " ".join(sorted(DEVICE_STATES)), state)
        fault = self._text(f, "STAT?", "fault")
        boot = self._int(f, "STAT?", "boot") if "boot" in f else None
        cause = self._text(f, "STAT?", "reset") if "reset" in f else None
        uptime_s = self._int(f, "STAT?", "uptime_ms") / 1000.0 if "uptime_ms" in f else None
        self._check_same_boot(boot, cause, uptime_s)
        return DeviceStatus(
            state=cast(DeviceState, state),
            level=self._int(f, "STAT?", "level"),
            frequency=self._int(f, "STAT?", "freq"),
            boost=self._bool(f, "STAT?", "boost"),
            contact=self._bool(f, "STAT?", "contact"),
            charging=self._bool(f, "STAT?", "charging"),
            battery_v=self._int(f, "STAT?", "vbat_mv") / 1000.0,
            session_s=self._int(f, "STAT?", "session_ms") / 1000.0,
            on_time_s=self._int(f, "STAT?", "ontime_ms") / 1000.0,
            fault=None if fault == "" else fault,
            lowbatt_warning=self._bool(f, "STAT?", "lowbatt"),
            boot_count=boot,
            reset_cause=cause,
            uptime_s=uptime_s,
        )

    def _check_same_boot(self, boot: int | None, cause: str | None, uptime_s: float | None) -> None:
        """Raise `DeviceResetError` if `STAT?` shows a restart since the last `STAT?`.

        The boot count is the evidence; an uptime that went back is the fallback for a
        firmware whose counter did not move (kept in RAM, or wrapped). Either way the
        new values become the reference, so only the first look after a restart raises.
        """
        last_boot, last_uptime = self._boot, self._uptime_s
        self._boot, self._uptime_s = boot, uptime_s
        if boot is not None and last_boot is not None and boot != last_boot:
            raise DeviceResetError(
                self._port_label,
                f"STAT? reports boot {boot} (reset cause {cause or 'not reported'}), "
                f"the port last saw boot {last_boot}",
            )
        if uptime_s is not None and last_uptime is not None and uptime_s < last_uptime:
            raise DeviceResetError(
                self._port_label,
                f"STAT? uptime went back from {last_uptime:.3f} s to {uptime_s:.3f} s",
            )

    @bench_step
    def start_ocp_selftest(self) -> None:
        self._query("OCP TEST")

    @bench_step
    def events(self, since: int = 0) -> list[DeviceEvent]:
        collected: list[DeviceEvent] = []
        for _ in range(_MAX_EVENT_PAGES):
            command = f"EVT? {int(since)}"
            page, following, more = self._event_page(command)
            collected.extend(page)
            if not more:
                return collected
            if following <= since:
                self._bad_field(command, "next", f"an index above {since} with more=1", following)
            since = following
        raise DeviceCommError(self._port_label, "EVT?: the event log never ended")

    @bench_step
    def safe_state(self) -> None:
        """Stop stimulation (`PWR OFF`) as best it can; logs and swallows any failure.

        A restart reported on the way is no reason to stop trying: the banner may have
        pre-empted the `PWR OFF`, so it is sent once more to the rebooted unit.
        """
        retries, self._retries = self._retries, 0  # one try: the supplies go off next
        try:
            if self._serial.is_open:
                try:
                    self.power_off()
                except DeviceResetError as restart:
                    _log.info("%s: safe_state: %s", self._port_label, restart.evidence)
                    self.power_off()
        except Exception as exc:  # safe state is best effort
            _log.info("%s: safe_state: PWR OFF not answered: %s", self._port_label, exc)
        finally:
            self._retries = retries

    @bench_step
    def close(self) -> None:
        self._serial.close()

    def __enter__(self) -> Rmd1TestPort:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- one transaction ---------------------------------------------------------------

    def _query(self, command: str) -> dict[str, str]:
        """Run `command`; return its reply's key=value fields (percent-decoding later)."""
        payload = self._transact(command)
        fields: dict[str, str] = {}
        for token in payload.split():
            key, equals, value = token.partition("=")
            if not equals or not key:
                self._bad_field(command, token, "key=value", token)
            fields[key] = value
        return fields

    def _transact(self, command: str) -> str:
        """Send one request and return the payload of its `OK` reply."""
        self._tag = (self._tag + 1) % 0x10000
        body = f"{command} @{self._tag:05d}"  # fixed width: same bytes, same UART time
        request = f"{body}*{_crc(body)}\n".encode("ascii")
        discarded: list[str] = []
        try:
            self._drop_stale_input(command)
            for attempt in range(1 + self._retries):
                if attempt:
                    _log.warning(
                        "%s: no valid reply to %r in %g s, sending it again",
                        self._port_label, command, self._timeout_s,
                    )  # fmt: skip
                _log.debug("%s > %s", self._port_label, body)
                self._serial.write(request)
                self._serial.flush()
                reply = self._await_reply(command, discarded)
                if reply is not None:
                    return reply
        except serial.SerialException as error:
            raise DeviceCommError(self._port_label, f"{command!r}: link failed: {error}") from error
        if self._rx:
            discarded.append(f"a partial line {bytes(self._rx)!r} (no newline)")
        heard = "; ".join(discarded) if discarded else "nothing at all (is the unit powered?)"
        raise DeviceCommError(
            self._port_label,
            f"no valid reply to {command!r} in {1 + self._retries} attempt(s) of "
            f"{self._timeout_s:g} s; received {heard}",
        )

    def _drop_stale_input(self, command: str) -> None:
        """Drop bytes that arrived since the last reply (they belong to nobody now), but
        not unread: a boot banner among them means the unit restarted in between."""
        stale = bytes(self._rx)
        self._rx.clear()
        while (waiting := self._serial.in_waiting) and len(stale) < _MAX_LINE:
            stale += self._serial.read(waiting)
        self._serial.reset_input_buffer()
        for line in stale.split(b"\n"):
            banner = _find_frame(line.decode("latin-1"), _BANNER_START)
            if banner is not None:
                self._restarted(banner, f"{command!r} was not sent")

    def _restarted(self, banner: str, consequence: str) -> NoReturn:
        """Take the banner's boot as the new reference and raise `DeviceResetError`."""
        fields = dict(token.partition("=")[::2] for token in banner.split()[1:])
        boot = fields.get("boot", "")
        self._boot = int(boot) if boot.isdigit() else None
        self._uptime_s = 0.0
        cause = _decode(fields.get("reset", "-")) or "not reported"
        raise DeviceResetError(
            self._port_label,
            f"boot banner {banner!r} (boot {boot or '?'}, reset cause {cause}); {consequence}",
        )

    def _await_reply(self, command: str, discarded: list[str]) -> str | None:
        """Read lines until this request's reply; None when `timeout_s` runs out."""
        deadline = time.monotonic() + self._timeout_s
        while (line := self._read_line(deadline)) is not None:
            text = line.rstrip(b"\r").decode("latin-1")
            banner = _find_frame(text, _BANNER_START)
            if banner is not None:
                self._restarted(banner, f"{command!r} may not have been executed")
            body = _find_frame(text)
            if body is None:
                damaged = "*" in text and _FRAME_START.search(text) is not None
                reason = "a line failing its CRC" if damaged else "an unparseable line"
                discarded.append(f"{reason} {line!r}")
                _log.warning("%s: discarded %s %r", self._port_label, reason, line)
                continue
            if text.find(body) > 0:
                _log.info("%s: skipped noise %r", self._port_label, text[: text.find(body)])
            match = _TAG_SUFFIX.search(body)
            if match is None or int(match.group(1)) != self._tag:
                discarded.append(f"a reply to another request {body!r}")
                _log.warning("%s: discarded a stale reply %r", self._port_label, body)
                continue
            body = body[: match.start()]
            _log.debug("%s < %s", self._port_label, body)
            if body == "OK" or body.startswith("OK "):
                return body[2:].strip()
            code, _, reason = body[4:].partition(" ")
            if body.startswith("ERR ") and code.isdigit():
                raise CommandRejected(self._port_label, command, int(code), reason)
            discarded.append(f"a malformed reply {body!r}")
        return None

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line received (without `\\n`), or None if `deadline` passes first."""
        while (newline := self._rx.find(b"\n")) < 0:
            if len(self._rx) > _MAX_LINE:
                line = bytes(self._rx)
                self._rx.clear()
                return line  # endless noise: hand it up as one bad line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._serial.timeout = remaining
            chunk = self._serial.read(1)
            if not chunk:
                return None
            self._rx += chunk
            if waiting := self._serial.in_waiting:
                self._rx += self._serial.read(waiting)
        line = bytes(self._rx[:newline])
        del self._rx[: newline + 1]
        return line

    # --- reply fields --------------------------------------------------------------------

    def _event_page(self, command: str) -> tuple[list[DeviceEvent], int, bool]:
        payload = self._transact(command)
        tokens = payload.split()
        header = dict(t.partition("=")[::2] for t in tokens[:3])
        count = self._int(header, command, "count")
        following = self._int(header, command, "next")
        more = self._bool(header, command, "more")
        records = tokens[3:]
        if len(records) != count:
            self._bad_field(command, "count", f"{len(records)} records", count)
        page: list[DeviceEvent] = []
        for record in records:
            parts = record.split(",")
            if len(parts) != 4 or not re.fullmatch(
                r"\d{1,18},-?\d{1,18}", f"{parts[0]},{parts[1]}", re.ASCII
            ):
                self._bad_field(command, "event record", "index,t_ms,kind,detail", record)
            index, t_ms, kind, detail = parts
            page.append(DeviceEvent(int(index), int(t_ms) / 1000.0, _decode(kind), _decode(detail)))
        return page, following, more

    def _text(self, fields: dict[str, str], command: str, key: str) -> str:
        if key not in fields:
            raise DeviceCommError(
                self._port_label, f"{command!r}: reply lacks field {key!r} (got {fields})"
            )
        return _decode(fields[key])

    def _int(self, fields: dict[str, str], command: str, key: str) -> int:
        value = self._text(fields, command, key)
        if not re.fullmatch(r"-?\d{1,18}", value, re.ASCII):
            self._bad_field(command, key, "an integer", value)
        return int(value)

    def _bool(self, fields: dict[str, str], command: str, key: str) -> bool:
        value = self._text(fields, command, key)
        if value not in ("0", "1"):
            self._bad_field(command, key, "0 or 1", value)
        return value == "1"

    def _bad_field(self, command: str, key: str, expected: str, got: object) -> NoReturn:
        raise DeviceCommError(
            self._port_label, f"{command!r}: field {key!r}: expected {expected}, got {got!r}"
        )


def _decode(value: str) -> str:
    """Undo the protocol's percent-encoding; `-` alone means empty."""
    return "" if value == "-" else unquote(value)
