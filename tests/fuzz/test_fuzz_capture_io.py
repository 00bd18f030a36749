"""Fuzzing the capture readers (harness/analysis/capture_io.py).

Properties: any file handed to `read_capture` (random CSV text, mutations of each of the
five CSV layouts, random bytes, junk or odd arrays in an .npz, junk or damaged Parquet)
is either a capture that can be trusted (at least two finite samples, a finite start
time, a finite positive spacing, and a recorded load that is None or a finite positive
resistance) or an `InputError` naming the file; a capture written in any layout reads
back with the same time base, samples and load. Edge cases of the header numbers and
of the time span are stated one by one: refused (naming the file, line and field) or read
(with the values worked out here, not by the reader).
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from fuzz_support import FUZZ_SLOW, mutate_text, outcome, within
from hypothesis import given
from hypothesis import strategies as st

from harness.analysis.capture_io import Capture, read_capture, write_capture
from harness.errors import InputError


@contextmanager
def _file(name: str, content: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-capture-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


def _read_or_refuse(name: str, content: bytes) -> Capture | None:
    with _file(name, content) as path, within(5.0):
        capture, error = outcome(read_capture, path, errors=(InputError,))
        if error is not None:
            assert str(path) in str(error), f"error does not name the file: {error}"
            return None
    assert capture.volts.ndim == 1 and capture.volts.size >= 2
    assert np.all(np.isfinite(capture.volts)), "non-finite samples accepted"
    assert math.isfinite(capture.t0), f"t0 {capture.t0} accepted"
    assert math.isfinite(capture.dt) and capture.dt > 0, f"dt {capture.dt} accepted"
    load = capture.load_ohms
    assert load is None or (math.isfinite(load) and load > 0), f"load {load} accepted"
    return capture


# --- CSV ----------------------------------------------------------------------------------

_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 5).map(str),
    st.sampled_from(["", " ", "x", "nan", "inf", "1e999", "-1e308", "1e308", '"', '"1"', "1_0",
                     "x-axis", "second", "Volt", "X", "CH1", "Start", "Increment", "Sequence",
                     "\x00", "é", "0x1", "1,2"]),
)  # fmt: skip


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    rows = draw(st.lists(st.lists(_CELLS, max_size=5), max_size=8))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(",".join(row) for row in rows) + draw(st.sampled_from(["", ending]))


def _layouts(t0: float, dt: float, volts: list[float]) -> dict[str, str]:
    """The same capture in the five CSV layouts the harness reads."""
    rows = [(t0 + k * dt, v) for k, v in enumerate(volts)]
    plain = "time_s,volts\n" + "".join(f"{t!r},{v!r}\n" for t, v in rows)
    keysight = "x-axis,1\nsecond,Volt\n" + "".join(f"{t:.12e},{v!r}\n" for t, v in rows)
    rigol = f"X,CH1,Start,Increment,\nSequence,Volt,{t0!r},{dt!r}\n" + "".join(
        f"{k},{v!r},\n" for k, v in enumerate(volts)
    )
    labels = {0: f"Record Length,{len(rows)},,", 1: f"Sample Interval,{dt!r},,"}
    tek = "".join(f"{labels.get(k, ',,,')}{t:.12e},{v!r},\n" for k, (t, v) in enumerate(rows))
    mso = (
        f"Model,MSO44\n\nHorizontal Units,s\nSample Interval,{dt!r}\nVertical Units,V\n"
        + "Label,\nTIME,CH1\n"
        + "".join(f"{t:.12e},{v!r}\n" for t, v in rows)
    )
    return {
        "csv": plain,
        "keysight-csv": keysight,
        "rigol-csv": rigol,
        "tektronix-csv": tek,
        "tektronix-mso-csv": mso,
    }


_CSV_LAYOUTS = st.sampled_from(
    ["csv", "keysight-csv", "rigol-csv", "tektronix-csv", "tektronix-mso-csv"]
)


_VOLTS = st.lists(st.floats(-10.0, 10.0, width=32), min_size=2, max_size=40)
_T0 = st.floats(-1.0, 1.0)
_DT = st.floats(1e-9, 1e-2)


@FUZZ_SLOW
@given(csv_texts())
def test_random_csv_is_a_capture_or_an_input_error(text: str) -> None:
    _read_or_refuse("capture.csv", text.encode("utf-8", errors="surrogatepass"))


@FUZZ_SLOW
@given(st.data(), _T0, _DT, _VOLTS, _CSV_LAYOUTS)
def test_mutated_csv_layouts_are_a_capture_or_an_input_error(
    data: st.DataObject, t0: float, dt: float, volts: list[float], layout: str
) -> None:
    text = data.draw(mutate_text(_layouts(t0, dt, volts)[layout]))
    _read_or_refuse("capture.csv", text.encode("utf-8", errors="surrogatepass"))


@FUZZ_SLOW
@given(_T0, _DT, _VOLTS, _CSV_LAYOUTS)
def test_each_csv_layout_reads_back(t0: float, dt: float, volts: list[float], layout: str) -> None:
    capture = _read_or_refuse("capture.csv", _layouts(t0, dt, volts)[layout].encode())
    assert capture is not None and capture.source_format == layout
    np.testing.assert_array_equal(capture.volts, np.asarray(volts, dtype=np.float64))
    assert math.isclose(capture.dt, dt, rel_tol=1e-6)
    assert math.isclose(capture.t0, t0, rel_tol=1e-9, abs_tol=1e-9 * dt)


@FUZZ_SLOW
@given(st.binary(min_size=1, max_size=300))
def test_random_bytes_are_a_capture_or_an_input_error(content: bytes) -> None:
    _read_or_refuse("capture.csv", content)


def _refusal(name: str, content: bytes) -> InputError:
    """The `InputError` that reading ``content`` must raise; it names the file."""
    with _file(name, content) as path, within(5.0), pytest.raises(InputError) as caught:
        read_capture(path)
    error = caught.value
    assert error.source == str(path) and str(path) in str(error), f"file not named: {error}"
    return error


def _parsed(name: str, content: bytes) -> Capture:
    with _file(name, content) as path, within(5.0):
        return read_capture(path)


def _rigol(start: str, increment: str) -> bytes:
    return f"X,CH1,Start,Increment,\nSequence,Volt,{start},{increment}\n0,0.1,\n1,0.2,\n".encode()


@pytest.mark.parametrize(
    ("field", "start", "increment"),
    [
        *(("Start", bad, "1e-6") for bad in ("nan", "inf", "-inf", "1e999")),
        *(("Increment", "0", bad) for bad in ("nan", "inf", "-inf", "1e999", "0", "-1e-3")),
    ],
)
def test_rigol_header_refuses_a_non_finite_start_or_a_bad_increment(
    field: str, start: str, increment: str
) -> None:
    """A Start that is not a finite number, an Increment that is not a finite positive one:
    refused on line 2, naming the header field."""
    error = _refusal("rigol.csv", _rigol(start, increment))
    assert (error.field, error.line) == (field, 2), str(error)
    assert error.got == (start if field == "Start" else increment)


@pytest.mark.parametrize("start", ["0", "-1e-3", "2.5e-3"])
def test_rigol_header_any_finite_start_is_the_first_sample_time(start: str) -> None:
    """Any finite Start is a valid time of sample 0 (a negative one is pre-trigger)."""
    capture = _parsed("rigol.csv", _rigol(start, "1e-6"))
    assert capture.source_format == "rigol-csv"
    assert capture.t0 == float(start)  # sample index 0: t0 = Start + 0 x Increment
    assert capture.dt == 1e-6
    np.testing.assert_array_equal(capture.volts, [0.1, 0.2])


def _two_rows(first: float, second: float) -> bytes:
    return f"time_s,volts\n{first!r},0.1\n{second!r},0.2\n".encode()


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("times", [(-1e308, 1e308), (1e308, -1e308)])
def test_a_time_column_whose_span_overflows_is_refused(times: tuple[float, float]) -> None:
    """The step between the two times is not a finite positive number (it overflows to
    +inf, or is -inf): refused at the second sample's line, naming the time column."""
    error = _refusal("span.csv", _two_rows(*times))
    assert (error.field, error.line) == ("time", 3), str(error)
    assert error.got == times[1]


