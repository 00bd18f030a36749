"""Scope exports shaped like the real world that the reader must not misread.

Each case is a record whose truth is known by construction: what the file says, not
what the reader makes of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from capture_files import error_of, write

from harness.analysis.capture_io import read_capture

ROWS = "".join(f"{(k - 100) * 1e-6:.6e},{0.2 if k % 50 < 10 else 0.0:.3f}\n" for k in range(300))
"""Time from -100 us in 1 us steps; a 0.2 V pulse of 10 samples every 50."""


@pytest.mark.parametrize("marker", ["9.9E+37", "+9.90000000E+37", "-9.9E+37", "9.91E+37"])
def test_the_scpi_overload_marker_is_not_a_sample(tmp_path: Path, marker: str) -> None:
    # An InfiniiVision export writes 9.9E+37 where the trace was off screen or had no
    # data. Read as volts it is a finite number: one such sample made the mean 9.9e31 A
    # and halved the frequency of a 1 kHz train. Line 3 + 42 holds it.
    rows = ROWS.splitlines(keepends=True)
    rows[42] = rows[42].split(",")[0] + f",{marker}\n"
    error = error_of(write(tmp_path, "k.csv", "x-axis,1\r\nsecond,Volt\r\n" + "".join(rows)))
    assert (error.line, error.field) == (45, "volts")
    assert "9.9E+37" in error.expected


def test_the_scpi_overload_marker_is_not_a_sample_in_an_npz(tmp_path: Path) -> None:
    volts = np.zeros(100)
    volts[7] = 9.9e37
    path = tmp_path / "c.npz"
    np.savez(path, t0=np.float64(0.0), dt=np.float64(1e-6), volts=volts)
    error = error_of(path)
    assert error.field == "volts (row 7)" and "9.9E+37" in error.expected


@pytest.mark.parametrize("unit", ["Ampere", "Watt", "Unknown"])
def test_keysight_units_row_other_than_volt_is_refused(tmp_path: Path, unit: str) -> None:
    # A current probe makes InfiniiVision write 'second,Ampere': the column is already
    # amperes, and i = v/R would be the current divided by the load a second time.
    error = error_of(write(tmp_path, "k.csv", f"x-axis,1\nsecond,{unit}\n" + ROWS))
    assert (error.line, error.field) == (2, "units row")
    assert unit in str(error)


def test_keysight_units_row_of_volts_is_read(tmp_path: Path) -> None:
    capture = read_capture(write(tmp_path, "k.csv", "x-axis,1,2\nsecond,Volt,Volt\n" + ROWS))
    assert capture.t0 == pytest.approx(-100e-6) and capture.dt == pytest.approx(1e-6)
    assert capture.volts.max() == 0.2 and capture.volts.size == 300


MV_ROWS = "".join(
    f"{(k - 100) * 1e-6:.6e},{200.0 if k % 50 < 10 else 0.0:.1f}\n" for k in range(300)
)
"""The same record with the voltage in millivolts: a 200 mV pulse."""


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Time (s),Voltage (mV)", "volts"),
        ("time_s,volts_mV", "volts"),
        ("t [s],CH1 [mV]", "volts"),
        ("Time (s),Current (mA)", "volts"),
        ("time_s,i_A", "volts"),
        ("Time (ms),Voltage (V)", "time"),
        ("t/us,U/V", "time"),
        ("Time (\u00b5s),Voltage (V)", "time"),
    ],
)
def test_a_plain_csv_header_naming_another_unit_is_refused(
    tmp_path: Path, header: str, column: str
) -> None:
    # The rows are read as seconds and volts whatever the header says: a 200 mV pulse
    # under 'Voltage (mV)' was 200 V, a peak of 0.4 A at 500 ohm for 0.4 mA.
    error = error_of(write(tmp_path, "c.csv", header + "\n" + MV_ROWS))
    assert (error.line, error.field) == (1, column)


@pytest.mark.parametrize(
    "header",
    ["time_s,volts", "Time (s),Voltage (V)", "t [s],CH1 [V]", "TIME,CH1", "Time,Channel A",
     "x,y", "Second,Volt", "time (\ufffds),volts"],
)  # fmt: skip
def test_a_plain_csv_header_in_seconds_and_volts_or_without_units_is_read(
    tmp_path: Path, header: str
) -> None:
    capture = read_capture(write(tmp_path, "c.csv", header + "\n" + ROWS))
    assert capture.source_format == "csv" and capture.volts.max() == 0.2
    assert capture.dt == pytest.approx(1e-6) and capture.t0 == pytest.approx(-100e-6)


# -- PicoScope exports: the units row scales the samples --------------------------------

PICO_ROWS = "".join(f"{k * 0.5:.3f},{200.0 if k % 20 < 4 else 0.0:.3f}\n" for k in range(200))
"""Time from 0 in 0.5-unit steps; a pulse of 200 units, 4 samples long, every 20."""


@pytest.mark.parametrize(
    ("units", "blank", "dt_s", "peak_v"),
    [
        ("(ms),(mV)", True, 0.5e-3, 0.2),  # an empty line after the units
        ("(us),(mV)", False, 0.5e-6, 0.2),  # none, as the user's guide shows it
        ("(\u00b5s),(V)", True, 0.5e-6, 200.0),
        ("(s),(uV)", False, 0.5, 200e-6),
    ],
)
def test_a_picoscope_export_is_scaled_by_its_units_row(
    tmp_path: Path, units: str, blank: bool, dt_s: float, peak_v: float
) -> None:
    # Read as s and V without its units row, (ms),(mV) made a 200 mV pulse 200 V and
    # every width a thousand times too long; the file was refused outright before.
    text = "Time,Channel A,Channel B\n" + units + ",(V)\n" + ("\n" if blank else "") + PICO_ROWS
    capture = read_capture(write(tmp_path, "pico.csv", text))
    assert capture.source_format == "picoscope-csv"
    assert capture.t0 == 0.0
    assert capture.dt == pytest.approx(dt_s, rel=1e-12)
    assert capture.volts.size == 200
    assert float(capture.volts.max()) == pytest.approx(peak_v, rel=1e-12)
    assert int((capture.volts > 0).sum()) == 40  # 10 pulses of 4 samples


@pytest.mark.parametrize(
    ("units", "field"),
    [("(ms),(mA)", "channel unit"), ("(ms),(A)", "channel unit"), ("(min),(V)", "time unit")],
)
def test_a_picoscope_channel_not_in_volts_is_refused(
    tmp_path: Path, units: str, field: str
) -> None:
    # A current clamp's channel is already amperes: i = v / R would divide it again.
    error = error_of(write(tmp_path, "pico.csv", f"Time,Channel A\n{units}\n\n{PICO_ROWS}"))
    assert (error.field, error.line) == (field, 2)


def test_a_picoscope_over_range_sample_is_refused_at_its_line(tmp_path: Path) -> None:
    # PicoScope writes an over-range sample as an infinity sign, not a number.
    rows = PICO_ROWS.splitlines(keepends=True)
    rows[7] = "3.500,\u221e\n"
    error = error_of(write(tmp_path, "pico.csv", "Time,Channel A\n(ms),(mV)\n\n" + "".join(rows)))
    assert (error.field, error.line) == ("volts", 3 + 1 + 7)
