"""Requirements a device does not have: their tests are not collected, and the run says so.

The compliance suites are shared by every device the harness ships a spec for. A test
declares requirement ids; the run's spec decides which of them this device has. A test
whose ids are all requirements of *another* shipped spec (``OUT-BOOST`` on an RMD-2,
which has no BOOST button; ``WAV-GAP`` on an RMD-1, whose pulses have no interphase gap)
is *not applicable*: it is deselected before anything is touched, and the terminal and
the run folder (``applicability.json``) list those requirements, so nobody reads their
absence as a pass or as an oversight.

An id no shipped spec and not the run's spec knows is still a typo, refused with the
other inputs (``harness.plugin.inputs``), and a test declaring ids of which the spec has
some but not all is refused too: it would measure half of what it declares.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.data import SPECS
from harness.errors import HilError, InputError
from harness.plugin.session import compliance_run, declared, exit_on_input_error

NOT_APPLICABLE_KEY = pytest.StashKey[dict[str, list[str]]]()
_ID_LINE = re.compile(r"^\s*-\s*id:\s*['\"]?([A-Z][A-Z0-9-]*)['\"]?\s*$", re.MULTILINE)


def shipped_requirement_ids() -> set[str]:
    """Every requirement id of the specs shipped with the harness (read as text: only
    the ids are needed, and the run's own spec is validated in full elsewhere)."""
    ids: set[str] = set()
    for path in sorted(SPECS.glob("*.yaml")):
        ids.update(_ID_LINE.findall(path.read_text(encoding="utf-8")))
    return ids


def split_applicable(
    items: list[pytest.Item], spec_ids: set[str], known: set[str], spec_name: str
) -> tuple[list[pytest.Item], dict[str, list[str]]]:
    """(tests to run, not-applicable requirement id -> its tests); InputError for a test
    that declares requirements the spec has alongside ones it does not."""
    keep: list[pytest.Item] = []
    dropped: dict[str, list[str]] = {}
    for item in items:
        ids = declared(item)
        absent = [rid for rid in ids if rid not in spec_ids]
        if not absent or any(rid not in known for rid in absent):
            keep.append(item)  # all applicable, or a typo: inputs refuses it
            continue
        if len(absent) < len(ids):
            path, line, _ = item.location
            raise InputError(
                path, f"requirement marker of {item.name}",
                f"requirements all of spec {spec_name} or none of it (it lacks {absent})",
                line=None if line is None else line + 1, got=ids,
            )  # fmt: skip
        for rid in ids:
            dropped.setdefault(rid, []).append(item.nodeid)
    return keep, dropped


@pytest.hookimpl
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(declared(item) for item in items):
        return
    from harness.plugin.inputs import _load_inputs

    try:
        _bench, spec = _load_inputs(config)
    except HilError:
        return  # the inputs check reports it, with every other input
    try:
        keep, dropped = split_applicable(
            items, set(spec.requirements), shipped_requirement_ids(), spec.id
        )
    except InputError as error:
        exit_on_input_error(error)
        return
    if dropped:
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
        config.stash[NOT_APPLICABLE_KEY] = dropped


def not_applicable_lines(config: pytest.Config) -> list[str]:
    dropped = config.stash.get(NOT_APPLICABLE_KEY, {})
    run = compliance_run(config)
    if not dropped or run is None:
        return []
    ids = ", ".join(sorted(dropped))
    return [
        f"not applicable to {run.spec.id} {run.spec.version} (requirements of other "
        f"devices' specs; their {sum(len(v) for v in dropped.values())} tests were not "
        f"collected): {ids}"
    ]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in not_applicable_lines(terminalreporter.config):
        terminalreporter.write_line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """``applicability.json`` in the run folder: what was not applicable, and why."""
    run = compliance_run(session.config)
    if run is None or run.record is None:
        return
    dropped = session.config.stash.get(NOT_APPLICABLE_KEY, {})
    device = run.bench.document.device
    data = {
        "spec": f"{run.spec.id} {run.spec.version}",
        "unit_control": device.how_controlled,
        "not_applicable": {
            rid: {"reason": f"not a requirement of {run.spec.id}", "tests": tests}
            for rid, tests in sorted(dropped.items())
        },
    }
    folder = Path(run.run_dir)
    if folder.is_dir():
        (folder / "applicability.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
