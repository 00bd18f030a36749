"""What the fuzz tests share: one reproducible hypothesis profile, a hang guard, fakes.

Every parser that reads the outside world (an instrument's reply, the device's UART, a
capture file, a spec or bench file) must answer arbitrary input with either a correct
parse or the module's own clear error, whose message names what was wrong. The tests in
this folder state that as hypothesis properties.

* **Reproducible.** ``FUZZ`` is derandomized and has no example database, so CI and a
  laptop run exactly the same examples; a failure found once is found again.
* **Bounded.** Each property has a small example budget, and :func:`within` turns a
  parser that loops or stalls into a test failure (SIGALRM) instead of a stuck CI job.
* **No real link.** Instruments answer from :class:`ScriptedResource`; the device port
  answers from :class:`LineSerial`, which never blocks: an empty buffer reads as the
  pyserial timeout.
"""

from __future__ import annotations

import binascii
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""The default budget: 200 derandomized examples, no database."""

FUZZ_SLOW = settings(FUZZ, max_examples=60)
"""For properties whose single example touches files or pandas."""


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail (``TimeoutError``) when the block runs longer than ``seconds`` of wall time."""

    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s: a hang or an unbounded loop")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome(
    function: Callable[..., Any], *args: Any, errors: tuple[type[BaseException], ...], **kwargs: Any
) -> tuple[Any, BaseException | None]:
    """``(result, None)`` or ``(None, error)`` for an error of the documented types.

    Any other exception propagates and fails the property, which is the point. The
    documented error must also say something: an empty message helps nobody.
    """
    try:
        return function(*args, **kwargs), None
    except errors as error:
        assert str(error).strip(), f"{type(error).__name__} without a message"
        return None, error


# --- strategies ---------------------------------------------------------------------------

#: Bytes an instrument or a UART might plausibly send: protocol punctuation, digits,
#: letters, whitespace and line ends, plus the occasional arbitrary byte.
WIRE_ALPHABET = b"0123456789+-.,;:#*@=eE \t\r\nOKERRokABCDxyz\"'%()?_"


def wire_bytes(max_size: int = 80) -> st.SearchStrategy[bytes]:
    """Byte strings biased toward protocol-looking text, with raw bytes mixed in."""
    protocolish = st.lists(st.sampled_from(list(WIRE_ALPHABET)), max_size=max_size).map(bytes)
    return st.one_of(protocolish, st.binary(max_size=max_size))


def wire_text(max_size: int = 80) -> st.SearchStrategy[str]:
    """Text biased toward protocol-looking characters, with arbitrary Unicode mixed in."""
    protocolish = st.text(alphabet=WIRE_ALPHABET.decode("ascii"), max_size=max_size)
    return st.one_of(protocolish, st.text(max_size=max_size))


def numeric_text() -> st.SearchStrategy[str]:
    """Strings that look like the numbers instruments print, and near misses of them."""
    mantissa = st.from_regex(r"[+-]?(\d{1,6}\.?\d{0,9}|\.\d{1,6})", fullmatch=True)
    exponent = st.one_of(st.just(""), st.from_regex(r"[eE][+-]?\d{1,4}", fullmatch=True))
    pad = st.sampled_from(["", " ", "\t", "\r", "\n"])
    exact = st.tuples(pad, mantissa, exponent, pad).map("".join)
    near_miss = st.sampled_from(
        ["nan", "inf", "-inf", "1_000", "1e", "e5", "+-1", "1..2", "0x10", "", " ", "1,2", "١٢٣"]
    )
    return st.one_of(exact, near_miss, wire_text(20))


def mutate_text(text: str) -> st.SearchStrategy[str]:
    """Small edits of ``text``: delete, duplicate or replace a slice, or insert a token."""
    tokens = st.sampled_from(
        ["", ":", "- ", "  ", "\n", "\t", "[", "]", "{", "}", "'", '"', "&a", "*a", "!!binary",
         "~", "null", ".nan", ".inf", "-1", "1e999", "9**9**9", "#", "%", "@", "\x00", "é",
         "uA", " V", "kohm", "2020-13-45", "yes", "[]", "{}", "? "]
    )  # fmt: skip

    @st.composite
    def edit(draw: st.DrawFn) -> str:
        out = text
        for _ in range(draw(st.integers(1, 4))):
            start = draw(st.integers(0, len(out)))
            end = draw(st.integers(start, min(len(out), start + 40)))
            kind = draw(st.sampled_from(["delete", "replace", "insert", "duplicate"]))
            if kind == "delete":
                out = out[:start] + out[end:]
            elif kind == "duplicate":
                out = out[:end] + out[start:end] + out[end:]
            else:
                token = draw(tokens)
                out = out[:start] + token + (out[start:] if kind == "insert" else out[end:])
        return out

    return edit()


# --- the device's UART, without a UART ----------------------------------------------------


def crc(body: str) -> str:
    """The test-port CRC (CRC-16/CCITT-FALSE over the UTF-8 bytes, upper-case hex)."""
    return f"{binascii.crc_hqx(body.encode('utf-8'), 0xFFFF):04X}"


def framed(body: str) -> bytes:
    """``body`` with its CRC and newline, as the unit sends it (non-ASCII as UTF-8)."""
    return f"{body}*{crc(body)}\n".encode()


_TAG = re.compile(rb" @(\d{5})\*")


class LineSerial:
    """A non-blocking stand-in for ``serial.Serial`` under `Rmd1TestPort`.

    ``respond(tag, request)`` is called once per request written; the bytes it returns
    are what the driver reads next. An empty buffer reads as ``b""`` (the pyserial read
    timeout), so no example ever waits for a real clock.
    """

    def __init__(self, respond: Callable[[str, bytes], bytes]) -> None:
        self._respond = respond
        self._pending = bytearray()
        self.timeout: float | None = 0.0
        self.is_open = True
        self.requests: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.requests.append(data)
        found = _TAG.search(data)
        tag = found.group(1).decode() if found else ""
        self._pending += self._respond(tag, data)
        return len(data)

    def flush(self) -> None:
        pass

    def reset_input_buffer(self) -> None:
        self._pending.clear()

    def read(self, size: int = 1) -> bytes:
        out = bytes(self._pending[:size])
        del self._pending[:size]
        return out

    @property
    def in_waiting(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        self.is_open = False
