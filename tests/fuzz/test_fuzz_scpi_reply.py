"""Fuzzing the SCPI reply parsers (harness/instruments/scpi_reply.py) and the error queue.

Properties: any reply is either parsed to exactly what an ASCII SCPI number means or
refused with an `InstrumentError` naming the instrument and quoting the reply; sentinels
never pass as readings; `scpi_float` (how the simulated instruments print numbers) reads
back through `parse_float`; and `drain_errors` ends, whatever the queue answers.
"""

from __future__ import annotations

import math
import re

from fuzz_support import FUZZ, numeric_text, outcome, wire_text, within
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import InstrumentError
from harness.instruments.scpi_reply import (
    ReadingStatus,
    classify,
    parse_error_entry,
    parse_flags,
    parse_float,
    parse_floats,
    parse_identity,
    parse_int,
    parse_measurement,
    parse_measurements,
)
from harness.instruments.testing import ScriptedResource
from harness.instruments.visa import MAX_QUEUED_ERRORS, ScpiLink
from harness.sim.scpi import error_text, scpi_float

NAME = "dmm"
_ASCII_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_ASCII_INT = re.compile(r"[+-]?\d+", re.ASCII)


def _names_the_reply(error: BaseException, reply: str) -> None:
    assert isinstance(error, InstrumentError) and error.instrument == NAME
    assert repr(reply)[:30] in str(error) or repr(reply.strip())[:30] in str(error)


@FUZZ
@given(numeric_text())
def test_parse_float_is_exact_or_names_the_reply(reply: str) -> None:
    value, error = outcome(parse_float, reply, instrument=NAME, errors=(InstrumentError,))
    if error is not None:
        _names_the_reply(error, reply)
        assert not _ASCII_NUMBER.fullmatch(reply.strip())
        return
    assert _ASCII_NUMBER.fullmatch(reply.strip()), f"accepted non-SCPI number {reply!r}"
    assert value == float(reply.strip())


@FUZZ
@given(numeric_text())
def test_parse_int_is_exact_or_names_the_reply(reply: str) -> None:
    value, error = outcome(parse_int, reply, instrument=NAME, errors=(InstrumentError,))
    if error is not None:
        _names_the_reply(error, reply)
        return
    assert _ASCII_INT.fullmatch(reply.strip()), f"accepted non-SCPI integer {reply!r}"
    assert value == int(reply.strip())


@FUZZ
@given(st.integers(4301, 20_000), st.sampled_from(["", "+", "-"]))
def test_an_endless_integer_is_garbage_not_a_crash(digits: int, sign: str) -> None:
    """A reply of thousands of digits (a stuck buffer) is refused, not a ValueError."""
    reply = sign + "7" * digits
    for parse in (parse_int, parse_float):
        value, error = outcome(parse, reply, instrument=NAME, errors=(InstrumentError,))
        assert error is not None or (parse is parse_float and math.isinf(value))
    _, error = outcome(
        parse_error_entry, reply + ',"x"', instrument=NAME, errors=(InstrumentError,)
    )
    assert error is not None and error.instrument == NAME


@FUZZ
@given(st.lists(numeric_text(), min_size=1, max_size=6).map(",".join))
def test_number_lists_parse_item_by_item(reply: str) -> None:
    values, error = outcome(parse_floats, reply, instrument=NAME, errors=(InstrumentError,))
    if error is None:
        assert len(values) == reply.count(",") + 1
        assert values == [float(item.strip()) for item in reply.split(",")]
    measured, m_error = outcome(
        parse_measurements, reply, instrument=NAME, errors=(InstrumentError,)
    )
    if m_error is None:
        assert all(classify(v) is ReadingStatus.VALID and math.isfinite(v) for v in measured)
    else:
        assert m_error.instrument == NAME


@FUZZ
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([9.9e37, -9.9e37, 9.91e37, 9.90000001e37, 1e308, 1.7e308]),
    ),
    st.integers(2, 17),
)
def test_scpi_float_reads_back_and_sentinels_never_pass(value: float, digits: int) -> None:
    """The simulated instruments' number format → the drivers' parser, for every float."""
    text = scpi_float(value, digits)
    parsed = parse_float(text, instrument=NAME)
    assert math.isclose(parsed, value, rel_tol=10.0 ** (1 - digits), abs_tol=0.0) or (
        math.isinf(parsed) and abs(value) > 1.7e308
    )
    reading, error = outcome(parse_measurement, text, instrument=NAME, errors=(InstrumentError,))
    if classify(parsed) is ReadingStatus.VALID:
        assert error is None and reading == parsed
    else:
        assert error is not None and classify(parsed).value in str(error)


@FUZZ
@given(wire_text(40), st.integers(0, 5))
def test_flags_are_exactly_n_zeros_and_ones(reply: str, expected: int) -> None:
    flags, error = outcome(
        parse_flags, reply, instrument=NAME, expected=expected, errors=(InstrumentError,)
    )
    if error is None:
        assert len(flags) == expected
        assert [item.strip() for item in reply.split(",")] == ["1" if f else "0" for f in flags]
    else:
        assert f"{expected} comma-separated" in str(error)


@FUZZ
@given(st.one_of(wire_text(60), st.tuples(st.integers(-999, 999), wire_text(30))))
def test_error_entries_split_or_name_the_reply(entry: str | tuple[int, str]) -> None:
    reply = entry if isinstance(entry, str) else error_text(entry[0], entry[1].replace('"', ""))
    parsed, error = outcome(parse_error_entry, reply, instrument=NAME, errors=(InstrumentError,))
    if error is not None:
        assert "malformed error-queue entry" in str(error)
        return
    code, _message = parsed
    if not isinstance(entry, str):
        assert code == entry[0]


@FUZZ
@given(st.one_of(wire_text(60), st.lists(wire_text(12), min_size=1, max_size=6).map(",".join)))
def test_identity_has_four_fields_or_is_refused(reply: str) -> None:
    identity, error = outcome(parse_identity, reply, instrument=NAME, errors=(InstrumentError,))
    if error is not None:
        assert "*IDN?" in str(error)
        return
    assert identity.manufacturer and identity.model
    joined = ",".join((identity.manufacturer, identity.model, identity.serial, identity.firmware))
    assert joined == ",".join(f.strip() for f in reply.strip().split(","))


@FUZZ
@given(st.lists(st.one_of(wire_text(30), st.just('+0,"No error"')), max_size=80))
def test_draining_the_error_queue_always_ends(replies: list[str]) -> None:
    """Whatever the instrument answers to SYST:ERR?, the drain stops: 0, error, or 64 reads."""
    padding = ['-100,"Command error"'] * MAX_QUEUED_ERRORS
    script = [
        ("SYST:ERR?", (reply.replace("\n", " ") + "\n").encode())
        for reply in [*replies, *padding][:MAX_QUEUED_ERRORS]
    ]
    link = ScpiLink(ScriptedResource(script, name=NAME), NAME)
    with within(2.0):
        entries, error = outcome(link.drain_errors, errors=(InstrumentError,))
    if error is None:
        assert len(entries) < MAX_QUEUED_ERRORS
    else:
        assert error.instrument == NAME
