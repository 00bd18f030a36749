"""Which ``--options`` pytest would accept, asked of pytest's own parser.

``hil run`` passes every option it does not know itself on to pytest. A typo of a
harness option (``--seriall X``) is not one pytest knows either, but pytest only finds
out after ``hil run`` has announced the run, and then prints a usage block. Asking
pytest's parser first turns that into one line before anything is announced.

The parser is the one pytest builds: its built-in plugins plus the ``pytest11`` entry
points (xdist, allure, the harness), so an option any installed plugin declares is
known without a list to keep up to date. Options a ``conftest.py`` declares are only
known once pytest has loaded it; when a test folder has a conftest declaring options,
the check is left to pytest (``declares_options``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path


def known_long_options() -> set[str]:
    """Every ``--name`` pytest and its installed plugins declare."""
    from _pytest.config import get_config

    config = get_config([])
    try:
        config.pluginmanager.load_setuptools_entrypoints("pytest11")
        parser = config._parser
        names: set[str] = set()
        for group in [parser._anonymous, *parser._groups]:
            for option in group.options:
                names.update(n for n in option.names() if n.startswith("--"))
        return names
    finally:
        config._ensure_unconfigure()


def unknown_long_options(args: Sequence[str], known: Iterable[str]) -> list[str]:
    """The ``--name`` arguments (``--name=value`` too) that ``known`` lacks, in order.

    Everything after a bare ``--`` is left alone (pytest's convention for "not options").
    """
    known = set(known)
    unknown = []
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            if name not in known:
                unknown.append(name)
    return unknown


def suggestion(name: str, known: Iterable[str]) -> str:
    """`` (did you mean --serial?)`` for a near miss, else the empty string."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def declares_options(folders: Iterable[Path]) -> bool:
    """Whether a ``conftest.py`` in or above one of ``folders`` declares pytest options."""
    seen: set[Path] = set()
    for folder in folders:
        start = folder.resolve()
        for parent in [start, *start.parents]:
            conftest = parent / "conftest.py"
            if conftest in seen:
                continue
            seen.add(conftest)
            try:
                if "pytest_addoption" in conftest.read_text(encoding="utf-8", errors="replace"):
                    return True
            except OSError:
                continue
    return False
