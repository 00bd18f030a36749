"""Fuzzing IEEE 488.2 definite-length blocks (harness/instruments/visa.py) and the scopes'
``:WAV:PRE?`` preambles (keysight_dsox1204g.py, rigol_ds1054z.py).

Properties: a header parses to exactly the length its digits say, or is refused; a block
read from any byte stream is either the announced payload followed by its newline or an
`InstrumentError` (a timeout included), never a payload of another length; the blocks
the simulated instruments write read back unchanged; a preamble whose numbers do not
describe the block (wrong point count, a sentinel, a non-positive time step) is refused
rather than scaled into wrong volts.
"""

from __future__ import annotations

import math

import numpy as np
from fuzz_support import FUZZ, outcome, wire_bytes, within
from hypothesis import assume, given
from hypothesis import strategies as st

from harness.errors import InstrumentError
from harness.instruments.keysight_dsox1204g import KeysightDSOX1204G
from harness.instruments.rigol_ds1054z import RigolDS1054Z
from harness.instruments.scpi_reply import ReadingStatus, classify
from harness.instruments.testing import ScriptedResource
from harness.instruments.visa import ScpiLink, parse_block_header
from harness.sim.scpi import ieee_block, scpi_float

NAME = "scope"


def _link(stream: bytes) -> ScpiLink:
    """A link whose next reply to ``:WAV:DATA?`` is exactly ``stream``."""
    return ScpiLink(ScriptedResource([(":WAV:DATA?", stream)], name=NAME), NAME)


@FUZZ
@given(st.one_of(wire_bytes(24), st.binary(max_size=3).map(lambda tail: b"#" + tail)))
def test_block_header_length_is_its_digits_or_refused(header: bytes) -> None:
    length, error = outcome(parse_block_header, header, instrument=NAME, errors=(InstrumentError,))
    if error is not None:
        assert error.instrument == NAME and "block" in str(error)
        return
    digits = int(header[1:2])
    assert header[:1] == b"#" and 1 <= digits <= 9
    assert length == int(header[2 : 2 + digits].decode("ascii"))


@FUZZ
@given(st.one_of(wire_bytes(60), st.tuples(st.binary(max_size=40), wire_bytes(12))))
def test_any_stream_reads_as_its_block_or_an_error(data: bytes | tuple[bytes, bytes]) -> None:
    if isinstance(data, tuple):  # a real block followed by junk, or a prefix of one
        payload, junk = data
        stream = (ieee_block(payload) + b"\n" + junk)[: len(payload) + len(junk) + 3]
    else:
        stream = data
    with within(2.0):
        payload_read, error = outcome(
            _link(stream).query_block, ":WAV:DATA?", errors=(InstrumentError,)
        )
    if error is not None:
        assert error.instrument == NAME
        return
    digits = int(stream[1:2])
    length = int(stream[2 : 2 + digits])
    assert len(payload_read) == length
    assert stream[2 + digits : 2 + digits + length] == payload_read
    assert stream[2 + digits + length : 3 + digits + length] == b"\n"


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from([None, 8, 9]), st.integers(1, 4096))
def test_blocks_the_simulators_write_read_back_unchanged(
    payload: bytes, width: int | None, chunk: int
) -> None:
    """ieee_block → read_definite_block, newlines in the payload and short chunks included."""
    from harness.instruments import visa

    stream = ieee_block(payload, width) + b"\n"
    old, visa.BLOCK_CHUNK_BYTES = visa.BLOCK_CHUNK_BYTES, chunk
    try:
        assert _link(stream).query_block(":WAV:DATA?") == payload
    finally:
        visa.BLOCK_CHUNK_BYTES = old


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 400), st.booleans())
def test_a_header_that_disagrees_with_its_payload_is_refused(
    payload: bytes, announced: int, wide: bool
) -> None:
    assume(announced != len(payload))
    # announcing fewer bytes than sent is only detectable when a non-newline follows them
    assume(announced > len(payload) or payload[announced : announced + 1] != b"\n")
    text = f"{announced:09d}" if wide else str(announced)
    stream = b"#" + str(len(text)).encode() + text.encode() + payload + b"\n"
    with within(2.0):
        _, error = outcome(_link(stream).query_block, ":WAV:DATA?", errors=(InstrumentError,))
    assert error is not None, f"{announced} announced, {len(payload)} sent: accepted"


# --- preambles ----------------------------------------------------------------------------

_GOOD = (0.0, 0.0, None, 1.0, 1e-6, -5e-3, 0.0, 0.01, 0.0, 128.0)


