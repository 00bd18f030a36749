"""Make a Linux interpreter refuse what a Windows one lacks, for the harness's own code.

Put this folder first on ``PYTHONPATH`` and every Python started with it (``hil run``
and any process it starts) runs this before anything else is imported:

* ``HIL_FIRST_PARTY``: folders (``os.pathsep``-separated) whose modules may not import a
  POSIX-only module (``fcntl``, ``termios``, ``pty``, ``tty``, ``grp``, ``pwd``,
  ``resource``, ``syslog``, ``posix``). Such an ``import`` statement in a module under
  them raises ``ModuleNotFoundError``, as it would on Windows, naming the module.
* ``HIL_NO_WEASYPRINT=1``: importing ``weasyprint`` raises ``OSError``, as it does on a
  Windows PC without GTK's runtime (Pango, GObject).
* ``HIL_NO_POSIX_OS=1``: first-party code that imports ``os`` gets an ``os`` without what
  Windows' lacks: ``O_NOFOLLOW``, ``O_NONBLOCK`` and (before Python 3.13) ``fchmod``
  (libraries keep the real one: their POSIX branches use these, their Windows branches
  do not).

Why only first-party importers: on Linux the standard library and the libraries the
harness uses import these modules themselves (``subprocess`` imports ``fcntl``,
pyserial's POSIX backend ``termios``, filelock ``fcntl``) after checking the platform,
and take their Windows branch on Windows. Refusing them everywhere would test Linux
breaking, not the harness being portable. The check is on ``builtins.__import__``, which
every ``import`` statement calls even for a module already loaded, so a harness module
importing ``fcntl`` after a library did is caught too (a meta path finder would only see
the first import). ``importlib.import_module`` is not covered; the harness does not use
it for these modules.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Mapping, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

POSIX_ONLY = frozenset(
    {"fcntl", "termios", "pty", "tty", "grp", "pwd", "resource", "syslog", "posix"}
)

_ROOTS = tuple(
    os.path.normcase(os.path.realpath(root)) + os.sep
    for root in os.environ.get("HIL_FIRST_PARTY", "").split(os.pathsep)
    if root
)
_real_import = builtins.__import__


def _importer(globals_: Mapping[str, Any] | None) -> str | None:
    """The importing module's name when it is first-party code, else None."""
    if not globals_ or not _ROOTS:
        return None
    where = globals_.get("__file__")
    if not isinstance(where, str):
        return None
    if not os.path.normcase(os.path.realpath(where)).startswith(_ROOTS):
        return None
    return str(globals_.get("__name__", where))


NOT_ON_WINDOWS = frozenset({"O_NOFOLLOW", "O_NONBLOCK", "fchmod"})


class _WindowsOs(ModuleType):
    """``os`` as first-party code sees it on Windows: the real one less NOT_ON_WINDOWS."""

    def __getattr__(self, name: str) -> Any:
        if name in NOT_ON_WINDOWS:
            raise AttributeError(f"module 'os' has no attribute {name!r} (as on Windows)")
        return getattr(os, name)


_WINDOWS_OS = _WindowsOs("os") if os.environ.get("HIL_NO_POSIX_OS") == "1" else None


def _guarded_import(
    name: str,
    globals: Mapping[str, Any] | None = None,
    locals: Mapping[str, Any] | None = None,
    fromlist: Sequence[str] = (),
    level: int = 0,
) -> ModuleType:
    if level == 0 and name.partition(".")[0] in POSIX_ONLY:
        importer = _importer(globals)
        if importer is not None:
            raise ModuleNotFoundError(
                f"No module named {name!r}: POSIX-only, imported by {importer} "
                "(it would fail on Windows)",
                name=name,
            )
    first_party_os = _WINDOWS_OS is not None and level == 0 and name.partition(".")[0] == "os"
    if first_party_os and (name == "os" or not fromlist) and _importer(globals) is not None:
        return _WINDOWS_OS
    return _real_import(name, globals, locals, fromlist, level)


class _NoWeasyPrint:
    """A finder that fails ``import weasyprint`` the way a missing Pango does."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] == "weasyprint":
            raise OSError(
                "cannot load library 'libgobject-2.0-0': error 0x7e (simulated: no GTK runtime)"
            )
        return None


builtins.__import__ = _guarded_import
if os.environ.get("HIL_NO_WEASYPRINT") == "1":
    sys.meta_path.insert(0, _NoWeasyPrint())
