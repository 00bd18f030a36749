"""A small SCPI command engine: what every simulated instrument shares.

SCPI (IEEE 488.2 + SCPI-1999) is the text language bench instruments speak. A message
is one line; `;` separates commands inside it. A *header* is a path of *mnemonics*
separated by `:` (`:MEASure:CURRent:DC?`); each mnemonic may be sent in its short form
(the upper-case letters of the manual's spelling, `MEAS`) or its long form (`MEASURE`),
in any case. Nodes the manual writes in brackets are optional (`[SENSe:]CURRent[:DC]:NPLC`
accepts `CURR:NPLC`), and a `#` in a mnemonic stands for a numeric suffix
(`:CHANnel#:SCALe` accepts `:CHAN2:SCAL`). After a `;` a header that does not start with
`:` or `*` continues from the previous command's path (the *path rule*:
`SOUR:VOLT 1;CURR 0.1` sets `SOUR:CURR`).

Each instrument declares its commands as data — one `Command(pattern, handler)` per line,
queries ending in `?` — and the engine does the rest: matching, parameters (numbers with
`MIN`/`MAX`/`DEF` and unit suffixes such as `mV`, `uA`, `ms`), the IEEE 488.2 common
commands every 488.2 instrument must have (`*IDN? *RST *CLS *ESE *ESE? *ESR? *OPC *OPC?
*SRE *SRE? *STB? *TST? *WAI`), the status byte and the error queue with the standard
codes, read back by `SYSTem:ERRor[:NEXT]?` (`+0,"No error"`), and the commands SCPI-1999
(section 4.2.1) requires of every SCPI instrument: `SYSTem:VERSion?` and the STATus
subsystem (OPERation and QUEStionable registers: [:EVENt]?, :CONDition?, :ENABle[?],
STATus:PRESet). A model whose manual has no STATus subsystem (the InfiniiVision scopes
keep their own :OPERegister) is built with `status_subsystem=False`. An instrument's own
table is searched first, so a model may answer a common query its own way.
Handlers raise `ScpiError(code)` and the engine queues it, exactly as a real instrument
reports a bad command: silently, until someone asks.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ERROR_MESSAGES: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -102: "Syntax error",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -131: "Invalid suffix",
    -200: "Execution error",
    -211: "Trigger ignored",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -230: "Data corrupt or stale",
    -350: "Queue overflow",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
}

QUEUE_DEPTH = 20
"""Error queue length of the Keysight instruments modelled here (their manuals say 20)."""

_MULTIPLIERS: dict[str, float] = {
    "": 1.0,
    "EX": 1e18,
    "PE": 1e15,
    "T": 1e12,
    "G": 1e9,
    "MA": 1e6,
    "K": 1e3,
    "M": 1e-3,
    "U": 1e-6,
    "N": 1e-9,
    "P": 1e-12,
    "F": 1e-15,
}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$")
_COMMAND = re.compile(r"^(\S+)(?:\s+(.*))?$", re.DOTALL)
_HEADER = re.compile(r":?\*?[A-Za-z0-9]+(:[A-Za-z0-9]+)*")
_NESTING = frozenset("\"'()")
"""What `split_message` must look out for: quotes and parentheses."""


class ScpiError(Exception):
    """A standard SCPI error, raised by a handler and queued by the engine."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(error_text(code, detail))


def error_text(code: int, detail: str = "") -> str:
    """The `SYST:ERR?` answer for a code: `-222,"Data out of range"`, `+0,"No error"`."""
    message = ERROR_MESSAGES.get(code, "Unknown error")
    if detail:
        message = f"{message}; {detail}"
    return f'{code:+d},"{message}"'


def ieee_block(payload: bytes, width: int | None = None) -> bytes:
    """An IEEE 488.2 definite-length block: `#<n><length in n digits><payload>`.

    `width` fixes the digit count (InfiniiVision scopes always send `#8`); without it the
    shortest count is used, as most instruments do.
    """
    length = str(len(payload)) if width is None else f"{len(payload):0{width}d}"
    if len(length) > 9:
        raise ValueError(f"block of {len(payload)} bytes does not fit an {width}-digit header")
    return b"#" + str(len(length)).encode() + length.encode() + payload


