"""The pytest plugin: turns a pytest session into a traceable compliance run.

Registered through the ``pytest11`` entry point, so it is active wherever the harness is
installed, but it stays inert unless the session collects *compliance tests*: tests
marked ``@pytest.mark.requirement("OUT-AMP-L5", ...)``. For such a session it

1. validates every input before anything is touched (``inputs``): the bench file, the
   spec, the simulated faults, the names typed, that each marker names a requirement the
   spec has, and the results store (a bad input ends the session with exit status 2 and
   a one-line message naming file and field);
2. begins the run when the first compliance test needs it (``fixtures.hil_run``), with
   the unit's identity from its test port (``unit_fixtures``) and the bench's
   instruments (``bench_fixtures``);
3. gives each test a ``measure`` object, and after the test body has run fails the test
   if any of its measurements did not conform (``verdicts``);
4. at the end, whatever happened, closes the run, writes its results, and builds and
   seals its evidence package (``evidence``); Allure results and the event log come
   from ``allure``; the terminal ends with a statement of conformity (``summary``).

The parts are modules of this package, each a pytest plugin of its own, registered here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

pytest_plugins = [
    "harness.plugin.options",
    "harness.plugin.process",
    "harness.plugin.selection",
    "harness.plugin.applicability",
    "harness.plugin.inputs",
    "harness.plugin.fixtures",
    "harness.plugin.verdicts",
    "harness.plugin.summary",
    "harness.plugin.allure",
    "harness.plugin.evidence",
    "harness.plugin.bench_fixtures",
    "harness.plugin.unit_fixtures",
    "harness.plugin.test_plan",
    "harness.plugin.plan_record",
]


def pytest_configure(config: object) -> None:
    config.addinivalue_line(  # type: ignore[attr-defined]
        "markers", "requirement(*ids): the spec requirement ids this compliance test covers"
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the parts as soon as this plugin is, by their module names alone.

    For each name of a ``pytest_plugins`` list pytest 9 first scans every installed
    distribution's entry points for a plugin of that name (~2.5 ms a name here, ~35 ms
    for the parts, all before the first test: issue 15). ``import_plugin`` without the
    scan does the rest as that would (a part blocked with ``-p no:NAME`` stays out;
    assertion rewriting is marked for it), and ``pytest_plugins`` above then finds each
    part registered. A historic hook: pytest calls it as this plugin is registered.
    """
    for name in pytest_plugins:
        pluginmanager.import_plugin(name)
