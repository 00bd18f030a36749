"""Reading and writing scope captures of the load voltage.

A capture is a uniformly sampled record: the time of the first sample `t0`, the sample
spacing `dt` and the voltages. The harness reads five layouts:

| `source_format` | what it is | layout |
|---|---|---|
| ``csv`` | any two-column CSV | one header row, then ``time_s,volts`` rows |
| ``keysight-csv`` | InfiniiVision front-panel export | ``x-axis,1`` / ``second,Volt`` / rows |
| ``rigol-csv`` | DS1000Z front-panel export | ``X,CH1,Start,Increment,`` / |
| | | ``Sequence,Volt,<start>,<inc>`` / ``index,value,`` rows |
| ``npz`` | saved by the harness | arrays ``t0``, ``dt``, ``volts`` |
| ``parquet`` | saved by the harness | columns ``time_s``, ``volts`` |

A capture that cannot be trusted is refused with an `InputError` naming the file, the
line (the row, for Parquet) and the field: an empty file, a missing column, a cell that
is not a number, or time steps that are not uniform. *Uniform* means every step is
within half a step of the median step (a missing or repeated sample fails) and no
sample lies more than half a step off the straight line through the first and last
(slow drift fails); the rounding of printed times passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from harness.errors import InputError

FloatArray = npt.NDArray[np.float64]
FORMATS = ("csv", "keysight-csv", "rigol-csv", "npz", "parquet")
_STEP_TOLERANCE = 0.5


@dataclass(frozen=True, eq=False)
class Capture:
    """A uniformly sampled voltage record: sample k was taken at t0 + k * dt."""

    t0: float
    dt: float
    volts: npt.NDArray[np.floating]
    source_format: str

    @property
    def duration_s(self) -> float:
        return self.volts.size * self.dt


def read_capture(path: str | Path) -> Capture:
    """Read any of the five layouts, chosen by extension and (for CSV) by the header."""
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
    """Save as ``.npz`` (t0, dt, volts) or ``.parquet`` (time_s, volts), by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        np.savez(path, t0=np.float64(capture.t0), dt=np.float64(capture.dt), volts=capture.volts)
        return path
    if suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        time_s = capture.t0 + np.arange(capture.volts.size, dtype=np.float64) * capture.dt
        pq.write_table(pa.table({"time_s": time_s, "volts": capture.volts}), path)
        return path
    raise ValueError(f"{path}: write_capture writes .npz or .parquet")


def _read_npz(path: Path) -> Capture:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # zipfile, pickle and value errors alike
        raise InputError(path, "file", "a NumPy .npz archive", got=str(error)) from error
    with archive:
        values: dict[str, npt.NDArray[np.generic]] = {}
        for key in ("t0", "dt", "volts"):
            if key not in archive.files:
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
    return Capture(t0, dt, samples, "npz")


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
    return Capture(t0, dt, arrays["volts"], "parquet")


def _read_csv(path: Path) -> Capture:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        head = [handle.readline() for _ in range(3)]
    if not head[0].strip():
        raise InputError(path, "file", "a header row and at least 2 samples", line=1, got="empty")
    first = [cell.strip() for cell in head[0].split(",")]
    if first[0].lower() == "x-axis":
        second = [cell.strip().lower() for cell in head[1].split(",")]
        if second[0] != "second":
            raise InputError(path, "units row", "'second,Volt'", line=2, got=head[1].strip())
        times, volts = _numeric_columns(path, skip=2, names=("time", "volts"))
        t0, dt = _check_uniform(path, times, first_line=3)
        return Capture(t0, dt, volts, "keysight-csv")
    if first[0].upper() == "X" and len(first) >= 4 and first[2].lower() == "start":
        cells = [cell.strip() for cell in head[1].split(",")]
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
    skip = 0 if _is_number_row(first) else 1
    times, volts = _numeric_columns(path, skip=skip, names=("time", "volts"))
    t0, dt = _check_uniform(path, times, first_line=skip + 1)
    return Capture(t0, dt, volts, "csv")


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
    path: Path, *, skip: int, names: tuple[str, str]
) -> tuple[FloatArray, FloatArray]:
    """The first two columns after `skip` header lines, as float64; errors name the line."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            skiprows=skip,
            header=None,
            usecols=[0, 1],
            names=list(names),
            skip_blank_lines=False,
            engine="c",
            encoding_errors="replace",
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({names[0]: [], names[1]: []})
    except (pd.errors.ParserError, ValueError) as error:
        raise _locate_parse_error(path, skip, names, error) from error
    blank = frame.isna().all(axis=1).to_numpy()
    end = frame.shape[0]
    while end and blank[end - 1]:
        end -= 1
    frame = frame.iloc[:end]
    if end < 2:
        raise InputError(
            path, "samples", "at least 2 sample rows", line=skip + end + 1, got=f"{end} rows"
        )
    columns = []
    for name in names:
        raw = frame[name]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            line = skip + row + 1
            cell = raw.iloc[row]
            got = "missing" if not isinstance(cell, str) and pd.isna(cell) else str(cell)
            raise InputError(path, name, "a finite number", line=line, got=got)
        columns.append(values)
    return columns[0], columns[1]


def _locate_parse_error(
    path: Path, skip: int, names: tuple[str, str], error: Exception
) -> InputError:
    """Find the line pandas choked on (rare path: a plain scan of the file)."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if number > skip and text.strip() and len(text.split(",")) < 2:
                return InputError(path, names[1], "a finite number", line=number, got="missing")
    found = re.search(r"line (\d+)", str(error))
    line = int(found.group(1)) if found else None
    return InputError(path, "row", "two comma-separated columns", line=line, got=str(error))


def _check_samples(path: Path, values: FloatArray, field: str, *, first_line: int | None) -> None:
    if values.size < 2:
        raise InputError(path, field, "at least 2 samples", got=f"{values.size} samples")
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        where = f"{field} (row {row})" if first_line is None else field
        line = None if first_line is None else first_line + row
        raise InputError(path, where, "a finite number", line=line, got=float(values[row]))


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
