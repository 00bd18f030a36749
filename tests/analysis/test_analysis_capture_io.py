"""Reading captures: round trips, and every malformed case named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.analysis.capture_io import Capture, read_capture, write_capture
from harness.errors import InputError

GOOD_ROWS = "".join(f"{k * 1e-6:.6e},{0.1 * (k % 3):.3f}\n" for k in range(10))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_capture(path)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_npz_and_parquet_round_trip(tmp_path: Path, suffix: str, dtype: type) -> None:
    volts = np.sin(np.arange(1000) / 7.0).astype(dtype)
    path = write_capture(tmp_path / f"c{suffix}", Capture(-2.5e-3, 1e-6, volts, "x"))
    back = read_capture(path)
    assert back.source_format == suffix[1:]
    assert back.t0 == pytest.approx(-2.5e-3, abs=1e-15)
    assert back.dt == pytest.approx(1e-6, rel=1e-9)
    np.testing.assert_array_equal(back.volts, volts.astype(back.volts.dtype))


def test_plain_csv_without_header_is_read_from_line_one(tmp_path: Path) -> None:
    capture = read_capture(write(tmp_path, "c.csv", GOOD_ROWS))
    assert capture.volts.size == 10 and capture.dt == pytest.approx(1e-6)


def test_trailing_blank_lines_are_ignored(tmp_path: Path) -> None:
    capture = read_capture(write(tmp_path, "c.csv", "time,volts\n" + GOOD_ROWS + "\n\n"))
    assert capture.volts.size == 10


def test_empty_file(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.csv", ""))
    assert error.line == 1 and error.field == "file"


def test_header_without_samples(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.csv", "time,volts\n"))
    assert error.line == 2 and error.field == "samples"


def test_non_numeric_voltage_names_its_line(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    rows[4] = rows[4].split(",")[0] + ",oops"
    error = error_of(write(tmp_path, "c.csv", "time,volts\n" + "\n".join(rows) + "\n"))
    assert (error.line, error.field, error.got) == (6, "volts", "oops")
    assert "c.csv:6: volts: expected a finite number, got 'oops'" in str(error)


def test_non_numeric_time_names_its_line(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    rows[2] = "t?," + rows[2].split(",")[1]
    error = error_of(write(tmp_path, "c.csv", "time,volts\n" + "\n".join(rows) + "\n"))
    assert (error.line, error.field) == (4, "time")


def test_missing_column_names_its_line(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    rows[7] = rows[7].split(",")[0]
    error = error_of(write(tmp_path, "c.csv", "time,volts\n" + "\n".join(rows) + "\n"))
    assert (error.line, error.field, error.got) == (9, "volts", "missing")


def test_one_column_file_is_refused_at_first_row(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.csv", "volts\n0.1\n0.2\n0.3\n"))
    assert (error.line, error.field) == (2, "volts")


def test_blank_line_inside_the_data(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    rows.insert(5, "")
    error = error_of(write(tmp_path, "c.csv", "time,volts\n" + "\n".join(rows) + "\n"))
    assert error.line == 7


def test_missing_sample_is_non_uniform_time(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    del rows[6]
    error = error_of(write(tmp_path, "c.csv", "time,volts\n" + "\n".join(rows) + "\n"))
    assert (error.line, error.field) == (8, "time")
    assert "uniform steps" in error.expected


def test_slow_drift_of_the_time_base_is_refused(tmp_path: Path) -> None:
    times = np.arange(200) * 1e-6 * (1 + 0.02 * np.arange(200) / 200)
    rows = "".join(f"{t:.9e},0.0\n" for t in times)
    error = error_of(write(tmp_path, "c.csv", "time,volts\n" + rows))
    assert (
        error.field == "time" and error.line is not None and "uniform time base" in error.expected
    )


def test_keysight_export(tmp_path: Path) -> None:
    capture = read_capture(write(tmp_path, "k.csv", "x-axis,1\nsecond,Volt\n" + GOOD_ROWS))
    assert capture.source_format == "keysight-csv" and capture.volts.size == 10


def test_keysight_wrong_units_row(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "k.csv", "x-axis,1\n-1e-6,0.1\n" + GOOD_ROWS))
    assert (error.line, error.field) == (2, "units row")


def test_keysight_bad_cell(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("0.200", "9.9E+37x", 1)
    error = error_of(write(tmp_path, "k.csv", "x-axis,1\nsecond,Volt\n" + rows))
    assert (error.line, error.field) == (5, "volts")


RIGOL_HEAD = "X,CH1,Start,Increment,\nSequence,Volt,-1.000000e-03,2.000000e-06\n"


def test_rigol_export(tmp_path: Path) -> None:
    rows = "".join(f"{k},{0.01 * k:.2e},\n" for k in range(5))
    capture = read_capture(write(tmp_path, "r.csv", RIGOL_HEAD + rows))
    assert capture.source_format == "rigol-csv"
    assert (capture.t0, capture.dt) == (pytest.approx(-1e-3), pytest.approx(2e-6))
    np.testing.assert_allclose(capture.volts, 0.01 * np.arange(5))


def test_rigol_bad_increment(tmp_path: Path) -> None:
    head = "X,CH1,Start,Increment,\nSequence,Volt,-1.0e-03,fast\n"
    error = error_of(write(tmp_path, "r.csv", head + "0,0.1,\n1,0.2,\n"))
    assert (error.line, error.field, error.got) == (2, "Increment", "fast")


def test_rigol_index_gap(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "r.csv", RIGOL_HEAD + "0,0.1,\n1,0.2,\n3,0.3,\n4,0.4,\n"))
    assert (error.line, error.field) == (5, "index")


def test_npz_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    np.savez(path, t0=0.0, volts=np.zeros(10))
    error = error_of(path)
    assert error.field == "dt"


def test_npz_not_an_archive(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.npz", "not a zip"))
    assert error.field == "file"


def test_npz_nan_sample_names_its_row(tmp_path: Path) -> None:
    volts = np.zeros(10)
    volts[3] = np.nan
    path = tmp_path / "c.npz"
    np.savez(path, t0=0.0, dt=1e-6, volts=volts)
    assert error_of(path).field == "volts (row 3)"


def test_parquet_missing_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"time_s": np.arange(5) * 1e-6, "v": np.zeros(5)}), path)
    assert error_of(path).field == "volts"


def test_parquet_non_uniform_time_names_its_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    times = np.arange(20) * 1e-6
    times[12:] += 1e-6
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"time_s": times, "volts": np.zeros(20)}), path)
    assert error_of(path).field == "time_s (row 12)"


def test_missing_file(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.csv").field == "file"