def scpi_float(value: float, digits: int = 9) -> str:
    """A number the way Keysight instruments print it: `+1.23456789E-04`."""
    return f"{value:+.{digits - 1}E}"


@dataclass(frozen=True)
class Node:
    """One mnemonic of a header pattern: its short and long form, optional or not."""

    short: str
    long: str
    optional: bool
    suffix: bool

    def matches(self, mnemonic: str) -> int | None:
        """The numeric suffix (1 if absent) when `mnemonic` names this node, else None."""
        word, digits = mnemonic, ""
        if self.suffix:
            found = re.fullmatch(r"([A-Z]+)(\d{0,9})", mnemonic)  # int() refuses 4300+ digits
            if found is None:
                return None
            word, digits = found.group(1), found.group(2)
        if word not in (self.short, self.long):
            return None
        return int(digits) if digits else 1


def parse_pattern(pattern: str) -> tuple[list[Node], bool]:
    """Split a manual-style header (`[SENSe:]CURRent[:DC]:NPLC?`) into nodes."""
    query = pattern.endswith("?")
    text = pattern.rstrip("?")
    nodes: list[Node] = []
    for token in re.findall(r"\[[^\]]*\]|[^:\[\]]+", text):
        optional = token.startswith("[")
        for name in token.strip("[]").split(":"):
            if not name:
                continue
            suffix = name.endswith("#")
            name = name.rstrip("#")
            short = "".join(c for c in name if c.isupper() or c.isdigit() or c == "*")
            nodes.append(Node(short or name.upper(), name.upper(), optional, suffix))
    return nodes, query


@functools.lru_cache(maxsize=1024)
def _first_node(option: str) -> Node:
    """The node of a one-word pattern such as a choice (`CENTer`), parsed once."""
    return parse_pattern(option)[0][0]


def _match(nodes: Sequence[Node], words: Sequence[str]) -> list[int] | None:
    """Numeric suffixes of the matched nodes when `words` fits `nodes`, else None."""
    if not nodes:
        return [] if not words else None
    node, rest = nodes[0], nodes[1:]
    if words:
        found = node.matches(words[0])
        if found is not None:
            tail = _match(rest, words[1:])
            if tail is not None:
                return ([found] if node.suffix else []) + tail
    if node.optional:
        tail = _match(rest, words)
        if tail is not None:
            return ([1] if node.suffix else []) + tail
    return None


def header_matches(pattern: str, text: str) -> bool:
    """Whether `text` (`VOLT:DC`, `volt`) names the manual-style `pattern` (`VOLTage[:DC]`).

    For string parameters that hold a header, such as `FUNCtion "VOLT:AC"`.
    """
    words = text.strip().strip("\"'").lstrip(":").upper().split(":")
    return _match(parse_pattern(pattern)[0], words) is not None


@dataclass
class Call:
    """One parsed command as a handler sees it: suffixes and raw parameters."""

    header: str
    suffixes: list[int]
    args: list[str]

    def suffix(self, index: int = 0) -> int:
        """The numeric suffix of the n-th `#` node (`CHAN2` -> 2)."""
        return self.suffixes[index]

    def arg(self, index: int, *, required: bool = True) -> str | None:
        """The raw text of parameter `index`; -109 when it is required and absent."""
        if index < len(self.args) and self.args[index] != "":
            return self.args[index]
        if required:
            raise ScpiError(-109)
        return None

    def number(
        self,
        index: int,
        *,
        low: float,
        high: float,
        default: float,
        unit: str = "",
        required: bool = True,
    ) -> float:
        """A numeric parameter in SI units, accepting MIN/MAX/DEF and unit suffixes."""
        text = self.arg(index, required=required)
        return default if text is None else parse_number(text, low, high, default, unit)

    def choice(self, index: int, options: Sequence[str]) -> str:
        """A character parameter, matched short or long form; returns the long form."""
        text = str(self.arg(index)).upper()
        for option in options:
            node = _first_node(option)
            if text in (node.short, node.long):
                return node.long
        raise ScpiError(-224, text)

    def boolean(self, index: int) -> bool:
        """ON/OFF/1/0 as a bool."""
        text = str(self.arg(index)).upper()
        if text in ("ON", "1"):
            return True
        if text in ("OFF", "0"):
            return False
        raise ScpiError(-224, text)

    def channels(self, index: int, *, required: bool = True) -> list[int] | None:
        """A channel list `(@1001,1003:1004)` as integers, ranges expanded."""
        text = self.arg(index, required=required)
        return None if text is None else parse_channel_list(text)


