"""The small capture plot's data: a long record as each block's smallest and largest
value, the same numbers whether the record is scaled before or after they are picked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.reporting.capture_plot import CapturePlotter, _plot_data


def _truth(volts: np.ndarray, t0: float, dt: float, load: float, max_points: int):  # type: ignore[no-untyped-def]
    """Every sample converted first, then the blocks' extremes: the plain way."""
    y = volts.astype(np.float64)
    y = y / load * 1e6 if np.isfinite(load) else y
    t = t0 + dt * np.arange(y.size)
    if y.size > max_points:
        width = -(-y.size // (max_points // 2))
        usable = (y.size // width) * width
        blocks = y[:usable].reshape(-1, width)
        y = np.column_stack([blocks.min(axis=1), blocks.max(axis=1)]).ravel()
        t = np.repeat(t[:usable:width], 2)
    return t, y


@pytest.mark.parametrize("size", [10, 1600, 1601, 33_333, 250_007])
@pytest.mark.parametrize("load", [500.0, 10_000.0, -500.0, float("nan")])
def test_picked_then_scaled_equals_scaled_then_picked(tmp_path: Path, size: int, load: float):
    rng = np.random.default_rng(size)
    volts = (rng.normal(0.0, 0.2, size) + np.sin(np.arange(size) / 50.0)).astype(np.float32)
    path = tmp_path / "c.npz"
    np.savez(path, t0=np.float64(-0.0123), dt=np.float64(2e-6), volts=volts,
             load_ohms=np.float64(load))  # fmt: skip
    t, y, unit = _plot_data(path, 1600)
    want_t, want_y = _truth(volts, -0.0123, 2e-6, load, 1600)
    assert np.array_equal(t, want_t) and np.array_equal(y, want_y)
    assert y.dtype == np.float64 and unit == ("V" if np.isnan(load) else "current (µA)")


def test_a_plot_is_a_png_of_the_plotters_size(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    np.savez(path, t0=np.float64(0.0), dt=np.float64(1e-5),
             volts=np.ones(5000, dtype=np.float32), load_ohms=np.float64(500.0))  # fmt: skip
    png = CapturePlotter().png(path, title="c")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 512