def _field() -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=32).map(scpi_float),
        st.sampled_from(["+9.9E+37", "-9.9E+37", "9.91E+37", "1e999", "0", "-1", "1.5", "x", ""]),
    )


@st.composite
def preambles(draw: st.DrawFn) -> tuple[str, bytes]:
    """A payload and a preamble for it: right, or with some fields replaced by junk."""
    payload = draw(st.binary(max_size=64))
    fields = [scpi_float(len(payload) if f is None else f) for f in _GOOD]
    for index in draw(st.lists(st.integers(0, 9), max_size=3)):
        fields[index] = draw(_field())
    count = draw(st.sampled_from([10, 10, 10, 9, 11]))
    fields = (fields * 2)[:count]
    return ",".join(fields), payload


def _checked_waveform(preamble: str, payload: bytes) -> None:
    """What an accepted preamble must have been: ten finite numbers describing the block."""
    values = [float(f) for f in preamble.split(",")]
    assert len(values) == 10
    points, xinc = values[2], values[4]
    assert points == len(payload), "a preamble promising another point count was accepted"
    assert all(classify(v) is ReadingStatus.VALID for v in values), "a sentinel was accepted"
    assert xinc > 0, "a non-positive sample interval was accepted"


@FUZZ
@given(preambles())
def test_keysight_preamble_describes_the_block_or_is_refused(case: tuple[str, bytes]) -> None:
    preamble, payload = case
    scope = KeysightDSOX1204G(ScpiLink(ScriptedResource([], name=NAME), NAME))
    waveform, error = outcome(scope._decode, 1, preamble, payload, errors=(InstrumentError,))
    if error is not None:
        assert error.instrument == NAME
        return
    _checked_waveform(preamble, payload)
    assert len(waveform.volts) == len(payload) and np.all(np.isfinite(waveform.volts))


class _RigolScope(ScriptedResource):
    """Answers ``:WAV:PRE?`` with a preamble and ``:WAV:DATA?`` with the asked slice."""

    def __init__(self, preamble: str, payload: bytes) -> None:
        super().__init__([], name=NAME)
        self.preamble, self.payload, self.start, self.stop = preamble, payload, 1, 1

    def write(self, message: str) -> int:
        command, _, argument = message.partition(" ")
        if command == ":WAV:PRE?":
            self.script.pending.extend(self.preamble.encode() + b"\n")
        elif command == ":WAV:DATA?":
            chunk = self.payload[self.start - 1 : self.stop]
            self.script.pending.extend(ieee_block(chunk, 9) + b"\n")
        elif command in (":WAV:STAR", ":WAV:STOP"):
            setattr(self, "start" if command == ":WAV:STAR" else "stop", int(argument))
        return len(message)


@FUZZ
@given(preambles())
def test_rigol_preamble_describes_the_block_or_is_refused(case: tuple[str, bytes]) -> None:
    preamble, payload = case
    scope = RigolDS1054Z(ScpiLink(_RigolScope(preamble, payload), NAME))
    with within(2.0):
        waveform, error = outcome(scope.read_waveform, 1, errors=(InstrumentError,))
    if error is not None:
        assert error.instrument == NAME
        return
    points = int(float(preamble.split(",")[2]))  # the scope's record; the fake may hold more
    _checked_waveform(preamble, payload[:points])
    assert waveform.codes.tobytes() == payload[:points]


@FUZZ
@given(
    st.binary(min_size=1, max_size=64),
    st.floats(1e-9, 1.0),
    st.floats(-1.0, 1.0),
    st.floats(1e-4, 1.0),
    st.floats(-5.0, 5.0),
    st.integers(0, 255),
)
def test_preamble_scaling_round_trips(
    payload: bytes, xinc: float, xorig: float, yinc: float, yorig: float, yref: int
) -> None:
    """A preamble printed the simulators' way scales codes exactly as the manual says."""
    fields = (0, 0, len(payload), 1, xinc, xorig, 0, yinc, yorig, yref)
    preamble = ",".join(scpi_float(f) for f in fields)
    scope = KeysightDSOX1204G(ScpiLink(ScriptedResource([], name=NAME), NAME))
    waveform = scope._decode(2, preamble, payload)
    codes = np.frombuffer(payload, dtype=np.uint8).astype(np.float64)
    np.testing.assert_allclose(
        waveform.volts, (codes - yref) * yinc + yorig, rtol=1e-7, atol=1e-7 * abs(yinc) * 256
    )
    assert math.isclose(waveform.dt, xinc, rel_tol=1e-8)
    assert math.isclose(waveform.t0, xorig, rel_tol=1e-8, abs_tol=1e-12)
