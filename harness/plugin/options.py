"""The plugin's command-line options: the run options table, added to pytest's parser.

The table itself (``harness.definitions.run_options``) is shared with ``hil run``, which
declares the same options and forwards them; only the hook lives here.
"""

from __future__ import annotations

import pytest

from harness.definitions.run_options import RUN_OPTIONS


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "microcurrent-hil compliance run")
    for option in RUN_OPTIONS:
        group.addoption(option.flag, **option.settings())
