"""Reading a built report back the way its reader sees it: the PDF's text, page by page.

A report's HTML can be right while its PDF is not (a row split by a page break, a cell
cut off), so the checks here work on text extracted from the PDF. They are plain
functions so that each test module can apply them to the report its fixture built once.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

PYTHON_FORMS: dict[str, re.Pattern[str]] = {
    "dict": re.compile(r"\{\s*'[^']*'\s*:"),
    "list of text": re.compile(r"\[\s*'"),
    "list of numbers or booleans": re.compile(r"\[\s*(?:True|False|None|-?\d)"),
    "empty list or dict": re.compile(r"(?:\[\]|\{\})"),
    "boolean or None": re.compile(r"(?<![\w-])(?:True|False|None)(?![\w-])"),
    "long float": re.compile(r"(?<![\w.])-?\d+\.\d{7,}"),
    "e notation": re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?e[-+]\d+\b"),
}
"""What Python's ``str``/``repr`` leave in text and a person never writes."""


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf``; skips the test when no extractor is installed.

    Extraction takes seconds for a long report and several tests read the same one, so
    the text is kept per file, its size and its modification time (a rebuilt report is
    read again).
    """
    status = pdf.stat()
    return list(_pdf_pages(pdf.resolve(), status.st_size, status.st_mtime_ns))


@functools.lru_cache(maxsize=16)
def _pdf_pages(pdf: Path, _size: int, _mtime_ns: int) -> tuple[str, ...]:
    return tuple(_extract(pdf))


def _extract(pdf: Path) -> list[str]:
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    pypdf = pytest.importorskip("pypdf", reason="neither pdftotext nor pypdf is installed")
    return [page.extract_text() for page in pypdf.PdfReader(pdf).pages]


def python_forms(text: str) -> list[tuple[str, str]]:
    """Each Python representation found in ``text``: (what it is, the text around it)."""
    found = []
    for kind, pattern in PYTHON_FORMS.items():
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            found.append((kind, text[start : match.end() + 40].replace("\n", " ")))
    return found


def squeezed(text: str) -> str:
    """Text without any whitespace: a table cell may wrap anywhere in the PDF."""
    return re.sub(r"\s+", "", text)


class _Rows(HTMLParser):
    """The cells of every ``<tr>`` with a given class, as text."""

    def __init__(self, row_class: str) -> None:
        super().__init__()
        self.row_class = row_class
        self.rows: list[list[str]] = []
        self._in_row = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._in_row = dict(attrs).get("class") == self.row_class
            if self._in_row:
                self.rows.append([])
        elif tag == "td" and self._in_row:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._in_row and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._in_row = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, row_class: str) -> list[list[str]]:
    """The cells of each ``<tr class=row_class>`` of ``html``."""
    parser = _Rows(row_class)
    parser.feed(html)
    return parser.rows
