"""Writing a capture file for a reader test, and the error the reader must give for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis.capture_io import read_capture
from harness.errors import InputError


def write(tmp_path: Path, name: str, text: str) -> Path:
    """``text`` as the file ``name``, its line ends as given (a CRLF stays a CRLF)."""
    path = tmp_path / name
    path.write_text(text, newline="")
    return path


def error_of(path: Path) -> InputError:
    """The reader's error for ``path``, which must name the file."""
    with pytest.raises(InputError) as info:
        read_capture(path)
    assert str(path) in str(info.value)
    return info.value
