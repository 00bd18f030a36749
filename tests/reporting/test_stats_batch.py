"""``hil batch``: several simulated units, one ``hil run`` each, all in one store."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from harness.cli import batch
from harness.definitions.bench_file import load_bench
from harness.errors import InputError
from harness.recording.store.results_store import ResultsStore
from harness.reporting import stats
from harness.sim.unit_spread import draw_unit

ONE_TEST = "test_suites/test_output_current.py::test_peak_current_at_each_level"
NO_REPORTS = ("--no-report", "--no-allure")
"""The batch is about runs and the store: each unit's report (tested elsewhere) would
triple the cost of these tests. The evidence is still sealed."""
"""A short slice of the suite (OUT-AMP-L1..L5), so the batch test stays quick."""


def test_serials_are_numbered_from_the_prefix() -> None:
    assert batch.unit_serials(3) == ["RMD1-SIM-0001", "RMD1-SIM-0002", "RMD1-SIM-0003"]
    assert batch.unit_serials(1, "LOT7-", 42) == ["LOT7-0042"]
    with pytest.raises(InputError):
        batch.unit_serials(0)


def test_spread_becomes_faults_and_explicit_faults_win() -> None:
    seed = load_bench(batch.DEFAULT_BENCH).document.simulation.seed
    drawn = draw_unit("RMD1-SIM-0003", seed)
    assert batch.spread_faults(batch.DEFAULT_BENCH, "RMD1-SIM-0003", []) == drawn.fault_texts()
    pinned = batch.spread_faults(batch.DEFAULT_BENCH, "RMD1-SIM-0003", ["gain=0.9"])
    assert not any(text.startswith("gain=") for text in pinned)
    assert len(pinned) == len(drawn.fault_texts()) - 1


@pytest.mark.slow
def test_a_small_batch_makes_one_run_per_unit_in_one_store(tmp_path: Path) -> None:
    lines: list[str] = []
    result = batch.run_batch(
        3, reports_dir=tmp_path, pytest_args=[ONE_TEST, *NO_REPORTS], echo=lines.append
    )
    serials = ["RMD1-SIM-0001", "RMD1-SIM-0002", "RMD1-SIM-0003"]
    assert [u.serial for u in result.units] == serials
    assert all(u.passed and u.exit_code == 0 for u in result.units), lines
    assert len({u.run_id for u in result.units}) == 3
    assert lines[0].startswith("[1/3] RMD1-SIM-0001") and "passed" in lines[0]
    assert "3 passed, 0 failed; yield 100.0 %" in lines[-1]

    with ResultsStore.open(tmp_path / "results.db", create=False) as store:
        runs = {r.run_id: r for r in store.runs()}
    assert set(runs) == {u.run_id for u in result.units}
    seed = load_bench(batch.DEFAULT_BENCH).document.simulation.seed
    for unit in result.units:
        record = runs[unit.run_id]
        assert record.unit is not None and record.unit.serial == unit.serial
        assert record.sim_faults == draw_unit(unit.serial, seed).fault_texts()
        assert (tmp_path / unit.run_id / "run.json").is_file()

    frame = stats.load_results(tmp_path / "results.db")
    l5 = stats.per_run_values(frame).query("requirement_id == 'OUT-AMP-L5'")
    assert l5["value"].nunique() == 3  # three different units, not one unit three times
    assert stats.overall_yield(frame) == (3, 3, 1.0)

    summary = json.loads(next((tmp_path / "batches").glob("*/batch.json")).read_text())
    assert [u["serial"] for u in summary["units"]] == serials


@pytest.mark.slow
def test_the_command_exits_1_when_a_unit_fails(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="hil")
    batch.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args([
        "batch", "1", "--reports-dir", str(tmp_path), "--sim-fault", "gain=0.5",
        "--pytest-args", " ".join([ONE_TEST, *NO_REPORTS]),
    ])  # fmt: skip
    assert args.func(args) == 1
    frame = stats.load_results(tmp_path / "results.db")
    assert stats.overall_yield(frame) == (1, 0, 0.0)
    assert set(frame.loc[frame["verdict"] != "PASS", "requirement_id"]) >= {"OUT-AMP-L5"}
