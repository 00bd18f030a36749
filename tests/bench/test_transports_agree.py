"""The same suite on the in-process and on the loopback transport: identical readings.

Both transports drive the same physical model with the same seed through the same
drivers; only the path of the bytes differs (an in-process PyVISA backend and pyserial
URL handler, or pyvisa-py over TCP sockets and a serial socket). Every recorded value
must be bit-for-bit the same, which also proves the model is deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.cli.main import main
from harness.data import BENCHES

ROOT = Path(__file__).resolve().parents[2]
SUITES = [
    str(ROOT / "test_suites" / name)
    for name in ("test_waveform.py", "test_timers.py", "test_identity.py")
]


@pytest.mark.slow
def test_in_process_and_loopback_record_identical_values(tmp_path):
    tables = {}
    for name, bench in (("inproc", "sim.yaml"), ("loopback", "sim-loopback.yaml")):
        code = main(
            [
                "run",
                f"--bench={BENCHES / bench}",
                f"--reports-dir={tmp_path}",
                f"--run-id={name}",
                "--no-report",  # the readings are the point; the reports are tested elsewhere
                "--no-allure",
                "-q",
                *SUITES,
            ]
        )
        assert code == 0, name
        tables[name] = pd.read_parquet(tmp_path / name / "results.parquet")
    a, b = tables["inproc"], tables["loopback"]
    assert len(a) == len(b) > 20
    assert list(a["requirement_id"]) == list(b["requirement_id"])
    # instrument readings are bit-identical; values computed from clock times may differ
    # in the last bit where the transports add the same durations in another order
    identical = (a["value"] == b["value"]).sum()
    assert identical >= len(a) - 2
    assert list(a["value"]) == pytest.approx(list(b["value"]), rel=1e-12)
    assert list(a["verdict"]) == list(b["verdict"])
    run = json.loads((tmp_path / "loopback" / "run.json").read_text())
    assert {i["resource"].split("::")[1] for i in run["instruments"]} == {"127.0.0.1"}
