"""The compliance report built by a process forked when the session starts, which loads
what the report needs while the tests run.

Why: a report needs pandas, matplotlib and WeasyPrint (about 0.9 s of imports), which a
run's own process does not load until its tests are over (``hil run`` starts lean), and
then they are on the evidence package's path: the tests end, the imports begin. The
tests keep one core busy; this worker, forked at the session's start (before any
instrument is opened, like Allure's plot worker), loads them on the other one and waits.
When the run's files are written it is told the run folder and builds the report from
those files alone (``compliance.build_compliance_report``: run.json, results.parquet,
the captures), with its own figure workers and PDF worker forked from it.

The pytest plugin forks one at the start of a session that will build a report and
hands it to ``finish_evidence`` (``harness/plugin/evidence.py``), which calls ``build``
where it would call ``build_compliance_report``. Meanwhile the plugin hands it, as each
test ends, the measurements of that test that name a capture (``test_ended``), and the
worker draws their figures between those messages (``early_figures``): the report
then takes each one whose capture and rows are the run's, and draws only the others.

What it builds is what this process would build: the same function on the same files.
Whatever goes wrong there is raised here: its error with its traceback, PdfUnavailable
as itself; a worker that died, or one that could not be forked (another platform, a
process with threads), leaves the report to this process. Importing this module loads
nothing heavy, so a lean plugin may import it at the session's start.
"""

from __future__ import annotations

import atexit
import functools
import gc
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import traceback
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HilError
from harness.reporting.forking import ClosedOnExit, fork_serving, forks_safely

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harness.recording.record import Measurement

NICENESS = 10
"""The worker runs at a lower CPU priority than the tests (nice 10: about a tenth of a
core where both want one): while they run it mostly takes the CPU time they leave (the
other core), and when they are over this process only waits for it, so on a bench PC
the report still has the machine. Its figure and PDF workers inherit the priority, so on
a machine busy with other work the report yields to it."""