@pytest.mark.parametrize("times", [(0.0, 1.7e308), (-1.7e308, 1e-300)])
def test_a_time_column_spanning_most_of_the_float_range_is_read(
    times: tuple[float, float],
) -> None:
    """Two finite times a finite positive step apart are a capture that can be trusted,
    however far apart: t0 is the first time, dt the difference."""
    step = times[1] - times[0]
    assert math.isfinite(step) and step > 0  # the premise: no overflow here
    capture = _parsed("span.csv", _two_rows(*times))
    assert capture.source_format == "csv"
    assert (capture.t0, capture.dt) == (times[0], step)
    np.testing.assert_array_equal(capture.volts, [0.1, 0.2])


# --- .npz and .parquet --------------------------------------------------------------------

_ARRAYS = st.one_of(
    st.floats().map(np.float64),
    st.lists(st.floats(), max_size=5).map(np.asarray),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=5).map(
        lambda v: np.asarray(v, dtype=np.int64)
    ),
    st.sampled_from(
        [np.array(1 + 2j), np.array(["a", "b"]), np.zeros((2, 2)), np.array([], dtype=float),
         np.array([True, False]), np.array(5, dtype="m8[s]"), np.array("2020", dtype="M8[D]"),
         np.array(b"xy"), np.zeros(3, dtype=np.float16), np.zeros(3, dtype=np.uint8),
         np.array([1.0, np.nan]), np.array([0.0, 1.0, 2.0])]
    ),
)  # fmt: skip


