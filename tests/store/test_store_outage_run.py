"""A whole `hil run` loses its central database mid-run: the run goes on, nothing is lost.

`tests/store/test_store_outage.py` proves the journal itself; this proves the harness
uses it. A real compliance run (`hil run`, a subprocess, part of the suite on the
simulated bench) writes to a real PostgreSQL database through a TCP proxy. Once the
server holds the run's first measurements the proxy is cut, as a network outage looks
from the bench. The run must finish with its verdicts and its ``results.parquet``
complete, keep what the server missed in ``reports/.store-journal``, and `hil db flush`
must later bring the server every measurement exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from store_backends import Proxy, postgres_url  # noqa: F401  (fixture)

from harness.recording.store.results_store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
HIL = [sys.executable, "-m", "harness.cli.main"]
RUN_ID = "outage-run-1"
# Enough of the suite to be running for a few seconds after the first measurement.
SELECTION = "test_output_current.py"


def central_seqs(url: str) -> list[int]:
    with ResultsStore.open(url, create=False) as store:
        return [m.seq for m in store.measurements(RUN_ID)]


@pytest.mark.slow
def test_database_cut_mid_run_then_flush_uploads_every_row_once(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    proxy = Proxy(postgres_url)
    reports = tmp_path / "reports"
    run = subprocess.Popen(
        [*HIL, "run", f"--store={proxy.url}", f"--reports-dir={reports}", f"--run-id={RUN_ID}",
         "--serial=RMD1-SIM-0001", "--no-report", "--no-allure",
         str(ROOT / "test_suites" / SELECTION), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    seen_before_cut: list[int] = []
    while not seen_before_cut:  # the run is under way and uploading behind itself
        assert run.poll() is None, "the run ended before the database could be cut"
        assert time.monotonic() < deadline, "no measurement reached the server"
        time.sleep(0.05)
        try:
            seen_before_cut = central_seqs(postgres_url)
        except Exception:  # the run has not created its layout or record yet
            seen_before_cut = []
    proxy.cut()
    output, _ = run.communicate(timeout=600)

    assert run.returncode == 0, output
    assert "results database unreachable" in output, output
    run_dir = reports / RUN_ID
    table = pd.read_parquet(run_dir / "results.parquet")
    assert json.loads((run_dir / "run.json").read_text())["status"] == "passed"
    taken = sorted(int(s) for s in table["seq"])
    assert taken == list(range(1, len(taken) + 1))
    assert len(taken) > len(seen_before_cut)  # measured while the server was away
    on_server = central_seqs(postgres_url)
    assert len(on_server) < len(taken)  # the server really missed some
    journals = list((reports / ".store-journal").glob("*.db"))
    assert len(journals) == 1

    proxy.restore()
    flush = subprocess.run(
        [*HIL, "db", "flush", f"--store={postgres_url}", f"--journal={reports / '.store-journal'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert flush.returncode == 0, flush.stdout + flush.stderr
    assert "uploaded, removed" in flush.stdout

    with ResultsStore.open(postgres_url, create=False) as central:
        rows = central.measurements(RUN_ID)
        record = central.get_run(RUN_ID)
    assert [m.seq for m in rows] == taken  # every measurement, once, in order
    by_seq = table.set_index("seq")
    for m in rows:  # the same numbers and verdicts the bench reported
        assert m.value == by_seq.loc[m.seq, "value"]
        assert m.verdict == by_seq.loc[m.seq, "verdict"]
    assert record.status == "passed" and record.ended_at is not None
    assert list((reports / ".store-journal").glob("*.db")) == []
