"""``hil report compliance RUN_DIR``: the per-unit compliance report from a run folder.

``hil report`` groups the report builders (another module adds ``hil report allure``).
Whoever builds the ``hil`` parser creates the ``report`` sub-command once and hands
its sub-parsers to each builder: `add_compliance_parser` here. `add_parser` does both
steps for a parser that has no ``report`` command yet.

On a sealed run folder the report is rebuilt *inside* the evidence package, so the
package is amended (``amend.py``): checked intact first, the change recorded in the audit
trail with ``--reason`` and ``--actor``, the manifest rebuilt and re-signed with
``--sign-key`` or the ``signing_key`` of ``--lab`` (without either, a signed package
becomes unsigned, and a warning says so). ``--lab`` also gives the report the
laboratory's name and address unless ``--laboratory`` / ``--location`` are given.

Exit status: 0 with the paths of ``report.html`` and ``report.pdf`` printed, 2 when the
folder is not a finished run folder or a sealed package is not intact (input error,
nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.errors import HilError
from harness.reporting import signing
from harness.reporting.amend import add_amend_options, build_in_run_folder, signing_key_of
from harness.reporting.trust import load_lab

COMMAND = "hil report compliance"


def add_parser(subparsers: Any) -> Any:
    """Add ``report`` with its ``compliance`` action; return the ``report`` sub-parsers."""
    report: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="build reports from a finished run folder"
    )
    actions = report.add_subparsers(dest="report_kind", required=True)
    add_compliance_parser(actions)
    from harness.reporting.allure_html import add_allure_parser

    add_allure_parser(actions)
    return actions


def add_compliance_parser(report_subparsers: Any) -> argparse.ArgumentParser:
    """Add ``compliance`` to an existing ``hil report`` sub-parsers object."""
    parser: argparse.ArgumentParser = report_subparsers.add_parser(
        "compliance",
        help="ISO/IEC 17025 test report of one unit (report.html and report.pdf)",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="reports/<run-id>/ of a finished run")
    parser.add_argument(
        "--laboratory", help="laboratory name (default: $HIL_LABORATORY, else the station)"
    )
    parser.add_argument(
        "--location", help="where the test was done (default: $HIL_LOCATION, else the station)"
    )
    parser.add_argument("--spec", help="spec file for the titles (default: the matching specs/*)")
    add_amend_options(parser, COMMAND)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the report (amending a sealed package); print both paths; 2 on an input error."""
    from harness.reporting.compliance import build_compliance_report

    run_dir = Path(args.run_dir)
    try:
        key = signing_key_of(args)
        lab = load_lab(args.lab) if getattr(args, "lab", None) else None
        fingerprint = None
        if key is not None:
            fingerprint = signing.fingerprint(signing.load_private_key(key).public_key())
        built: list[Path] = []

        def build() -> None:
            built.extend(
                build_compliance_report(
                    run_dir,
                    spec_path=Path(args.spec) if getattr(args, "spec", None) else None,
                    laboratory=args.laboratory or (lab.name if lab else None),
                    location=args.location or (lab.address if lab else None),
                    signing_fingerprint=fingerprint,
                )
            )

        lines = build_in_run_folder(run_dir, args, COMMAND, build, key_file=key)
    except HilError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        return 2
    for path in built:
        print(path)
    for line in lines:
        print(f"hil: {line}", file=sys.stderr if line.startswith("warning:") else sys.stdout)
    return 0
