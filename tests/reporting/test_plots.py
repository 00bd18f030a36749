"""Report plots: which captures are drawn, that absent evidence is skipped, and that the
same data gives byte-identical PNGs (the evidence manifest hashes them)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.reporting import plot_pool, plots
from harness.reporting.plot_pool import PendingFigures, start_figures
from harness.reporting.plots import (
    DPI,
    FIGSIZE_IN,
    LONG_RECORD_PULSES,
    envelope,
    make_figures,
    make_plots,
    pulse_starts,
)

DT = 1e-4


def _save(run: Path, name: str, amps: np.ndarray, load: float, t0: float = 0.0) -> str:
    (run / "captures").mkdir(parents=True, exist_ok=True)
    np.savez_compressed(run / "captures" / name, t0=np.float64(t0), dt=np.float64(DT),
                        volts=(amps * load).astype(np.float32), load_ohms=np.float64(load),
                        preamble=np.array(""))  # fmt: skip
    return f"captures/{name}"


def _pulses(t: np.ndarray, hz: float, amplitude: np.ndarray | float) -> np.ndarray:
    on = (t * hz) % 1.0 < 0.5
    polarity = np.where((t % 2.0) < 1.0, 1.0, -1.0)
    return on * polarity * amplitude


def _row(rid: str, quantity: str, value: float, unit: str, lower: float | None,
         upper: float | None, attachments: list[str]) -> dict[str, object]:  # fmt: skip
    return {"requirement_id": rid, "quantity": quantity, "value": value, "unit": unit,
            "expanded_uncertainty": 0.02 * abs(value), "lower_limit": lower,
            "upper_limit": upper, "decision_rule": "guarded", "verdict": "PASS",
            "attachments": attachments}  # fmt: skip


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A run folder with a level capture, a soft start, a trip event and broken evidence."""
    t = np.arange(0, 2.2, DT) - 1.1
    level = _save(tmp_path, "001-OUT-AMP-L5.npz", _pulses(t, 10, 400e-6), 500.0, -1.1)
    t2 = np.arange(0, 2.5, DT) - 0.3
    envelope = np.clip(t2 / 1.25, 0, 1) * 400e-6
    ramp = _save(tmp_path, "002-WAV-RAMP.npz", _pulses(t2 + 0.3, 40, envelope), 500.0, -0.3)
    t3 = np.arange(0, 0.1, DT) - 0.02
    trip = _save(tmp_path, "003-SAF-OC-TRIP.npz", np.where(t3 < 0.012, 900e-6, 0.0), 500.0, -0.02)
    open_circuit = _save(tmp_path, "004-OUT-VCOMP.npz", np.ones(100) * 12.0, float("nan"))
    rows = [
        _row("OUT-AMP-L5", "peak_current", 400.0, "uA", 320.0, 480.0, [level]),
        _row("WAV-RAMP", "ramp_time", 1.0, "s", 0.7, 1.3, [ramp]),
        _row("WAV-OVS", "overshoot", 1.0, "%", None, 10.0, [ramp]),
        _row("SAF-OC-TRIP", "trip_time", 12.0, "ms", None, 50.0, [trip]),
        _row("SAF-OC-PEAK", "peak_current", 900.0, "uA", None, 1000.0, [trip]),
        _row("OUT-VCOMP", "open_circuit_voltage", 12.0, "V", 10.8, 13.2, [open_circuit]),
        _row("WAV-FREQ-F1", "frequency", 4.0, "Hz", 3.92, 4.08, ["captures/missing.npz"]),
        _row("COM-ID", "identity", 1.0, "", None, None, []),
    ]
    pd.DataFrame(rows).to_parquet(tmp_path / "results.parquet")
    return tmp_path


