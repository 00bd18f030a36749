"""``hil report allure RUN_DIR``: the run's Allure results as ONE offline HTML file.

A report that is evidence has to be a file: it is archived, hashed, e-mailed and opened
years later on a machine without network, so it must not fetch anything and must not
change after it is written. Allure 3 (the npm package ``allure``, installed into
``.allure/`` by ``scripts/install-allure``) builds its "awesome" report as a single
self-contained ``index.html`` when the plugin option ``singleFile`` is set; this module
runs it on ``RUN_DIR/allure-results`` and writes ``RUN_DIR/allure-report.html``.

Why the extra steps around the generator:

* The generator runs in an empty temporary folder with a configuration written here
  (report name, single file, the categories of ``categories.json``, which Allure 3 takes
  from its configuration, not from the results): a stray ``allurerc`` in the caller's
  folder cannot change the report, and nothing is left behind.
* The awesome template embeds a Google Analytics tag unconditionally (allure 3.18
  ignores ``ALLURE_NO_ANALYTICS`` for it). Every ``<script>`` block that loads or calls
  an analytics or telemetry service is removed before the file is written, and the file
  is refused if any such reference survives: nothing may hash a report that would phone
  home when opened. The environment also asks the generator and npm tooling not to
  collect telemetry.

When the report is written into a sealed run folder, the evidence package is amended
(``amend.py``: checked intact, the change recorded with ``--reason``/``--actor``, the
manifest rebuilt, re-signed with ``--sign-key`` or the ``signing_key`` of ``--lab``).

Exit status: 0 with the report's path printed; 2 when ``RUN_DIR`` has no Allure results,
the generator is not installed (the message says how to install it) or a sealed package
is not intact; 1 when the generator fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

LOCAL_GENERATOR = Path(".allure") / "node_modules" / ".bin" / "allure"
"""Where ``scripts/install-allure`` puts the generator: under the working folder."""
INSTALL_HINT = (
    "the Allure 3 report generator is not installed; install it (Node.js 20+) with "
    "`scripts/install-allure` (= `npm install --prefix .allure allure`) "
    "or set HIL_ALLURE to an `allure` 3 executable"
)
REPORT_NAME = "allure-report.html"
COMMAND = "hil report allure"
#: Hosts and calls that mark a script as analytics or telemetry.
TRACKERS = re.compile(
    r"googletagmanager\.com|google-analytics\.com|\bgtag\s*\(|\bdataLayer\b|"
    r"analytics\.google|doubleclick\.net|segment\.(io|com)|mixpanel|hotjar|plausible\.io|"
    r"sentry\.io|telemetry\.",
    re.IGNORECASE,
)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
QUIET_ENV = {
    "ALLURE_NO_ANALYTICS": "true",
    "DO_NOT_TRACK": "1",
    "NO_UPDATE_NOTIFIER": "1",
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
    "NEXT_TELEMETRY_DISABLED": "1",
}


class GeneratorMissing(Exception):
    """No Allure 3 generator was found."""


class GeneratorFailed(Exception):
    """The generator ran and did not produce a report."""


def find_generator() -> list[str]:
    """The command that runs Allure 3: ``$HIL_ALLURE``, ``.allure/``, or ``allure`` on PATH."""
    explicit = os.environ.get("HIL_ALLURE")
    if explicit:
        if shutil.which(explicit) is None:
            raise GeneratorMissing(f"HIL_ALLURE={explicit} is not an executable")
        return [explicit]
    if LOCAL_GENERATOR.exists() and shutil.which("node"):
        return [str(LOCAL_GENERATOR)]
    on_path = shutil.which("allure")
    if on_path is not None and _major_version([on_path]) == 3:
        return [on_path]
    raise GeneratorMissing(INSTALL_HINT)


def _major_version(command: list[str]) -> int | None:
    try:
        done = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, timeout=60, env=_env()
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"\b(\d+)\.\d+", done.stdout)
    return int(match.group(1)) if match else None


def _env() -> dict[str, str]:
    return {**os.environ, **QUIET_ENV}


def strip_trackers(html: str) -> tuple[str, int]:
    """Remove every ``<script>`` that loads or calls analytics; return text and count."""
    removed = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal removed
        attributes, body = match.group(1), match.group(2)
        src = re.search(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", attributes)
        if (src and TRACKERS.search(src.group(1))) or (len(body) < 4096 and TRACKERS.search(body)):
            removed += 1
            return ""
        return match.group(0)

    return _SCRIPT.sub(drop, html), removed


def tracker_references(html: str) -> list[str]:
    """What is left that looks like an analytics reference outside the app bundle."""
    found = []
    for match in _SCRIPT.finditer(html):
        if len(match.group(2)) < 4096 and TRACKERS.search(match.group(0)):
            found.append(match.group(0)[:120])
    outside = _SCRIPT.sub("", html)
    found += [m.group(0) for m in TRACKERS.finditer(outside)]
    return found


def build_allure_report(run_dir: Path, *, output: Path | None = None) -> Path:
    """Generate the single-file report of ``run_dir``; return its path."""
    from harness.errors import InputError

    results = run_dir / "allure-results"
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise InputError(run_dir, "allure-results", "a folder of Allure results from `hil run`")
    target = output or run_dir / REPORT_NAME
    command = find_generator()
    with tempfile.TemporaryDirectory(prefix="hil-allure-") as temp:
        work = Path(temp)
        config = work / "allurerc.json"
        config.write_text(json.dumps(_config(results, run_dir.name), indent=2), "utf-8")
        out = work / "report"
        arguments = ["generate", str(results.resolve()), "--config", str(config), "-o", str(out)]
        done = subprocess.run(
            [*command, *arguments],
            cwd=work,
            capture_output=True,
            text=True,
            env=_env(),
            timeout=900,
        )
        page = out / "index.html"
        if done.returncode != 0 or not page.is_file():
            detail = (done.stderr or done.stdout).strip()[-2000:]
            raise GeneratorFailed(f"allure generate exited {done.returncode}: {detail}")
        html, _removed = strip_trackers(page.read_text("utf-8"))
        left = tracker_references(html)
        if left:
            raise GeneratorFailed(f"analytics references survive in the report: {left[:3]}")
        partial = target.with_name(target.name + ".partial")
        partial.write_text(html, "utf-8")
        partial.replace(target)
    return target


def _config(results: Path, run_id: str) -> dict[str, Any]:
    name = f"Allure report, run {run_id}"
    executor = results / "executor.json"
    if executor.is_file():
        name = str(json.loads(executor.read_text("utf-8")).get("reportName") or name)
    config: dict[str, Any] = {
        "name": name,
        "plugins": {
            "awesome": {
                "options": {
                    "singleFile": True,
                    "reportName": name,
                    "groupBy": ["epic", "feature", "story"],
                }
            }
        },
    }
    categories = results / "categories.json"
    if categories.is_file():
        config["categories"] = json.loads(categories.read_text("utf-8"))
    return config


# --- `hil report allure` ------------------------------------------------------------------


def add_allure_parser(report_subparsers: Any) -> argparse.ArgumentParser:
    """Add ``allure`` to the ``hil report`` sub-parsers."""
    parser: argparse.ArgumentParser = report_subparsers.add_parser(
        "allure",
        help="the run's Allure results as one offline HTML file (RUN_DIR/allure-report.html)",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="reports/<run-id>/ of a run")
    parser.add_argument("--output", help=f"report file (default: RUN_DIR/{REPORT_NAME})")
    from harness.reporting.amend import add_amend_options

    add_amend_options(parser, COMMAND)
    parser.set_defaults(func=run_allure)
    return parser


def run_allure(args: argparse.Namespace) -> int:
    """Build the report; print its path. 2: no results or no generator; 1: generator failed."""
    from harness.errors import InputError
    from harness.reporting.amend import build_in_run_folder, signing_key_of

    run_dir = Path(args.run_dir)
    output = Path(args.output) if getattr(args, "output", None) else None
    built: list[Path] = []
    lines: list[str] = []
    try:
        if output is not None and not _inside(output, run_dir):
            built.append(build_allure_report(run_dir, output=output))
        else:
            key = signing_key_of(args)
            lines = build_in_run_folder(
                run_dir,
                args,
                COMMAND,
                lambda: built.append(build_allure_report(run_dir, output=output)),
                key_file=key,
            )
    except InputError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        return 2
    except GeneratorMissing as error:
        print(f"hil: {error}", file=sys.stderr)
        return 2
    except (GeneratorFailed, subprocess.TimeoutExpired, OSError) as error:
        print(f"hil: Allure report failed: {error}", file=sys.stderr)
        return 1
    for path in built:
        print(path)
    for line in lines:
        print(f"hil: {line}", file=sys.stderr if line.startswith("warning:") else sys.stdout)
    return 0


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
