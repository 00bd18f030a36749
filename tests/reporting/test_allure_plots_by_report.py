"""Allure's capture plots drawn by the report's worker, with the report's figures.

When a session builds a report, the report's worker draws each capture's figure while
the tests run and writes Allure's plot of the capture from it: the report's figure where
the report has one, the small plot of ``reporting.capture_plot`` where it has none. What
it did not write, the plugin draws itself before the seal.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hil_process import run_hil

from harness.plugin.allure_plots import PLACEHOLDER, PendingPlots, PlotJob
from harness.recording.record import Measurement
from harness.reporting.capture_plot import CapturePlotter
from harness.reporting.early_figures import EarlyFigures

ROOT = Path(__file__).resolve().parents[2]
LEVEL, FREQUENCY = "captures/001-OUT-AMP-L5.npz", "captures/002-WAV-FREQ-F1.npz"


def _capture(run: Path, name: str) -> None:
    (run / "captures").mkdir(parents=True, exist_ok=True)
    t = np.arange(0, 0.5, 1e-4)
    amps = np.where((t * 10) % 1.0 < 0.5, 400e-6, -400e-6)
    np.savez(run / name, t0=np.float64(0.0), dt=np.float64(1e-4),
             volts=(amps * 500).astype(np.float32), load_ohms=np.float64(500.0),
             preamble=np.array(""))  # fmt: skip


def _row(seq: int, rid: str, quantity: str, value: float, unit: str, name: str) -> Measurement:
    return Measurement(run_id="R", seq=seq, requirement_id=rid, test_id=f"t{seq}",
                       quantity=quantity, value=value, unit=unit, lower_limit=0.8 * value,
                       upper_limit=1.2 * value, decision_rule="simple", verdict="PASS",
                       attachments=[name], taken_at=datetime(2026, 12, 6, tzinfo=UTC))  # fmt: skip


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, list[Measurement], Path]:
    """A run folder with a level capture (the report draws it) and a frequency capture
    (it does not), their measurements, and an Allure results folder with placeholders."""
    run_dir, allure = tmp_path / "R", tmp_path / "R" / "allure-results"
    _capture(run_dir, LEVEL)
    _capture(run_dir, FREQUENCY)
    allure.mkdir()
    for name in ("level-attachment.png", "frequency-attachment.png"):
        (allure / name).write_bytes(PLACEHOLDER)
    rows = [_row(1, "OUT-AMP-L5", "peak_current", 400.0, "uA", LEVEL),
            _row(2, "WAV-FREQ-F1", "frequency", 10.0, "Hz", FREQUENCY)]  # fmt: skip
    return run_dir, rows, allure


def _plots(allure: Path) -> list[tuple[str, Path, str]]:
    return [(LEVEL, allure / "level-attachment.png", "level"),
            (FREQUENCY, allure / "frequency-attachment.png", "frequency")]  # fmt: skip


def test_a_plot_is_the_early_figure_or_the_small_plot(run, tmp_path: Path) -> None:
    run_dir, rows, allure = run
    early = EarlyFigures(tmp_path / "scratch")
    early.add(run_dir, rows, _plots(allure))
    while early.pending:
        early.draw_next()
    figure = early.take(run_dir, LEVEL, _frame(rows[:1]))
    assert figure.drawn and figure.figure is not None
    assert (allure / "level-attachment.png").read_bytes() == figure.figure.path.read_bytes()
    small = CapturePlotter().png(run_dir / FREQUENCY, title="frequency")
    assert (allure / "frequency-attachment.png").read_bytes() == small
    assert early.plots_drawn == {str(allure / n) for n in ("level-attachment.png",
                                                           "frequency-attachment.png")}  # fmt: skip
    early.close()


def _frame(rows: list[Measurement]):  # type: ignore[no-untyped-def]
    from harness.reporting.early_figures import measurement_frame
    from harness.reporting.plots import figure_jobs

    return dict(figure_jobs(measurement_frame(rows)))[LEVEL]


def test_plots_left_at_the_report_are_its_figures(run, tmp_path: Path) -> None:
    """Not drawn while the tests ran: written from the report's figures (plots/) once it
    has drawn them, the small plot where it drew none."""
    run_dir, rows, allure = run
    early = EarlyFigures(tmp_path / "scratch")
    early.add(run_dir, rows, _plots(allure))
    (run_dir / "plots").mkdir()
    report_figure = b"\x89PNG\r\n\x1a\n the report's figure"
    (run_dir / "plots" / "001-OUT-AMP-L5.png").write_bytes(report_figure)
    early.draw_plots_left(run_dir)
    assert (allure / "level-attachment.png").read_bytes() == report_figure
    small = CapturePlotter().png(run_dir / FREQUENCY, title="frequency")
    assert (allure / "frequency-attachment.png").read_bytes() == small
    early.draw_plots_left(run_dir)  # nothing left: nothing written twice
    assert len(early.plots_drawn) == 2
    early.close()


def test_a_plot_that_cannot_be_written_is_left_to_the_plugin(run, tmp_path: Path) -> None:
    run_dir, rows, allure = run
    (run_dir / FREQUENCY).unlink()  # the capture is gone: no small plot can be drawn
    early = EarlyFigures(tmp_path / "scratch")
    early.add(run_dir, rows, _plots(allure))
    early.draw_plots_left(run_dir)
    assert str(allure / "frequency-attachment.png") not in early.plots_drawn
    assert (allure / "frequency-attachment.png").read_bytes() == PLACEHOLDER
    assert not list(allure.glob("*.partial"))
    early.close()


def test_the_plugin_hands_each_plot_once_and_draws_what_the_worker_did_not(run) -> None:
    run_dir, _, allure = run
    pending = PendingPlots(allure)  # no worker of its own: the report's draws them
    level, frequency = (PlotJob(run_dir / a, t, f, a) for a, f, t in _plots(allure))
    pending.jobs.append(level)
    assert pending.to_hand() == [(LEVEL, allure / "level-attachment.png", "level")]
    pending.jobs.append(frequency)
    assert pending.to_hand() == [(FREQUENCY, allure / "frequency-attachment.png", "frequency")]
    assert pending.to_hand() == []
    pending.wait(drawn={str(level.target)})  # the worker wrote the level's plot
    assert level.target.read_bytes() == PLACEHOLDER  # not drawn again here
    assert frequency.target.read_bytes() == CapturePlotter().png(run_dir / FREQUENCY,
                                                                 title="frequency")  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux")
def test_a_run_with_a_report_has_its_figures_as_allure_plots(tmp_path: Path) -> None:
    """A real `hil run` with the report and Allure's results: every capture plot is the
    report's figure of the capture or, for one the report has none of, the small plot;
    none is left a placeholder."""
    done = run_hil(tmp_path, "ALL", "-k", "level and (L1 or L5) or F1",
                   str(ROOT / "test_suites" / "test_output_current.py"),
                   str(ROOT / "test_suites" / "test_waveform.py"))  # fmt: skip
    run_dir = tmp_path / "ALL"
    assert (run_dir / "manifest.json").is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    figures = {p.stem: p.read_bytes() for p in (run_dir / "plots").glob("*.png")}
    allure = run_dir / "allure-results"
    kinds = []
    for result in allure.glob("*-result.json"):
        for a in json.loads(result.read_text()).get("attachments", []):
            if a["name"].endswith(".png"):
                png, stem = (allure / a["source"]).read_bytes(), a["name"].removesuffix(".png")
                assert png != PLACEHOLDER and png[:8] == b"\x89PNG\r\n\x1a\n", a["name"]
                if stem in figures:
                    assert png == figures[stem], a["name"]
                    kinds.append("figure")
                else:
                    assert int.from_bytes(png[16:20], "big") == 512, a["name"]
                    kinds.append("small")
    assert kinds.count("figure") == len(figures) >= 2 and "small" in kinds
    assert not list(allure.glob("*.partial"))