def parse_number(text: str, low: float, high: float, default: float, unit: str = "") -> float:
    """A numeric parameter: MIN/MAX/DEF, or a number with an optional unit suffix."""
    word = text.strip().upper()
    keywords = {
        "MIN": low,
        "MINIMUM": low,
        "MAX": high,
        "MAXIMUM": high,
        "DEF": default,
        "DEFAULT": default,
    }
    if word in keywords:
        return keywords[word]
    found = _NUMBER.match(word)
    if found is None:
        raise ScpiError(-104, text)
    value = float(found.group(1)) * _suffix_scale(found.group(2), unit.upper())
    slack = 1e-9 * max(abs(low), abs(high))  # 100uA is 99.99999999999999e-6 in binary
    if not low - slack <= value <= high + slack:
        raise ScpiError(-222, text)
    return min(max(value, low), high)


def _suffix_scale(suffix: str, unit: str) -> float:
    """Multiplier of a suffix such as `MV` for volts; MOHM and MHZ mean mega."""
    if not suffix:
        return 1.0
    if not unit or not suffix.endswith(unit):
        raise ScpiError(-131, suffix)
    prefix = suffix[: -len(unit)]
    if prefix == "M" and unit in ("OHM", "HZ"):
        return 1e6
    if prefix not in _MULTIPLIERS:
        raise ScpiError(-131, suffix)
    return _MULTIPLIERS[prefix]


MAX_CHANNELS = 10_000
"""Most channels one range of a channel list may span (a 34980A has at most 560)."""


def parse_channel_list(text: str) -> list[int]:
    """`(@1001,1003:1004)` -> [1001, 1003, 1004]."""
    found = re.fullmatch(r"\(\s*@([\d,:\s]*)\)", text.strip())
    if found is None:
        raise ScpiError(-224, text)
    channels: list[int] = []
    for part in filter(None, (p.strip() for p in found.group(1).split(","))):
        first, _, last = part.partition(":")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ScpiError(-224, text)
        if len(first) > 9 or len(last) > 9 or int(last or first) - int(first) > MAX_CHANNELS:
            raise ScpiError(-224, text)  # no switch has more; expanding it would never end
        channels.extend(range(int(first), int(last or first) + 1))
    return channels


Reply = str | bytes | None
Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Command:
    """One line of an instrument's command table: a manual-style header and its handler."""

    pattern: str
    handler: Handler


def split_message(message: str, separator: str) -> list[str]:
    """Split on `separator` outside quotes and parentheses (channel lists hold commas)."""
    if not _NESTING.intersection(message):  # most messages: a plain split, far quicker
        return message.split(separator)
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(message):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(message[start:i])
            start = i + 1
    parts.append(message[start:])
    return parts


@dataclass
class _Entry:
    nodes: list[Node]
    query: bool
    handler: Handler


