"""The bench process: what a compliance session sets up for the whole process.

From configuration to the end of the session (and the process): messages an operator
must see (long waits, the results database going away) reach the terminal past pytest's
capture; numpy's BLAS keeps to one thread; SIGTERM behaves like Ctrl-C; and what was
loaded before the tests is kept out of the garbage collector's way while they run, and
what is alive at the process's exit out of the interpreter's last collections.
"""

from __future__ import annotations

import atexit
import gc
import logging
import threading
from contextlib import nullcontext

import pytest

from harness.events.interrupts import sigterm_as_interrupt
from harness.plugin.session import compliance_run

_PROGRESS = pytest.StashKey["_ProgressToTerminal"]()


class _ProgressToTerminal(logging.Handler):
    """Shows what an operator must see at once on the terminal, past pytest's capture:
    long waits ("waiting for auto power-off: 600 s elapsed…") and the results database
    going away or coming back.

    While a test runs, pytest has the terminal's file descriptors redirected into its
    capture, so a plain write would only appear if the test failed. A message from the
    main thread suspends the capture for its line, as pytest's live logging does. A
    message from another thread (the store's uploader) is held and written by the main
    thread at the next report, never swapping file descriptors under a running test.
    """

    def __init__(self, config: pytest.Config) -> None:
        super().__init__(logging.INFO)
        self._config = config
        self._held: list[str] = []
        self._held_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = f"hil: {record.getMessage()}"
        if threading.current_thread() is not threading.main_thread():
            with self._held_lock:
                self._held.append(line)
            return
        self.write_held()
        self._write(line)

    def write_held(self) -> None:
        """Write the lines other threads left (called by the main thread)."""
        with self._held_lock:
            lines, self._held = self._held, []
        for line in lines:
            self._write(line)

    def _write(self, line: str) -> None:
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = self._config.pluginmanager.get_plugin("capturemanager")
        suspended = capture.global_and_fixture_disabled() if capture else nullcontext()
        with suspended:
            reporter.ensure_newline()
            reporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    _one_blas_thread()
    progress = logging.getLogger("harness.progress")
    progress.setLevel(logging.INFO)
    handler = _ProgressToTerminal(config)
    progress.addHandler(handler)
    config.stash[_PROGRESS] = handler

    def remove() -> None:
        handler.write_held()
        progress.removeHandler(handler)

    config.add_cleanup(remove)
    # SIGTERM behaves like Ctrl-C for the whole session, evidence included
    config.add_cleanup(sigterm_as_interrupt())


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move every object alive now (modules, classes, the spec, the collected tests) out
    of the garbage collector's generations until the session ends.

    A bench process holds ~150,000 long-lived objects (numpy, pyvisa, SQLAlchemy,
    pydantic, the suites); each full collection walks them all, ~0.1 s apiece, a few
    times in every thousand tests, for nothing: they live as long as the process.
    ``gc.unfreeze`` at the end gives them back, so a session run inside another
    (pytester) leaves no garbage pinned.

    At the process's exit everything is frozen again (``_freeze_at_exit``).
    """
    if compliance_run(session.config) is None:
        return
    gc.freeze()
    session.config.add_cleanup(gc.unfreeze)
    _freeze_at_exit()


def _freeze_at_exit() -> None:
    """Freeze what is alive when the process exits, before the interpreter is taken apart.

    After the exit hooks, Python clears every module and runs full collections over
    what is left: every collected test, report and recorded row, ~1.1 s at the end of a
    plain ``pytest`` session of 10,000 tests with the plugin, 0.3-0.8 s after the RMD-1
    suite (issue 15). Frozen objects are skipped by those collections and freed as
    their modules are cleared. What is lost is the ``__del__`` of objects in reference
    cycles still alive at exit, which CPython never promised either; the run's files
    were written, renamed and closed by the session's finish hooks long before, and
    ``logging.shutdown`` and ``weakref.finalize`` run as usual (exit hooks run last
    registered first, so the freeze comes before theirs). ``hil run`` ends its process
    with ``os._exit`` after the exit hooks and has no such teardown at all.

    Registered once per process however many sessions run in it (pytester).
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After each test, write what background threads had to say."""
    handler = item.config.stash.get(_PROGRESS, None)
    if handler is not None:
        handler.write_held()


def _one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in a bench process.

    The analysis and the simulation hand BLAS vectors of a few thousand points; extra
    OpenBLAS threads gain no time on those, but spin while they wait and so burn about
    a fifth of a run's CPU (measured: 11.1 s of user time -> 9.0 s, wall time the same).
    On a production line each worker is a process of its own, and that spinning takes
    the other benches' cores (benchmarks/bench_parallel.py). The limit applies to the
    libraries loaded when it is set, so numpy (and with it its BLAS) is loaded first.
    """
    import numpy  # noqa: F401  (loads the BLAS library the limit is set on)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
