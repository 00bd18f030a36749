"""How a request to stop reaches a run: SIGTERM is turned into a ``KeyboardInterrupt``.

A service manager or a line controller stops a run with SIGTERM; its default action ends
the process at once, without the bench's safe state, the run's results or a word about
the evidence package. As a ``KeyboardInterrupt`` it takes the path Ctrl-C takes: bench
made safe, results written, the run marked interrupted or unsealed. ``hil run`` and the
pytest plugin both install it through this one function.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def sigterm_as_interrupt() -> Callable[[], None]:
    """Install the handler; return what puts the previous one back.

    Only the main thread may set a signal handler: elsewhere nothing is changed and the
    returned function does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, _interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
