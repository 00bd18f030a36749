"""A measurement's uncertainty budget is stored, exported and survives a layout upgrade.

Schema version 2 added ``measurements.uncertainty_budget_json``. A store or a bench
journal written by a harness before it (version 1) is upgraded by ``hil db upgrade``
(a journal by the flush that uploads it); its rows then read as "no budget recorded".
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from test_store_roundtrip import make_measurement, make_run

from harness.cli import db as db_cmd
from harness.errors import InputError
from harness.judging.uncertainty import UncertaintyBudget
from harness.recording.measure import recorded_budget
from harness.recording.record import Measurement, RecordedBudget
from harness.recording.results import export, load
from harness.recording.store.journal import BufferedStore
from harness.recording.store.results_store import STORE_SCHEMA_VERSION, ResultsStore
from harness.recording.store.upload import flush_journals


def budgeted(seq: int) -> Measurement:
    """A row whose U comes from a budget with a Type A line (ν = 4) and a bound (ν = ∞)."""
    budget = (
        UncertaintyBudget()
        .add_accuracy("ammeter accuracy", 1e-4, 0.05, 0.005, 1e-3)
        .add_type_a("repeatability", 4e-8, n=5, sensitivity=0.5)
    )
    kept = recorded_budget(budget, budget.coverage_factor(), 1.0)
    u = budget.expanded()
    return make_measurement(
        seq, expanded_uncertainty=u, coverage_factor=kept.coverage_factor, uncertainty_budget=kept
    )


def test_budget_round_trips_through_store_parquet_and_csv(tmp_path: Path) -> None:
    with ResultsStore.open(tmp_path / "results.db") as store:
        store.begin_run(make_run())
        store.append(budgeted(1))
        store.append(make_measurement(2))  # U given as a number: no budget
        back = store.measurements("run-1")
        assert back == [budgeted(1), make_measurement(2)]
        export(store, "run-1", "parquet", tmp_path / "results.parquet")
        export(store, "run-1", "csv", tmp_path / "results.csv")
    kept = budgeted(1).uncertainty_budget
    assert kept is not None and kept.effective_degrees_of_freedom is not None
    for frame in (pd.read_parquet(tmp_path / "results.parquet"),
                  pd.read_csv(tmp_path / "results.csv")):  # fmt: skip
        cells = list(frame["uncertainty_budget"])
        assert RecordedBudget.model_validate_json(cells[0]) == kept
        assert pd.isna(cells[1])
    lines = json.loads(pd.read_parquet(tmp_path / "results.parquet")["uncertainty_budget"][0])
    assert [ln["degrees_of_freedom"] for ln in lines["lines"]] == [None, 4]
    assert lines["coverage_factor"] > 2.0


def test_budget_goes_through_the_journal_to_the_central_store(tmp_path: Path) -> None:
    central = tmp_path / "central.db"
    ResultsStore.open(central).close()
    with BufferedStore.open(f"sqlite:///{central}", tmp_path / "journal") as store:
        store.begin_run(make_run())
        store.append(budgeted(1))
        assert store.flush()
    with ResultsStore.open(central) as server:
        assert server.measurements("run-1") == [budgeted(1)]


def _as_version_1(path: Path) -> None:
    """Turn a store into the version-1 layout: no budget column, version 1 recorded."""
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE measurements DROP COLUMN uncertainty_budget_json")
        db.execute("UPDATE schema_info SET version = 1")
    sqlite3.connect(path).close()


def _old_store(path: Path) -> None:
    with ResultsStore.open(path) as store:
        store.begin_run(make_run())
        store.append(make_measurement(1))
    _as_version_1(path)


def test_version_1_store_is_refused_then_upgraded_and_reads_no_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert STORE_SCHEMA_VERSION == 2
    path = tmp_path / "results.db"
    _old_store(path)
    with pytest.raises(InputError, match="schema version 1; migrate the store: hil db upgrade"):
        ResultsStore.open(path)
    args = argparse.Namespace(db_action="upgrade", store=str(path), journal=None)
    assert db_cmd.run(args) == 0
    assert "upgraded schema version 1 -> 2" in capsys.readouterr().out
    with ResultsStore.open(path) as store:
        (old,) = store.measurements("run-1")
        assert old.uncertainty_budget is None and old == make_measurement(1)
        store.append(budgeted(2))  # the upgraded store keeps budgets from now on
        frame = load(store, "run-1")
    assert pd.isna(frame["uncertainty_budget"][0]) and isinstance(
        frame["uncertainty_budget"][1], str)  # fmt: skip


def test_version_1_journal_is_upgraded_and_uploaded(tmp_path: Path) -> None:
    central = tmp_path / "central.db"
    ResultsStore.open(central).close()
    journal = tmp_path / "journal"
    journal.mkdir()
    _old_store(journal / "20260301T120000-1-abcdef.db")
    (result,) = flush_journals(f"sqlite:///{central}", journal)
    assert result.complete and result.inserted == 1, result.summary()
    assert not list(journal.glob("*.db"))
    with ResultsStore.open(central) as server:
        assert [m.uncertainty_budget for m in server.measurements("run-1")] == [None]
