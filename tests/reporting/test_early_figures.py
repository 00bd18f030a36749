"""Figures drawn while the tests run (early_figures): the report takes one only when its
capture and its rows are the run's, and it is then byte for byte the figure the report
would have drawn itself."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hil_process import run_hil

from harness.recording.record import Measurement
from harness.recording.store.results_store import ResultsStore
from harness.reporting import plot_pool
from harness.reporting.early_figures import EarlyFigures, measurement_frame, same_rows
from harness.reporting.plot_pool import PendingFigures
from harness.reporting.plots import figure_jobs, make_figures

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Measurement]]:
    """A simulated run of the tests of two output-current levels, BOOST's long record
    and the over-current trip (waveforms, an envelope, an event), without a report; with
    its measurements as the store holds them."""
    folder = tmp_path_factory.mktemp("early")
    done = run_hil(folder, "EARLY", "--no-report", "--no-allure",
                   "-k", "level and (L1 or L5) or boost_duration or overcurrent_trips",
                   str(ROOT / "test_suites" / "test_output_current.py"),
                   str(ROOT / "test_suites" / "test_overcurrent.py"))  # fmt: skip
    run_dir = folder / "EARLY"
    assert (run_dir / "results.parquet").is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    with ResultsStore.open(folder / "results.db") as store:
        return run_dir, store.measurements("EARLY")


def _by_test(measurements: list[Measurement]) -> list[list[Measurement]]:
    """The measurements as the plugin hands them over: each ended test's, in order."""
    tests: dict[str, list[Measurement]] = defaultdict(list)
    for m in measurements:
        tests[m.test_id].append(m)
    return list(tests.values())


def _drawn_early(run_dir: Path, measurements: list[Measurement]) -> EarlyFigures:
    early = EarlyFigures()
    for rows in _by_test(measurements):
        early.add(run_dir, rows)
        while early.pending:
            early.draw_next()
    return early


def test_the_rows_drawn_from_are_the_results_tables(run: tuple[Path, list[Measurement]]) -> None:
    """Built from the measurements in memory, each capture's rows equal, cell for cell,
    the rows read back from results.parquet (else no early figure could ever be used)."""
    run_dir, measurements = run
    final = dict(figure_jobs(pd.read_parquet(run_dir / "results.parquet")))
    early = dict(figure_jobs(measurement_frame(measurements)))
    assert len(final) >= 4 and final.keys() == early.keys()
    for attachment, rows in final.items():
        assert same_rows(early[attachment], rows), attachment


def test_a_report_takes_every_early_figure_and_they_are_the_ones_it_draws(
    run: tuple[Path, list[Measurement]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir, measurements = run
    monkeypatch.setattr(plot_pool, "_forks", lambda: False)
    frame = pd.read_parquet(run_dir / "results.parquet")
    drawn_here = make_figures(run_dir, frame)
    expected = {f.path.name: f.path.read_bytes() for f in drawn_here}
    assert len(expected) >= 4 and {f.kind for f in drawn_here} == {"waveform", "event"}
    for f in drawn_here:
        f.path.unlink()
    early = _drawn_early(run_dir, measurements)
    assert not (run_dir / "plots").exists() or not list((run_dir / "plots").iterdir()), (
        "an early figure is written into the run folder only when the report takes it"
    )
    try:
        pending = PendingFigures(run_dir, frame, early=early)
        assert pending.taken_early == len(figure_jobs(frame))
        taken = pending.result()
    finally:
        early.close()
    assert taken == drawn_here  # the same files, captions, kinds, order
    assert {f.path.name: f.path.read_bytes() for f in taken} == expected


def test_a_figure_whose_rows_or_capture_changed_is_drawn_again(
    run: tuple[Path, list[Measurement]], tmp_path: Path
) -> None:
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(run[0], run_dir)
    measurements = run[1]
    frame = pd.read_parquet(run_dir / "results.parquet")
    (first, rows), (second, rows2) = figure_jobs(frame)[:2]
    early = _drawn_early(run_dir, [m for m in measurements if {first, second} & set(m.attachments)])
    try:
        assert early.take(run_dir, first, rows).drawn
        # a row changed since (another value, a later test naming the same capture)
        changed = rows.copy()
        changed.loc[changed.index[0], "value"] = changed["value"].iloc[0] * 1.01
        assert not early.take(run_dir, first, changed).drawn
        assert not early.take(run_dir, first, pd.concat([rows, rows2])).drawn
        # the capture file replaced (the same name, other bytes)
        with np.load(run_dir / second) as archive:
            kept = {name: archive[name] for name in archive.files}
        os.unlink(run_dir / second)
        np.savez_compressed(run_dir / second, **kept)
        assert not early.take(run_dir, second, rows2).drawn
        # another run folder
        assert not early.take(tmp_path / "other", first, rows).drawn
    finally:
        early.close()


def test_close_removes_what_was_drawn(run: tuple[Path, list[Measurement]]) -> None:
    run_dir, measurements = run
    early = _drawn_early(run_dir, measurements[:3])
    scratch = early._scratch
    assert scratch is not None and any(scratch.iterdir())
    early.close()
    assert not scratch.exists()


def test_a_figure_that_fails_to_draw_is_left_to_the_report(
    run: tuple[Path, list[Measurement]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn early, a broken capture must not stop the worker: the report draws it and
    meets the error where it always did."""
    from harness.reporting import early_figures

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("capture unreadable")

    run_dir, measurements = run
    monkeypatch.setattr(early_figures, "draw_figure", broken)
    early = EarlyFigures()
    try:
        early.add(run_dir, measurements[:3])
        while early.pending:
            early.draw_next()
        (attachment, rows), *_ = figure_jobs(pd.read_parquet(run_dir / "results.parquet"))
        assert not early.take(run_dir, attachment, rows).drawn
    finally:
        early.close()
