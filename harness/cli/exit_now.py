"""How ``hil run`` leaves once its run is over: the exit hooks run, the teardown does not.

When pytest has returned, the run is written, sealed and closed: the store and the bench
were closed by the session's own finish hooks, every file of the package was written
through a temporary name and renamed before the seal hashed it. What Python still does
at a normal exit is take the interpreter apart: clear ~1,900 modules and collect
~200,000 objects, 0.3-0.85 s of a run's wall time spent on nothing anyone keeps.

``exit_now`` does what an orderly exit does that matters, in the same order, then ends
the process with ``os._exit``:

1. ``threading._shutdown``: join every non-daemon thread and run the thread-pool exit
   hooks (``concurrent.futures``), as the interpreter does first;
2. ``atexit`` callbacks: ``logging.shutdown`` (flushes and closes every handler),
   ``weakref.finalize`` finalizers (temporary folders), pyvisa's resource manager
   close, filelock's release of live locks, multiprocessing's and execnet's clean-up,
   matplotlib's figures;
3. standard output and error flushed (a reader that has gone is no error: the run is
   over and its evidence is on disk).

What is skipped is ``__del__`` of objects still alive at the end, which CPython never
promised to run at exit either. Only ``hil run``'s own process leaves this way: a plain
``pytest`` session with the plugin, and ``hil run`` called as a function (tests), exit
as usual.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn


def exit_now(status: int) -> NoReturn:
    """Run the exit hooks, flush the standard streams and end the process with ``status``.

    Without ``threading._shutdown`` (a Python that renamed it) this is ``sys.exit``:
    joining the threads must not be skipped.
    """
    join_threads: Callable[[], None] | None = getattr(threading, "_shutdown", None)
    if join_threads is None or threading.current_thread() is not threading.main_thread():
        sys.exit(status)
    join_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # reader gone or stream closed: nothing to keep
            pass
    os._exit(status)
