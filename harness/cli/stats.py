"""``hil stats``: first-pass yield and capability of the runs in a results store.

    hil stats [--store PATH] [--spec ID] [--since DATE] [--until DATE] [--bench ID]
              [--charts DIR] [--chart REQ ...] [--aggregate worst|mean]
              [--all-runs] [--format table|csv]

prints one line of overall first-pass yield and a table per requirement (units tested,
passed first time, FPY, n, mean, sd, limits, Cp, Cpk with its 95 % confidence interval,
and "insufficient data" below 25 units; see ``harness.reporting.stats``), then a
control table per requirement (I-MR centre and limits, "provisional" below 20 units,
points beyond the limits, Western Electric run rules that fired; see
``harness.reporting.control_charts``) and, with ``--charts DIR``, writes an I-MR chart
per key quantity. Numbers are rounded to 4 significant digits (Cp/Cpk to 3): more would
be noise. ``--format csv`` prints the capability table as CSV (for a spreadsheet, full
precision, no control table) with the yield line on stderr, so stdout stays one clean
table.

Dates are ISO 8601 (``2026-11-24`` or ``2026-11-24T09:30``); without a timezone they
are UTC. ``--since`` includes its moment, ``--until`` excludes it, except that a bare
date given to ``--until`` means the *end* of that day: ``--since 2026-11-01 --until
2026-11-30`` is all of November. Exit status 0, or 1 when the store cannot be read.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas and matplotlib load only when `hil stats` runs
    import pandas as pd

DEFAULT_STORE = Path("reports") / "results.db"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hil stats``; ``args.func(args)`` runs it."""
    p = subparsers.add_parser("stats", help="first-pass yield, Cp/Cpk, I-MR control charts")
    p.add_argument("--store", help="results store (default: reports/results.db)")
    p.add_argument("--spec", help="only runs against this spec id (e.g. RMD-1)")
    p.add_argument("--since", type=_moment, help="runs started at or after DATE")
    p.add_argument("--until", type=_until, help="runs started before DATE (a date: its end)")
    p.add_argument("--bench", help="only runs on this bench id")
    p.add_argument("--charts", help="write I-MR charts (PNG) into this folder")
    p.add_argument(
        "--chart",
        action="append",
        metavar="REQ",
        help="requirement to chart (repeatable; 'all' for every one; default: key quantities)",
    )
    p.add_argument(
        "--aggregate",
        choices=["worst", "mean"],
        default="worst",
        help="one value per unit and requirement: the worst (default) or the mean",
    )
    p.add_argument("--all-runs", action="store_true", help="capability over every run")
    p.add_argument(
        "--format",
        choices=["table", "csv"],
        default="table",
        help="table (default) or CSV on standard output (the yield line on stderr)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the yield and capability table; write the charts if asked."""
    from harness.reporting import control_charts, stats

    if args.chart and not args.charts:
        return _bad_input("--chart: needs --charts DIR (the folder the charts are written to)")
    if args.charts == "-":
        return _bad_input("--charts: expected a folder (charts are PNG files), got '-'")
    frame = stats.load_results(
        args.store or DEFAULT_STORE,
        spec_id=args.spec,
        since=args.since,
        until=args.until,
        bench_id=args.bench,
    )
    known = set(frame["requirement_id"])
    unknown = [rid for rid in args.chart or [] if rid != "all" and rid not in known]
    if unknown:  # a mistyped id would otherwise write nothing and exit 0
        return _bad_input(
            f"--chart: expected a requirement id measured in the store "
            f"(e.g. {min(known) if known else 'OUT-AMP-L5'}), got {', '.join(unknown)}"
        )
    table = stats.requirement_table(
        frame, aggregate=args.aggregate, first_run_only=not args.all_runs
    )
    units, passed, fpy = stats.overall_yield(frame)
    runs = frame["run_id"].nunique()
    headline = (
        f"first-pass yield: {passed}/{units} units"
        f" = {_percent(fpy)} ({runs} runs, {len(frame)} measurements)"
    )
    if args.format == "csv":
        print(headline, file=sys.stderr)
        print(table.to_csv(index=False, float_format="%.6g"), end="")
    else:
        print(headline)
        print(format_table(table))
    sample = frame if args.all_runs else stats.first_runs(frame)
    values = stats.per_run_values(sample, args.aggregate)
    if args.format == "table":
        control = control_charts.control_table(values)
        if not control.empty:
            print()
            print(
                f"control (I-MR in test order; limits provisional below "
                f"{control_charts.MIN_IMR_POINTS} units; run rules: Western Electric 1-4):"
            )
            print(format_control(control))
    if args.charts:
        wanted = args.chart or list(control_charts.KEY_REQUIREMENTS)
        written = control_charts.write_charts(
            values, args.charts, None if "all" in wanted else wanted
        )
        print(f"charts: {len(written)} written to {args.charts}", file=sys.stderr)
    return 0


def _bad_input(message: str) -> int:
    """One line on stderr, exit status 2, as every ``hil`` input error."""
    print(f"hil: input error: {message}", file=sys.stderr)
    return 2


def format_table(table: pd.DataFrame) -> str:
    """The requirement table as aligned text; missing numbers print as '-'."""
    from harness.reporting.stats import MIN_CAPABILITY_N

    header = ("REQUIREMENT", "UNIT", "UNITS", "PASS", "FPY", "N", "MEAN", "SD",
              "LSL", "USL", "CP", "CPK", "CPK 95% CI", "NOTE")  # fmt: skip
    rows = [header]
    for r in table.itertuples(index=False):
        note = r.note if isinstance(r.note, str) and r.note else ""
        rows.append(
            (
                str(r.requirement_id),
                r.unit if isinstance(r.unit, str) else "",
                _int(r.units),
                _int(r.first_pass),
                _percent(r.fpy),
                str(r.n),
                _num(r.mean),
                _num(r.sd),
                _num(r.lower_limit),
                _num(r.upper_limit),
                _num(r.cp, 3),
                _num(r.cpk, 3),
                _interval(r.cpk_low, r.cpk_high),
                f"{note} (n<{MIN_CAPABILITY_N})" if note else "",
            )
        )
    return _align(rows, left=2)


def format_control(control: pd.DataFrame) -> str:
    """The I-MR control table as aligned text (``control_charts.control_table``)."""
    from harness.reporting.control_charts import IMRLimits, limit_digits

    header = ("REQUIREMENT", "UNIT", "N", "CL", "LCL", "UCL", "LIMITS", "BEYOND", "RUN RULES")
    rows = [header]
    for r in control.itertuples(index=False):
        center, ucl = _float(r.center) or 0.0, _float(r.ucl) or 0.0
        digits = limit_digits(IMRLimits(center, ucl, 2.0 * center - ucl, 0.0, 0.0))
        rows.append(
            (
                str(r.requirement_id),
                str(r.unit),
                str(r.n),
                _num(r.center, digits),
                _num(r.lcl, digits),
                _num(r.ucl, digits),
                "provisional" if r.provisional else "established",
                str(r.beyond),
                str(r.rules) or "-",
            )
        )
    return _align(rows, left=2)


def _align(rows: Sequence[tuple[str, ...]], *, left: int) -> str:
    """Columns padded to width: the first ``left`` left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in pairs]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _interval(low: object, high: object) -> str:
    """ "[low,high]" to 3 significant digits, "-" when there is none."""
    if _float(low) is None or _float(high) is None:
        return "-"
    return f"[{_num(low, 3)},{_num(high, 3)}]"


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _until(text: str) -> datetime:
    moment = _moment(text)
    bare_date = "T" not in text and " " not in text and len(text) <= 10
    return moment + timedelta(days=1) if bare_date else moment


def _float(value: object) -> float | None:
    """A finite number, or None for None, NaN, pd.NA."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _num(value: object, digits: int = 4) -> str:
    """Rounded for reading (``stats.format_number``): 12.02, 0.001234, σ 0 as "0"."""
    from harness.reporting.stats import format_number

    return format_number(_float(value), digits)


def _int(value: object) -> str:
    number = _float(value)
    return "-" if number is None else str(int(number))


def _percent(value: object) -> str:
    number = _float(value)
    return "-" if number is None else f"{100.0 * number:.1f} %"
