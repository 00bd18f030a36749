"""Reading and writing scope captures of the load voltage.

A capture is a uniformly sampled record: the time of the first sample `t0`, the sample
spacing `dt` and the voltages, and, for the harness's own files, the load resistance the
voltage was taken across. The harness reads eight layouts:

| `source_format` | what it is | layout |
|---|---|---|
| ``csv`` | any two-column CSV | one header row, then ``time_s,volts`` rows |
| ``keysight-csv`` | InfiniiVision front-panel export | ``x-axis,1`` / ``second,Volt`` / rows |
| ``rigol-csv`` | DS1000Z front-panel export | ``X,CH1,Start,Increment,`` / |
| | | ``Sequence,Volt,<start>,<inc>`` / ``index,value,`` rows |
| ``tektronix-csv`` | TDS/TBS (and older MDO/MSO) export | ``Record Length,<n>,,<t>,<v>,``: |
| | | header label and value in columns 1-2, ``<t>,<v>`` in columns 4-5 of every row |
| ``tektronix-mso-csv`` | MSO2/3/4/5/6, MDO3/4, TBS1000C/2000 | ``Model,<model>`` ... |
| | | ``key,value`` header block ... ``Label,`` / ``TIME,CH1`` / rows |
| ``picoscope-csv`` | PicoScope 6/7 export | ``Time,Channel A`` / ``(us),(mV)`` / rows, |
| | | scaled to s and V by the units row (``csv_units``) |
| ``npz`` | saved by the harness | arrays ``t0``, ``dt``, ``volts``, optional ``load_ohms`` |
| ``parquet`` | saved by the harness | columns ``time_s``, ``volts``; load in the schema |
| | | metadata under ``hil.load_ohms`` |

Only the harness's own files record the load (`Capture.load_ohms`; NaN in an ``.npz``
means "none", as for an open-circuit or auxiliary-channel record): a scope's CSV export
knows volts, not ohms, so its load must come from the operator.

A capture that cannot be trusted is refused with an `InputError` naming the file, the
line (the row, for Parquet) and the field: an empty file, a missing column, a cell that
is not a number (or is the SCPI overload / no-data marker 9.9E+37, which is finite but
not volts), or time steps that are not uniform. *Uniform* means every step is
within half a step of the median step (a missing or repeated sample fails) and no
sample lies more than half a step off the straight line through the first and last
(slow drift fails); the rounding of printed times passes. A Tektronix header is checked
against its data too: horizontal units must be seconds (an FFT export is not a time
record), vertical units volts (a current-probe channel is already amperes, and i = v/R
would be wrong by a factor R), and the stated sample interval must match the time
column within 1 % (a file whose header and data disagree has been edited or spliced).
A plain CSV header naming a unit other than s or V (``Voltage (mV)``) is refused too.

A file that is not text at all (an image, a zip or workbook, a UTF-16 export, random
bytes) is refused as a whole with `NotACaptureError` ("not a CSV capture"), because a
parse error on some line of such a file points the operator at the wrong problem.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from harness.analysis.csv_units import (
    check_header_units,
    check_keysight_units,
    is_picoscope,
    picoscope_scales,
)
from harness.errors import InputError

FloatArray = npt.NDArray[np.float64]
FORMATS = (
    "csv",
    "keysight-csv",
    "rigol-csv",
    "tektronix-csv",
    "tektronix-mso-csv",
    "picoscope-csv",
    "npz",
    "parquet",
)
LOAD_METADATA_KEY = b"hil.load_ohms"
"""Parquet schema metadata key holding the load resistance (ASCII float, ohms)."""
_STEP_TOLERANCE = 0.5
_SAMPLE_INTERVAL_TOLERANCE = 0.01
_SNIFF_BYTES = 64 * 1024
_HEADER_LINES = 64
"""How far a Tektronix header is searched for its ``TIME`` row (real ones take ~20)."""
_OVERLOAD = 9.9e37 * (1 - 1e-4)
"""From here up a magnitude is the SCPI overload / not-a-number marker (9.9E+37, 9.91E+37),
not volts: an InfiniiVision export writes it where the trace was off screen or had no
data. Finite, it passed as a sample: one made the mean 9.9e31 A and halved a frequency."""
_MARKER = "a finite number (9.9E+37 is the scope's overload / no-data marker, not volts)"
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1a")
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one): export the capture as CSV"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "gzip-compressed data: decompress it first"),
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"\x93NUMPY", "a NumPy .npy array: save t0, dt and volts as an .npz"),
    (b"\xff\xfe\x00\x00", "UTF-32 text: save it as UTF-8 or ASCII"),
    (b"\x00\x00\xfe\xff", "UTF-32 text: save it as UTF-8 or ASCII"),
    (b"\xff\xfe", "UTF-16 text: save it as UTF-8 or ASCII"),
    (b"\xfe\xff", "UTF-16 text: save it as UTF-8 or ASCII"),
)


class NotACaptureError(InputError):
    """The file is not text, so no line of it can be named: it is refused as a whole.

    Still an `InputError` (same exit code, same handling), with the one-line message
    ``<file>: not a CSV capture (<what it looks like>)``.
    """

    def __init__(self, path: str | Path, what: str) -> None:
        super().__init__(path, "file", "a CSV capture (text)", got=what)
        self.args = (f"{path}: not a CSV capture ({what})",)


@dataclass(frozen=True, eq=False)
class Capture:
    """A uniformly sampled voltage record: sample k was taken at t0 + k * dt.

    `load_ohms` is the load the voltage was taken across when the file records it (the
    harness's own ``.npz`` and Parquet files), None when it does not (every CSV export).
    """

    t0: float
    dt: float
    volts: npt.NDArray[np.floating]
    source_format: str
    load_ohms: float | None = None

    @property
    def duration_s(self) -> float:
        return self.volts.size * self.dt


def read_capture(path: str | Path) -> Capture:
    """Read any of the seven layouts, chosen by extension and (for CSV) by the header."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing capture file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _read_npz(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    return _read_csv(path)


def write_capture(path: str | Path, capture: Capture) -> Path:
    """Save as ``.npz`` (t0, dt, volts) or ``.parquet`` (time_s, volts), by extension.

    The load travels with the samples (``load_ohms``, NaN for none, as
    `harness.recording.captures` writes it; Parquet schema metadata), so the file can be
    analysed again without anyone having to remember, or mistype, the resistor.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    load = capture.load_ohms
    if suffix == ".npz":
        np.savez(
            path,
            t0=np.float64(capture.t0),
            dt=np.float64(capture.dt),
            volts=capture.volts,
            load_ohms=np.float64(math.nan if load is None else load),
        )
        return path
    if suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        time_s = capture.t0 + np.arange(capture.volts.size, dtype=np.float64) * capture.dt
        table = pa.table({"time_s": time_s, "volts": capture.volts})
        if load is not None:
            table = table.replace_schema_metadata({LOAD_METADATA_KEY: repr(float(load)).encode()})
        pq.write_table(table, path)
        return path
    raise ValueError(f"{path}: write_capture writes .npz or .parquet")


def _read_npz(path: Path) -> Capture:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # zipfile, pickle and value errors alike
        raise InputError(path, "file", "a NumPy .npz archive", got=str(error)) from error
    with archive:
        values: dict[str, npt.NDArray[np.generic]] = {}
        for key in ("t0", "dt", "volts", "load_ohms"):
            if key not in archive.files:
                if key == "load_ohms":  # optional: files from before the load was kept
                    continue
                raise InputError(path, key, f"an array named {key!r}", got=sorted(archive.files))
            try:
                values[key] = archive[key]
            except Exception as error:  # damaged member, pickled objects, bad header
                raise InputError(path, key, "a readable numeric array", got=str(error)) from error
    for key in ("t0", "dt"):
        if values[key].size != 1 or values[key].dtype.kind not in "fiu":
            raise InputError(path, key, "one number", got=values[key].tolist())
    t0, dt = float(values["t0"].reshape(())), float(values["dt"].reshape(()))
    volts = values["volts"]
    if volts.ndim != 1 or volts.dtype.kind not in "fiu":
        raise InputError(
            path, "volts", "a one-dimensional numeric array", got=f"{volts.dtype}{volts.shape}"
        )
    if not (np.isfinite(dt) and dt > 0 and np.isfinite(t0)):
        raise InputError(path, "dt", "a positive finite sample spacing", got=dt)
    _check_samples(path, volts.astype(np.float64, copy=False), "volts", first_line=None)
    samples: npt.NDArray[np.floating] = (
        volts if volts.dtype.kind == "f" else volts.astype(np.float64)  # type: ignore[assignment]
    )
    return Capture(t0, dt, samples, "npz", _npz_load(path, values.get("load_ohms")))


def _npz_load(path: Path, array: npt.NDArray[np.generic] | None) -> float | None:
    """The recorded load; None when absent or NaN (the harness's "no load" marker)."""
    if array is None:
        return None
    if array.size != 1 or array.dtype.kind not in "fiu":
        raise InputError(path, "load_ohms", "one number (ohms, NaN for none)", got=array.tolist())
    value = float(array.reshape(()))
    return _recorded_load(path, "load_ohms", value)


def _recorded_load(path: Path, field: str, value: float) -> float | None:
    if math.isnan(value):
        return None
    if not (math.isfinite(value) and value > 0):
        raise InputError(path, field, "a positive finite resistance in ohms", got=value)
    return value


def _read_parquet(path: Path) -> Capture:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as error:
        raise InputError(path, "file", "a Parquet file", got=str(error)) from error
    for column in ("time_s", "volts"):
        if column not in schema.names:
            raise InputError(path, column, f"a column named {column!r}", got=schema.names)
    try:
        table = pq.read_table(path, columns=["time_s", "volts"])
    except Exception as error:  # damaged pages: arrow raises OSError, ArrowInvalid, ...
        raise InputError(path, "file", "a readable Parquet file", got=str(error)) from error
    arrays: dict[str, FloatArray] = {}
    for column in ("time_s", "volts"):
        chunked = table.column(column)
        if not (pa.types.is_floating(chunked.type) or pa.types.is_integer(chunked.type)):
            raise InputError(path, column, "a numeric column", got=str(chunked.type))
        arrays[column] = chunked.to_numpy().astype(np.float64, copy=False)
        _check_samples(path, arrays[column], column, first_line=None)
    t0, dt = _check_uniform(path, arrays["time_s"], first_line=None)
    return Capture(t0, dt, arrays["volts"], "parquet", _parquet_load(path, schema))


def _parquet_load(path: Path, schema: object) -> float | None:
    metadata = getattr(schema, "metadata", None) or {}
    raw = metadata.get(LOAD_METADATA_KEY)
    if raw is None:
        return None
    field = LOAD_METADATA_KEY.decode()
    try:
        value = float(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise InputError(path, field, "a number (ohms)", got=raw) from None
    return _recorded_load(path, field, value)


def _read_csv(path: Path) -> Capture:
    _refuse_binary(path)
    head = _head_lines(path, _HEADER_LINES)
    if not head or not head[0].strip():
        raise InputError(path, "file", "a header row and at least 2 samples", line=1, got="empty")
    first = _cells(head[0])
    key = first[0].lower()
    if key == "x-axis":
        units_row = head[1] if len(head) > 1 else ""
        check_keysight_units(path, units_row, _cells(units_row))
        times, volts = _numeric_columns(path, skip=2, names=("time", "volts"))
        t0, dt = _check_uniform(path, times, first_line=3)
        return Capture(t0, dt, volts, "keysight-csv")
    if first[0].upper() == "X" and len(first) >= 4 and first[2].lower() == "start":
        cells = _cells(head[1] if len(head) > 1 else "")
        start = _header_number(path, cells, 2, "Start")
        increment = _header_number(path, cells, 3, "Increment")
        if not increment > 0:
            raise InputError(path, "Increment", "a positive sample spacing", line=2, got=cells[3])
        index, volts = _numeric_columns(path, skip=2, names=("index", "volts"))
        steps = np.diff(index)
        bad = np.flatnonzero(steps != 1)
        if bad.size:
            row = int(bad[0]) + 1
            raise InputError(path, "index", f"{index[row - 1]:g} + 1", line=3 + row, got=index[row])
        t0 = start + float(index[0]) * increment
        if not np.isfinite(t0):
            raise InputError(path, "Start", "a finite start time", line=2, got=cells[2])
        return Capture(t0, increment, volts, "rigol-csv")
    if key == "record length" and len(first) >= 5:
        return _read_tektronix_columns(path, head)
    if key in ("model", "record length"):
        return _read_tektronix_table(path, head)
    units = _cells(head[1]) if len(head) > 1 else []
    if is_picoscope(first, units):
        time_scale, volt_scale = picoscope_scales(path, units)
        skip = 3 if len(head) > 2 and not head[2].strip() else 2  # PicoScope 7: an empty line
        times, volts = _numeric_columns(path, skip=skip, names=("time", "volts"))
        t0, dt = _check_uniform(path, times * time_scale, first_line=skip + 1)
        return Capture(t0, dt, volts * volt_scale, "picoscope-csv")
    skip = 0 if _is_number_row(first) else 1
    check_header_units(path, first if skip else [])
    times, volts = _numeric_columns(path, skip=skip, names=("time", "volts"))
    t0, dt = _check_uniform(path, times, first_line=skip + 1)
    return Capture(t0, dt, volts, "csv")


def _refuse_binary(path: Path) -> None:
    """Raise `NotACaptureError` when the start of the file is not text.

    Judged on the first 64 KiB: a known signature (image, archive, UTF-16/32 byte-order
    mark), a NUL byte, or a control character no text export contains. Bytes that are
    merely not UTF-8 (a Latin-1 "µs") are text and left to the line-by-line checks.
    """
    with path.open("rb") as handle:
        sample = handle.read(_SNIFF_BYTES)
    for signature, what in _SIGNATURES:
        if sample.startswith(signature):
            raise NotACaptureError(path, what)
    if b"\x00" in sample:
        odd, even = sample[1::2], sample[0::2]
        if max(odd.count(0), even.count(0)) * 4 > len(sample):
            raise NotACaptureError(path, "UTF-16 text: save it as UTF-8 or ASCII")
        raise NotACaptureError(path, "binary data")
    if any(byte < 0x20 and byte not in _TEXT_CONTROLS for byte in sample):
        raise NotACaptureError(path, "binary data")


def _head_lines(path: Path, count: int) -> list[str]:
    """The first `count` lines, without their endings (a UTF-8 byte-order mark dropped)."""
    lines: list[str] = []
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for text in handle:
            lines.append(text.rstrip("\r\n"))
            if len(lines) == count:
                break
    return lines


def _cells(line: str) -> list[str]:
    """The stripped cells of one CSV line (quotes removed, as Tektronix writes them)."""
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        cells = line.split(",")
    return [cell.strip() for cell in cells] or [""]


def _read_tektronix_columns(path: Path, head: list[str]) -> Capture:
    """TDS/TBS layout: header label/value in columns 1-2, samples in columns 4-5."""
    header = _tektronix_header(head, stop=len(head))
    times, volts = _numeric_columns(path, skip=0, names=("time", "volts"), columns=(3, 4))
    t0, dt = _check_uniform(path, times, first_line=1)
    _check_tektronix_header(path, header, dt)
    return Capture(t0, dt, volts, "tektronix-csv")


def _read_tektronix_table(path: Path, head: list[str]) -> Capture:
    """MSO/MDO/TBS2000 layout: ``key,value`` header block, then ``TIME,CH<n>`` and rows."""
    time_row = None
    for number, text in enumerate(head, start=1):
        cells = _cells(text)
        if cells[0].upper() == "TIME":
            time_row = number
            break
        if _is_number_row(cells):  # samples before any TIME row: the header is cut
            raise InputError(path, "TIME row", "a 'TIME,CH<n>' row before the samples", line=number)
    if time_row is None:
        raise InputError(
            path,
            "TIME row",
            f"a 'TIME,CH<n>' row within the first {_HEADER_LINES} lines",
            line=len(head),
        )
    names = _cells(head[time_row - 1])
    while len(names) > 2 and not names[-1]:
        names.pop()
    if len(names) != 2 or not names[1]:
        raise InputError(
            path,
            "TIME row",
            "TIME and one channel (save the load channel on its own)",
            line=time_row,
            got=head[time_row - 1].strip(),
        )
    header = _tektronix_header(head, stop=time_row - 1)
    times, volts = _numeric_columns(path, skip=time_row, names=("time", "volts"))
    t0, dt = _check_uniform(path, times, first_line=time_row + 1)
    _check_tektronix_header(path, header, dt)
    return Capture(t0, dt, volts, "tektronix-mso-csv")


def _tektronix_header(head: list[str], *, stop: int) -> dict[str, tuple[str, int]]:
    """Label (lower case) -> (first value, line) of the first `stop` lines."""
    header: dict[str, tuple[str, int]] = {}
    for number, text in enumerate(head[:stop], start=1):
        cells = _cells(text)
        if cells[0] and not _is_number_row(cells):
            header.setdefault(cells[0].lower(), (cells[1] if len(cells) > 1 else "", number))
    return header


def _check_tektronix_header(path: Path, header: dict[str, tuple[str, int]], dt: float) -> None:
    """Units and sample interval that the header states must fit a voltage-time record."""
    units = (
        ("horizontal units", "s", "s (a time record, not an FFT)"),
        ("vertical units", "v", "V (volts across the load; amperes are not i = v/R)"),
    )
    for key, wanted, expected in units:
        if key in header and header[key][0].lower() != wanted:
            value, line = header[key]
            raise InputError(path, key.title(), expected, line=line, got=value)
    if "sample interval" in header:
        value, line = header["sample interval"]
        try:
            interval = float(value)
        except ValueError:
            raise InputError(path, "Sample Interval", "a number", line=line, got=value) from None
        if not abs(interval - dt) <= _SAMPLE_INTERVAL_TOLERANCE * dt:
            raise InputError(
                path,
                "Sample Interval",
                f"the time column's step, {dt:.6g} s, within 1 %",
                line=line,
                got=value,
            )


def _is_number_row(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells[:2]]
    except ValueError:
        return False
    return len(cells) >= 2


def _header_number(path: Path, cells: list[str], at: int, field: str) -> float:
    try:
        value = float(cells[at])
    except (IndexError, ValueError):
        got = cells[at] if at < len(cells) else "missing"
        raise InputError(path, field, "a number", line=2, got=got) from None
    if not np.isfinite(value):
        raise InputError(path, field, "a finite number", line=2, got=cells[at])
    return value


def _numeric_columns(
    path: Path, *, skip: int, names: tuple[str, str], columns: tuple[int, int] = (0, 1)
) -> tuple[FloatArray, FloatArray]:
    """Two columns (0-based) after `skip` header lines, as float64; errors name the line."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            skiprows=skip,
            header=None,
            usecols=list(columns),
            names=list(names),
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8-sig",
            encoding_errors="replace",
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({names[0]: [], names[1]: []})
    except (pd.errors.ParserError, ValueError) as error:
        raise _locate_parse_error(path, skip, names, columns, error) from error
    blank = frame.isna().all(axis=1).to_numpy()
    end = frame.shape[0]
    while end and blank[end - 1]:
        end -= 1
    frame = frame.iloc[:end]
    if end < 2:
        raise InputError(
            path, "samples", "at least 2 sample rows", line=skip + end + 1, got=f"{end} rows"
        )
    parsed = []
    for name in names:
        raw = frame[name]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        found = _first_unreadable(values, reading=name == "volts")
        if found is not None:
            row, expected = found
            cell = raw.iloc[row]
            got = "missing" if not isinstance(cell, str) and pd.isna(cell) else str(cell)
            raise InputError(path, name, expected, line=skip + row + 1, got=got)
        parsed.append(values)
    return parsed[0], parsed[1]


def _locate_parse_error(
    path: Path, skip: int, names: tuple[str, str], columns: tuple[int, int], error: Exception
) -> InputError:
    """Find the line pandas choked on (rare path: a plain scan of the file)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            cells = len(text.split(","))
            if number > skip and text.strip() and cells <= columns[1]:
                name = names[0] if cells <= columns[0] else names[1]
                return InputError(path, name, "a finite number", line=number, got="missing")
    found = re.search(r"line (\d+)", str(error))
    line = int(found.group(1)) if found else None
    return InputError(path, "row", "two comma-separated columns", line=line, got=str(error))


def _check_samples(path: Path, values: FloatArray, field: str, *, first_line: int | None) -> None:
    if values.size < 2:
        raise InputError(path, field, "at least 2 samples", got=f"{values.size} samples")
    found = _first_unreadable(values, reading=not field.startswith("time"))
    if found is not None:
        row, expected = found
        where = f"{field} (row {row})" if first_line is None else field
        line = None if first_line is None else first_line + row
        raise InputError(path, where, expected, line=line, got=float(values[row]))


def _first_unreadable(values: FloatArray, *, reading: bool) -> tuple[int, str] | None:
    """The first sample that is not a finite number, or (of a ``reading``, not a time) is
    the overload marker, with what was expected there; None when there is none."""
    limit = _OVERLOAD if reading else math.inf  # a time is not a reading
    bad = ~(np.abs(values) < limit)
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    return row, _MARKER if np.isfinite(values[row]) else "a finite number"


def _check_uniform(path: Path, times: FloatArray, *, first_line: int | None) -> tuple[float, float]:
    """(t0, dt) of a time column, or an InputError at the first non-uniform step."""

    def fail(row: int, expected: str) -> InputError:
        field = "time" if first_line is not None else f"time_s (row {row})"
        line = None if first_line is None else first_line + row
        return InputError(path, field, expected, line=line, got=float(times[row]))

    steps = np.diff(times)
    step = float(np.median(steps))
    if not (step > 0 and np.isfinite(step) and np.isfinite(times[-1] - times[0])):
        raise fail(1, "increasing times a finite span apart")
    bad = np.abs(steps - step) > _STEP_TOLERANCE * step
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise fail(row, f"uniform steps of {step:.6g} s after {float(times[row - 1]):.9g}")
    dt = float(times[-1] - times[0]) / (times.size - 1)
    drift = np.abs(times - (times[0] + np.arange(times.size) * dt)) > _STEP_TOLERANCE * dt
    if drift.any():
        row = int(np.argmax(drift))
        raise fail(row, f"a uniform time base, t0 + k * {dt:.6g} s")
    return float(times[0]), dt
