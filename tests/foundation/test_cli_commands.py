"""The ``hil`` commands an operator types: version, help, fault list, ``-`` and bad ids."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from harness import __version__
from harness.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def test_version_prints_the_harness_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"hil {__version__}"


def _without_help(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _without_help(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            found.append((path, action.option_strings[0] if action.option_strings else action.dest))
    return found


def test_every_option_of_every_command_has_help():
    assert _without_help(build_parser(), "hil") == []


def test_sim_faults_lists_every_fault_with_its_values(capsys):
    from harness.sim.faults import KNOWN_FAULTS

    assert main(["sim", "faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["FAULT", "VALUES"]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert set(by_name) == set(KNOWN_FAULTS)
    assert "gain=F: a factor in (0, 10]" in by_name["gain"] and "OUT-AMP" in by_name["gain"]
    assert "ocp=off (or =on)" in by_name["ocp"]
    assert "(a flag, no value)" in by_name["stuck_polarity"]


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("cli") / "reports"
    code = main(
        ["run", "--run-id=R-CMD", f"--reports-dir={reports}", "--serial=SN-CMD-1", "--no-report",
         "--no-allure", "-q", "-p", "no:randomly", str(ROOT / "test_suites" / "test_identity.py")]
    )  # fmt: skip
    assert code == 0
    return reports


def test_dash_as_out_is_standard_output(one_run, capsysbinary, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = str(one_run / "results.db")
    args = ["results", "export", "--run", "R-CMD", "--format", "csv", "--store", store]
    assert main([*args, "--out", "-"]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith("run_id,") and "COM-ID" in out
    assert not (tmp_path / "-").exists()


def test_stats_refuses_a_chart_id_it_cannot_draw(one_run, capsys, tmp_path):
    store = str(one_run / "results.db")
    assert main(["stats", "--store", store, "--charts", str(tmp_path), "--chart", "NOPE"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--chart" in err[0] and "NOPE" in err[0]
    assert main(["stats", "--store", store, "--chart", "COM-ID"]) == 2
    assert main(["stats", "--store", store, "--charts", "-"]) == 2
    assert main(["stats", "--store", store, "--charts", str(tmp_path), "--chart", "all"]) == 0


def test_results_export_still_writes_a_file(one_run, tmp_path):
    out = tmp_path / "r.csv"
    store = str(one_run / "results.db")
    assert main(["results", "export", "--run", "R-CMD", "--format", "csv", "--store", store,
                 "--out", str(out)]) == 0  # fmt: skip
    assert list(pd.read_csv(out)["requirement_id"]) == ["COM-ID", "COM-STATE"]
