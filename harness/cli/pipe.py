"""Standard output whose reader may leave: ``hil run ... | head`` must not kill the run.

When the reader of a pipe exits, the next write raises ``BrokenPipeError``. For most
programs dying then is right; for ``hil run`` it is not: the unit may be stimulating,
measurements are being taken and the run has still to be sealed. So the first broken
write points file descriptor 1 at ``os.devnull`` (as the Python documentation advises
for SIGPIPE) and the command goes on, its output discarded; standard error, where the
errors go, is untouched. Python's own flush at exit then has somewhere to write too.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class ReaderMayLeave:
    """Wraps a text stream; once its reader has gone, writes go to ``os.devnull``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard_from_now_on()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard_from_now_on()

    def _discard_from_now_on(self) -> None:
        self.reader_gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stdout() -> None:
    """Make ``sys.stdout`` survive its reader leaving (idempotent)."""
    import sys

    if not isinstance(sys.stdout, ReaderMayLeave) and hasattr(sys.stdout, "fileno"):
        try:
            sys.stdout.fileno()
        except (OSError, ValueError):
            return  # not a real file (captured by a test): nothing to guard
        sys.stdout = ReaderMayLeave(sys.stdout)


__all__ = ["ReaderMayLeave", "guard_stdout"]
