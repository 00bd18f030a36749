"""The report's PDF, made by WeasyPrint when its system libraries can be loaded.

WeasyPrint is a Python package, but it lays out text with Pango, HarfBuzz and GObject,
which it loads from the operating system when it is imported. A Linux distribution has
them; a Windows bench PC has them only once GTK's runtime is installed
(``docs/windows.md``). Without them, importing WeasyPrint raises ``OSError``.

A missing PDF must not cost a run its evidence: the measurements are safe, and
``report.html`` (written first, from the same template) says everything the PDF would.
So a WeasyPrint that does not load is :class:`PdfUnavailable`, which the run reports in
one line before it seals the package; the PDF can be made later on a machine that has
the libraries (``hil report compliance``, an amendment to a sealed package).

Laying the report out is the longest step of a run's evidence (some 2 s of WeasyPrint
for ~20 pages, one core), and loading WeasyPrint another 0.3-0.5 s. :class:`PdfWorker`
forks a process when the report is begun, before the report's own imports (pandas,
matplotlib), which loads WeasyPrint on the other core while this process loads those and
draws the figures; it is handed the HTML when that is ready (``start``), lays the PDF
out and sends its bytes back (``result``), which this process joins and writes.
Whatever goes wrong there is raised here: the worker's error (a bug of the report) with
the worker's traceback, PdfUnavailable when WeasyPrint did not load; a worker that dies
is replaced by laying the PDF out in this process. Where forking is not safe
(``forking.forks_safely``) the PDF is made in this process, as it always was. The PDF
is the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import io
import multiprocessing
import os
import pickle
import signal
import traceback
import warnings
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from harness.errors import HilError
from harness.reporting.forking import ClosedOnExit, fork_serving, forks_safely

HELP = "docs/windows.md says how to install its libraries"


NICENESS = 5
"""A layout worker yields to the report's figure workers (nice 5 above its parent): the
waveforms annex waits for those figures, the other documents for nothing, so the
figures are drawn first and the documents take the CPU they leave."""


class PdfUnavailable(HilError):
    """WeasyPrint (or the system libraries it loads) is missing: no PDF was made."""


def preload_weasyprint() -> None:
    """Import WeasyPrint now (about 0.5 s), while other work waits on something else
    (the report's figures being drawn); one that does not load is reported by
    ``pdf_bytes``, so its error is not raised here."""
    with contextlib.suppress(ImportError, OSError), _quiet_about_font_subsetting():
        import weasyprint  # noqa: F401


@contextlib.contextmanager
def _quiet_about_font_subsetting() -> Iterator[None]:
    """WeasyPrint warns at import (a DeprecationWarning) when the system lacks
    HarfBuzz-Subset and it falls back to fontTools for subsetting fonts: the PDF is the
    same, and the warning, shown in every run's pytest summary, is about the machine,
    not about the run. Only that warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        yield


def pdf_bytes(html: str, base_url: str) -> bytes:
    """``html`` laid out as a PDF; PdfUnavailable if WeasyPrint does not load.

    Only a WeasyPrint that does not load is turned into PdfUnavailable; an error while
    laying out a report is a bug of the report and raised as it is.
    """
    try:
        with _quiet_about_font_subsetting():
            from weasyprint import HTML  # imported late: it loads Pango, ~0.5 s
    except (ImportError, OSError) as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise PdfUnavailable(f"no PDF: WeasyPrint did not load ({reason}); {HELP}") from None
    return HTML(string=html, base_url=base_url).write_pdf() or b""


def join_pdfs(parts: Sequence[bytes]) -> bytes:
    """The PDFs ``parts`` as one, in that order (one part: itself, untouched).

    The report and its annex are laid out side by side as two documents (issue 15:
    about 0.7 s of a 1.8 s layout); this makes them the one file the package seals. The
    first part's document information (title, author, dates) and language are the
    whole's; each part's bookmarks follow the previous part's; each keeps the subsets of
    the fonts it embeds.
    """
    if len(parts) == 1:
        return parts[0]
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    readers = [PdfReader(io.BytesIO(part)) for part in parts]
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader)
    first = readers[0]
    if first.metadata is not None:
        writer.add_metadata(dict(first.metadata))
    language = first.root_object.get("/Lang")
    if language is not None:
        writer.root_object[NameObject("/Lang")] = language
    joined = io.BytesIO()
    writer.write(joined)
    return joined.getvalue()


