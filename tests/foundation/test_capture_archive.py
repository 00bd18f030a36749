"""Archived scope records read back exactly, by NumPy and by ``hil analyze``'s reader.

The archive writes its own .npz (a lower zlib level than ``np.savez_compressed``): what
matters is that it is still the format every reader of the evidence knows.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from harness.analysis.capture_io import read_capture
from harness.recording.captures import CaptureArchive


def test_a_record_reads_back_bit_for_bit(tmp_path: Path) -> None:
    volts = (np.arange(10_000) % 250 < 125).astype(np.float32) * 0.2 - 0.004
    path = CaptureArchive(tmp_path).save(
        "WAV-DC 500ohm", 0.25, 1e-5, volts, load_ohms=500.0, preamble="0,0,10000"
    )
    assert path == "captures/001-WAV-DC_500ohm.npz"
    with np.load(tmp_path / path, allow_pickle=False) as data:
        assert np.array_equal(data["volts"], volts) and data["volts"].dtype == np.float32
        assert float(data["t0"]) == 0.25 and float(data["dt"]) == 1e-5
        assert float(data["load_ohms"]) == 500.0 and str(data["preamble"]) == "0,0,10000"
    with zipfile.ZipFile(tmp_path / path) as z:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
    capture = read_capture(tmp_path / path)
    assert capture.load_ohms == 500.0
    assert np.array_equal(capture.volts, volts) and (capture.t0, capture.dt) == (0.25, 1e-5)
