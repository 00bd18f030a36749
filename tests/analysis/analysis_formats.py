"""Write a synthetic capture in each of the layouts `read_capture` accepts.

The CSV layouts are written the way the instruments write them (header rows, Rigol's
index column and trailing comma), with enough digits that the time base survives.

The two Tektronix layouts follow the exports of the scopes themselves:

* ``tektronix-csv`` (TDS1000/2000, TBS1000/1000B): every row has five cells and a
  trailing comma; the first 18 rows carry the header (label, value, blank) in columns
  1-3 beside the samples, the rest start with three empty cells; times are printed with
  12 decimals, volts as the 8-bit codes scaled, CRLF line ends.
* ``tektronix-mso-csv`` (MSO/MDO 2/3/4 series, MSO4/5/6, TBS1000C/TBS2000): a
  ``Model,...`` header block of ``key,value`` lines, three ``,`` lines, ``Label,`` and
  ``TIME,CH1``, then ``%.7e`` times and the values, CRLF line ends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.analysis.capture_io import Capture, write_capture
from harness.analysis.synth import SynthCapture

FORMATS = ("csv", "keysight-csv", "rigol-csv", "picoscope-csv", "npz", "parquet")
TEKTRONIX_FORMATS = ("tektronix-csv", "tektronix-mso-csv")


def write_as(fmt: str, folder: Path, synth: SynthCapture) -> Path:
    """Write `synth` to a file of format `fmt` in `folder`; return its path."""
    n = synth.volts.size
    times = synth.t0 + np.arange(n) * synth.dt
    volts = synth.volts
    if fmt == "npz":
        return write_capture(folder / "capture.npz", Capture(synth.t0, synth.dt, volts, "npz"))
    if fmt == "parquet":
        return write_capture(folder / "capture.parquet", Capture(synth.t0, synth.dt, volts, "p"))
    path = folder / f"capture-{fmt}.csv"
    if fmt == "tektronix-csv":
        path.write_bytes(tektronix_columns_text(synth).encode("ascii"))
        return path
    if fmt == "tektronix-mso-csv":
        path.write_bytes(tektronix_table_text(synth).encode("ascii"))
        return path
    if fmt == "picoscope-csv":
        path.write_bytes(picoscope_text(synth).encode("utf-8"))
        return path
    if fmt == "csv":
        header = "time_s,volts\n"
        frame = pd.DataFrame({"t": times, "v": volts})
    elif fmt == "keysight-csv":
        header = "x-axis,1\nsecond,Volt\n"
        frame = pd.DataFrame({"t": times, "v": volts})
    elif fmt == "rigol-csv":
        header = f"X,CH1,Start,Increment,\nSequence,Volt,{synth.t0:.10e},{synth.dt:.10e}\n"
        frame = pd.DataFrame({"i": np.arange(n), "v": volts, "e": ""})
    else:
        raise ValueError(fmt)
    with path.open("w") as handle:
        handle.write(header)
        frame.to_csv(handle, header=False, index=False, float_format="%.10e", lineterminator="\n")
    return path


def picoscope_text(synth: SynthCapture, *, blank_line: bool = True) -> str:
    """A PicoScope export of `synth`: ``Time,Channel A``, the units in brackets (times in
    µs, samples in mV, as its axes show a microcurrent pulse), an empty line
    (``blank_line=False``: none, as its user's guide shows it), then the rows."""
    n = synth.volts.size
    times_us = (synth.t0 + np.arange(n) * synth.dt) * 1e6
    rows = "".join(f"{t:.8f},{v * 1e3:.6f}\r\n" for t, v in zip(times_us, synth.volts, strict=True))
    return "Time,Channel A\r\n(\u00b5s),(mV)\r\n" + ("\r\n" if blank_line else "") + rows


def _vertical_scale(volts: np.ndarray) -> float:
    """The volts/div a front panel would show: about 3 of the 4 divisions either side."""
    peak = float(np.max(np.abs(volts))) or 1.0
    steps = [m * 10.0**e for e in range(-3, 2) for m in (1.0, 2.0, 5.0)]
    return next(s for s in steps if 4 * s >= peak)


def tektronix_columns_text(synth: SynthCapture, *, model: str = "TBS1052B") -> str:
    """A TDS/TBS front-panel export of `synth`: header in columns 1-3, samples in 4-5."""
    n = synth.volts.size
    header = [
        ("Record Length", f"{n:.6e}"),
        ("Sample Interval", f"{synth.dt:.6e}"),
        ("Trigger Point", f"{round(-synth.t0 / synth.dt):.12e}"),
        ("", ""),
        ("", ""),
        ("", ""),
        ("Source", "CH1"),
        ("Vertical Units", "V"),
        ("Vertical Scale", f"{_vertical_scale(synth.volts):.6e}"),
        ("Vertical Offset", "0.000000e+00"),
        ("Horizontal Units", "s"),
        ("Horizontal Scale", f"{n * synth.dt / 10:.6e}"),
        ("Pt Fmt", "Y"),
        ("Yzero", "0.000000e+00"),
        ("Probe Atten", "1.000000e+00"),
        ("Model Number", model),
        ("Serial Number", "C010732"),
        ("Firmware Version", "FV:v4.00"),
    ]
    rows = []
    for k in range(n):
        label, value = header[k] if k < len(header) else ("", "")
        time = synth.t0 + k * synth.dt
        rows.append(f"{label},{value},,{time:.12f},{float(synth.volts[k]):.5f},\r\n")
    return "".join(rows)


def tektronix_table_text(
    synth: SynthCapture, *, model: str = "MSO44", channels: tuple[str, ...] = ("CH1",)
) -> str:
    """An MSO/MDO export of `synth`: ``Model`` header block, ``TIME,CH1``, then rows."""
    n = synth.volts.size
    scale = _vertical_scale(synth.volts)
    units = ",".join("V" for _ in channels)
    lines = [
        f"Model,{model}",
        "Firmware Version,1.38.3.1042",
        "",
        "Waveform Type,ANALOG",
        "Point Format,Y",
        "Horizontal Units,s",
        f"Horizontal Scale,{n * synth.dt / 10:g}",
        "Horizontal Delay,0",
        f"Sample Interval,{synth.dt:g}",
        f"Record Length,{n:g}",
        "Gating,0.0% to 100.0%",
        "Probe Attenuation,1",
        f"Vertical Units,{units}",
        "Vertical Offset,0",
        f"Vertical Scale,{scale:g}",
        "Vertical Position,0",
        ",",
        ",",
        ",",
        "Label," + ",".join("" for _ in channels[1:]),
        "TIME," + ",".join(channels),
    ]
    times = synth.t0 + np.arange(n) * synth.dt
    extra = "".join(f",{0.0:g}" for _ in channels[1:])
    rows = [f"{t:.7e},{float(v):.6g}{extra}" for t, v in zip(times, synth.volts, strict=True)]
    return "\r\n".join([*lines, *rows]) + "\r\n"