class PdfWorker(ClosedOnExit):
    """The report's PDF laid out by a process forked now, which loads WeasyPrint while
    the caller gathers the report (see the module's docstring).

    Use as a context manager: leaving it stops a worker that was never handed its HTML.
    ``start`` may be called once, then ``result``.
    """

    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._answered = False
        self._html = ("", "")
        if not forks_safely():
            return
        self._process, ours = fork_serving(_serve, name="report-pdf", daemon=True)
        self._conn = ours

    @property
    def forked(self) -> bool:
        """Whether a worker lays the PDF out (False: this process does)."""
        return self._process is not None

    def start(self, html: str, base_url: str) -> None:
        """Hand the worker ``html`` to lay out now; ``result`` gives its PDF. Meanwhile
        the caller may lay out another part itself (``join_pdfs``)."""
        self._html = (html, base_url)
        if self._conn is not None:
            try:
                self._conn.send((html, base_url))
            except OSError:  # the worker died (killed, out of memory): laid out here
                self.close()

    def result(self) -> bytes:
        """The PDF of the HTML ``start`` was given: the worker's, or laid out here when
        there is no worker or it died; its error raised here (see the module)."""
        html, base_url = self._html
        conn = self._conn
        if conn is None:
            return pdf_bytes(html, base_url)
        try:
            outcome: tuple[str, Any, str] = conn.recv()
            self._answered = True
        except (EOFError, OSError):  # the worker died while laying out: lay out here
            self.close()
            return pdf_bytes(html, base_url)
        self.close()
        kind, value, worker_traceback = outcome
        if kind == "pdf":
            return bytes(value)
        if kind == "unavailable":
            raise PdfUnavailable(value)
        # the layout failed: the worker's own exception, and where it was raised
        error = value if isinstance(value, BaseException) else RuntimeError(value)
        error.add_note(f"raised in the report's PDF worker:\n{worker_traceback}")
        raise error

    def close(self) -> None:
        """Stop the worker: a worker that has answered is left to exit (it is about to),
        one never handed its HTML or still laying it out is terminated (the caller has
        given up on it, or was interrupted)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._answered:
                self._process.join(timeout=5.0)
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None


def _serve(conn: Connection, parents_end: Connection) -> None:
    """The worker: load WeasyPrint, wait for the HTML, answer with one message:
    ``("pdf", bytes, "")``, ``("unavailable", message, "")`` or
    ``("error", exception, traceback)``."""
    parents_end.close()  # so that the worker sees EOF when the parent closes its end
    # terminate() ends the worker at once, whatever handler (SIGTERM as an interrupt,
    # ``hil run``'s) it inherited from the parent
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # the objects inherited from the parent are never garbage here: the collector need
    # not walk them again and again while WeasyPrint allocates (~0.15 s of a layout);
    # it is on here even if the parent had it off when it forked (start-up: ``hil run``)
    gc.enable()
    gc.freeze()
    # WeasyPrint allocates millions of small objects that live until the PDF is written:
    # collections ten times rarer than the default give ~0.2 s of a 2.3 s layout back,
    # with the collector still bounding what a cycle could hold
    gc.set_threshold(100_000, 50, 50)
    os.nice(NICENESS)
    try:
        preload_weasyprint()
        try:
            html, base_url = conn.recv()
        except EOFError:  # the parent gave up before it had the HTML
            return
        try:
            answer: tuple[str, Any, str] = ("pdf", pdf_bytes(html, base_url), "")
        except PdfUnavailable as missing:
            answer = ("unavailable", str(missing), "")
        except Exception as error:  # every error goes back to the parent
            answer = ("error", _picklable(error), traceback.format_exc())
        conn.send(answer)
    except (KeyboardInterrupt, BrokenPipeError, EOFError):
        pass  # interrupted (with the parent) or the parent is gone: nothing to report to
    finally:
        conn.close()


def _picklable(error: Exception) -> BaseException | str:
    """The exception itself when it survives the pipe, else its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any exception that does not pickle
        return f"{type(error).__name__}: {error}"
    return error
