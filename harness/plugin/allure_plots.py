"""Allure's capture plots drawn by a worker process, not between the tests.

Why: the plot of each capture cost ~40 ms of matplotlib in the test that made it (and
~0.5 s to load matplotlib in the first), about a third of the simulated suite's test
time, while the bench waited. The tests keep one core busy and leave the other idle:
the plots are drawn there, by one worker forked at the session's start.

When the session builds a report, that worker is the report's (``report_worker``): it
draws each capture's figure for the report while the tests run, and the same figure is
the capture's Allure plot (a capture the report draws no figure of gets the small plot
of ``reporting.capture_plot``). One process and one matplotlib instead of two, and each
figure drawn once: on two cores, both workers had shared the core the tests leave, and
the report's figures were still being drawn when the tests ended. The plugin hands it
the plots attached for a test when the test ends (``to_hand``); what it drew comes back
with the report (``ReportWorker.plots_drawn``), and ``wait`` draws any other here.

Each plot is still attached when its test ends, with the same name and type, but with
a placeholder body (a one-pixel PNG). allure-python names the file it writes in its
public ``report_attached_data`` hook, which this module implements to note it and to
send the worker the job; the worker draws the real PNG into that file (written to a
temporary name and renamed). ``wait`` returns once every plot is there, and the evidence
package is sealed only after it (the manifest hashes the drawn PNGs). A worker that
fails or dies leaves the drawing to ``wait``, in this process; so does a process that
cannot fork safely (another platform, other threads). A run killed before ``wait``
keeps placeholder images in its Allure results, the raw capture beside each, and is
unsealed anyway.
"""

from __future__ import annotations

import gc
import os
import struct
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import allure_commons

from harness.reporting.capture_plot import CapturePlotter
from harness.reporting.forking import fork_serving, forks_safely


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
    attachment: str = ""
    """The capture as the measurements name it (relative to the run folder)."""


def draw_plots(jobs: list[PlotJob]) -> int:
    """Draw each job's PNG into its target (temporary name, then renamed); how many."""
    plotter = CapturePlotter()
    for job in jobs:
        partial = job.target.with_name(job.target.name + ".partial")
        partial.write_bytes(plotter.png(job.capture, title=job.title))
        os.replace(partial, job.target)
    return len(jobs)


class PlotWorker:
    """One forked process drawing the plots sent to it over a pipe, while tests run.

    Forked at the session's start, before any instrument is opened (so it holds no
    connection of the bench's), and fed through a plain pipe, so this process gains no
    thread (the report's figure workers fork only a single-threaded process).
    """

    def __init__(self) -> None:
        self._process, self._conn = fork_serving(_serve, name="allure-plots", daemon=True)

    def send(self, job: PlotJob) -> None:
        self._conn.send(job)

    def finish(self) -> bool:
        """Whether every plot sent was drawn (False: the worker failed or died)."""
        try:
            self._conn.send(None)
            ok = bool(self._conn.recv())
        except (EOFError, OSError):
            ok = False
        self._conn.close()
        self._process.join(timeout=30)
        return ok and self._process.exitcode == 0


def _serve(conn: Connection, parents_end: Connection) -> None:
    parents_end.close()  # EOF here when the parent closes its end (or dies)
    # forked at the session's start, while ``hil run`` has the collector off until the
    # tests are collected: on here, and what it inherited frozen
    gc.enable()
    gc.freeze()
    ok = True
    try:
        while (job := conn.recv()) is not None:
            try:
                draw_plots([job])
            except Exception:
                ok = False  # the parent draws them all again, where the error will show
        conn.send(ok)
    except (EOFError, BrokenPipeError):
        pass  # the parent is gone: nobody to draw for
    finally:
        conn.close()


@dataclass
class PendingPlots:
    """The session's plots attached as placeholders, drawn by a worker meanwhile."""

    folder: Path
    jobs: list[PlotJob] = field(default_factory=list)
    worker: PlotWorker | None = None
    _expecting: tuple[Path, str, str] | None = None
    _handed: int = 0

    @allure_commons.hookimpl
    def report_attached_data(self, body: Any, file_name: str) -> None:
        """allure-python's hook, called as it writes an attachment: note a plot's file."""
        if body is PLACEHOLDER and self._expecting is not None:
            capture, title, attachment = self._expecting
            job = PlotJob(capture, title, self.folder / file_name, attachment)
            self.jobs.append(job)
            self._expecting = None
            if self.worker is not None:
                self.worker.send(job)

    def attach(self, hook: Any, capture: Path, title: str, name: str, attachment: str) -> None:
        """Attach a placeholder now for the plot of ``capture``, drawn by the worker."""
        from allure_commons.types import AttachmentType

        self._expecting = (capture, title, attachment)
        hook.attach_data(body=PLACEHOLDER, name=name, attachment_type=AttachmentType.PNG,
                         extension=None)  # fmt: skip
        self._expecting = None

    def to_hand(self) -> list[tuple[str, Path, str]]:
        """The plots attached since the last call, for the report's worker to draw:
        (attachment, file, title); none when this session's own worker draws them."""
        if self.worker is not None:
            return []
        new, self._handed = self.jobs[self._handed :], len(self.jobs)
        return [(job.attachment, job.target, job.title) for job in new]

    def wait(self, drawn: Collection[str] = ()) -> None:
        """Every plot drawn into its file: ``drawn`` names those the report's worker drew;
        any other is drawn here, as is every plot when this session's worker failed."""
        jobs, self.jobs, self._handed = self.jobs, [], 0
        worker, self.worker = self.worker, None
        if worker is not None and worker.finish():
            return
        draw_plots([job for job in jobs if str(job.target) not in drawn])


def register(folder: Path, *, by_report: bool = False) -> PendingPlots:
    """Note this session's plots; fork their worker now if this process may fork and no
    report's worker draws them (``by_report``)."""
    forked = not by_report and forks_safely()
    pending = PendingPlots(folder, worker=PlotWorker() if forked else None)
    allure_commons.plugin_manager.register(pending)
    return pending


def unregister(pending: PendingPlots) -> None:
    if allure_commons.plugin_manager.is_registered(pending):
        allure_commons.plugin_manager.unregister(pending)
