"""The report's figures drawn while the tests still run, by the report's worker.

Why: drawing a run's dozen figures is ~1.7 s of matplotlib (one core), and until now it
began when the tests were over, on the evidence package's path (issue 15). Yet a
figure depends only on its capture and on the measurements that name it, and both exist
as soon as the test that took them has ended. So the plugin hands the report's worker
(``report_worker``) each ended test's measurements that name a capture, and the worker
draws their figures between those messages, on the core the tests leave, into a
scratch folder of its own.

What the report then uses is exactly what it would have drawn itself: when the report
is built, ``take`` gives a figure drawn early only if its capture file is the one it
was drawn from (same size, modification time and inode: a capture is written once) and
the rows that name it in the run's ``results.parquet`` equal, cell for cell, the rows
it was drawn from (a later test may name the same capture, a run may be resumed). Any
other figure is drawn then, as before. A figure drawn early is a deterministic PNG of
the same inputs, so the report and its sealed manifest are byte-for-byte those of a
report drawn at the end.

Nothing here is written into the run folder until the report takes a figure: a run
that stops early leaves no stray PNG in its evidence. The one exception is Allure's plot
of a capture (``plugin/allure_plots``), a file of the run's Allure results the plugin
attached as a placeholder, handed over with the test's measurements: once the capture's
figure is drawn, the plot is that figure (a capture the report draws none of gets
``capture_plot``'s small plot), so each figure is drawn once for both. Plots still to
draw when the report is built are drawn from the report's own figures
(``draw_plots_left``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.recording.attachments import path_in
from harness.recording.captures import names_a_capture
from harness.recording.record import Measurement
from harness.recording.results import frame_of
from harness.recording.results_rows import (
    LIST_COLUMNS,
    MEASUREMENT_COLUMNS,
    RUN_COLUMNS,
    columns_of,
)
from harness.recording.store.schema import JSON_FIELDS, json_text
from harness.reporting.capture_plot import CapturePlotter
from harness.reporting.plots import PlotFile, draw_figure, figure_jobs, figure_path

COMPARED = [name for name in MEASUREMENT_COLUMNS if name != "taken_at"]
"""The columns a figure's rows are compared on (with each row's ``cond_*``): every
measurement field but the time it was taken, which no figure shows and whose stored
precision (microseconds) is not that of the object in memory."""


@dataclass(frozen=True)
class Early:
    """What ``EarlyFigures.take`` found: whether the figure was drawn early from these
    inputs and, if so, the figure (None: the capture is not one that is drawn)."""

    drawn: bool
    figure: PlotFile | None


NOT_DRAWN = Early(False, None)


@dataclass(frozen=True)
class _Drawn:
    figure: PlotFile | None  # None: the capture is not one that is drawn
    cells: dict[str, list[object]] | None  # its rows, as ``same_rows`` compares them
    capture_stat: tuple[int, int, int] | None


class EarlyFigures:
    """Figures of ended tests, drawn one at a time by ``draw_next`` into a scratch folder;
    ``take`` gives one to the report when its inputs are the report's. ``close`` removes
    the scratch folder."""

    def __init__(self, scratch: Path | None = None) -> None:
        # the report's worker is given a folder its parent made, and removes when it is
        # gone: a worker killed (never asked for its report) cleans nothing up itself
        self._scratch = scratch
        self._run_dir: Path | None = None
        self._measurements: dict[int, Measurement] = {}
        self._pending: deque[str] = deque()
        self._drawn: dict[str, _Drawn] = {}
        self._plots: dict[str, list[tuple[Path, str]]] = {}  # capture: Allure's files
        self._plotter: CapturePlotter | None = None
        self.plots_drawn: set[str] = set()
        """Allure's plot files written (``add``'s ``plots``)."""

    @property
    def pending(self) -> bool:
        """Whether a figure waits to be drawn."""
        return bool(self._pending)

    def add(
        self,
        run_dir: Path,
        measurements: Iterable[Measurement],
        plots: Iterable[tuple[str, Path, str]] = (),
    ) -> None:
        """Queue the figures of the captures these measurements (an ended test's) name;
        a capture drawn already is drawn again with its new rows. ``plots``: Allure's
        plots of some of those captures, (capture, file, title), written once drawn."""
        run_dir = Path(run_dir)
        if self._run_dir != run_dir:  # another run (a test's own session): start over
            self._run_dir = run_dir
            self._measurements.clear()
            self._pending.clear()
            self._drawn.clear()
            self._plots.clear()
        for attachment, file, title in plots:
            self._plots.setdefault(attachment, []).append((Path(file), title))
        named: list[str] = []
        for m in measurements:
            self._measurements[m.seq] = m
            named += [str(a) for a in m.attachments if names_a_capture(a)]
        for attachment in dict.fromkeys(named):
            self._drawn.pop(attachment, None)
            if attachment not in self._pending:
                self._pending.append(attachment)

    def draw_next(self) -> None:
        """Draw the oldest queued figure (from the measurements known now)."""
        attachment = self._pending.popleft()
        assert self._run_dir is not None
        frame = measurement_frame(
            m for m in self._measurements.values() if attachment in m.attachments
        )
        for name, rows in figure_jobs(frame):
            if name == attachment:
                stat = _stat(self._run_dir, attachment)
                try:
                    figure = draw_figure(self._run_dir, attachment, rows, plots_dir=self._folder())
                except Exception:  # left to the report, which raises it where it always did
                    self._write_plots(self._run_dir, attachment, None)
                    return
                self._drawn[attachment] = _Drawn(figure, _columns(rows), stat)
                self._write_plots(
                    self._run_dir, attachment, None if figure is None else figure.path
                )

    def take(self, run_dir: Path, attachment: str, rows: pd.DataFrame) -> Early:
        """The figure drawn early for ``attachment`` given the report's ``rows``, moved
        into ``run_dir/plots``; ``NOT_DRAWN`` when there is none whose inputs are these
        (the caller draws it)."""
        drawn = self._drawn.get(attachment)
        if drawn is None or Path(run_dir) != self._run_dir:
            return NOT_DRAWN
        stat = _stat(Path(run_dir), attachment)
        if stat is None or stat != drawn.capture_stat or not _same(drawn.cells, rows):
            return NOT_DRAWN
        if drawn.figure is None:  # drawn, as far as there is anything to draw
            return Early(True, None)
        target = Path(run_dir) / "plots" / drawn.figure.path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(drawn.figure.path, partial)
        os.replace(partial, target)
        f = drawn.figure
        return Early(True, PlotFile(target, f.kind, f.requirement_ids, f.caption, f.load_ohms))

    def draw_plots_left(self, run_dir: Path) -> None:
        """Write every Allure plot still to draw, once the report of ``run_dir`` has
        drawn its figures: the report's figure of the capture, else the small plot."""
        if Path(run_dir) != self._run_dir:
            return
        for attachment in list(self._plots):
            figure = figure_path(Path(run_dir), attachment)
            self._write_plots(Path(run_dir), attachment, figure if figure.is_file() else None)

    def _write_plots(self, run_dir: Path, attachment: str, figure: Path | None) -> None:
        """Allure's plots of ``attachment``: a copy of ``figure``, or the small plot of
        the capture when there is none. One that cannot be written is left to the
        plugin, which draws every plot not in ``plots_drawn``."""
        for file, title in self._plots.pop(attachment, []):
            partial = file.with_name(f"{file.name}.partial")
            try:
                if figure is not None:
                    shutil.copyfile(figure, partial)
                else:
                    capture = path_in(run_dir, attachment)
                    if capture is None:
                        continue
                    if self._plotter is None:
                        self._plotter = CapturePlotter()
                    partial.write_bytes(self._plotter.png(capture, title=title))
                os.replace(partial, file)
            except Exception:  # the plugin draws it (a full disk, an unreadable capture)
                partial.unlink(missing_ok=True)
                continue
            self.plots_drawn.add(str(file))

    def close(self) -> None:
        """Remove the scratch folder and forget every figure."""
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        self._drawn.clear()
        self._pending.clear()
        self._plots.clear()

    def _folder(self) -> Path:
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="hil-figures-"))
        return self._scratch


