"""Allure's capture plots drawn after the tests, beside the report, not between tests.

Why: the plot of each capture cost ~40 ms of matplotlib in the test that made it (and
~0.5 s to load matplotlib in the first), about a third of the simulated suite's test
time, while the bench waited. After the tests the report's PDF layout keeps one core
busy and leaves the other idle: the plots are drawn there, in one forked worker.

Each plot is still attached when its test ends, with the same name and type, but with
a placeholder body (a one-pixel PNG). allure-python names the file it writes in its
public ``report_attached_data`` hook, which this module implements to note it; after
the tests ``PendingPlots.start`` draws the real PNGs into those files (each written to a
temporary name and renamed), and ``wait`` returns once they are all there. The evidence
package is sealed only after ``wait`` (the manifest hashes the drawn PNGs). A run killed
before then keeps placeholder images in its Allure results, the raw capture attached
beside each, and is unsealed anyway. Where the process cannot fork safely (another
platform, other threads) the plots are drawn in this process at ``wait``, as before,
only later.
"""

from __future__ import annotations

import multiprocessing
import os
import struct
import sys
import threading
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import allure_commons
import pytest

from harness.plugin.allure_files import CapturePlotter


def _one_pixel_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1 x 1, 8-bit RGBA
    pixel = zlib.compress(b"\x00\x00\x00\x00\x00")  # filter 0, transparent
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


PLACEHOLDER = _one_pixel_png()
"""A one-pixel transparent PNG: what a plot's file holds until it is drawn."""


@dataclass(frozen=True)
class PlotJob:
    capture: Path
    title: str
    target: Path


def draw_plots(jobs: list[PlotJob]) -> int:
    """Draw each job's PNG into its target (temporary name, then renamed); how many."""
    plotter = CapturePlotter()
    for job in jobs:
        partial = job.target.with_name(job.target.name + ".partial")
        partial.write_bytes(plotter.png(job.capture, title=job.title))
        os.replace(partial, job.target)
    return len(jobs)


@dataclass
class PendingPlots:
    """The session's plots attached as placeholders, to draw after the tests."""

    folder: Path
    jobs: list[PlotJob] = field(default_factory=list)
    _expecting: tuple[Path, str] | None = None
    _pool: ProcessPoolExecutor | None = None
    _future: Future[int] | None = None

    @allure_commons.hookimpl
    def report_attached_data(self, body: Any, file_name: str) -> None:
        """allure-python's hook, called as it writes an attachment: note a plot's file."""
        if body is PLACEHOLDER and self._expecting is not None:
            capture, title = self._expecting
            self.jobs.append(PlotJob(capture, title, self.folder / file_name))
            self._expecting = None

    def attach(self, hook: Any, capture: Path, title: str, name: str) -> None:
        """Attach a placeholder now for the plot of ``capture`` drawn after the tests."""
        from allure_commons.types import AttachmentType

        self._expecting = (capture, title)
        hook.attach_data(body=PLACEHOLDER, name=name, attachment_type=AttachmentType.PNG,
                         extension=None)  # fmt: skip
        self._expecting = None

    def start(self) -> None:
        """Begin drawing: in a forked worker where that is safe, else at ``wait``."""
        if self._future is not None or not self.jobs or not _forks():
            return
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(1, mp_context=context)
        self._future = self._pool.submit(draw_plots, list(self.jobs))

    def wait(self) -> None:
        """Every plot drawn into its file (here, if no worker drew them)."""
        jobs, self.jobs = self.jobs, []
        if self._future is None:
            draw_plots(jobs)
            return
        future, pool = self._future, self._pool
        self._future = self._pool = None
        try:
            future.result()
        except Exception:  # a worker that died or failed: draw them here instead
            draw_plots(jobs)
        finally:
            if pool is not None:
                pool.shutdown()


def _forks() -> bool:
    """Fork only a single-threaded process on a platform whose way it is."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def register(folder: Path) -> PendingPlots:
    pending = PendingPlots(folder)
    allure_commons.plugin_manager.register(pending)
    return pending


def unregister(pending: PendingPlots) -> None:
    if allure_commons.plugin_manager.is_registered(pending):
        allure_commons.plugin_manager.unregister(pending)


PENDING_KEY = pytest.StashKey[PendingPlots]()


def wait_for_plots(config: pytest.Config) -> None:
    """Every Allure plot of the session drawn (before the package is sealed)."""
    pending = config.stash.get(PENDING_KEY, None)
    if pending is not None:
        pending.wait()
