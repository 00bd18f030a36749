"""Reading captures: round trips, and every malformed case named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from capture_files import error_of, write

from harness.analysis.capture_io import Capture, read_capture, write_capture
from harness.analysis.synth import PulseTrain, SynthCapture, synthesize
from harness.analysis.synth_truth import phase_charge_c, rms_current_a

GOOD_ROWS = "".join(f"{k * 1e-6:.6e},{0.1 * (k % 3):.3f}\n" for k in range(10))


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


# --- the load a harness capture records -----------------------------------------------


def test_a_harness_archive_capture_carries_its_load(tmp_path: Path) -> None:
    """What `CaptureArchive` writes under reports/<run>/captures/ reads back with its load."""
    from harness.recording.captures import CaptureArchive

    relative = CaptureArchive(tmp_path).save(
        "OUT-I", -1e-3, 2e-6, np.linspace(-0.4, 0.4, 100), load_ohms=2000.0, preamble="p"
    )
    capture = read_capture(tmp_path / relative)
    assert capture.load_ohms == 2000.0
    assert capture.t0 == pytest.approx(-1e-3) and capture.dt == pytest.approx(2e-6)


def test_a_harness_capture_without_a_load_records_none(tmp_path: Path) -> None:
    """An auxiliary-channel record is archived with NaN: that is "no load", not a value."""
    from harness.recording.captures import CaptureArchive

    relative = CaptureArchive(tmp_path).save("BUZZ", 0.0, 1e-6, np.zeros(10))
    assert read_capture(tmp_path / relative).load_ohms is None


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_write_capture_keeps_the_load(tmp_path: Path, suffix: str) -> None:
    path = write_capture(tmp_path / f"c{suffix}", Capture(0.0, 1e-6, np.zeros(10), "x", 510.0))
    assert read_capture(path).load_ohms == 510.0
    bare = write_capture(tmp_path / f"bare{suffix}", Capture(0.0, 1e-6, np.zeros(10), "x"))
    assert read_capture(bare).load_ohms is None


@pytest.mark.parametrize("load", [0.0, -500.0, np.inf])
def test_an_npz_with_an_impossible_load_is_refused(tmp_path: Path, load: float) -> None:
    path = tmp_path / "c.npz"
    np.savez(path, t0=0.0, dt=1e-6, volts=np.zeros(10), load_ohms=np.float64(load))
    assert error_of(path).field == "load_ohms"


def test_a_parquet_with_an_unreadable_load_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"time_s": np.arange(5) * 1e-6, "volts": np.zeros(5)})
    path = tmp_path / "c.parquet"
    pq.write_table(table.replace_schema_metadata({b"hil.load_ohms": b"two k"}), path)
    assert error_of(path).field == "hil.load_ohms"


def test_csv_exports_record_no_load(tmp_path: Path) -> None:
    assert read_capture(write(tmp_path, "c.csv", GOOD_ROWS)).load_ohms is None


# --- files that are not text ------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def _zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("capture.csv", "time,volts\n" + GOOD_ROWS)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (PNG, "PNG image"),
        (_zip_bytes(), "zip archive"),
        (bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8)), "binary"),
        (("time,volts\n" + GOOD_ROWS).encode("utf-16"), "UTF-16"),
        (("time,volts\n" + GOOD_ROWS).encode("utf-16-le"), "UTF-16"),
        (b"time,volts\n0,0.1\n1e-6,\x01\x02\x03\n", "binary"),
    ],
    ids=["png", "zip", "random", "utf-16", "utf-16-no-bom", "control-bytes"],
)
def test_a_binary_file_is_not_a_csv_capture(tmp_path: Path, content: bytes, what: str) -> None:
    """One line that says what the file is, not a parse error on some line of it."""
    path = tmp_path / "capture.csv"
    path.write_bytes(content)
    error = error_of(path)
    message = str(error)
    assert message.startswith(f"{path}: not a CSV capture (") and what in message
    assert "\n" not in message and error.line is None and error.field == "file"


def test_latin1_text_is_still_text(tmp_path: Path) -> None:
    """A stray non-UTF-8 byte (a Latin-1 'µ' in a header) is not binary."""
    path = tmp_path / "c.csv"
    path.write_bytes(b"time (\xb5s),volts\n" + GOOD_ROWS.encode())
    assert read_capture(path).volts.size == 10


def test_a_utf8_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("x-axis,1\nsecond,Volt\n" + GOOD_ROWS).encode())
    assert read_capture(path).source_format == "keysight-csv"


# --- Tektronix exports ------------------------------------------------------------------


def _tek_synth() -> tuple[PulseTrain, SynthCapture]:
    # a TBS/TDS record: 2500 points at 10 us (2.5 ms/div); biphasic 200 Hz, 0.5 ms phases
    train = PulseTrain(200.0, 0.5e-3, 300e-6, biphasic=True, edge_s=10e-6, first_edge_s=0.7e-3)
    synth = synthesize(
        train, sample_rate_hz=100e3, duration_s=0.025, load_ohms=2000.0, quantize_8bit=True
    )
    return train, synth


@pytest.mark.parametrize("fmt", ["tektronix-csv", "tektronix-mso-csv"])
def test_tektronix_exports_give_the_generating_truth(tmp_path: Path, fmt: str) -> None:
    from analysis_formats import write_as

    from harness.analysis.waveform import analyze_voltage

    train, synth = _tek_synth()
    capture = read_capture(write_as(fmt, tmp_path, synth))
    assert capture.source_format == fmt and capture.load_ohms is None
    assert capture.volts.size == 2500
    assert capture.dt == pytest.approx(10e-6, rel=1e-6)
    assert capture.t0 == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(capture.volts, synth.volts, atol=1e-5)
    m = analyze_voltage(capture.t0, capture.dt, capture.volts, load_ohms=2000.0)
    assert m.biphasic
    assert m.frequency_hz == pytest.approx(200.0, rel=0.005)
    assert m.pulse_width_pos_s is not None and abs(m.pulse_width_pos_s - 0.5e-3) <= 2 * 10e-6
    assert m.peak_current_pos_a == pytest.approx(300e-6, rel=0.03)
    assert m.peak_current_neg_a == pytest.approx(300e-6, rel=0.03)
    assert m.charge_per_phase_neg_c == pytest.approx(phase_charge_c(train, False), rel=0.04)
    assert m.rms_current_a == pytest.approx(rms_current_a(train), rel=0.03)


TDS_QUOTED = (
    '"Record Length",5,"Points",-2.00e-06,0.01\n'
    '"Sample Interval",1.0e-06,s,-1.00e-06,0.02\n'
    '"Trigger Point",2,"Samples",0.00e+00,0.03\n'
    ",,,1.00e-06,0.04\n"
    ",,,2.00e-06,0.05\n"
)


def test_tektronix_quoted_five_column_variant(tmp_path: Path) -> None:
    capture = read_capture(write(tmp_path, "t.csv", TDS_QUOTED))
    assert capture.source_format == "tektronix-csv"
    assert capture.t0 == pytest.approx(-2e-6) and capture.dt == pytest.approx(1e-6)
    np.testing.assert_allclose(capture.volts, [0.01, 0.02, 0.03, 0.04, 0.05])


def test_tektronix_bad_sample_names_its_line(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "t.csv", TDS_QUOTED.replace("0.04", "0.O4")))
    assert (error.line, error.field, error.got) == (4, "volts", "0.O4")


def test_tektronix_short_row_names_its_line(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "t.csv", TDS_QUOTED.replace(",,,1.00e-06,0.04", ",,,1e-6")))
    assert (error.line, error.field) == (4, "volts")


def test_tektronix_header_contradicting_its_samples_is_refused(tmp_path: Path) -> None:
    text = TDS_QUOTED.replace("1.0e-06,s", "2.0e-06,s")
    error = error_of(write(tmp_path, "t.csv", text))
    assert (error.line, error.field, error.got) == (2, "Sample Interval", "2.0e-06")


MSO_HEAD = (
    "Model,MSO44\nFirmware Version,1.38\n\nWaveform Type,ANALOG\nPoint Format,Y\n"
    "Horizontal Units,s\nSample Interval,1e-06\nRecord Length,4\nVertical Units,V\n"
    ",\n,\n,\nLabel,\n"
)
MSO_ROWS = "-1.0000000e-06,0.1\n0.0000000e+00,0.2\n1.0000000e-06,0.3\n2.0000000e-06,0.4\n"


def test_tektronix_mso_table(tmp_path: Path) -> None:
    capture = read_capture(write(tmp_path, "m.csv", MSO_HEAD + "TIME,CH1\n" + MSO_ROWS))
    assert capture.source_format == "tektronix-mso-csv"
    assert capture.t0 == pytest.approx(-1e-6) and capture.dt == pytest.approx(1e-6)
    np.testing.assert_allclose(capture.volts, [0.1, 0.2, 0.3, 0.4])


def test_tektronix_mso_bad_cell_names_its_line(tmp_path: Path) -> None:
    rows = MSO_ROWS.replace("0.3", "clip")
    error = error_of(write(tmp_path, "m.csv", MSO_HEAD + "TIME,CH1\n" + rows))
    assert (error.line, error.field, error.got) == (17, "volts", "clip")


def test_tektronix_mso_several_channels_are_refused(tmp_path: Path) -> None:
    rows = MSO_ROWS.replace("\n", ",0\n")
    error = error_of(write(tmp_path, "m.csv", MSO_HEAD + "TIME,CH1,CH2\n" + rows))
    assert (error.line, error.field) == (14, "TIME row") and "one channel" in error.expected


def test_tektronix_mso_without_a_time_row(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "m.csv", MSO_HEAD + MSO_ROWS))
    assert (error.line, error.field) == (14, "TIME row")


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [("Vertical Units", "A", 9), ("Horizontal Units", "Hz", 6)],
)
def test_tektronix_units_that_are_not_volts_and_seconds_are_refused(
    tmp_path: Path, key: str, value: str, line: int
) -> None:
    head = MSO_HEAD.replace(f"{key},{'V' if key.startswith('V') else 's'}", f"{key},{value}")
    error = error_of(write(tmp_path, "m.csv", head + "TIME,CH1\n" + MSO_ROWS))
    assert (error.line, error.field, error.got) == (line, key, value)
