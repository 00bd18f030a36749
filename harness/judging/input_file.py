"""How a file a person wrote is read: a spec, a bench file, an operator's answers, a list
of serials. It must be a regular file, readable, and UTF-8 text; anything else is an
InputError naming the file (and the line) before any instrument is touched.

A FIFO or a device named as such a file would block the read for ever. A file saved by a
Windows editor or a spreadsheet in Windows-1252 or Latin-1 (a ``§``, ``µ`` or ``±`` as
one byte) is not UTF-8, and ``UnicodeDecodeError`` is neither an ``OSError`` nor an
input error: it escaped the readers as a traceback.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import InputError


class _Said(str):
    """A ``got`` that InputError shows as it is, unquoted (``got byte 0xA7``)."""

    def __repr__(self) -> str:
        return str(self)


def read_input(path: Path, field: str, readable: str = "a readable file") -> bytes:
    """The bytes of ``path``: a regular file (a FIFO would block), else an InputError."""
    if path.exists() and not path.is_file():
        raise InputError(path, field, "a regular file", got="not a regular file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(path, field, readable, got=exc.strerror) from exc


def utf8_text(raw: bytes, source: str | Path, field: str, expected: str) -> str:
    """``raw`` decoded as UTF-8, or an InputError naming the line of the first byte that
    is not UTF-8, and that byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        got = _Said(f"byte 0x{raw[exc.start]:02X}")
        raise InputError(source, field, expected, line=line, got=got) from None
