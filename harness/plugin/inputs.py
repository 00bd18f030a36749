"""Every input of a compliance session, checked before anything is touched.

When pytest has collected the session's tests and some carry a ``requirement`` marker,
the bench file, the spec, the markers' requirement ids, the simulated faults, the
calibration dates, the signing key, the names typed on the command line and the results
store are checked, in that order; the first problem ends the session with one line and
exit status 2. Only then is the ``ComplianceRun`` created (its store already open), and
nothing of the bench has been opened yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.data import SIM_BENCH
from harness.data import bench_path as packaged_or_given
from harness.errors import HilError, InputError
from harness.plugin.session import CHECKED_KEY, RUN_KEY, declared, exit_on_input_error


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    compliance = [item for item in items if declared(item)]
    if not compliance or config.option.collectonly:
        if compliance:
            _prepare(config, compliance, check_only=True)
        return
    _prepare(config, compliance, check_only=False)


def _prepare(config: pytest.Config, items: list[pytest.Item], *, check_only: bool) -> None:
    from harness.plugin.run import (
        ComplianceRun,
        RunOptions,
        check_options,
        laboratory_for,
        new_run_id,
        operator_for,
        signing_key_for,
    )

    try:
        bench, spec = _load_inputs(config)
        for item in items:
            for rid in declared(item):
                if rid not in spec.requirements:
                    path, line, _ = item.location
                    raise InputError(
                        path,
                        f"requirement marker of {item.name}",
                        f"a requirement id of spec {spec.id} {spec.version}",
                        line=None if line is None else line + 1,
                        got=rid,
                    )
        faults = _check_faults(config, bench)
        _check_operator_input(config, bench)
        overrides = _calibration_overrides(config, bench)
        sign_key = signing_key_for(config.getoption("sign_key", None), bench)
        laboratory = laboratory_for(bench)
        operator = operator_for(config.getoption("operator"), bench)
    except HilError as error:
        exit_on_input_error(error)
        return
    if check_only:
        return
    root = Path(str(config.rootpath))
    reports = Path(config.getoption("reports_dir") or root / "reports")
    env = {}
    for text in config.getoption("env"):
        key, sep, value = text.partition("=")
        if not sep or not key:
            exit_on_input_error(InputError("--env", "env", "KEY=VALUE", got=text))
        env[key.strip()] = value.strip()
    index = _worker(config)
    run_id = config.getoption("run_id") or new_run_id()
    serial = config.getoption("serial")
    if index is not None:
        run_id = f"{run_id}-gw{index}"
        serials_opt = config.getoption("serials")
        if serials_opt:
            from harness.definitions.bench_pool import parse_serials

            try:
                serials = parse_serials(serials_opt)
            except HilError as error:
                exit_on_input_error(error)
                return
            if index >= len(serials):
                exit_on_input_error(
                    InputError(
                        "--serials", "serials", f"a serial for worker gw{index}", got=serials_opt
                    )
                )
            serial = serials[index]
        elif bench.document.simulation is not None and serial is None:
            serial = f"{bench.document.simulation.unit_serial.rsplit('-', 1)[0]}-{index + 1:04d}"
    options = RunOptions(
        run_id=run_id,
        operator=operator,
        station=config.getoption("station"),
        expected_serial=serial,
        reports_dir=reports,
        store_url=config.getoption("store") or str(reports / "results.db"),
        environment=env,
        overrides=overrides,
        sim_faults=faults,
        sign_key=sign_key,
        laboratory=laboratory,
    )
    run = ComplianceRun(options, bench, spec)
    try:
        check_options(options)
        run.open_store()  # a damaged store stops the run before the bench is opened
    except HilError as error:
        exit_on_input_error(error)
        return
    config.stash[RUN_KEY] = run


def _worker(config: pytest.Config) -> int | None:
    """This process's index among pytest-xdist workers (None when not a worker)."""
    from harness.definitions.bench_pool import worker_index

    workerinput = getattr(config, "workerinput", None)
    return worker_index(workerinput.get("workerid") if workerinput else None)


_INPUTS_KEY = pytest.StashKey[tuple[Any, Any]]()


def _load_inputs(config: pytest.Config) -> tuple[Any, Any]:
    """The session's bench file and spec, read once: applicability (which tests the spec
    can judge) and the run's checks both need them, and each read validates the whole
    YAML and scans the installed models' entry points. A file that fails to load is not
    kept, so it is refused again, the same way, by whoever asks next."""
    loaded = config.stash.get(_INPUTS_KEY, None)
    if loaded is None:
        loaded = config.stash[_INPUTS_KEY] = _read_inputs(config)
    return loaded


def _read_inputs(config: pytest.Config) -> tuple[Any, Any]:
    from harness.definitions.bench_file import load_bench
    from harness.judging.spec import load_spec

    bench_opt = config.getoption("bench")
    bench_path = packaged_or_given(bench_opt) if bench_opt else SIM_BENCH
    pool_opt, index = config.getoption("bench_pool"), _worker(config)
    if pool_opt:
        from harness.definitions.bench_pool import load_pool

        pool = load_pool(packaged_or_given(pool_opt))
        bench_path = pool[(index or 0) % len(pool)]
    checked = config.stash.get(CHECKED_KEY, None)
    bench = checked.bench_for(bench_path) if checked else None
    if bench is None:
        bench = load_bench(bench_path)
    spec_opt = config.getoption("spec")
    spec_path = Path(spec_opt) if spec_opt else bench.spec_path
    spec = checked.spec_for(spec_path) if checked else None
    if spec is None:
        spec = load_spec(spec_path)
    return bench, spec


def _check_faults(config: pytest.Config, bench: Any) -> list[str]:
    faults = list(config.getoption("sim_fault"))
    sim = bench.document.simulation
    if faults and sim is None:
        raise InputError(
            "--sim-fault", "sim-fault", f"a simulated bench (bench {bench.id} is real)"
        )
    if sim is not None:
        faults = [*sim.faults, *faults]
        try:
            from harness.sim.faults_rmd2 import parse_fault_of_model
        except ImportError:
            return faults
        for text in faults:
            parse_fault_of_model(bench.document.device.model, text, source="--sim-fault")
    return faults


def _calibration_overrides(config: pytest.Config, bench: Any) -> list[str]:
    import datetime as dt

    names = bench.expired_names(dt.date.today())
    if not names:
        return []
    if not config.getoption("allow_expired_calibration"):
        raise InputError(
            bench.path,
            "calibration_due",
            "instruments and reference standards within calibration "
            "(or --allow-expired-calibration)",
            got=names,
        )
    return [f"equipment past calibration used by operator override: {names}"]


def _check_operator_input(config: pytest.Config, bench: Any) -> None:
    """The operator-input file is read whole before the bench is opened (InputError
    naming file, entry and field); a unit worked by an operator, with no file and no
    terminal to ask on, is refused here rather than at its first prompt."""
    given = config.getoption("operator_input", None)
    if given:
        from harness.dut.operator import load_operator_input

        load_operator_input(given)
        return
    import sys

    stdin = sys.__stdin__
    if bench.document.device.how_controlled == "operator" and not (stdin and stdin.isatty()):
        raise InputError(
            "--operator-input", "operator-input",
            f"an operator-input file, or a terminal to ask on (bench {bench.id}: "
            "device.control is operator)",
        )  # fmt: skip
