"""``hil report compliance RUN_DIR``: the per-unit compliance report from a run folder.

``hil report`` groups the report builders (another module adds ``hil report allure``).
Whoever builds the ``hil`` parser creates the ``report`` sub-command once and hands
its sub-parsers to each builder: `add_compliance_parser` here. `add_parser` does both
steps for a parser that has no ``report`` command yet.

Exit status: 0 with the paths of ``report.html`` and ``report.pdf`` printed, 2 when the
folder is not a finished run folder (input error, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.errors import HilError


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
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the report; print both paths; 2 on an input error."""
    from harness.reporting.compliance import build_compliance_report

    try:
        html, pdf = build_compliance_report(
            Path(args.run_dir),
            spec_path=Path(args.spec) if getattr(args, "spec", None) else None,
            laboratory=args.laboratory,
            location=args.location,
        )
    except HilError as error:
        print(f"hil: input error: {error}", file=sys.stderr)
        return 2
    print(html)
    print(pdf)
    return 0