@FUZZ_SLOW
@given(
    st.dictionaries(st.sampled_from(["t0", "dt", "volts", "load_ohms", "x"]), _ARRAYS, max_size=5)
)
def test_npz_with_odd_arrays_is_a_capture_or_an_input_error(arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _read_or_refuse("capture.npz", buffer.getvalue())


@FUZZ_SLOW
@given(st.just(np.array([object(), 1], dtype=object)))
def test_npz_with_a_pickled_array_is_refused(volts: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, t0=np.float64(0), dt=np.float64(1e-6), volts=volts)
    assert _read_or_refuse("pickle.npz", buffer.getvalue()) is None


def _valid_bytes(suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="fuzz-capture-") as folder:
        path = Path(folder) / f"valid{suffix}"
        write_capture(path, Capture(0.0, 1e-6, np.linspace(-1.0, 1.0, 50), "npz"))
        return path.read_bytes()


_VALID_NPZ = _valid_bytes(".npz")
_VALID_PARQUET = _valid_bytes(".parquet")


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """Junk, a truncation, or a few flipped bytes of a valid file."""
    kind = draw(st.sampled_from(["junk", "truncate", "flip", "flip"]))
    if kind == "junk":
        return draw(st.binary(max_size=200))
    if kind == "truncate":
        return original[: draw(st.integers(0, len(original) - 1))]
    out = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
    return bytes(out)


@FUZZ_SLOW
@given(damaged(_VALID_NPZ))
def test_damaged_npz_is_a_capture_or_an_input_error(content: bytes) -> None:
    _read_or_refuse("capture.npz", content)


@FUZZ_SLOW
@given(damaged(_VALID_PARQUET))
def test_damaged_parquet_is_a_capture_or_an_input_error(content: bytes) -> None:
    _read_or_refuse("capture.parquet", content)


@FUZZ_SLOW
@given(
    _T0,
    _DT,
    _VOLTS,
    st.sampled_from([".npz", ".parquet", ".pq"]),
    st.none() | st.floats(1e-3, 1e9),
)
def test_write_capture_reads_back(
    t0: float, dt: float, volts: list[float], suffix: str, load: float | None
) -> None:
    original = Capture(t0, dt, np.asarray(volts, dtype=np.float64), "npz", load)
    with tempfile.TemporaryDirectory(prefix="fuzz-capture-") as folder:
        path = write_capture(Path(folder) / f"capture{suffix}", original)
        back = read_capture(path)
    np.testing.assert_array_equal(back.volts, original.volts)
    assert back.load_ohms == load
    if suffix == ".npz":
        assert (back.t0, back.dt) == (t0, dt)
    else:  # rebuilt from the printed time column
        assert math.isclose(back.dt, dt, rel_tol=1e-6)
        assert math.isclose(back.t0, t0, rel_tol=1e-12, abs_tol=1e-12)
