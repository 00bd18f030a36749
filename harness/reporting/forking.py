"""When the evidence may hand work to forked processes (the report, its figures and PDF,
Allure's capture plots), and how such a worker is forked.

Kept apart from the modules that fork, and free of heavy imports, so that the PDF worker
can ask before pandas or matplotlib are loaded (``pdf.PdfWorker``), and the plugin at a
session's start (``report_worker``, ``harness.plugin.allure_plots``).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Self


def forks_safely() -> bool:
    """Fork only a single-threaded process on Linux: a lock another thread holds at the
    fork stays held in the child for ever. ``hil run`` has one thread by the end of its
    session; a pytest-xdist worker (``--workers``) has execnet's, and its units are built
    side by side by the workers anyway. Fork is not the platform's way on Windows or
    macOS, where the work is done in this process instead."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


class ClosedOnExit:
    """``with worker:`` closes it on the way out, whatever happened: each worker here
    holds a process that must not outlive the report (a subclass defines ``close``)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def fork_serving(
    serve: Callable[[Connection, Connection], None], *, name: str, daemon: bool
) -> tuple[BaseProcess, Connection]:
    """Fork a worker running ``serve(its end, our end)`` and return it with our end of
    the pipe between them. The worker gets our end too, to close it: it then sees EOF
    when we close ours (we died, or never asked)."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs, ours), daemon=daemon, name=name)
    process.start()
    theirs.close()
    return process, ours
