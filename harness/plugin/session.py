"""The run of this pytest session, and what a test declares: the plugin's shared state.

Every part of the plugin reaches the session's ``ComplianceRun`` (and the recorder, the
current test and its ``Measure``) through ``config.stash`` under the keys defined here,
never through module globals: two sessions in one process (pytester, a line's workers)
never share a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable  # noqa: F401 (a StashKey type)

    from harness.plugin.run import ComplianceRun
    from harness.recording.measure import Measure, Recorder  # noqa: F401 (StashKey types)

RUN_KEY = pytest.StashKey["ComplianceRun"]()
RECORDER_KEY = pytest.StashKey["Recorder"]()
MEASURE_KEY = pytest.StashKey["Measure"]()
CURRENT_ITEM_KEY = pytest.StashKey[pytest.Item]()
BEFORE_RECORD_KEY = pytest.StashKey["Callable[[], dict[str, str]]"]()
"""A test's check before each of its measurements is recorded, returning conditions to
add to it (on a shared power-on: that a guest's session still runs, and ``power_on``,
whom it shared the power-on with; ``harness.plugin.test_plan``)."""


def compliance_run(config: pytest.Config) -> ComplianceRun | None:
    """The run of this session, or None when it has no compliance tests."""
    return config.stash.get(RUN_KEY, None)


_DECLARED_KEY = pytest.StashKey[tuple[str, ...]]()


def declared(item: pytest.Item) -> list[str]:
    """The requirement ids a test declares with ``@pytest.mark.requirement(...)``.

    Kept on the item after the first look: the plugin's hooks ask about six times per
    test, and walking the markers each time was a measurable part of a test's cost
    (markers are fixed once the item is collected).
    """
    ids = item.stash.get(_DECLARED_KEY, None)
    if ids is None:
        found: list[str] = []
        for marker in item.iter_markers("requirement"):
            found.extend(str(a) for a in marker.args)
        ids = item.stash[_DECLARED_KEY] = tuple(found)
    return list(ids)


def exit_on_input_error(error: Exception) -> None:
    """End the session before anything is touched: one line, exit status 2."""
    pytest.exit(f"input error: {error}", returncode=2)
