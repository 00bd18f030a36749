"""Choosing tests by requirement: ``-k OUT-AMP`` and ``--req 'OUT-AMP*'``.

An operator thinks in requirement ids, not test function names: the README's own
``hil run -k OUT-AMP -x`` used to select nothing, because ``-k`` matches names and
markers, and the ids are a marker's arguments. Each compliance test's declared ids are
added to its keywords before pytest deselects, so ``-k`` matches them (a substring, as
``-k`` does); ``--req PATTERN`` (a glob, repeatable) keeps the tests declaring a
matching requirement.

A selection that leaves nothing to run is an input error (one line, exit status 2; ``hil
run`` removes the run folder nobody wrote to), not pytest's "no tests ran" with exit 5,
which a script would take for a run.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from harness.errors import InputError
from harness.plugin.session import declared, exit_on_input_error


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.extra_keyword_matches.update(declared(item))
    patterns = [p.upper() for p in config.getoption("req", None) or []]
    if not patterns:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        ids = [rid.upper() for rid in declared(item)]
        matched = any(fnmatchcase(rid, p) for rid in ids for p in patterns)
        (keep if matched else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _selection(config: pytest.Config) -> list[str]:
    given = []
    if config.getoption("keyword", ""):
        given.append(f"-k {config.getoption('keyword')!r}")
    if config.getoption("markexpr", ""):
        given.append(f"-m {config.getoption('markexpr')!r}")
    given += [f"--req {p!r}" for p in config.getoption("req", None) or []]
    return given


class _EmptySelection:
    """Runs after every other ``pytest_collection_modifyitems``: pytest's deselection too."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        selection = _selection(config)
        if items or not selection or config.option.collectonly:
            return
        exit_on_input_error(
            InputError("hil run", "selection", "a selection that leaves a test to run",
                       got=f"{' '.join(selection)} selects none of the collected tests")
        )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_EmptySelection(), "hil-empty-selection")
