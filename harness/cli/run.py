"""``hil run``: the inputs checked, then the compliance suites handed to pytest.

Everything ``hil run`` does before pytest starts and around it: which of the inputs
(bench file, spec, requirement patterns, operator, a run id to retest) are sound, which
pytest plugins a run on one bench can leave out, and the garbage collector paused until
the tests are collected. The session itself does the rest (``harness/plugin``). The
other commands of ``hil`` are in ``main`` and in modules of their own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.data import SIM_BENCH, bench_path
from harness.definitions.run_options import forward
from harness.errors import InputError

if TYPE_CHECKING:
    from harness.definitions.bench_file import BenchFile

SUITES = Path("test_suites")
"""The compliance suites ``hil run`` runs when no test path is given (working folder)."""
DEFAULT_BENCH = SIM_BENCH
DEFAULT_REPORTS = Path("reports")
"""Where runs are written unless ``--reports-dir`` says otherwise (working folder)."""


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
    try:
        status = int(pytest.main(argv, plugins=plugins))
    except KeyboardInterrupt:  # a second one while the session finished: pytest's status
        print("hil: interrupted", file=sys.stderr)
        return int(pytest.ExitCode.INTERRUPTED)
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
