"""Selecting by requirement: -k matches requirement ids, --req globs, empty is an error."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.cli.main import main

UNIT = """
import pytest
from harness.recording.record import UnitIdentity

@pytest.fixture(scope="session")
def unit_identity():
    return UnitIdentity(model="RMD-1", serial="SN-1", firmware="1", hardware="A")
"""

TESTS = """
import pytest

@pytest.mark.requirement("OUT-AMP-L5")
def test_peak(measure):
    measure("OUT-AMP-L5", 401.0, uncertainty=5.0)

@pytest.mark.requirement("OUT-MONO")
def test_order(measure):
    measure.check("OUT-MONO", True)
"""


def _run(tmp_path: Path, monkeypatch, *args: str) -> int:
    # a module name of its own per test: one process imports each of these sessions
    module = f"test_sel_{abs(hash(tmp_path.name))}.py"
    (tmp_path / "conftest.py").write_text(textwrap.dedent(UNIT))
    (tmp_path / module).write_text(textwrap.dedent(TESTS))
    monkeypatch.chdir(tmp_path)
    return main(["run", f"--reports-dir={tmp_path / 'reports'}", "--run-id=R-SEL", "--no-report",
                 "--no-allure", "-p", "no:randomly", *args, module])  # fmt: skip


def test_k_matches_requirement_ids(tmp_path, monkeypatch, capsys):
    assert _run(tmp_path, monkeypatch, "-k", "OUT-AMP", "-x") == 0
    assert "1 passed, 1 deselected" in capsys.readouterr().out


def test_req_globs_select_by_requirement(tmp_path, monkeypatch, capsys):
    assert _run(tmp_path, monkeypatch, "--req", "out-mo*") == 0
    out = capsys.readouterr().out
    assert "1 passed, 1 deselected" in out and "OUT-MONO" in out and "OUT-AMP-L5" not in out


def test_a_selection_of_nothing_is_an_input_error_and_leaves_no_folder(
    tmp_path, monkeypatch, capsys
):
    assert _run(tmp_path, monkeypatch, "--req", "NOPE-*") == 2
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "input error" in line] == [
        line for line in out.splitlines() if "selects none of the collected tests" in line
    ]
    assert not (tmp_path / "reports" / "R-SEL").exists()