@dataclass
class StatusRegister:
    """A SCPI status register: condition (now), event (latched since read) and enable.

    An instrument sets condition bits as its state changes (`set_condition`); every bit
    that goes true is latched in the event register, which `[:EVENt]?` reads and clears.
    The status byte summarises `event & enable` (bit 3 QUEStionable, bit 7 OPERation).
    """

    condition: int = 0
    event: int = 0
    enable: int = 0

    def set_condition(self, bits: int) -> None:
        """New condition bits; rising bits latch into the event register."""
        self.event |= bits & ~self.condition
        self.condition = bits

    def latch(self, bits: int) -> None:
        """An event with no lasting condition (one overloaded reading, say)."""
        self.event |= bits

    def read_event(self) -> int:
        value, self.event = self.event, 0
        return value

    def commands(self, prefix: str) -> list[Command]:
        """[:EVENt]?, :CONDition?, :ENABle and :ENABle? under `prefix`."""
        return [
            Command(f"{prefix}[:EVENt]?", lambda c: str(self.read_event())),
            Command(f"{prefix}:CONDition?", lambda c: str(self.condition)),
            Command(f"{prefix}:ENABle", self._set_enable),
            Command(f"{prefix}:ENABle?", lambda c: str(self.enable)),
        ]

    def _set_enable(self, call: Call) -> None:
        self.enable = int(call.number(0, low=0, high=65535, default=0))


