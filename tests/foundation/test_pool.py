"""Benches in parallel: pool files, serial lists, and two simulated units at once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.data import SIM_BENCH, SIM_POOL
from harness.definitions.bench_pool import load_pool, parse_serials, worker_index
from harness.errors import InputError
from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]


def test_pool_file_resolves_benches(tmp_path):
    benches = load_pool(SIM_POOL)
    assert benches == [SIM_BENCH] * 2
    bad = tmp_path / "pool.yaml"
    bad.write_text("schema: 1\nline: L\nbenches:\n  - nowhere.yaml\n")
    with pytest.raises(InputError, match=r"pool.yaml:4: benches\[0\]: expected an existing"):
        load_pool(bad)


def test_a_serials_file_that_is_not_utf8_names_its_line(tmp_path):
    """A list saved by a spreadsheet in Windows-1252 ('SN-µ1' with one byte for µ) raised
    a bare UnicodeDecodeError; it is an input error naming the file and the line."""
    listed = tmp_path / "serials.txt"
    listed.write_bytes(b"SN-1\nSN-2\nSN-\xb51\n")
    with pytest.raises(InputError) as info:
        parse_serials(f"@{listed}")
    assert (info.value.line, info.value.got) == (3, "byte 0xB5")
    assert str(listed) in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_serials_file_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    """Reading a FIFO named as the list would block the line's start for ever."""
    fifo = tmp_path / "serials"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="a regular file"):
        parse_serials(f"@{fifo}")


def test_serials_from_text_or_file(tmp_path):
    assert parse_serials("A-1, A-2") == ["A-1", "A-2"]
    listed = tmp_path / "serials.txt"
    listed.write_text("# line 3\nB-7\n\nB-8  # second bench\n")
    assert parse_serials(f"@{listed}") == ["B-7", "B-8"]
    with pytest.raises(InputError, match="each serial once"):
        parse_serials("A,A")
    with pytest.raises(InputError, match="at least one serial"):
        parse_serials(" , ")
    assert (worker_index("gw3"), worker_index("master"), worker_index(None)) == (3, None, None)


@pytest.mark.parametrize("allure", [True, False], ids=["allure", "no-allure"])
def test_two_units_on_two_benches_at_once(tmp_path, allure):
    reports = tmp_path / "reports"
    code = main(
        [
            "run",
            "--workers=2",
            f"--bench-pool={SIM_POOL}",
            "--serials=LINE-A,LINE-B",
            "--no-report",
            *([] if allure else ["--no-allure"]),
            "--run-id=PAR",
            f"--reports-dir={reports}",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "test_suites" / "test_identity.py"),
        ]
    )
    assert code == 0
    serials = {}
    for k in (0, 1):
        record = json.loads((reports / f"PAR-gw{k}" / "run.json").read_text())
        serials[record["run_id"]] = record["unit"]["serial"]
        assert (reports / f"PAR-gw{k}" / "manifest.json").is_file()
    assert serials == {"PAR-gw0": "LINE-A", "PAR-gw1": "LINE-B"}
    # one Allure results folder for the line (the serial keeps the units apart), or none
    results = sorted((reports / "PAR-allure-results").glob("*-result.json"))
    assert len(results) == (4 if allure else 0)
    assert all(json.loads(r.read_text())["status"] == "passed" for r in results)
    with ResultsStore.open(reports / "results.db") as store:
        for run_id in serials:
            assert {m.requirement_id for m in store.measurements(run_id)} == {"COM-ID", "COM-STATE"}
