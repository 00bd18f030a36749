"""A shipped input file copied with one text replaced: the edit a person makes by hand."""

from __future__ import annotations

from pathlib import Path


def edited_copy(source: Path, folder: Path, old: str, new: str) -> Path:
    """``source`` with its first ``old`` replaced by ``new``, as ``folder/<its name>``."""
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {source}"
    path = folder / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path
