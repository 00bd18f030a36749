"""The plan as it ran: each test's span on the bench clock and its power-on, sealed.

An auditor reading a shared power-on (``harness.plugin.test_plan``) needs to see what
overlapped what, in bench time, not only each row's ``power_on``: this writes
``test_plan.json`` into the run folder before the evidence package is sealed (so the
manifest covers it). One entry per test, in the order run: its node id, its
requirements, its bench-clock start and end (seconds on the bench's clock: virtual on
the simulated bench, the station's clock on a real one), its outcome and whom it shared
the power-on with. A test that never reached the bench (an error in set-up before it)
has no span.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest

from harness.bench.station import Bench
from harness.plugin.session import compliance_run, declared
from harness.procedures.shared_power_on import OWN, PowerOnShare

PLAN_FILE = "test_plan.json"
PLAN_SCHEMA_VERSION = 1


@dataclass
class TestSpan:
    """One test as run."""

    __test__ = False  # not a pytest test class

    test: str
    requirements: list[str]
    bench_start_s: float | None = None
    bench_end_s: float | None = None
    outcome: str = "not run"
    power_on: str = OWN

    def as_json(self) -> dict[str, object]:
        """The entry of ``test_plan.json``: ``dataclasses.asdict``, without its deep
        copy (about 7 µs a test, 0.07 s of a 10,000-test session)."""
        return {
            "test": self.test, "requirements": list(self.requirements),
            "bench_start_s": self.bench_start_s, "bench_end_s": self.bench_end_s,
            "outcome": self.outcome, "power_on": self.power_on,
        }  # fmt: skip


@dataclass
class PlanRecord:
    sequential: bool
    spans: list[TestSpan] = field(default_factory=list)
    bench: Bench | None = None

    def now(self) -> float | None:
        return None if self.bench is None else self.bench.clock.now()


_RECORD = pytest.StashKey[PlanRecord]()
_SPAN = pytest.StashKey[TestSpan]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RECORD] = PlanRecord(bool(config.getoption("sequential", False)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    # Runs for every test: nothing is done for a test that is no compliance test or in
    # a session without a run.
    config = item.config
    requirements = declared(item) if compliance_run(config) is not None else None
    if not requirements:
        return (yield)  # not a compliance test: no bench of a run to read
    record = config.stash[_RECORD]
    span = item.stash[_SPAN] = TestSpan(item.nodeid, requirements, record.now())
    record.spans.append(span)
    try:
        return (yield)
    finally:
        bench = getattr(item, "funcargs", {}).get("bench")
        if isinstance(bench, Bench):
            record.bench = bench
            if span.bench_start_s is None:
                span.bench_start_s = bench.clock.now()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    span = item.stash.get(_SPAN, None)
    if span is None or (report.when == "teardown" and report.passed):
        return report
    if report.when == "call" or report.failed or report.skipped:
        outcome = report.outcome
        span.outcome = outcome if report.when == "call" else f"{report.when} {outcome}"
    ended = report.when == "call" or (report.when == "setup" and not report.passed)
    if ended and span.bench_start_s is not None:
        span.bench_end_s = item.config.stash[_RECORD].now()  # the bench is open still
    share = getattr(item, "funcargs", {}).get("shared_unit")
    if isinstance(share, PowerOnShare):
        span.power_on = share.record()["power_on"]
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Into the run folder, before ``evidence`` builds the manifest (it runs last)."""
    run = compliance_run(session.config)
    record = session.config.stash.get(_RECORD, None)
    if run is None or record is None or not record.spans or not run.run_dir.is_dir():
        return
    starts = [s.bench_start_s for s in record.spans if s.bench_start_s is not None]
    ends = [s.bench_end_s for s in record.spans if s.bench_end_s is not None]
    document = {
        "schema_version": PLAN_SCHEMA_VERSION,
        "order": "sequential" if record.sequential else "planned",
        "bench_s": (max(ends) - min(starts)) if starts and ends else None,
        "tests": [span.as_json() for span in record.spans],
    }
    text = json.dumps(document, indent=2) + "\n"
    from harness.reporting import run_folder  # at the run's end only

    # whole or not at all, as every file of the package is written
    run_folder.replace_file(run.run_dir / PLAN_FILE, text.encode("utf-8"))
