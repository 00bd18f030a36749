"""The report's PDF laid out by a forked worker (pdf.PdfWorker): the same document as
laid out here, and whatever goes wrong there is raised here, never lost."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from harness.reporting import pdf
from harness.reporting.pdf import PdfUnavailable, PdfWorker

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the worker is forked on Linux"
)

HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@page { size: A5; @bottom-right { content: "Page " counter(page) " of " counter(pages); } }
h1 { break-before: page; }
</style></head><body><p>REQ-ONE conforms</p><h1>Annex</h1><p>REQ-TWO budget</p></body></html>"""


def _write(path: Path, worker: PdfWorker, html: str = HTML) -> None:
    """Lay ``html`` out by ``worker`` and write its PDF to ``path``."""
    worker.start(html, str(path.parent))
    path.write_bytes(worker.result())


def _text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even in a pytest-xdist worker (execnet's thread is idle meanwhile)."""
    monkeypatch.setattr(pdf, "forks_safely", lambda: True)


def test_the_workers_pdf_is_the_one_laid_out_here(tmp_path: Path, forking: None) -> None:
    here, there = tmp_path / "here.pdf", tmp_path / "there.pdf"
    here.write_bytes(pdf.pdf_bytes(HTML, str(tmp_path)))
    with PdfWorker() as worker:
        assert worker.forked
        _write(there, worker)
    assert _text(there) == _text(here)
    assert "REQ-ONE" in _text(there)[0] and "Page 2 of 2" in _text(there)[1]


def test_a_layout_error_in_the_worker_is_raised_here_with_its_traceback(
    tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(html: str, base_url: str) -> bytes:
        raise ValueError("layout failed")

    monkeypatch.setattr(pdf, "pdf_bytes", broken)  # the forked worker inherits it
    with PdfWorker() as worker, pytest.raises(ValueError, match="layout failed") as raised:
        _write(tmp_path / "report.pdf", worker)
    assert any("PDF worker" in note and "broken" in note for note in raised.value.__notes__)
    assert not (tmp_path / "report.pdf").exists()


def test_an_unpicklable_error_still_arrives_as_its_text(
    tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unpicklable(Exception):
        def __reduce__(self) -> str | tuple[object, ...]:
            raise TypeError("no")

    def broken(html: str, base_url: str) -> bytes:
        raise Unpicklable("odd failure")

    monkeypatch.setattr(pdf, "pdf_bytes", broken)
    with PdfWorker() as worker, pytest.raises(RuntimeError, match="Unpicklable: odd failure"):
        _write(tmp_path / "report.pdf", worker)


def test_weasyprint_missing_in_the_worker_is_pdf_unavailable(
    tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(html: str, base_url: str) -> bytes:
        raise PdfUnavailable("no PDF: WeasyPrint did not load (OSError: no Pango)")

    monkeypatch.setattr(pdf, "pdf_bytes", unavailable)
    with PdfWorker() as worker, pytest.raises(PdfUnavailable, match="no Pango"):
        _write(tmp_path / "report.pdf", worker)


def test_a_worker_that_died_is_replaced_by_laying_out_here(tmp_path: Path, forking: None) -> None:
    with PdfWorker() as worker:
        assert worker._process is not None
        worker._process.kill()
        worker._process.join()
        _write(tmp_path / "report.pdf", worker)
    assert "REQ-TWO" in _text(tmp_path / "report.pdf")[1]


def test_a_worker_never_handed_its_html_is_stopped(forking: None) -> None:
    with PdfWorker() as worker:
        process = worker._process
        assert process is not None and process.is_alive()
    assert not process.is_alive() and worker._process is None


def test_without_fork_the_pdf_is_laid_out_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "forks_safely", lambda: False)
    with PdfWorker() as worker:
        assert not worker.forked
        _write(tmp_path / "report.pdf", worker)
    assert "REQ-ONE" in _text(tmp_path / "report.pdf")[0]


ANNEX = HTML.replace("REQ-ONE conforms", "ANNEX-A first").replace("REQ-TWO", "ANNEX-A last")


def test_a_part_started_in_the_worker_joins_the_part_laid_out_here(
    tmp_path: Path, forking: None
) -> None:
    """The report's two documents: one laid out by the worker while this process lays
    out the other, joined in order, each page's text as laid out alone."""
    with PdfWorker() as worker:
        worker.start(ANNEX, str(tmp_path))
        body = pdf.pdf_bytes(HTML, str(tmp_path))
        joined = pdf.join_pdfs([body, worker.result()])
    (tmp_path / "joined.pdf").write_bytes(joined)
    (tmp_path / "body.pdf").write_bytes(body)
    pages = _text(tmp_path / "joined.pdf")
    assert pages[:2] == _text(tmp_path / "body.pdf")
    assert len(pages) == 4 and "ANNEX-A first" in pages[2] and "ANNEX-A last" in pages[3]
    assert "Page 2 of 2" in pages[3]  # the annex numbered on its own
    assert pdf.join_pdfs([body]) is body


def test_the_joined_pdf_keeps_the_first_part_s_title_and_language(tmp_path: Path) -> None:
    titled = HTML.replace("<head>", "<head><title>CR-R1 compliance test report</title>")
    titled = titled.replace("<html>", '<html lang="en">')
    joined = pdf.join_pdfs([pdf.pdf_bytes(titled, str(tmp_path)),
                            pdf.pdf_bytes(ANNEX, str(tmp_path))])  # fmt: skip
    (tmp_path / "joined.pdf").write_bytes(joined)
    reader = PdfReader(tmp_path / "joined.pdf")
    assert reader.metadata is not None and reader.metadata.title == "CR-R1 compliance test report"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_a_started_worker_that_died_is_replaced_by_laying_out_here(
    tmp_path: Path, forking: None
) -> None:
    with PdfWorker() as worker:
        assert worker._process is not None
        worker.start(ANNEX, str(tmp_path))
        worker._process.kill()
        worker._process.join()
        (tmp_path / "annex.pdf").write_bytes(worker.result())
    assert "ANNEX-A last" in _text(tmp_path / "annex.pdf")[1]
