"""When the evidence may hand work to forked processes (the report, its figures and PDF,
Allure's capture plots), and how such a worker is forked.

Kept apart from the modules that fork, and free of heavy imports, so that the PDF worker
can ask before pandas or matplotlib are loaded (``pdf.PdfWorker``), and the plugin at a
session's start (``report_worker``, ``harness.plugin.allure_plots``).
"""

from __future__ import annotations

import functools
import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
    when we close ours (we died, or never asked). Forked with the stops held
    (``stops_held``); the worker starts with the signal mask we had before."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    with stops_held() as before:
        target = functools.partial(_with_mask, before, serve)
        process = context.Process(target=target, args=(theirs, ours), daemon=daemon, name=name)
        process.start()
    theirs.close()
    return process, ours


STOPS = frozenset({signal.SIGINT, signal.SIGTERM})
"""Ctrl-C, and SIGTERM, which a run turns into the same interrupt."""


@contextmanager
def stops_held() -> Iterator[set[int | signal.Signals]]:
    """Hold Ctrl-C and SIGTERM in this thread while a worker is forked; yield the mask
    from before.

    A stop that lands while ``os.fork`` runs is taken by Python in the fork's own hooks
    (logging releasing its lock in the parent), where no exception can propagate: it
    was printed as "Exception ignored in: <function _releaseLock>" with a
    ``KeyboardInterrupt`` traceback, and lost, so the process went on as if never
    stopped (seen once in 20 SIGTERMs into a report being built, from the report's
    worker forking its PDF worker). Held, it is delivered when the fork is done, where
    it stops the process as at any other instant. A child inherits the held mask: a
    worker forked here must set the mask from before (``fork_serving`` does).

    Holding a signal in this thread holds it for the process only while no other thread
    could take it, which is when a worker is forked here at all (``forks_safely``).
    """
    if threading.current_thread() is not threading.main_thread():
        yield signal.pthread_sigmask(signal.SIG_BLOCK, ())
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield before
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _with_mask(
    mask: Iterable[int],
    serve: Callable[[Connection, Connection], None],
    conn: Connection,
    parents_end: Connection,
) -> None:
    """A forked worker's start: the signal mask its parent had before the fork, then
    ``serve``."""
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    serve(conn, parents_end)
