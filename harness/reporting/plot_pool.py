"""The report's figures drawn side by side, in forked worker processes, while the
report's other work goes on.

Drawing the figures is the largest single part of building a report (some 0.2 s of
matplotlib per figure, a dozen figures a run), and each figure depends only on its
capture and its rows, so they need not wait for one another nor for the rest of the
report: ``start_figures`` hands them to worker processes and returns at once, the
caller gathers the report's text (and loads WeasyPrint) meanwhile, and ``result``
waits for the figures only when the HTML needs their captions (issue 15).

Workers are forked (Linux): they inherit the loaded numpy and matplotlib and start in
milliseconds, where a spawned interpreter would spend a second importing them. Where
fork is not the platform's way (Windows, macOS), the process has other threads, or there
is at most one figure or one CPU, the figures are drawn in this process as before. The
figures are the same either way: each is a deterministic PNG of its own capture.

A figure the report's worker drew while the tests ran (``early_figures``), from the same
capture and the same rows, is taken as it is; only the others are drawn here.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from harness.reporting.forking import ClosedOnExit, forks_safely, stops_held
from harness.reporting.plots import PlotFile, draw_figure, figure_jobs

if TYPE_CHECKING:
    from harness.reporting.early_figures import EarlyFigures

MAX_WORKERS = 4
"""More workers than this gain little for a dozen figures and crowd a shared bench PC."""


class PendingFigures(ClosedOnExit):
    """Figures being drawn; ``result`` waits for them (in capture order)."""

    def __init__(
        self,
        run_dir: Path,
        frame: pd.DataFrame,
        workers: int | None = None,
        early: EarlyFigures | None = None,
    ) -> None:
        self._run_dir = run_dir
        # each capture's figure: one drawn while the tests ran, when its inputs are these
        # (``early_figures``), else drawn now
        jobs = figure_jobs(frame)
        self._taken = [
            None if early is None else early.take(run_dir, attachment, rows)
            for attachment, rows in jobs
        ]
        self._jobs = [
            job
            for job, taken in zip(jobs, self._taken, strict=True)
            if taken is None or not taken.drawn
        ]
        count = min(len(self._jobs), workers or _default_workers())
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[PlotFile | None]] = []
        if count > 1 and _forks():
            # gc.freeze: what a worker inherits is never garbage there; its collector
            # need not walk it again and again while matplotlib allocates. The workers
            # are forked by the first submit, with the stops held (forking.stops_held)
            with stops_held() as before:
                start = functools.partial(_collector_on_and_frozen, before)
                self._pool = ProcessPoolExecutor(
                    count, mp_context=multiprocessing.get_context("fork"), initializer=start
                )
                self._futures = [self._pool.submit(draw_figure, run_dir, attachment, rows)
                                 for attachment, rows in self._jobs]  # fmt: skip

    @property
    def taken_early(self) -> int:
        """How many figures were drawn while the tests ran (``early_figures``)."""
        return sum(1 for taken in self._taken if taken is not None and taken.drawn)

    def result(self) -> list[PlotFile]:
        """Every figure drawn (a capture not worth drawing has none), in capture order; a
        drawing's error is raised here, as drawing in this process would raise it."""
        if self._pool is None:
            drawn = [draw_figure(self._run_dir, a, rows) for a, rows in self._jobs]
        else:
            try:
                drawn = [future.result() for future in self._futures]
            except BrokenProcessPool:  # a worker died (killed, out of memory): draw here
                drawn = [draw_figure(self._run_dir, a, rows) for a, rows in self._jobs]
            finally:
                self.close()
        now = iter(drawn)
        every = [
            taken.figure if taken is not None and taken.drawn else next(now)
            for taken in self._taken
        ]
        return [figure for figure in every if figure is not None]

    def close(self) -> None:
        """Stop the workers (a figure not yet drawn is not drawn)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def start_figures(
    run_dir: Path, frame: pd.DataFrame, early: EarlyFigures | None = None
) -> PendingFigures:
    """Start drawing the figures of ``frame``'s captures, those ``early`` holds with the
    same inputs taken from it; see the module's docstring."""
    return PendingFigures(run_dir, frame, early=early)


def _default_workers() -> int:
    usable: Callable[[int], set[int]] | None = getattr(os, "sched_getaffinity", None)
    cpus = len(usable(0)) if usable is not None else os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def _forks() -> bool:
    """Whether the workers may be forked (``forking.forks_safely``); a function of this
    module so that a test can say yes for a process with a plugin's thread."""
    return forks_safely()


def _collector_on_and_frozen(mask: Iterable[int] | None = None) -> None:
    """A figure worker's start: the signal mask its parent had before the fork (given),
    the collector on (the parent may have it off) and what it inherited frozen."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    gc.enable()
    gc.freeze()
