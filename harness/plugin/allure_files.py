"""What the Allure plugin writes besides the results: evidence attachments, session files.

Attachments turn a result into evidence an auditor can check without the bench: the
test's measurement records (JSON, as stored), and for each scope capture a measurement
names, a plot to look at (the report's figure of it when the run builds a report,
``allure_plots``) and the raw ``.npz`` to re-analyse (``hil analyze``).

The session files describe the run to the report: ``environment.properties`` (Java
properties: bench, each instrument's identity and calibration due date, the unit, spec
id/version/SHA-256, harness version and git commit, simulated faults), ``executor.json``
(station and operator, run id as the build name) and ``categories.json``, which sorts
failures by who has to act: the unit (limit failures), the bench (instrument errors),
the cable or unit's port (device communication), the input files, or anything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.reporting.capture_plot import CapturePlotter

if TYPE_CHECKING:
    from harness.plugin.run import ComplianceRun
    from harness.recording.record import Measurement

_ANY = r"[\s\S]*"
CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Limit failures",
        "matchedStatuses": ["failed"],
        "messageRegex": f"non-conforming measurements{_ANY}",
    },
    {
        "name": "Instrument errors",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": f"{_ANY}(InstrumentError|instrument errors after the test){_ANY}",
    },
    {
        "name": "Device communication errors",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": f"{_ANY}(DeviceCommError|CommandRejected|DeviceResetError){_ANY}",
    },
    {
        "name": "Input errors",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": f"{_ANY}(InputError|input error){_ANY}",
    },
    {"name": "Other failures", "matchedStatuses": ["failed"]},
    {"name": "Other errors", "matchedStatuses": ["broken"]},
]


def allure_hook() -> Any:
    """allure-python's hook relay: what ``allure.dynamic`` and ``allure.attach`` call."""
    from allure_commons import plugin_manager

    return plugin_manager.hook


def unit_serial(run: ComplianceRun) -> str:
    if run.record is not None and run.record.unit is not None:
        return run.record.unit.serial
    return run.options.expected_serial or "unknown"


def attach_evidence(
    run: ComplianceRun,
    recorded: list[Measurement],
    plotter: CapturePlotter | None = None,
    later: Callable[[Any, Path, str, str, str], None] | None = None,
) -> None:
    """The test's measurement records (JSON), and a plot and the raw file per capture.

    ``later(hook, capture, title, name, attachment)``: attach the plot now and draw it
    meanwhile (``allure_plots.PendingPlots.attach``); without it the plot is drawn here.
    """
    from allure_commons.types import AttachmentType

    from harness.recording.attachments import path_in
    from harness.recording.captures import names_a_capture

    if not recorded:
        return
    hook = allure_hook()
    rows = [m.model_dump(mode="json") for m in recorded]
    hook.attach_data(
        body=json.dumps(rows, indent=1),
        name="measurements.json",
        attachment_type=AttachmentType.JSON,
        extension=None,
    )
    seen: list[str] = []
    for m in recorded:
        for name in m.attachments:
            if name not in seen:
                seen.append(name)
    for name in seen:
        path = path_in(run.run_dir, name)  # None: out of the run folder, or not a file
        if path is None:
            continue
        if names_a_capture(name):
            needed_by = sorted({m.requirement_id for m in recorded if name in m.attachments})
            title = f"{path.name} ({', '.join(needed_by)})"
            if later is not None:
                later(hook, path, title, f"{path.stem}.png", name)
            else:
                hook.attach_data(
                    body=(plotter or CapturePlotter()).png(path, title=title),
                    name=f"{path.stem}.png",
                    attachment_type=AttachmentType.PNG,
                    extension=None,
                )
        hook.attach_file(
            source=str(path),
            name=path.name,
            attachment_type="application/octet-stream",
            extension=path.suffix.lstrip(".") or "bin",
        )


# --- session files ------------------------------------------------------------------------


def write_session_files(folder: Path, run: ComplianceRun) -> None:
    """environment.properties, executor.json and categories.json for the results folder."""
    folder.mkdir(parents=True, exist_ok=True)
    record = run.record
    env: dict[str, str] = {
        "run.id": run.options.run_id,
        "bench.id": run.bench.id,
        "spec.id": run.spec.id,
        "spec.version": run.spec.version,
        "spec.sha256": run.spec.sha256,
    }
    if record is not None:
        env["harness.version"] = record.harness_version
        env["harness.git_commit"] = record.git_commit or "unknown"
        if record.unit is not None:
            for key in ("model", "serial", "firmware", "hardware", "battery"):
                if getattr(record.unit, key, None) is not None:
                    env[f"unit.{key}"] = str(getattr(record.unit, key))
        for reading in record.conditions:  # measured by a sensor, or entered and marked
            how = (
                reading.source
                if reading.moment is None
                else f"{reading.source} at {reading.moment}"
            )
            env[f"condition.{reading.quantity}.{reading.moment or 'run'}"] = (
                f"{reading.value} ({how})"
            )
        for i in record.instruments:
            firmware = f", firmware {i.firmware}" if i.firmware else ""
            env[f"instrument.{i.name}"] = f"{i.role}: {i.model} s/n {i.serial}{firmware}"
            env[f"instrument.{i.name}.calibration_due"] = i.calibration_due or "not given"
        env |= {f"sim_fault.{n}": f for n, f in enumerate(record.sim_faults, start=1)}
    lines = [f"{_escape(k, key=True)}={_escape(v)}" for k, v in env.items()]
    (folder / "environment.properties").write_text("\n".join(lines) + "\n", encoding="latin-1")
    station = record.station if record is not None else run.options.station or "unknown"
    serial = unit_serial(run)
    executor = {
        "name": f"{station} (operator {run.options.operator})",
        "type": "microcurrent-hil",
        "buildName": f"run {run.options.run_id}: {serial} vs {run.spec.id} {run.spec.version}",
        "reportName": f"{run.spec.id} compliance, unit {serial}",
    }
    (folder / "executor.json").write_text(json.dumps(executor, indent=2) + "\n", "utf-8")
    (folder / "categories.json").write_text(json.dumps(CATEGORIES, indent=2) + "\n", "utf-8")


def _escape(text: str, *, key: bool = False) -> str:
    """Java .properties escaping: backslash, line breaks, separators in keys, non-Latin-1."""
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if key:
        out = re.sub(r"([=: ])", r"\\\1", out)
    return "".join(c if ord(c) < 0x100 else f"\\u{ord(c):04x}" for c in out)
