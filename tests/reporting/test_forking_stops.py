"""A stop that lands while a worker is forked is held, not lost (``forking.stops_held``).

Found by sending SIGTERM into runs building their report: once in 20, the interrupt
landed while the report's worker forked its PDF worker, and Python took it inside the
fork's own hook (logging releasing its lock), printed "Exception ignored ...
KeyboardInterrupt" and dropped it. Every fork of the evidence's workers now happens with
Ctrl-C and SIGTERM held, and each worker starts with the mask its parent had before.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from types import FrameType

import pandas as pd
import pytest

from harness.reporting import forking, plot_pool

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the workers are forked on Linux"
)


def _blocked() -> set[signal.Signals]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, ()))


@pytest.fixture
def masks_at_fork(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[set[signal.Signals]]]:
    """The parent's blocked signals at each ``os.fork`` multiprocessing makes."""
    seen: list[set[signal.Signals]] = []
    real_fork = os.fork

    def fork() -> int:
        seen.append(_blocked())
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    yield seen


def _answer_mask(conn: Connection, parents_end: Connection) -> None:
    parents_end.close()
    conn.send(sorted(int(s) for s in _blocked()))
    conn.close()


def test_a_worker_is_forked_with_the_stops_held_and_starts_with_the_mask_from_before(
    masks_at_fork: list[set[signal.Signals]],
) -> None:
    before = _blocked()
    process, ours = forking.fork_serving(_answer_mask, name="mask", daemon=True)
    try:
        in_worker = set(ours.recv())
    finally:
        ours.close()
        process.join(timeout=10)
    assert masks_at_fork and masks_at_fork[0] >= forking.STOPS, "forked with the stops held"
    assert in_worker == {int(s) for s in before}, "the worker starts with the mask from before"
    assert _blocked() == before, "the parent's mask is as it was"


def test_a_stop_sent_while_held_is_delivered_when_the_hold_ends() -> None:
    assert threading.current_thread() is threading.main_thread()
    taken: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        taken.append(signum)

    previous: Callable[..., object] | int | None = signal.signal(signal.SIGTERM, handler)
    try:
        with forking.stops_held():  # sent to this thread: a test process may have others
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
            assert signal.SIGTERM in signal.sigpending()
            assert taken == []
        assert taken == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def _mask_in_figure_worker() -> list[int]:
    return sorted(int(s) for s in _blocked())


def test_figure_workers_are_forked_with_the_stops_held(
    masks_at_fork: list[set[signal.Signals]], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """The report's figure pool forks its workers (by its first submit) with the stops
    held too, and each starts with the mask from before."""
    monkeypatch.setattr(plot_pool, "_forks", lambda: True)
    monkeypatch.setattr(plot_pool, "figure_jobs", lambda frame: [("a.npz", frame)] * 2)
    monkeypatch.setattr(plot_pool, "draw_figure", lambda run_dir, a, rows: None)
    before = _blocked()
    pending = plot_pool.PendingFigures(tmp_path, pd.DataFrame({"x": [1]}), workers=2)
    try:
        assert pending._pool is not None
        in_worker = pending._pool.submit(_mask_in_figure_worker).result(timeout=30)
    finally:
        pending.close()
    assert masks_at_fork and all(mask >= forking.STOPS for mask in masks_at_fork)
    assert set(in_worker) == {int(s) for s in before}
    assert _blocked() == before
