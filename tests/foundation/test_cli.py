"""The ``hil`` command: spec check/show, results export, and input errors exit 2."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from harness.cli.main import main
from harness.cli.run import plugins_left_out
from harness.data import RMD1_SPEC, SIM_BENCH
from harness.plugin.session import CheckedInputs
from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
SPEC = RMD1_SPEC


def test_spec_check_prints_one_line_summary(capsys):
    assert main(["spec", "check", str(SPEC)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "RMD-1-SPEC version 1.0.0" in out[0] and "47 requirements" in out[0]


def test_spec_show_lists_every_requirement(capsys):
    assert main(["spec", "show", str(SPEC)]) == 0
    out = capsys.readouterr().out
    assert "OUT-AMP-L5" in out and "320 – 480 uA" in out and "guarded" in out
    assert (
        sum(
            1 for line in out.splitlines() if line[:3] in ("OUT", "WAV", "SAF", "TIM", "LKG", "COM")
        )
        == 47
    )


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            ("upper: 480 uA", "upper: 480 uFlub"),
            ":.*requirements\\[4\\].upper: expected a quantity",
        ),
        (("upper: 480 uA", "upper: 4.8 V"), "requirements\\[4\\].upper: expected a quantity in uA"),
        (("lower: 320 uA", "lower: 490 uA"), "requirements\\[4\\].lower: expected a lower limit"),
        (
            ("id: OUT-AMP-L4", "id: OUT-AMP-L5"),
            "requirements\\[\\d\\].id: expected a requirement id used once",
        ),
        (
            ("default_decision_rule: guarded", "default_decision_rule: strict"),
            "spec.default_decision_rule",
        ),
        (('  version: "1.0.0"', "  version: [1.0.0"), "yaml: expected valid YAML syntax"),
    ],
)
def test_bad_spec_exits_2_with_one_line(tmp_path, capsys, edit, fragment):
    import re

    text = SPEC.read_text()
    assert edit[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    assert main(["spec", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"hil: input error: {bad}:")
    assert re.search(fragment, err), err


def test_hil_run_with_bad_spec_touches_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.read_text().replace("upper: 480 uA", "upper: 480 V", 1))
    reports = tmp_path / "reports"
    assert main(["run", f"--spec={bad}", "--reports-dir", str(reports)]) == 2
    assert "requirements[4].upper" in capsys.readouterr().err
    assert not reports.exists()
    assert gc.isenabled(), "hil run left the garbage collector off after an input error"


def test_hil_run_with_unknown_fault_exits_2(tmp_path, capsys):
    reports = tmp_path / "reports"
    code = main(
        [
            "run",
            "--sim-fault=gremlins",
            f"--reports-dir={reports}",
            "-q",
            str(ROOT / "test_suites" / "test_identity.py"),
        ]
    )
    assert code == 2
    assert not (reports / "results.db").exists()


def test_results_export_csv(tmp_path):
    reports = tmp_path / "reports"
    code = main(
        [
            "run",
            "--run-id=R-CLI",
            f"--reports-dir={reports}",
            "--serial=SN-CLI-9",
            "--no-report",  # the export is the point here
            "--no-allure",
            "-q",
            "-p",
            "no:randomly",
            str(ROOT / "test_suites" / "test_identity.py"),
        ]
    )
    assert code == 0
    out = tmp_path / "r.csv"
    assert (
        main(
            [
                "results",
                "export",
                "--run",
                "R-CLI",
                "--format",
                "csv",
                "--store",
                str(reports / "results.db"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table["requirement_id"]) == ["COM-ID", "COM-STATE"]
    assert table["unit_serial"].iloc[0] == "SN-CLI-9"  # a simulated unit takes the serial given
    assert pd.read_parquet(reports / "R-CLI" / "results.parquet").shape[0] == 2


KILLER = """
import os, signal
import pytest

@pytest.mark.requirement("OUT-AMP-L1", "OUT-AMP-L2", "OUT-AMP-L3")
def test_dies_mid_run(measure):
    measure("OUT-AMP-L1", 80.0)
    measure("OUT-AMP-L2", 160.0)
    os.kill(os.getpid(), signal.SIGKILL)
    measure("OUT-AMP-L3", 240.0)
"""

UNIT = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity():
    return UnitIdentity(model="RMD-1", serial="SN-K", firmware="1", hardware="A")
"""


