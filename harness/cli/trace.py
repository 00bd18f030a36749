"""Traceability: which tests cover which requirement, and the latest verdict of each.

An auditor's first question of a test system is "show me that every requirement is
tested". ``hil trace`` answers it from the code, not from a document that can drift:
it collects the compliance suites (nothing runs, no instrument is touched), reads every
test's ``requirement`` marker, and joins the spec's requirements with them and with the
latest verdict each requirement received in the results store. Requirements that no
test covers are listed and make the command exit non-zero, so CI catches a spec change
that the suites did not follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.judging.spec import Spec
from harness.judging.verdict import Verdict, worst


@dataclass
class _Collector:
    """A pytest plugin object that records each collected item's requirement ids."""

    covered: dict[str, list[str]] = field(default_factory=dict)
    stopped: str = ""
    """Why the collection session ended early, if it did (an input error, an interrupt)."""

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.stopped = excinfo.exconly().strip().splitlines()[-1] if excinfo else "interrupted"

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            for marker in item.iter_markers("requirement"):
                for rid in marker.args:
                    self.covered.setdefault(str(rid), []).append(item.nodeid)


def collect_coverage(
    paths: list[Path], extra_args: list[str] | None = None
) -> dict[str, list[str]]:
    """requirement id → node ids of the tests that declare it (collection only)."""
    collector = _Collector()
    args = [
        "--collect-only",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        *(extra_args or []),
        *map(str, paths),
    ]
    code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        why = f": {collector.stopped}" if collector.stopped else ""
        raise RuntimeError(f"collecting {paths} failed with pytest exit code {int(code)}{why}")
    return collector.covered


@dataclass(frozen=True)
class TraceRow:
    requirement_id: str
    title: str
    tests: tuple[str, ...]
    verdict: str | None
    run_id: str | None


def latest_verdicts(store: Any, spec: Spec) -> dict[str, tuple[str, str]]:
    """requirement id → (worst verdict in the latest run that measured it, run id)."""
    from harness.recording.results import load

    try:
        table = load(store, spec_id=spec.id)
    except Exception:  # no store yet: nothing has been measured
        return {}
    found: dict[str, tuple[str, str]] = {}
    if table.empty:
        return found
    for rid, rows in table.groupby("requirement_id"):
        latest = rows[rows["run_started_at"] == rows["run_started_at"].max()]
        verdict = worst([Verdict(v) for v in latest["verdict"]])
        if verdict is not None:
            found[str(rid)] = (verdict.value, str(latest["run_id"].iloc[0]))
    return found


def trace(
    spec: Spec, coverage: dict[str, list[str]], verdicts: dict[str, tuple[str, str]]
) -> list[TraceRow]:
    rows = []
    for rid, requirement in spec.requirements.items():
        verdict, run_id = verdicts.get(rid, (None, None))
        rows.append(TraceRow(rid, requirement.title, tuple(coverage.get(rid, [])), verdict, run_id))
    return rows
