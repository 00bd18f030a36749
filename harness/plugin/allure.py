"""Allure results that read like a compliance record, for every run.

allure-pytest already writes one result per test; this plugin makes each result say
*what was judged*: the behaviour tree is **epic** = the standard or document a
requirement comes from (:func:`epic_of`), **feature** = the requirement group, **story**
= the requirement id, one per id the test declares; the **severity** follows the hazard
class (high → critical, medium → normal, low → minor); **tags** name the spec and the
unit's serial; a **link** of type ``requirement`` points into the spec file
(``specs/rmd1.yaml#OUT-AMP-L5``); the test conditions (level, load, frequency, battery)
appear as **parameters**. After the test body each result gets, as attachments, the
measurement records as JSON and, for each scope capture a measurement names, a plot
(the report's figure of it when the run builds a report) and the raw ``.npz``.

Two units must never look like retries of one test: Allure groups results by test case
and *non-excluded* parameters, so the unit serial is such a parameter. The conditions are
parameters *excluded* from that identity: they are shown, but a test measured at a load
the spec later changes stays the same test. A limit failure is a test that ran to the
end and was failed by the harness plugin (longrepr ``non-conforming measurements``); it
has no exception, so the plugin copies that text into the result's status message, where
the categories (``categories.json``) can tell it from instrument, device-port and input
errors.

At the end of the session ``environment.properties`` (bench, instruments with
calibration due dates, unit, spec with SHA-256, harness version and commit),
``executor.json`` and ``categories.json`` are written beside the results; they describe
the latest session writing into that folder (:mod:`harness.plugin.allure_files`
writes them and the attachments). The plugin also keeps the run's event log
``events.jsonl`` (see :mod:`harness.events.steps`) open for the whole run, with or
without Allure. Inert for sessions without compliance tests.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.events import steps
from harness.plugin.allure_files import (
    allure_hook,
    attach_evidence,
    unit_serial,
    write_session_files,
)
from harness.plugin.session import MEASURE_KEY, REPORT_WORKER_KEY, compliance_run, declared
from harness.reporting.capture_plot import CapturePlotter

if TYPE_CHECKING:
    from harness.judging.spec import Requirement
    from harness.plugin.allure_plots import PendingPlots  # noqa: F401 (a StashKey type)
    from harness.plugin.run import ComplianceRun
    from harness.recording.record import Measurement

SEVERITY = {"high": "critical", "medium": "normal", "low": "minor"}
CONDITION_PARAMETERS = {
    "level": "Level",
    "load": "Load",
    "frequency": "Frequency",
    "battery": "Battery voltage",
}
SERIAL_PARAMETER = "Unit serial"
#: Canonical epics, most authoritative first: a requirement's epic is the first found in
#: its ``source`` text, so "design; IEC 60601-2-10" and "IEC 60601-2-10 (…)" agree.
EPICS = (
    (re.compile(r"IEC\s*60601-2-10"), "IEC 60601-2-10"),
    (re.compile(r"IEC\s*60601-1(?![-\d])"), "IEC 60601-1"),
    (re.compile(r"21\s*CFR\s*882\.5890"), "21 CFR 882.5890"),
    (re.compile(r"21\s*CFR\s*(Part\s*)?11\b"), "21 CFR 11"),
    (re.compile(r"\bFDA\b"), "FDA stimulator output characterisation"),
    (re.compile(r"\bK\d{6}\b"), "FDA 510(k) predicates"),
)
DESIGN_EPIC = "design"
_EVENTS_KEY = pytest.StashKey["_EventLog"]()
_STEPS_KEY = pytest.StashKey[bool]()
_PLOTTER_KEY = pytest.StashKey[CapturePlotter]()
_PLOTS_KEY = pytest.StashKey["PendingPlots"]()
"""The session's capture plots (``allure_plots``), kept here rather than under that
module's key so that a session writing no Allure results never imports it: it loads
allure_commons (~10 ms of a run's start-up that has no use for it)."""


def epic_of(source: str) -> str:
    """The epic for a requirement's ``source``: its most authoritative document."""
    return next((name for pattern, name in EPICS if pattern.search(source)), DESIGN_EPIC)


def _alluredir(config: pytest.Config) -> Path | None:
    if config.pluginmanager.get_plugin("allure_listener") is None:
        return None
    folder = getattr(config.option, "allure_report_dir", None)
    return Path(folder) if folder else None


# --- session: steps switch and the event log ------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STEPS_KEY] = steps.allure_steps_enabled()
    folder = _alluredir(session.config)
    if folder is not None:
        from harness.plugin import allure_plots

        steps.set_allure_steps(True)
        # a report's worker, forked already, draws the plots with the report's figures
        report = session.config.stash.get(REPORT_WORKER_KEY, None)
        by_report = report is not None and report.forked
        session.config.stash[_PLOTS_KEY] = allure_plots.register(folder, by_report=by_report)


def pytest_unconfigure(config: pytest.Config) -> None:
    pending = config.stash.get(_PLOTS_KEY, None)
    if pending is not None:
        from harness.plugin import allure_plots

        pending.wait(_delivered(config))  # a session that sealed nothing still gets its plots
        allure_plots.unregister(pending)
        del config.stash[_PLOTS_KEY]


def wait_for_plots(config: pytest.Config) -> None:
    """Every Allure capture plot of the session drawn (before the package is sealed);
    nothing to wait for, and nothing imported, in a session without Allure results."""
    pending = config.stash.get(_PLOTS_KEY, None)
    if pending is not None:
        pending.wait(_delivered(config))


def plots_to_hand(config: pytest.Config) -> list[tuple[str, Path, str]]:
    """The plots attached since the last call, as (attachment, file, title), for the
    report's worker to draw (``reporting.early_figures``); none without Allure results."""
    pending = config.stash.get(_PLOTS_KEY, None)
    return [] if pending is None else pending.to_hand()


def _delivered(config: pytest.Config) -> frozenset[str]:
    """The plot files the report's worker said it drew (none: no worker, or it died)."""
    report = config.stash.get(REPORT_WORKER_KEY, None)
    return frozenset() if report is None else report.plots_drawn


class _EventLog:
    """The ``harness.events`` file handler of one run and the logger state it replaced."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.test = ""
        self.handler = steps.EventFileHandler(path, mode="a", encoding="utf-8")
        self.handler.setFormatter(steps.EventFormatter(lambda: {"test": self.test}))
        self.logger = logging.getLogger(steps.EVENTS_LOGGER)
        self._saved = (self.logger.level, self.logger.propagate)
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False  # a record of the run, not diagnostics

    def keep_out_of_captured_logs(self) -> None:
        """Filter our records out of every other handler on the events logger.

        pytest (8+) attaches its capture handlers to each non-propagating logger too; left
        alone, every bench action would be formatted four more times, flood the "Captured
        log" of a failed test and be attached again to its Allure result as ``log``.
        """
        for handler in self.logger.handlers:
            if handler is not self.handler and _NOT_EVENTS not in handler.filters:
                handler.addFilter(_NOT_EVENTS)

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self._saved[0])
        self.logger.propagate = self._saved[1]
        self.handler.close()


class _NotEvents(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != steps.EVENTS_LOGGER


_NOT_EVENTS = _NotEvents()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _guard(item)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    _guard(item)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    _guard(item)


def _guard(item: pytest.Item) -> None:
    """Runs inside pytest's log capture of each phase, before any fixture or test code."""
    log = item.config.stash.get(_EVENTS_KEY, None)
    if log is not None:
        log.keep_out_of_captured_logs()


# The wrappers below are pluggy's new-style ones (``wrapper=True``): an exception from
# the hooks they wrap (Ctrl-C, SIGTERM as KeyboardInterrupt) passes through them as it
# is, where an old-style ``hookwrapper`` re-raising it from ``get_result()`` made pluggy
# add a PluggyTeardownRaisedWarning to every interrupted run.


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config) -> Generator[None, None, None]:
    yield  # the harness plugin has now created the run (or not)
    run = compliance_run(config)
    if run is not None and _EVENTS_KEY not in config.stash:
        config.stash[_EVENTS_KEY] = _EventLog(run.run_dir / "events.jsonl")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Name the running test in each event (teardown of session fixtures included)."""
    log = item.config.stash.get(_EVENTS_KEY, None)
    if log is not None:
        log.test = item.nodeid
    try:
        return (yield)
    finally:
        if log is not None:
            log.handler.flush()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    run = compliance_run(config)
    folder = _alluredir(config)
    if run is not None and folder is not None:
        write_session_files(folder, run)
    log = config.stash.get(_EVENTS_KEY, None)
    if log is not None:
        log.close()
        del config.stash[_EVENTS_KEY]
    if _STEPS_KEY in config.stash:
        steps.set_allure_steps(config.stash[_STEPS_KEY])


# --- one test ---------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _describe_report(item, report)
    return report


def _describe_report(item: pytest.Item, report: pytest.TestReport) -> None:
    # asked three times a test: whether Allure writes results first (a dictionary look-up),
    # then the ids the item keeps once read (``session.declared``)
    if _alluredir(item.config) is None or (run := compliance_run(item.config)) is None:
        return
    ids = declared(item)
    if not ids:
        return
    if report.when == "setup":
        describe(item, run, ids)
    elif report.when == "call":
        measure = item.stash.get(MEASURE_KEY, None)
        recorded: list[Measurement] = list(measure.recorded) if measure is not None else []
        _conditions(run, ids, recorded)
        plotter = item.config.stash.setdefault(_PLOTTER_KEY, CapturePlotter())
        pending = item.config.stash.get(_PLOTS_KEY, None)
        attach_evidence(run, recorded, plotter, None if pending is None else pending.attach)
        if report.failed and str(report.longrepr).startswith("non-conforming measurements"):
            _set_status_message(item.config, str(report.longrepr))


def describe(item: pytest.Item, run: ComplianceRun, ids: list[str]) -> None:
    """Labels, tags, links and identity parameters of a compliance test's result."""
    requirements = [run.spec.requirement(rid) for rid in ids]
    order = list(SEVERITY)
    worst = min((r.hazard for r in requirements), key=order.index)
    hook = allure_hook()
    hook.add_label(label_type="severity", labels=[SEVERITY[worst]])
    for r in requirements:
        hook.add_label(label_type="epic", labels=[epic_of(r.source)])
        hook.add_label(label_type="feature", labels=[r.group])
        hook.add_label(label_type="story", labels=[r.id])
        url = _spec_url(item, run, r.id)
        hook.add_link(url=url, link_type="requirement", name=f"{r.id}: {r.title}")
    serial = unit_serial(run)
    hook.add_label(label_type="tag", labels=[f"spec:{run.spec.id}", f"serial:{serial}"])
    hook.add_parameter(name=SERIAL_PARAMETER, value=serial, excluded=False, mode=None)
    _conditions(run, ids, [])


