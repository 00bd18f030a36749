"""Loading WeasyPrint for the PDF: quiet about what the machine lacks."""

from __future__ import annotations


def test_loading_weasyprint_says_nothing_about_the_machines_font_subsetting() -> None:
    """Where HarfBuzz-Subset is missing WeasyPrint warns at import; that warning would
    be in every run's summary. With warnings as errors, loading it must still work."""
    import subprocess
    import sys

    code = (
        "import sys; from harness.reporting.pdf import preload_weasyprint; "
        "preload_weasyprint(); assert 'weasyprint' in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
