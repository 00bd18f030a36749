"""A `hil run` whose unit restarts mid-test: that test errors as a device error, the rest
pass, and the bench is made safe at once and again at the end.

Three compliance tests run on the simulated bench with `--sim-fault reboot_at_s=40`: the
OUT-AMP-L1 test (bench time 1-6 s), the TIM-SESSION test (6-130 s, a five-minute
session on the virtual clock, so the watchdog bites in the middle of it) and the WAV-REV
test after it. Why the reboot fault is not in the fault matrix: it breaks no
requirement, it breaks whichever test runs at T (tests/suites/test_fault_matrix.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from harness.plugin.allure_files import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
SESSION_TEST = "test_session_length_pauses_while_contact_is_lost"
SELECTED = f"test_peak_current_at_each_level and L1 or {SESSION_TEST} or test_polarity_reversal"


def _category(message: str) -> str:
    """The Allure category a broken test with this message lands in."""
    return next(
        c["name"]
        for c in CATEGORIES
        if "broken" in c["matchedStatuses"]
        and re.fullmatch(c.get("messageRegex", r"[\s\S]*"), message)
    )


def test_a_restart_mid_test_is_a_device_error_and_the_run_goes_on(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    args = [
        *(sys.executable, "-m", "harness.cli.main", "run"),
        f"--reports-dir={tmp_path}",
        "--run-id=R",
        "--no-report",
        "--no-allure",
        "--sim-fault=reboot_at_s=40",
        *("-q", "-p", "no:cacheprovider", "-k", SELECTED, f"--junitxml={junit}"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    log = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 1, log

    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert len(cases) == 3, log
    failed = {name: case.find("failure") for name, case in cases.items()}
    assert [n for n, f in failed.items() if f is not None] == [SESSION_TEST], log
    message = failed[SESSION_TEST].get("message", "")  # type: ignore[union-attr]
    assert message.startswith("DeviceResetError: device port dut"), message
    assert "boot 2, reset cause watchdog" in message
    assert _category(message) == "Device communication errors"

    results = pd.read_parquet(tmp_path / "R" / "results.parquet")
    verdicts = dict(zip(results.requirement_id, results.verdict, strict=True))
    assert verdicts["OUT-AMP-L1"] == "PASS" and verdicts["WAV-REV"] == "PASS"  # after it too

    events = [json.loads(line) for line in (tmp_path / "R" / "events.jsonl").open()]
    steps = [
        (e["instrument"], e["action"], e["outcome"], e["test"]) for e in events if "instrument" in e
    ]
    in_session_test = [s[:3] for s in steps if SESSION_TEST in s[3]]
    restart = in_session_test.index(("dut", "status", "error"))
    made_safe = in_session_test[restart:]
    assert ("psu", "all_off", "ok") in made_safe and ("switch", "open_all", "ok") in made_safe
    last_actions = [s[:3] for s in steps if s[1] != "close"][-3:]
    assert last_actions == [
        ("dut", "safe_state", "ok"),
        ("psu", "all_off", "ok"),
        ("switch", "open_all", "ok"),
    ]