def test_draws_levels_soft_start_and_events_and_skips_the_rest(run: Path) -> None:
    figures = make_figures(run)
    assert [(f.kind, f.requirement_ids) for f in figures] == [
        ("waveform", ("OUT-AMP-L5",)),
        ("soft start", ("WAV-RAMP", "WAV-OVS")),
        ("event", ("SAF-OC-TRIP", "SAF-OC-PEAK")),
    ]
    assert [f.path.name for f in figures] == [
        "001-OUT-AMP-L5.png", "002-WAV-RAMP.png", "003-SAF-OC-TRIP.png"
    ]  # fmt: skip
    assert all(f.path.parent == run / "plots" and f.path.is_file() for f in figures)
    assert "320 – 480 µA" in figures[0].caption and "500 Ω" in figures[0].caption
    assert "recorded rise time 1.000 s" in figures[1].caption  # rounded to its U
    assert "SAF-OC-TRIP 12.00 ms" in figures[2].caption


def test_same_data_gives_the_same_bytes_and_a_fixed_size(run: Path) -> None:
    first = {p.name: p.read_bytes() for p in make_plots(run)}
    second = {p.name: p.read_bytes() for p in make_plots(run)}
    assert first == second
    for data in first.values():
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (round(FIGSIZE_IN[0] * DPI), round(FIGSIZE_IN[1] * DPI))
        assert b"Software" not in data and b"matplotlib" not in data.lower()


def test_a_folder_without_results_or_captures_gives_no_plots(tmp_path: Path) -> None:
    assert make_plots(tmp_path) == []
    pd.DataFrame([_row("OUT-AMP-L1", "peak_current", 80.0, "uA", 64.0, 96.0, [])]).to_parquet(
        tmp_path / "results.parquet"
    )
    assert make_plots(tmp_path) == []


def test_long_record_is_drawn_as_envelope_and_windows(tmp_path: Path) -> None:
    """OUT-BOOST-AMP's 13 s of 40 Hz pulses: an envelope plus zoomed windows, not a block."""
    t = np.arange(0, 13.0, 1e-4)
    name = _save(tmp_path, "boost.npz", _pulses(t, 40.0, 300e-6), 500.0)
    rows = [_row("OUT-BOOST-AMP", "peak_current", 300.0, "uA", 256.0, 384.0, [name])]
    pd.DataFrame([{**r, "seq": i} for i, r in enumerate(rows)]).to_parquet(
        tmp_path / "results.parquet"
    )
    (figure,) = make_figures(tmp_path)
    assert "envelope with three zoomed windows" in figure.caption
    assert pulse_starts(t, _pulses(t, 40.0, 300e-6)).size > LONG_RECORD_PULSES
    _, lo, hi = envelope(t, _pulses(t, 40.0, 300e-6))
    # every slice holds a pulse: its larger |value| is the pulse amplitude, no gap, no block
    assert np.maximum(np.abs(lo), np.abs(hi)) == pytest.approx(np.full(hi.size, 300e-6))
    short = np.arange(0, 2.2, 1e-4)
    assert pulse_starts(short, _pulses(short, 10.0, 300e-6)).size <= LONG_RECORD_PULSES


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_workers_draw_what_this_process_draws(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures drawn by forked workers (plot_pool) are the ones drawn here: the same
    files, captions, kinds and order."""
    monkeypatch.setattr(plot_pool, "_forks", lambda: True)  # even if a plugin has a thread
    frame = pd.read_parquet(run / "results.parquet")
    serial = make_figures(run, frame)
    serial_bytes = {f.path.name: f.path.read_bytes() for f in serial}
    for f in serial:
        f.path.unlink()
    with PendingFigures(run, frame, workers=2) as pending:
        assert pending._pool is not None
        pooled = pending.result()
    assert pooled == serial
    assert {f.path.name: f.path.read_bytes() for f in pooled} == serial_bytes


def test_without_fork_the_figures_are_drawn_here(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plot_pool, "_forks", lambda: False)
    pending = start_figures(run, pd.read_parquet(run / "results.parquet"))
    assert pending._pool is None
    assert [f.kind for f in pending.result()] == ["waveform", "soft start", "event"]


def test_a_workers_drawing_error_is_raised(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> str:
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "_draw_event", broken)  # the forked workers inherit it
    frame = pd.read_parquet(run / "results.parquet")
    pending = PendingFigures(run, frame, workers=2)
    with pending, pytest.raises(RuntimeError, match="drawing failed"):
        pending.result()
