"""hil run --retest RUN_ID: only what did not conform or was not measured, as a new run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.cli.main import main
from harness.cli.run import retest_requirements
from harness.errors import InputError

SPEC_IDS = {"OUT-AMP-L1", "OUT-AMP-L2", "OUT-MONO", "WAV-DC"}


def _results(reports: Path, run_id: str, rows: list[tuple[str, str]], status: str) -> None:
    (reports / run_id).mkdir(parents=True)
    frame = pd.DataFrame(rows, columns=["requirement_id", "verdict"]).assign(run_status=status)
    frame.to_parquet(reports / run_id / "results.parquet")


def test_retest_takes_what_did_not_conform(tmp_path):
    rows = [("OUT-AMP-L1", "FAIL"), ("OUT-AMP-L1", "PASS"), ("OUT-AMP-L2", "CONDITIONAL PASS"),
            ("OUT-MONO", "CONDITIONAL FAIL")]  # fmt: skip
    _results(tmp_path, "R1", rows, "failed")
    assert retest_requirements(tmp_path, "R1", SPEC_IDS) == ["OUT-AMP-L1", "OUT-MONO"]


def test_retest_of_an_unfinished_run_adds_what_it_never_measured(tmp_path):
    _results(tmp_path, "R2", [("OUT-AMP-L1", "PASS")], "interrupted")
    assert retest_requirements(tmp_path, "R2", SPEC_IDS) == ["OUT-AMP-L2", "OUT-MONO", "WAV-DC"]


def test_nothing_to_retest_or_no_such_run_is_an_input_error(tmp_path):
    _results(tmp_path, "R3", [("OUT-AMP-L1", "PASS")], "passed")
    with pytest.raises(InputError, match="every requirement conformed"):
        retest_requirements(tmp_path, "R3", SPEC_IDS)
    with pytest.raises(InputError, match="--retest"):
        retest_requirements(tmp_path, "NOPE", SPEC_IDS)


def test_retest_is_a_new_run_linked_to_the_first(tmp_path, monkeypatch):
    _results(tmp_path, "R4", [("OUT-AMP-L1", "FAIL")], "failed")
    seen: list[list[str]] = []
    monkeypatch.setattr("pytest.main", lambda argv, plugins=(): seen.append(argv) or 0)
    code = main(["run", f"--reports-dir={tmp_path}", "--run-id=R5", "--retest", "R4",
                 "--no-report"])  # fmt: skip
    assert code == 0
    assert "--req=OUT-AMP-L1" in seen[0] and "--env=retest_of=R4" in seen[0]
    assert "--run-id=R5" in seen[0]


def test_lf_is_refused_with_the_way_to_retest(tmp_path, capsys):
    assert main(["run", f"--reports-dir={tmp_path}", "--lf"]) == 2
    assert "--retest RUN_ID" in capsys.readouterr().err