def measurement_frame(measurements: Iterable[Measurement]) -> pd.DataFrame:
    """The results table of these measurements, built as ``results.parquet`` is (the
    store's row, unpacked by ``columns_of``), so that its cells compare with that file's.
    The run's own columns (unit, operator, status…) are left empty: no figure shows
    them."""
    rows = [_stored_row(m) for m in sorted(measurements, key=lambda m: m.seq)]
    frame = frame_of(columns_of(rows))
    return frame.reset_index(drop=True)


def same_rows(early: pd.DataFrame, final: pd.DataFrame) -> bool:
    """Whether two tables hold the same measurements, cell for cell (``COMPARED`` and
    the conditions; a condition only one of them has must be empty in the other).

    Compared as plain Python values, column by column (``_cells``): asked for every
    capture once the tests are over, before the report's first page can be laid out, so
    it must not cost what pandas' column insertions and type conversions did (~11 ms a
    capture, a third of a second a run); the early side is converted when its figure is
    drawn, while the tests still run (``_Drawn.cells``)."""
    return _same(_columns(early), final)


def _columns(frame: pd.DataFrame) -> dict[str, list[object]] | None:
    """The compared columns of ``frame`` as Python values; None when one is missing."""
    if any(name not in frame.columns for name in COMPARED):
        return None
    names = [*COMPARED, *(str(c) for c in frame.columns if str(c).startswith("cond_"))]
    return {name: _cells(frame, name) for name in names}


