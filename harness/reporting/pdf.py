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
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from harness.errors import HilError

HELP = "docs/windows.md says how to install its libraries"


class PdfUnavailable(HilError):
    """WeasyPrint (or the system libraries it loads) is missing: no PDF was made."""


def preload_weasyprint() -> None:
    """Import WeasyPrint now (about 0.5 s), while other work waits on something else
    (the report's figures being drawn); one that does not load is reported by
    ``write_pdf``, so its error is not raised here."""
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


def write_pdf(html: str, base_url: str, path: Path, write: Callable[[Path, bytes], None]) -> None:
    """Lay ``html`` out as a PDF and ``write`` it to ``path``; PdfUnavailable if it cannot.

    Only a WeasyPrint that does not load is turned into PdfUnavailable; an error while
    laying out a report is a bug of the report and raised as it is.
    """
    try:
        with _quiet_about_font_subsetting():
            from weasyprint import HTML  # imported late: it loads Pango, ~0.5 s
    except (ImportError, OSError) as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise PdfUnavailable(f"no PDF: WeasyPrint did not load ({reason}); {HELP}") from None
    write(path, HTML(string=html, base_url=base_url).write_pdf() or b"")