def _spec_url(item: pytest.Item, run: ComplianceRun, rid: str) -> str:
    path = Path(run.spec.path).resolve()
    try:
        shown = path.relative_to(Path(str(item.config.rootpath)).resolve()).as_posix()
    except ValueError:
        shown = path.as_uri()
    return f"{shown}#{rid}"


def _conditions(run: ComplianceRun, ids: list[str], recorded: Iterable[Measurement]) -> None:
    """Condition parameters: what the measurements state, else what the spec fixes."""
    values: dict[str, list[str]] = {}
    for m in recorded:
        for key in CONDITION_PARAMETERS:
            if key in m.conditions and m.conditions[key] not in values.setdefault(key, []):
                values[key].append(m.conditions[key])
    for requirement in (run.spec.requirement(rid) for rid in ids):
        for key, value in _requirement_conditions(requirement).items():
            if not values.get(key):
                values[key] = [value]
    for key, shown in values.items():
        if shown:
            allure_hook().add_parameter(
                name=CONDITION_PARAMETERS[key], value=", ".join(shown), excluded=True, mode=None
            )


def _requirement_conditions(requirement: Requirement) -> dict[str, str]:
    found = {k: str(v) for k, v in requirement.conditions.items() if k in CONDITION_PARAMETERS}
    if found.get("level", "").isdigit():
        found["level"] = f"L{found['level']}"
    return found


def _set_status_message(config: pytest.Config, text: str) -> None:
    """Give a limit failure (no exception) the status message categories match on."""
    from allure_commons.model2 import StatusDetails

    listener = config.pluginmanager.get_plugin("allure_listener")
    result = listener.allure_logger.get_test(None) if listener is not None else None
    if result is not None and result.statusDetails is None:
        first, _, rest = text.partition("\n")
        result.statusDetails = StatusDetails(message=text, trace=rest.strip() or first)
