"""A measurement's attachments cannot lead a reader out of its run folder.

Recorded names are checked when the measurement is made; names read back from a
``results.parquet`` someone rewrote are checked again where a file is opened: the report
draws no figure of a capture outside the folder, and the Allure plugin copies none.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from harness.recording.attachments import check_name, path_in
from harness.recording.record import Measurement
from harness.reporting.plots import draw_figure

OUTSIDE = ["/etc/passwd", "../other-run/captures/001.npz", "captures/../../x.npz",
           "C:\\Windows\\x.npz", "captures\\..\\..\\x.npz", "\\\\server\\share\\x.npz",
           ""]  # fmt: skip
INSIDE = ["captures/001-OUT-AMP-L1.npz", "captures\\001-OUT-AMP-L1.npz", "notes.txt", "a..b.npz"]


@pytest.mark.parametrize("name", OUTSIDE)
def test_a_name_leading_out_of_the_run_folder_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="attachment"):
        check_name(name)


@pytest.mark.parametrize("name", INSIDE)
def test_a_name_inside_the_run_folder_is_kept(name: str) -> None:
    assert check_name(name) == name


def _measurement(attachments: list[str]) -> Measurement:
    return Measurement(run_id="R", seq=1, requirement_id="OUT-AMP-L1", test_id="t",
                       quantity="peak_current", value=80.0, unit="uA",
                       decision_rule="simple", verdict="PASS", attachments=attachments,
                       taken_at=datetime(2026, 12, 6, tzinfo=UTC))  # fmt: skip


def test_a_measurement_naming_a_file_outside_its_run_is_not_recorded() -> None:
    assert _measurement(["captures/001.npz"]).attachments == ["captures/001.npz"]
    with pytest.raises(ValidationError, match="attachments"):
        _measurement(["../../elsewhere.npz"])


def _capture(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(0, 0.5, 1e-4)
    amps = np.where((t * 10) % 1.0 < 0.5, 400e-6, -400e-6)
    np.savez(path, t0=np.float64(0.0), dt=np.float64(1e-4), volts=(amps * 500).astype(np.float32),
             load_ohms=np.float64(500.0), preamble=np.array(""))  # fmt: skip


def _rows(name: str) -> pd.DataFrame:
    return pd.DataFrame([{"requirement_id": "OUT-AMP-L5", "quantity": "peak_current",
                          "value": 400.0, "unit": "uA", "expanded_uncertainty": 8.0,
                          "lower_limit": 320.0, "upper_limit": 480.0,
                          "decision_rule": "guarded", "verdict": "PASS",
                          "attachments": [name]}])  # fmt: skip


def test_the_report_draws_no_capture_outside_the_run_folder(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _capture(run / "captures" / "001.npz")
    _capture(tmp_path / "elsewhere" / "002.npz")  # a real capture, outside the folder
    assert draw_figure(run, "captures/001.npz", _rows("captures/001.npz")) is not None
    assert draw_figure(run, "../elsewhere/002.npz", _rows("../elsewhere/002.npz")) is None
    absolute = str(tmp_path / "elsewhere" / "002.npz")
    assert draw_figure(run, absolute, _rows(absolute)) is None


def test_a_link_out_of_the_run_folder_is_not_followed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "captures").mkdir(parents=True)
    _capture(tmp_path / "elsewhere" / "002.npz")
    os.symlink(tmp_path / "elsewhere" / "002.npz", run / "captures" / "002.npz")
    _capture(run / "captures" / "003.npz")
    os.symlink(run / "captures" / "003.npz", run / "captures" / "004.npz")
    assert path_in(run, "captures/002.npz") is None
    assert path_in(run, "captures/004.npz") == (run / "captures" / "003.npz").resolve()
    assert draw_figure(run, "captures/002.npz", _rows("captures/002.npz")) is None


def test_a_special_file_is_not_opened(tmp_path: Path) -> None:
    """A FIFO named as a capture would keep a reader waiting for ever: it is no file."""
    run = tmp_path / "run"
    (run / "captures").mkdir(parents=True)
    os.mkfifo(run / "captures" / "005.npz")
    assert path_in(run, "captures/005.npz") is None
    assert path_in(run, "captures/missing.npz") is None
    assert draw_figure(run, "captures/005.npz", _rows("captures/005.npz")) is None
