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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.data import RMD1_SPEC, SIM_BENCH, bench_path
from harness.definitions.run_options import add_to_argparse, forward
from harness.errors import HilError, InputError
from harness.events.interrupts import sigterm_as_interrupt

if TYPE_CHECKING:
    from harness.definitions.bench_file import BenchFile

SUITES = Path("test_suites")
"""The compliance suites ``hil run`` runs when no test path is given (working folder)."""
DEFAULT_BENCH = SIM_BENCH
DEFAULT_REPORTS = Path("reports")
"""Where runs are written unless ``--reports-dir`` says otherwise (working folder)."""


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


def cmd_run(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Validate the inputs, then hand over to pytest with the suites and the run id.

    The session itself builds each unit's report and seals its evidence package at its
    end (``--evidence``, ``harness/plugin/evidence.py``), so a package is finished
    by the process that measured it, on a line by each worker for its own unit.

    On one bench the garbage collector is off from here until the tests are collected
    (``harness.plugin.session.CollectorBackOn``): start-up only allocates what the run
    keeps (modules, classes, the validated inputs, the collected tests), yet the
    collector walked it again and again, ~55 ms of the ~0.7 s to the first test
    (issue 15). What start-up leaves is frozen with the rest when the tests begin.
    A line's controller (``--workers N``) collects no tests, so it keeps the collector.
    """
    import gc

    # not under pytest-xdist (``-n 1``): its controller collects no tests either
    paused = args.workers == 1 and gc.isenabled() and not _may_use_xdist(pytest_args)
    if paused:
        gc.disable()
    try:
        return _run(args, pytest_args, collector_paused=paused)
    finally:
        if paused:
            gc.enable()


def _run(args: argparse.Namespace, pytest_args: list[str], *, collector_paused: bool) -> int:
    import pytest

    from harness.definitions.bench_file import load_bench
    from harness.judging.spec import load_spec
    from harness.plugin.run import new_run_id
    from harness.plugin.session import CheckedInputs, CollectorBackOn

    bench_file = bench_path(args.bench) if args.bench else DEFAULT_BENCH
    bench_bytes = CheckedInputs.read(bench_file)  # before loading: see CheckedInputs
    bench = load_bench(bench_file)
    spec_file = Path(args.spec) if args.spec else bench.spec_path
    spec_bytes = CheckedInputs.read(spec_file)
    spec = load_spec(spec_file)
    run_id = args.run_id or new_run_id()
    reports = Path(args.reports_dir) if args.reports_dir else DEFAULT_REPORTS
    if any(a in ("--lf", "--last-failed", "--ff", "--failed-first") for a in pytest_args):
        raise InputError(
            "hil run", "option", "--retest RUN_ID (hil run keeps no pytest cache: a run's "
            "evidence says what failed)", got="--lf",
        )  # fmt: skip
    _check_requirement_patterns(args.req, spec.requirements, f"{spec.id} {spec.version}")
    if args.retest:
        again = retest_requirements(reports, args.retest, set(spec.requirements))
        args.req = [*args.req, *again]
        args.env = [*args.env, f"retest_of={args.retest}"]
    check_run_inputs(args, run_id, reports, bench)
    args.bench, args.run_id, args.reports_dir = str(bench_file), run_id, str(reports)
    argv = [
        *forward(args),
        f"--rootdir={Path.cwd()}",
        "-p",
        "no:cacheprovider",
        # the harness's own property tests use hypothesis; a compliance run does not,
        # and its plugin costs every run process (and each worker of a line) ~0.7 s
        "-p",
        "no:hypothesispytest",
        # pytest's unraisable-exception check runs gc.collect() over and over at the end
        # of the session (~0.4 s of every run with pandas and matplotlib loaded) to find
        # exceptions raised in __del__: a diagnostic for test code, not evidence
        "-p",
        "no:unraisableexception",
        f"--evidence={'seal' if args.no_report else 'report'}",
        *plugins_left_out(args, pytest_args),
    ]
    if args.workers > 1:
        argv += ["--tx", f"{args.workers}*popen", "--dist", "each"]
        if not args.no_allure and not any(a.startswith("--alluredir") for a in pytest_args):
            # one results folder for the line; the serial keeps each unit's tests apart
            argv.append(f"--alluredir={reports / (run_id + '-allure-results')}")
    elif not args.no_allure and not any(a.startswith("--alluredir") for a in pytest_args):
        argv.append(f"--alluredir={reports / run_id / 'allure-results'}")
    # a test path or node id given? (an option's value such as `-p no:cacheprovider` or
    # `-k OUT-AMP` is not one: only what names an existing file or folder counts)
    targets = [
        a for a in pytest_args if not a.startswith("-") and Path(a.split("::", 1)[0]).exists()
    ]
    if not targets and not SUITES.is_dir():
        raise InputError(
            "hil run", "test paths", f"test files or folders, or a {SUITES}/ folder in "
            f"{Path.cwd()}", got="neither",
        )  # fmt: skip
    _refuse_unknown_options(pytest_args, [Path(t.split("::", 1)[0]) for t in targets] or [SUITES])
    argv += pytest_args if targets else [*pytest_args, str(SUITES)]
    print(f"hil: run {run_id} on bench {bench.id} -> {reports / run_id}", flush=True)
    # the session takes the bench file and spec read above instead of reading them again
    plugins: list[object] = [CheckedInputs(bench, bench_bytes, spec, spec_bytes)]
    if collector_paused:
        plugins.append(CollectorBackOn())
    status = int(pytest.main(argv, plugins=plugins))
    folders = run_dirs_of(run_id, reports, args.workers)
    if status == 2:
        # an input error only the session could see (the serial the unit reports):
        # pytest has said it in one line; the folder it left holds no run
        _remove_unrun(folders)
    return status


XDIST_OPTIONS = (
    "--numprocesses", "--maxprocesses", "--max-worker-restart", "--dist", "--tx", "--px",
    "--rsyncdir", "--rsyncignore", "--testrunuid", "--maxschedchunk", "--looponfail",
    "--loadscope-reorder", "--no-loadscope-reorder",
)  # fmt: skip
"""pytest-xdist's long options (3.8); its short ones are ``-n``, ``-d`` and ``-f``."""


def plugins_left_out(args: argparse.Namespace, pytest_args: Sequence[str]) -> list[str]:
    """``-p no:NAME`` for the installed pytest plugins this run has no use for.

    pytest imports every ``pytest11`` entry point at its start, and each is paid for
    before the first test (issue 15): allure-pytest (~40 ms with allure_commons, attrs
    and doctest) when the run writes no Allure results, pytest-xdist and execnet (~3 ms)
    on one bench, platformdirs' fixture plugin (~2 ms) and pytester (which a conftest of
    the harness's own tests asks for) always: no compliance test uses their fixtures.
    A plugin is kept whenever an argument (or ``PYTEST_ADDOPTS``) might be one of its
    options or names it, so that pytest still understands everything it is given.
    Plain ``pytest`` (no ``hil run``) loads them all as before.
    """
    given = _given_to_pytest(pytest_args)
    left_out = [name for name in ("platformdirs", "pytester") if not any(name in a for a in given)]
    if args.no_allure and not any("allure" in a or a == "--inversion" for a in given):
        left_out.append("allure_pytest")
    if args.workers == 1 and not any(_may_be_xdist(a) for a in given):
        left_out += ["xdist", "xdist.looponfail"]
    return [arg for name in left_out for arg in ("-p", f"no:{name}")]


def _given_to_pytest(pytest_args: Sequence[str]) -> list[str]:
    """What pytest will be given: the arguments and ``PYTEST_ADDOPTS``."""
    import os
    import shlex

    return [*pytest_args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]


def _may_use_xdist(pytest_args: Sequence[str]) -> bool:
    """Whether the pytest arguments (or ``PYTEST_ADDOPTS``) may start pytest-xdist."""
    return any(_may_be_xdist(a) for a in _given_to_pytest(pytest_args))


def _may_be_xdist(arg: str) -> bool:
    """Whether ``arg`` names pytest-xdist or may be one of its options (``-n 2``,
    ``-n2``, ``-rfE`` counts too: a false alarm only keeps the plugin loaded)."""
    if "xdist" in arg:
        return True
    if arg.startswith("--"):
        return arg.split("=", 1)[0] in XDIST_OPTIONS
    return arg.startswith("-") and any(letter in arg[1:] for letter in "ndf")


def _refuse_unknown_options(pytest_args: list[str], folders: list[Path]) -> None:
    """A ``--name`` neither ``hil run`` nor pytest knows is an input error, before any
    announcement (``harness.cli.pytest_options``)."""
    from harness.cli.pytest_options import (
        declares_options,
        known_long_options,
        suggestion,
        unknown_long_options,
    )

    if not any(a.startswith("--") for a in pytest_args):
        return  # nothing to ask pytest about: keep the start fast
    known = known_long_options()
    unknown = unknown_long_options(pytest_args, known)
    if unknown and not declares_options(folders):
        raise InputError(
            "hil run", "option", "an option of hil run or of pytest (hil run --help, "
            "pytest --help)", got=unknown[0] + suggestion(unknown[0], known),
        )  # fmt: skip


def _check_requirement_patterns(patterns: Sequence[str], ids: Iterable[str], spec: str) -> None:
    """Each ``--req`` glob must name a requirement of the run's spec: a typo is refused
    here, in one line, before pytest's banner, instead of after collecting the suites."""
    from fnmatch import fnmatchcase

    known = [rid.upper() for rid in ids]
    unknown = [p for p in patterns if not any(fnmatchcase(rid, p.upper()) for rid in known)]
    if unknown:
        raise InputError(
            "--req", "requirement pattern",
            f"a glob matching a requirement id of {spec} (e.g. 'OUT-AMP*')",
            got=", ".join(unknown),
        )  # fmt: skip


def _remove_unrun(folders: list[Path]) -> None:
    """Remove run folders this invocation created but no run was written to.

    ``check_run_inputs`` made sure none existed before, so what is there now (the Allure
    results folder, the event log of asking the unit who it is) belongs to this
    invocation; a folder with ``run.json`` holds a run and is never touched.
    """
    import shutil

    for folder in folders:
        if folder.is_dir() and not folder.is_symlink() and not (folder / "run.json").exists():
            shutil.rmtree(folder, ignore_errors=True)


def retest_requirements(reports: Path, run_id: str, in_spec: set[str]) -> list[str]:
    """The requirements of run ``run_id`` to test again: those that did not conform, and,
    when the run did not complete, those it never measured.

    Read from the run's own ``results.parquet`` (written whatever the outcome, and
    rebuilt from the store for a run found incomplete), so a retest needs nothing but
    the folder of the run it repeats. InputError when there is nothing to retest.
    """
    from harness.judging.names import check_identifier

    check_identifier(run_id, source="--retest", field="run id")
    table = reports / run_id / "results.parquet"
    if not table.is_file():
        raise InputError("--retest", "run id", f"a run with {table}", got=run_id)
    import pandas as pd

    frame = pd.read_parquet(table, columns=["requirement_id", "verdict", "run_status"])
    conforming = frame["verdict"].isin(["PASS", "CONDITIONAL PASS"])
    failed = set(frame.loc[~conforming, "requirement_id"])
    status = set(frame["run_status"]) if len(frame) else {"incomplete"}
    if not status <= {"passed", "failed"}:
        failed |= in_spec - set(frame["requirement_id"])
    if not failed:
        raise InputError(
            "--retest", "run id", "a run with requirements that did not conform or were "
            "not measured", got=f"{run_id} (every requirement conformed)",
        )  # fmt: skip
    return sorted(failed)


def run_dirs_of(run_id: str, reports: Path, workers: int) -> list[Path]:
    """The folders a run will write: one, or one per worker of a line."""
    if workers <= 1:
        return [reports / run_id]
    return [reports / f"{run_id}-gw{k}" for k in range(workers)]


def ask_operator(bench_id: str, *, ask: Callable[[str], str] = input) -> str | None:
    """On a real bench without ``--operator``: the operator's name, asked at a terminal.

    The report names the person who performed the test (ISO/IEC 17025 7.8.2.1); the login
    of a shared test PC is not that person. Asked only when someone can answer (standard
    input is a terminal); otherwise None, and the plugin refuses the run in one line.
    """
    if not sys.stdin.isatty():
        return None
    try:
        answer = ask(f"hil: operator on bench {bench_id} (your name, printed on the report): ")
    except EOFError:
        return None
    return answer.strip() or None


def check_run_inputs(
    args: argparse.Namespace, run_id: str, reports: Path, bench: BenchFile
) -> None:
    """What ``hil run`` can check before pytest starts; ``InputError`` on the first problem.

    Names that become paths or report lines, a signing key that must be readable (a run
    that was to be signed must not end unsigned), and run ids never used before (the
    plugin checks again, inside each worker of a line, with the store).
    """
    from harness.judging.names import check_identifier, check_person_or_place
    from harness.plugin.run import signing_key_for

    check_identifier(run_id, source="--run-id", field="run id")
    if not args.operator and bench.document.simulation is None:
        args.operator = ask_operator(bench.id)
    if args.serial:
        check_identifier(args.serial, source="--serial", field="serial")
    for name in ("operator", "station"):
        if getattr(args, name):
            check_person_or_place(getattr(args, name), source=f"--{name}", field=name)
    if args.workers < 1:
        raise InputError("--workers", "workers", "a number of benches >= 1", got=args.workers)
    if args.serials:
        from harness.definitions.bench_pool import parse_serials

        parse_serials(args.serials)
    signing_key_for(args.sign_key, bench)
    _check_bench_inputs(args, bench)
    from harness.recording.store.check import check_store

    check_store(args.store or reports / "results.db", unreachable_ok=True)
    for folder in run_dirs_of(run_id, reports, args.workers):
        if folder.exists() or folder.is_symlink():
            raise InputError(
                "--run-id", "run id", "a run id not used before (a run id names one run forever)",
                got=f"{folder.name} (its folder {folder} exists)",
            )  # fmt: skip


def _check_bench_inputs(args: argparse.Namespace, bench: BenchFile) -> None:
    """The simulated faults and the calibration dates, checked before pytest starts.

    The plugin checks both again inside the session (a plain ``pytest`` run has no
    ``hil run`` in front of it), but there a problem can only end the session after its
    banner; here it is one line and nothing else. A line's benches come from its pool,
    and each worker checks its own.
    """
    import datetime as dt

    if args.bench_pool:
        return
    simulation = bench.document.simulation
    if args.sim_fault and simulation is None:
        raise InputError(
            "--sim-fault", "sim-fault", f"a simulated bench (bench {bench.id} is real)"
        )
    if simulation is not None:
        from harness.sim.faults_rmd2 import parse_fault_of_model

        for text in [*simulation.faults, *args.sim_fault]:
            parse_fault_of_model(bench.document.device.model, text, source="--sim-fault")
    names = bench.expired_names(dt.date.today())
    if names and not args.allow_expired_calibration:
        raise InputError(
            bench.path, "calibration_due", "instruments and reference standards within "
            "calibration (or --allow-expired-calibration)", got=names,
        )  # fmt: skip


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
        if args.command == "analyze":
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