class ReportWorker(ClosedOnExit):
    """A forked process holding the report's modules, building one report on request.

    Use as a context manager (or ``close`` it): leaving stops a worker never asked; one
    left open is closed when this process exits. ``build`` may be called once.
    """

    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._asked = self._answered = False
        self._scratch: Path | None = None
        self.plots_drawn: frozenset[str] = frozenset()
        """The Allure plot files the worker drew (``test_ended``'s ``plots``), once it
        has answered ``build``."""
        if not forks_safely():
            return
        # where the worker draws figures early: made and removed here, as the worker may
        # be killed
        self._scratch = Path(tempfile.mkdtemp(prefix="hil-figures-"))
        # not a daemon: it forks the report's own figure and PDF workers, which a daemon
        # may not; so it is closed at exit at the latest, before multiprocessing joins it
        # it starts with the interrupt blocked (held, not lost, here): the close that
        # interrupts a worker never asked may come before it can take it quietly
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            serve = functools.partial(_serve, scratch=self._scratch)
            self._process, ours = fork_serving(serve, name="report", daemon=False)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        self._conn = ours
        atexit.register(self.close)

    def test_ended(
        self,
        run_dir: Path,
        measurements: Sequence[Measurement],
        plots: Sequence[tuple[str, Path, str]] = (),
    ) -> None:
        """Hand the worker an ended test's measurements that name a capture: it draws
        their figures while the next tests run (``early_figures``), and writes each of
        ``plots`` ((capture, file, title): Allure's plot of a capture) from them. Nothing
        when there is no worker, it was asked for the report already, or none names a
        capture."""
        from harness.recording.captures import names_a_capture

        rows = [m for m in measurements if any(map(names_a_capture, m.attachments))]
        if self._conn is None or self._asked or not (rows or plots):
            return
        try:
            self._conn.send(("ended", Path(run_dir), rows, list(plots)))
        except OSError:  # the worker died: the report is built here (``build``)
            self.close()

    @property
    def forked(self) -> bool:
        """Whether a worker builds the report (False: ``build`` builds it here)."""
        return self._process is not None

    def build(
        self,
        run_dir: Path,
        *,
        spec_path: Path | None = None,
        laboratory: str | None = None,
        location: str | None = None,
        issued_at: datetime | None = None,
        signing_fingerprint: str | None = None,
    ) -> tuple[Path, Path]:
        """As ``compliance.build_compliance_report`` (same arguments, same files, same
        errors), built by the worker when there is one."""
        arguments: dict[str, Any] = {
            "spec_path": spec_path, "laboratory": laboratory, "location": location,
            "issued_at": issued_at, "signing_fingerprint": signing_fingerprint,
        }  # fmt: skip
        conn = self._conn
        if conn is not None:
            try:
                self._asked = True
                conn.send(("build", Path(run_dir), arguments))
                outcome: tuple[str, Any, str, list[str]] = conn.recv()
                self._answered = True
            except (EOFError, OSError):  # the worker died (killed, out of memory)
                conn = None
            self.close()
        if conn is None:
            from harness.reporting.compliance import build_compliance_report

            return build_compliance_report(Path(run_dir), **arguments)
        kind, value, worker_traceback, drawn = outcome
        self.plots_drawn = frozenset(drawn)
        if kind == "built":
            html_path, pdf_path = value
            return Path(html_path), Path(pdf_path)
        error = value if isinstance(value, BaseException) else RuntimeError(value)
        if worker_traceback:
            error.add_note(f"raised in the report worker:\n{worker_traceback}")
        raise error

    def close(self) -> None:
        """Stop the worker. One that answered is about to exit and is joined; one never
        asked is killed (it has written nothing but its early figures, in a folder removed
        here, and started no worker of its own, and an interrupt in the middle of its
        imports came out as a traceback); one still
        building (this process was interrupted) is interrupted too, so that it stops its
        own figure and PDF workers, then ended."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.close)
        if self._answered:
            process.join(timeout=5.0)
        elif not self._asked:
            process.kill()
        elif process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGINT)
            process.join(timeout=2.0)
        if process.is_alive():
            process.kill()
        process.join()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def _serve(conn: Connection, parents_end: Connection, *, scratch: Path) -> None:
    """The worker: load the report's modules, wait for a run folder, answer with one
    message: ``("built", (html, pdf), "")`` or ``("error", exception, traceback)``."""
    parents_end.close()  # EOF here when the parent closes its end
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        # the interrupt, blocked since the fork, is taken from here on, quietly
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        os.nice(NICENESS)
        # forked at the session's start, while ``hil run`` has the collector off until
        # the tests are collected: on here (~100 MB less in the PDF worker), the
        # session's objects frozen (never garbage here; see pdf._serve)
        gc.enable()
        gc.freeze()
        try:
            _serve_one(conn, scratch)
        except (KeyboardInterrupt, BrokenPipeError, EOFError):
            pass  # interrupted with the parent, or the parent is gone
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: nothing left to stop
            conn.close()
    except KeyboardInterrupt:  # the parent's interrupt arrived while leaving: be quiet
        pass


def _serve_one(conn: Connection, scratch: Path) -> None:
    """Load; then, until asked for the report, draw the figures of the tests that end
    (one at a time, reading every message waiting between two); build the one report
    asked for (nothing if the session ended first)."""
    _load()
    from harness.reporting.compliance import build_compliance_report
    from harness.reporting.early_figures import EarlyFigures

    early = EarlyFigures(scratch)
    try:
        while True:
            if early.pending and not conn.poll(0):
                early.draw_next()
                continue
            try:
                message = conn.recv()
            except EOFError:  # the session ended without a report
                return
            if message[0] == "ended":
                early.add(message[1], message[2], message[3])
                continue
            _, run_dir, arguments = message
            break
        try:
            built = build_compliance_report(run_dir, **arguments, early=early)
            answer: tuple[str, Any, str] = ("built", tuple(str(p) for p in built), "")
        except Exception as error:  # every error, PdfUnavailable too, goes to the parent
            answer = ("error", _picklable(error), traceback.format_exc())
        # Allure's plots still to draw: the report's figure of the capture, else small
        early.draw_plots_left(run_dir)
        drawn = sorted(early.plots_drawn)
    finally:
        early.close()
    conn.send((*answer, drawn))


def _load() -> None:
    """Import what a report needs, and load WeasyPrint, now (while the tests run)."""
    # pandas and pyarrow, Jinja2, matplotlib: imported for their side effect, loading
    from harness.recording import results  # noqa: F401
    from harness.reporting import budget_annex, compliance, early_figures, plot_pool  # noqa: F401
    from harness.reporting.pdf import preload_weasyprint

    preload_weasyprint()
    import pypdf  # noqa: F401  (joins the report's PDF documents)

    compliance.template()  # compiled now rather than when the tests are over


def _picklable(error: Exception) -> BaseException | str:
    """The exception itself when it survives the pipe, else a HilError with its message
    when it is one (an input error stays an input error), else its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any exception that does not pickle
        if isinstance(error, HilError):
            return HilError(str(error))
        return f"{type(error).__name__}: {error}"
    return error
