"""``hil stats`` and the charts over a real results store written through its own API."""

from __future__ import annotations

import argparse
import io
import math
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import stats as stats_cmd
from harness.recording.record import Measurement, RunRecord, UnitIdentity
from harness.recording.store.results_store import ResultsStore
from harness.reporting import control_charts, stats

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
VCOMP = [12.0, 12.2, 11.8, 12.1, 11.9, 12.0]  # mean 12.0


def _run(
    store: ResultsStore, n: int, serial: str, vcomp: float, *, bench: str = "SIM-1",
    spec: str = "RMD-1", day: int = 0,
) -> None:  # fmt: skip
    started = T0 + timedelta(days=day, minutes=n)
    run_id = f"run-{n:02d}"
    store.begin_run(RunRecord(
        run_id=run_id, unit=UnitIdentity(model="RMD-1", serial=serial, firmware="1.0",
                                         hardware="A"),
        bench_id=bench, station="st", operator="op", spec_id=spec, spec_version="1",
        spec_sha256="0" * 64, harness_version="0.1", python_version="3.11",
        started_at=started, host=socket.gethostname(), pid=os.getpid(),
    ))  # fmt: skip
    for seq, (rid, value, lo, hi, unit) in enumerate(
        [("OUT-VCOMP", vcomp, 10.8, 13.2, "V"), ("OUT-AMP-L5", 400.0 + n, 320.0, 480.0, "uA")],
        start=1,
    ):
        store.append(Measurement(
            run_id=run_id, seq=seq, requirement_id=rid, test_id="t", quantity="q", value=value,
            unit=unit, lower_limit=lo, upper_limit=hi, decision_rule="guarded", verdict="PASS",
            taken_at=started + timedelta(seconds=seq),
        ))  # fmt: skip
    store.finish_run(run_id, "passed", started + timedelta(seconds=30))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "results.db"
    with ResultsStore.open(path) as store:
        for n, value in enumerate(VCOMP, start=1):
            _run(store, n, f"RMD1-SIM-{n:04d}", value)
        _run(store, 7, "OTHER-0001", 13.0, bench="REAL-1")  # another bench
        _run(store, 8, "OTHER-0002", 13.0, spec="RMD-2")  # another spec
        _run(store, 9, "LATE-0001", 13.0, day=40)  # December
    return path


def _hil_stats(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="hil")
    stats_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["stats", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_filters_reach_the_store(db: Path) -> None:
    assert stats.load_results(db)["run_id"].nunique() == 9
    assert set(stats.load_results(db, bench_id="REAL-1")["unit_serial"]) == {"OTHER-0001"}
    assert "OTHER-0002" not in set(stats.load_results(db, spec_id="RMD-1")["unit_serial"])
    november = stats.load_results(db, since=T0, until=T0 + timedelta(days=30))
    assert "LATE-0001" not in set(november["unit_serial"])


def test_hil_stats_prints_yield_and_capability(db: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _hil_stats(
        ["--store", str(db), "--bench", "SIM-1", "--spec", "RMD-1", "--until", "2026-11-30"],
        capsys,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("first-pass yield: 6/6 units = 100.0 % (6 runs, 12 measurements)")
    vcomp = next(line for line in lines if line.startswith("OUT-VCOMP")).split()
    # sample sd of VCOMP is sqrt(0.1/5) = 0.14142; Cp = 2.4 / (6 * 0.14142) = 2.8284
    assert vcomp[:6] == ["OUT-VCOMP", "V", "6", "6", "100.0", "%"]
    assert vcomp[6:9] == ["6", "12", "0.1414"]  # n, mean, sd to 4 significant digits
    # Bissell, by hand: 2.8284 -+ 1.96 * sqrt(1/54 + 2.8284^2/10) = 1.0552 .. 4.6016
    cpk = 1.2 / (3 * math.sqrt(0.02))
    half = 1.959964 * math.sqrt(1 / 54 + cpk**2 / 10)
    assert (round(cpk - half, 2), round(cpk + half, 2)) == (1.06, 4.60)
    assert vcomp[-6:] == ["2.83", "2.83", "[1.06,4.6]", "insufficient", "data", "(n<25)"]


def test_hil_stats_csv_is_one_clean_table(db: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = _hil_stats(["--store", str(db), "--spec", "RMD-1", "--format", "csv"], capsys)
    assert code == 0 and err.startswith("first-pass yield: 8/8 units")
    table = pd.read_csv(io.StringIO(out)).set_index("requirement_id")
    assert list(table.reset_index().columns) == stats.TABLE_COLUMNS
    assert table.loc["OUT-VCOMP", "n"] == 8  # SIM-1 x 6, REAL-1, LATE-0001


def test_a_bare_until_date_includes_that_whole_day(db: Path, capsys: pytest.CaptureFixture) -> None:
    _, out, _ = _hil_stats(["--store", str(db), "--since", "2026-11-01", "--until",
                            "2026-11-01"], capsys)  # fmt: skip
    assert out.startswith("first-pass yield: 8/8 units")  # all but December's


def test_hil_stats_writes_charts(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    charts = tmp_path / "charts"
    code, _, err = _hil_stats(
        ["--store", str(db), "--bench", "SIM-1", "--charts", str(charts),
         "--chart", "OUT-VCOMP", "--chart", "OUT-AMP-L5"],
        capsys,
    )  # fmt: skip
    assert code == 0 and "charts: 2 written" in err
    names = sorted(p.name for p in charts.iterdir())
    assert names == ["imr_OUT-AMP-L5.png", "imr_OUT-VCOMP.png"]
    assert (charts / "imr_OUT-VCOMP.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_mistyped_chart_id_is_an_input_error(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = _hil_stats(
        ["--store", str(db), "--charts", str(tmp_path / "c"), "--chart", "NOT-THERE"], capsys
    )
    assert code == 2 and "NOT-THERE" in err and not (tmp_path / "c").exists()


def test_charts_are_deterministic(db: Path, tmp_path: Path) -> None:
    values = stats.per_run_values(stats.first_runs(stats.load_results(db)))
    first = control_charts.write_charts(values, tmp_path / "a", ["OUT-VCOMP"])
    second = control_charts.write_charts(values, tmp_path / "b", ["OUT-VCOMP"])
    assert first[0].read_bytes() == second[0].read_bytes()
    assert control_charts.write_charts(values, tmp_path / "c", None)  # every requirement


def test_an_empty_selection_prints_an_empty_table(db: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _hil_stats(["--store", str(db), "--bench", "NO-SUCH-BENCH"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "first-pass yield: 0/0 units = - (0 runs, 0 measurements)"
