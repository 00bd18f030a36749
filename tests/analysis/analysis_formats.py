"""Write a synthetic capture in each of the five layouts `read_capture` accepts.

The CSV layouts are written the way the instruments write them (header rows, Rigol's
index column and trailing comma), with enough digits that the time base survives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.analysis.capture_io import Capture, write_capture
from harness.analysis.synth import SynthCapture

FORMATS = ("csv", "keysight-csv", "rigol-csv", "npz", "parquet")


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