def _run_pytest(folder: Path, run_id: str, reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(folder),
            f"--bench={SIM_BENCH}",
            f"--reports-dir={reports}",
            f"--run-id={run_id}",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_killed_run_keeps_its_measurements_and_is_marked_incomplete(tmp_path):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "conftest.py").write_text(textwrap.dedent(UNIT))
    (folder / "test_kill.py").write_text(textwrap.dedent(KILLER))
    reports = tmp_path / "reports"
    done = _run_pytest(folder, "KILLED", reports)
    assert done.returncode == -signal.SIGKILL
    with ResultsStore.open(reports / "results.db") as store:
        assert [m.requirement_id for m in store.measurements("KILLED")] == [
            "OUT-AMP-L1",
            "OUT-AMP-L2",
        ]
        assert store.get_run("KILLED").status == "running"
    (folder / "test_kill.py").write_text(
        KILLER.replace("    os.kill(os.getpid(), signal.SIGKILL)\n", "")
    )
    assert _run_pytest(folder, "NEXT", reports).returncode == 0
    with ResultsStore.open(reports / "results.db") as store:
        assert store.get_run("KILLED").status == "incomplete"
        assert store.get_run("NEXT").status == "passed"
        assert len(store.measurements("NEXT")) == 3
    assert os.path.exists(reports / "NEXT" / "results.parquet")


def test_option_values_are_not_taken_for_test_paths(monkeypatch, tmp_path):
    """`hil run -p no:cacheprovider -k X` still runs the compliance suites, not tests/."""
    import harness.cli.main as cli

    seen: list[list[str]] = []
    monkeypatch.setattr("pytest.main", lambda argv, plugins=(): seen.append(argv) or 0)
    reports = f"--reports-dir={tmp_path}"  # not the checkout's own reports/ and its store
    assert cli.main(["run", reports, "--no-report", "-p", "no:cacheprovider", "-k", "OUT-AMP"]) == 0
    assert seen[0][-1] == str(cli.SUITES)
    tests = str(ROOT / "test_suites" / "test_identity.py")
    assert cli.main(["run", reports, "--no-report", tests]) == 0
    assert seen[1][-1].endswith("test_identity.py") and str(cli.SUITES) not in seen[1]


def _left_out(*pytest_args: str, no_allure: bool = True, workers: int = 1) -> list[str]:
    args = argparse.Namespace(no_allure=no_allure, workers=workers)
    return [a.removeprefix("no:") for a in plugins_left_out(args, list(pytest_args)) if a != "-p"]


def test_hil_run_leaves_out_the_plugins_it_does_not_use(monkeypatch):
    """allure-pytest without Allure results, xdist on one bench; kept whenever an argument
    may be theirs, so pytest still understands every argument it is given."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    everything = ["platformdirs", "pytester", "allure_pytest", "xdist", "xdist.looponfail"]
    assert _left_out("-k", "OUT-AMP") == everything
    assert "allure_pytest" not in _left_out(no_allure=False)
    assert "allure_pytest" not in _left_out("--alluredir=x")
    assert "allure_pytest" not in _left_out("--allure-severities", "critical")
    assert "xdist" not in _left_out(workers=2)
    for xdist_args in (["-n", "2"], ["-n2"], ["--dist=load"], ["-p", "xdist"], ["-rfE"]):
        assert "xdist" not in _left_out(*xdist_args), xdist_args
    assert "pytester" not in _left_out("-p", "pytester")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--numprocesses 2")
    assert "xdist" not in _left_out()


def test_the_session_takes_the_inputs_hil_run_checked_only_while_unchanged(tmp_path):
    """``CheckedInputs``: the same path with the same bytes, else the session reads it."""
    from harness.definitions.bench_file import load_bench
    from harness.judging.spec import load_spec

    bench_file = tmp_path / "bench.yaml"
    bench_file.write_bytes(SIM_BENCH.read_bytes())
    bench_bytes = CheckedInputs.read(bench_file)
    bench = load_bench(bench_file)
    spec_bytes = CheckedInputs.read(SPEC)
    checked = CheckedInputs(bench, bench_bytes, load_spec(SPEC), spec_bytes)
    assert checked.bench_for(bench_file) is bench
    assert checked.spec_for(SPEC) is checked.spec
    assert checked.bench_for(SIM_BENCH) is None  # another file
    bench_file.write_bytes(bench_file.read_bytes() + b"\n# edited\n")
    assert checked.bench_for(bench_file) is None  # edited since it was checked
    assert CheckedInputs.read(tmp_path / "missing.yaml") is None
    assert CheckedInputs(bench, None, checked.spec, None).spec_for(SPEC) is None