def _same(early: dict[str, list[object]] | None, final: pd.DataFrame) -> bool:
    if early is None or any(name not in final.columns for name in COMPARED):
        return False
    count = len(early[COMPARED[0]])
    if count != len(final):
        return False
    conditions = {c for c in early if c.startswith("cond_")}
    conditions |= {str(c) for c in final.columns if str(c).startswith("cond_")}
    return all(
        early.get(name, [None] * count) == _cells(final, name)
        for name in [*COMPARED, *sorted(conditions)]
    )


def _cells(frame: pd.DataFrame, name: str) -> list[object]:
    """One column as comparable Python values: a missing value (None, NA, NaN, or a
    condition the table lacks) as None, a list of names (a list in memory, an array
    read back from Parquet) as a tuple of str, a NumPy scalar as its Python value."""
    if name not in frame.columns:
        return [None] * len(frame)
    if name in LIST_COLUMNS:
        return [_names(cell) for cell in frame[name].tolist()]
    return [_plain(cell) for cell in frame[name].tolist()]


def _plain(cell: object) -> object:
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        return None
    return cell.item() if isinstance(cell, np.generic) else cell


_NO_RECORD = json.dumps({name: None for name in RUN_COLUMNS})


def _stored_row(m: Measurement) -> dict[str, Any]:
    """The measurement as the store's row holds it (``results_rows.query`` reads it):
    its JSON columns as the store encodes them (``json_text``), enums as their text."""
    fields = m.__dict__
    row: dict[str, Any] = {column: json_text(fields[f]) for column, f in JSON_FIELDS.items()}
    for name in MEASUREMENT_COLUMNS:
        if name not in _AS_JSON:
            value = fields[name]
            row[name] = value.value if isinstance(value, Enum) else value
    row.update(record_json=_NO_RECORD, status=None, started_at=None, ended_at=None)
    return row


_AS_JSON = frozenset(JSON_FIELDS.values())


def _names(cell: object) -> tuple[str, ...] | None:
    if cell is None or cell is pd.NA:
        return None
    return tuple(str(name) for name in cell)  # type: ignore[attr-defined]


def _stat(run_dir: Path, attachment: str) -> tuple[int, int, int] | None:
    path = path_in(run_dir, attachment)
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns, found.st_ino