class ScpiEngine:
    """Parses messages, runs handlers, keeps the status registers and the error queue."""

    def __init__(
        self,
        commands: Sequence[Command],
        *,
        identity: Callable[[], str],
        reset: Callable[[], None],
        scpi_version: str = "1999.0",
        status_subsystem: bool = True,
    ) -> None:
        self._identity = identity
        self._reset = reset
        self._errors: deque[int] = deque()
        self.esr = 0
        self.ese = 0
        self.sre = 0
        self.operation = StatusRegister()
        self.questionable = StatusRegister()
        common = [
            Command("*IDN?", lambda c: self._identity()),
            Command("*RST", lambda c: self._reset()),
            Command("*CLS", lambda c: self.clear_status()),
            Command("*ESE", lambda c: setattr(self, "ese", _byte(c))),
            Command("*ESE?", lambda c: str(self.ese)),
            Command("*ESR?", lambda c: str(self._read_esr())),
            Command("*OPC", lambda c: self._set_opc()),
            Command("*OPC?", lambda c: "1"),
            Command("*SRE", lambda c: setattr(self, "sre", _byte(c) & ~64)),
            Command("*SRE?", lambda c: str(self.sre)),
            Command("*STB?", lambda c: str(self.status_byte())),
            Command("*TST?", lambda c: "0"),  # nothing simulated can fail its self-test
            Command("*WAI", lambda c: None),
            Command("SYSTem:ERRor[:NEXT]?", lambda c: self.next_error()),
            Command("SYSTem:ERRor:COUNt?", lambda c: str(len(self._errors))),
        ]
        if status_subsystem:
            common += [
                Command("SYSTem:VERSion?", lambda c: scpi_version),
                Command("STATus:PRESet", lambda c: self._preset()),
                *self.operation.commands("STATus:OPERation"),
                *self.questionable.commands("STATus:QUEStionable"),
            ]
        self._table = [_Entry(*parse_pattern(c.pattern), c.handler) for c in (*commands, *common)]
        self._looked_up: dict[tuple[bool, tuple[str, ...]], tuple[_Entry, list[int]] | None] = {}

    def push_error(self, code: int) -> None:
        """Queue an error; a full queue turns its last entry into -350 Queue overflow."""
        self.esr |= _esr_bit(code)
        if len(self._errors) >= QUEUE_DEPTH:
            self._errors[-1] = -350
        else:
            self._errors.append(code)

    def next_error(self) -> str:
        """Oldest error, removed from the queue; `+0,"No error"` when it is empty."""
        return error_text(self._errors.popleft() if self._errors else 0)

    def clear_status(self) -> None:
        """*CLS: empty the error queue and every event register (enables stay)."""
        self._errors.clear()
        self.esr = 0
        self.operation.event = self.questionable.event = 0

    def status_byte(self) -> int:
        """The IEEE 488.2 status byte as Keysight instruments lay it out.

        Bit 2: error queue not empty; bit 3: an enabled QUEStionable event; bit 5 (ESB): an
        event enabled by *ESE; bit 7: an enabled OPERation event; bit 6 (MSS): any bit
        enabled by *SRE. Bit 4 (MAV, a reply waiting) belongs to the connection, not to
        the engine, and is never set: a client that can send *STB? has read its reply.
        """
        byte = 4 if self._errors else 0
        byte |= 8 if self.questionable.event & self.questionable.enable else 0
        byte |= 32 if self.esr & self.ese else 0
        byte |= 128 if self.operation.event & self.operation.enable else 0
        return byte | (64 if byte & self.sre else 0)

    def _preset(self) -> None:
        """STATus:PRESet: SCPI clears the OPERation and QUEStionable enable registers."""
        self.operation.enable = self.questionable.enable = 0

    def execute(self, message: str) -> bytes | None:
        """Run one message (one line, maybe compound) and return its reply line, if any."""
        replies: list[str | bytes] = []
        path: list[str] = []
        for raw in split_message(message.strip(), ";"):
            command = raw.strip()
            if not command:
                continue
            try:
                reply, path = self._run(command, path)
            except ScpiError as error:
                self.push_error(error.code)
                continue
            if reply is not None:
                replies.append(reply)
        if not replies:
            return None
        if any(isinstance(r, bytes) for r in replies):
            return b";".join(r if isinstance(r, bytes) else r.encode() for r in replies) + b"\n"
        return (";".join(str(r) for r in replies) + "\n").encode()

    def _run(self, command: str, path: list[str]) -> tuple[Reply, list[str]]:
        found = _COMMAND.match(command)
        if found is None:
            raise ScpiError(-102, command)
        header, params = found.group(1), found.group(2)
        query = header.endswith("?")
        words_text = header.rstrip("?")
        if "?" in words_text or not _HEADER.fullmatch(words_text):
            raise ScpiError(-102, header)
        words = words_text.lstrip(":").upper().split(":")
        candidates = [words]
        if not words_text.startswith((":", "*")) and path:
            candidates.insert(0, path + words)
        args = [a.strip() for a in split_message(params, ",")] if params else []
        for candidate in candidates:
            found_entry = self._lookup(query, candidate)
            if found_entry is not None:
                entry, suffixes = found_entry
                reply = entry.handler(Call(header, list(suffixes), args))
                common = candidate[0].startswith("*")
                return reply, path if common else candidate[:-1]
        raise ScpiError(-113, header)

    def _lookup(self, query: bool, words: list[str]) -> tuple[_Entry, list[int]] | None:
        """The table entry `words` names, and its numeric suffixes; remembered per header.

        A bench run sends tens of thousands of commands but only a few hundred distinct
        headers, and walking the table costs more than everything else a command does.
        """
        key = (query, tuple(words))
        if key in self._looked_up:
            return self._looked_up[key]
        result: tuple[_Entry, list[int]] | None = None
        for entry in self._table:
            if entry.query == query and (suffixes := _match(entry.nodes, words)) is not None:
                result = (entry, suffixes)
                break
        if len(self._looked_up) < 4096:  # a fuzzer's endless new headers stay unremembered
            self._looked_up[key] = result
        return result

    def _read_esr(self) -> int:
        value, self.esr = self.esr, 0
        return value

    def _set_opc(self) -> None:
        # Commands complete before the next one is parsed, so OPC is set at once.
        self.esr |= 1


def _byte(call: Call) -> int:
    """An 8-bit register mask (*ESE, *SRE): 0 to 255."""
    return int(call.number(0, low=0, high=255, default=0))


def _esr_bit(code: int) -> int:
    """Standard event status bit for an error class (488.2 section 11.5.1)."""
    if -199 <= code <= -100:
        return 32  # command error
    if -299 <= code <= -200:
        return 16  # execution error
    if -399 <= code <= -300 or code > 0:
        return 8  # device-dependent error
    if -499 <= code <= -400:
        return 4  # query error
    return 0
