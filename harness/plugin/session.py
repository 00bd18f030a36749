"""The run of this pytest session, and what a test declares: the plugin's shared state.

Every part of the plugin reaches the session's ``ComplianceRun`` (and the recorder, the
current test and its ``Measure``) through ``config.stash`` under the keys defined here,
never through module globals: two sessions in one process (pytester, a line's workers)
never share a run.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable  # noqa: F401 (a StashKey type)

    from harness.definitions.bench_file import BenchFile
    from harness.judging.spec import Spec
    from harness.plugin.run import ComplianceRun
    from harness.recording.measure import Measure, Recorder  # noqa: F401 (StashKey types)
    from harness.reporting.report_worker import ReportWorker  # noqa: F401 (a StashKey type)

RUN_KEY = pytest.StashKey["ComplianceRun"]()
RECORDER_KEY = pytest.StashKey["Recorder"]()
MEASURE_KEY = pytest.StashKey["Measure"]()
CURRENT_ITEM_KEY = pytest.StashKey[pytest.Item]()
BEFORE_RECORD_KEY = pytest.StashKey["Callable[[], dict[str, str]]"]()
"""A test's check before each of its measurements is recorded, returning conditions to
add to it (on a shared power-on: that a guest's session still runs, and ``power_on``,
whom it shared the power-on with; ``harness.plugin.test_plan``)."""
REPORT_WORKER_KEY = pytest.StashKey["ReportWorker"]()
"""The process building this session's report (``plugin/evidence``), forked at its start;
it draws Allure's capture plots too (``plugin/allure``)."""


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


# --- what ``hil run`` hands to its session ----------------------------------------------
# Plugin objects ``hil run`` passes to ``pytest.main``; defined here, not in the plugin's
# modules, because ``hil run`` imports them before pytest starts, and a module pytest
# loads as a plugin must not be imported before it (no assertion rewriting for it).


class CheckedInputs:
    """The bench file and spec ``hil run`` read and validated before pytest started.

    ``hil run`` checks both (one line, exit status 2, before pytest's banner) and then
    hands them to its session, which would otherwise read and validate both again
    (YAML, the pydantic models, the installed models' entry points): ~20 ms of the
    start-up to the first test (issue 15). The session takes them only for the same
    paths and only while each file still holds the bytes read *before* it was loaded,
    so what it uses is what it would have read itself; otherwise it reads as usual.
    """

    def __init__(self, bench: BenchFile, bench_bytes: bytes | None, spec: Spec,
                 spec_bytes: bytes | None) -> None:  # fmt: skip
        self.bench, self.bench_bytes = bench, bench_bytes
        self.spec, self.spec_bytes = spec, spec_bytes

    @staticmethod
    def read(path: str | Path) -> bytes | None:
        """A file's bytes, read before it is loaded; None if unreadable (the loader
        then says why, as an input error)."""
        try:
            return Path(path).read_bytes()
        except OSError:
            return None

    def bench_for(self, path: str | Path) -> BenchFile | None:
        return self.bench if _same(path, self.bench.path, self.bench_bytes) else None

    def spec_for(self, path: str | Path) -> Spec | None:
        return self.spec if _same(path, self.spec.path, self.spec_bytes) else None

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[CHECKED_KEY] = self


def _same(path: str | Path, loaded_from: Path, loaded_bytes: bytes | None) -> bool:
    if loaded_bytes is None or Path(path).resolve() != Path(loaded_from).resolve():
        return False
    return CheckedInputs.read(path) == loaded_bytes


CHECKED_KEY = pytest.StashKey[CheckedInputs]()


class CollectorBackOn:
    """Turns the garbage collector back on once the tests are collected.

    ``hil run`` on one bench switches the collector off for its start-up (reading the
    inputs, starting pytest, collecting): what is allocated then lives for the whole
    run, and the collector's passes over it were ~55 ms of the time to the first test
    (issue 15). Registered by ``hil run`` only (a plain ``pytest`` session never had it
    off). It runs after ``harness.plugin.process`` has frozen what start-up left, so
    the tests begin with the collector on and nothing of the start-up for it to walk.
    A session that ends before its tests are collected gets it back from ``hil run``.
    """

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        gc.enable()
