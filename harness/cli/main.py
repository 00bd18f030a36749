"""``hil``: the command line of the harness.

``hil run`` is the everyday command: it runs the compliance suites through pytest (every
pytest option still works after the harness's own) with the bench, spec, unit serial and
operator given, and writes ``reports/<run-id>/``. The other commands inspect inputs and
results without touching a bench: ``hil spec check|show``, ``hil results export``.

Input errors print one line naming the file, line and field, and exit with status 2
before any instrument is touched. Otherwise the exit status is pytest's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.cli.run import DEFAULT_BENCH, DEFAULT_REPORTS, SUITES, cmd_run
from harness.data import RMD1_SPEC
from harness.definitions.run_options import add_to_argparse
from harness.errors import HilError, InputError
from harness.events.interrupts import sigterm_as_interrupt


def _input_error(error: HilError) -> int:
    print(f"hil: input error: {error}", file=sys.stderr)
    return 2


def cmd_spec(args: argparse.Namespace) -> int:
    from harness.judging.spec import load_spec

    spec = load_spec(args.file)
    if args.action == "check":
        kinds = [r.kind for r in spec.requirements.values()]
        print(
            f"{spec.path}: OK: spec {spec.id} version {spec.version}, "
            f"{len(kinds)} requirements ({kinds.count('limit')} limits, "
            f"{kinds.count('check')} checks), default rule "
            f"{spec.header.default_decision_rule.value}, sha256 {spec.sha256[:16]}…"
        )
        return 0
    rows = [("ID", "QUANTITY", "NOMINAL", "LIMITS", "RULE", "CONDITIONS")]
    for r in spec.requirements.values():
        nominal = "" if r.nominal_value is None else f"{r.nominal_value:g} {r.unit}".strip()
        conditions = ", ".join(f"{k}={v}" for k, v in r.conditions.items())
        rows.append(
            (
                r.id,
                r.quantity,
                nominal,
                r.limits_text(),
                "check" if r.kind == "check" else spec.decision_rule(r).value,
                conditions,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    print(f"{spec.id} {spec.version} — {spec.header.title}")
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5])
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from harness.recording.results import export

    store = args.store or str(DEFAULT_REPORTS / "results.db")
    if args.out == "-":  # standard output, never a file named "-"
        import tempfile

        with tempfile.TemporaryDirectory(prefix="hil-export-") as folder:
            path = export(store, args.run, args.format, Path(folder) / f"results.{args.format}")
            sys.stdout.flush()
            sys.stdout.buffer.write(path.read_bytes())
            sys.stdout.flush()
        return 0
    out = Path(args.out) if args.out else DEFAULT_REPORTS / args.run / f"results.{args.format}"
    path = export(store, args.run, args.format, out)
    print(path)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from harness.bench.check import check_bench
    from harness.definitions.bench_file import load_bench

    lines = check_bench(load_bench(args.file), allow_expired=args.allow_expired_calibration)
    for line in lines:
        print(f"{line.status.upper():8} {line.name:10} {line.detail}")
    failed = [line.name for line in lines if line.status == "fail"]
    print(f"bench check: {'FAILED: ' + ', '.join(failed) if failed else 'OK'}")
    return 1 if failed else 0


def cmd_trace(args: argparse.Namespace) -> int:
    """Requirement → tests → latest verdict; non-zero exit when a requirement is untested."""
    from harness.cli.trace import collect_coverage, latest_verdicts, trace
    from harness.judging.spec import load_spec

    spec = load_spec(args.spec)
    coverage = collect_coverage([Path(p) for p in args.paths], [f"--rootdir={Path.cwd()}"])
    store = args.store or str(DEFAULT_REPORTS / "results.db")
    rows = trace(spec, coverage, latest_verdicts(store, spec))
    unknown = sorted(set(coverage) - set(spec.requirements))
    for row in rows:
        verdict = row.verdict or "not measured"
        tests = ", ".join(t.split("::", 1)[-1] for t in row.tests) or "NO TEST"
        print(f"{row.requirement_id:18} {verdict:17} {tests}")
    untested = [row.requirement_id for row in rows if not row.tests]
    print(
        f"{spec.id} {spec.version}: {len(rows) - len(untested)}/{len(rows)} requirements "
        f"covered by a test" + (f"; UNTESTED: {', '.join(untested)}" if untested else "")
    )
    if unknown:
        print(f"tests name requirements the spec lacks: {', '.join(unknown)}")
    return 1 if untested or unknown else 0


COMMAND_MODULES = {
    "batch": "batch", "db": "db", "stats": "stats", "analyze": "analyze", "sim": "sim",
    "verify": "verify", "evidence": "verify", "report": "report",
}  # fmt: skip
"""The commands defined in a module of their own (``harness.cli.<module>``), in help order."""


def build_parser(*, only: str | None = None) -> argparse.ArgumentParser:
    """The ``hil`` parser; with `only`, just that command's part of it.

    The commands' modules import pandas, cryptography and the reporting layer: half a
    second each process waits for nothing, before ``hil run``'s first test or before a
    script's ``hil db check`` answers. ``hil --help`` (no `only`) builds them all.
    """
    from harness import __version__

    parser = argparse.ArgumentParser(prog="hil", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--version", action="version", version=f"hil {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the compliance suites (extra options go to pytest)")
    add_to_argparse(run)
    run.add_argument(
        "--no-report",
        action="store_true",
        help="skip the HTML/PDF compliance report (the evidence is still sealed)",
    )
    run.add_argument("--no-allure", action="store_true", help="write no Allure results")
    run.add_argument(
        "--retest",
        metavar="RUN_ID",
        help="a new run of only the requirements that did not conform or were not measured "
        "in run RUN_ID (recorded as environment retest_of=RUN_ID); pytest's --lf is off",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="test this many units at once, one bench each (pytest-xdist)",
    )
    if only == "run":
        return parser

    spec = sub.add_parser("spec", help="validate or show a spec file")
    spec.add_argument(
        "action", choices=["check", "show"], help="check: validate (one line); show: a table"
    )
    spec.add_argument("file", help="the spec file (YAML), e.g. harness/data/specs/rmd1.yaml")

    bench = sub.add_parser("bench", help="identify and check a bench's instruments")
    bench.add_argument(
        "action", choices=["check"], help="check: *IDN?, serials, calibration, error queues"
    )
    bench.add_argument(
        "file", nargs="?", default=str(DEFAULT_BENCH), help="bench file (default: sim)"
    )
    bench.add_argument(
        "--allow-expired-calibration",
        action="store_true",
        help="report an instrument past its calibration due date as a warning, not a failure",
    )

    tr = sub.add_parser("trace", help="requirement -> tests -> latest verdict")
    tr.add_argument("--spec", default=str(RMD1_SPEC), help="spec file (default: RMD-1's)")
    tr.add_argument("--store", help="results store (default: reports/results.db)")
    tr.add_argument(
        "paths", nargs="*", default=[str(SUITES)], help="test files or folders (test_suites/)"
    )

    wanted = [COMMAND_MODULES[only]] if only in COMMAND_MODULES else COMMAND_MODULES.values()
    for module in dict.fromkeys(wanted):
        _add_command(sub, module)

    results = sub.add_parser("results", help="export a run's results")
    results.add_argument("action", choices=["export"], help="export: write the run's table")
    results.add_argument("--run", required=True, help="run id")
    results.add_argument(
        "--format", choices=["parquet", "csv"], default="parquet", help="file format (parquet)"
    )
    results.add_argument("--store", help="results store (default: reports/results.db)")
    results.add_argument(
        "--out", help="output file ('-': standard output; default: reports/<run>/results.<fmt>)"
    )
    return parser


def _add_command(sub: Any, module: str) -> None:
    """Add the parser of one command module, importing only that module (statically, so
    the layer check sees every arrow)."""
    if module == "batch":
        from harness.cli import batch

        batch.add_parser(sub)
    elif module == "db":
        from harness.cli import db

        db.add_parser(sub)
    elif module == "stats":
        from harness.cli import stats

        stats.add_parser(sub)
    elif module == "analyze":
        from harness.cli import analyze

        analyze.add_parser(sub)
    elif module == "sim":
        from harness.cli import sim

        sim.add_parser(sub)
    elif module == "verify":
        from harness.cli import verify

        verify.add_parser(sub)
    elif module == "report":
        from harness.cli import report

        report.add_parser(sub)


def db_cmd_run(args: argparse.Namespace) -> int:
    from harness.cli import db as db_cmd

    return int(db_cmd.run(args))


def _one_blas_thread_from_the_start() -> None:
    """numpy's BLAS gets the one thread of a bench process (``harness.plugin.process``)
    before numpy is first imported, not only once pytest is configured.

    OpenBLAS starts a thread per core as it loads; on the bench PC's two cores the
    second spun beside the start-up (~45 ms of CPU while numpy loaded, taken from
    whatever else runs there). Set for the ``hil run`` process only (its ``hil run``
    children would set it too); an operator's own ``OPENBLAS_NUM_THREADS`` stays.
    """
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hil`` command; ``argv`` None: this process's own command line.

    Then ``hil run`` (one bench) ends the process itself once pytest has returned
    (``harness.cli.exit_now``: exit hooks run, interpreter teardown skipped), with the
    status it would return. Called with ``argv`` (tests, scripts) it returns as usual.
    """
    from harness.cli.pipe import guard_stdout

    guard_stdout()  # `hil run | head` goes on measuring and seals its evidence
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=arguments[0] if arguments else None)
    args, rest = parser.parse_known_args(arguments)
    if args.command != "run" and rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "run":
        sigterm_as_interrupt()  # the whole of hil run, before and after pytest too
        if argv is None:
            _one_blas_thread_from_the_start()
    try:
        if args.command == "run":
            status = cmd_run(args, rest)
            if argv is None and args.workers == 1:
                # the process is `hil run` and the run is over, closed and on disk
                from harness.cli.exit_now import exit_now

                exit_now(status)
            return status
        if args.command == "spec":
            return cmd_spec(args)
        if args.command == "bench":
            return cmd_bench(args)
        if args.command == "trace":
            return cmd_trace(args)
        if args.command == "sim":
            from harness.cli import sim as serve_cmd

            return serve_cmd.run(args)
        if args.command == "db":
            return db_cmd_run(args)
        if args.command in ("verify", "evidence", "analyze", "report", "batch", "stats"):
            return int(args.func(args))
        return cmd_results(args)
    except InputError as error:
        return _input_error(error)
    except HilError as error:
        print(f"hil: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hil: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
