"""The serial relay board as the RMD-2's button actuator, on its simulated counterpart.

The board's driver talks its line protocol through pyserial to the simulated board
(``hilrelay://``), whose relays 1 and 2 are wired across POWER and LEVEL: a whole
``hil run`` (TIM-IDLE-OFF) passes with every press made by the board; a relay whose
contact is dead (the board's read-back still says ON, as a cheap board's latch does) is
a level press the output does not show, so the step fails (StepNotConfirmed) instead of
passing; a line the board cannot execute is in its error queue for the driver to read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bench.station import Bench, open_bench
from harness.data import BENCHES
from harness.definitions.bench_file import load_bench
from harness.instruments.serial_relay_board import SerialRelayBoard
from harness.procedures.activity import unit_is_on
from harness.procedures.treatment import Conditions, start_treatment
from harness.procedures.unit_control import StepNotConfirmed, output_peak_a
from harness.sim.relay_board import relay_board_for

BOARD_BENCH = BENCHES / "sim-rmd2-relayboard.yaml"
L2 = Conditions(load_ohms=500.0, level=2, frequency=None, battery_v=3.8)
LEVEL_RELAY = 2


@pytest.fixture
def bench() -> Iterator[Bench]:
    opened = open_bench(load_bench(BOARD_BENCH))
    try:
        yield opened
    finally:
        opened.safe_state()
        opened.close()


def _board(bench: Bench) -> SerialRelayBoard:
    board = bench.instruments["relays"]
    assert isinstance(board, SerialRelayBoard)
    return board


def test_hil_run_with_the_relay_board_pressing_passes(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "harness.cli", "run", f"--bench={BOARD_BENCH}",
            "--req=TIM-IDLE-OFF", f"--reports-dir={tmp_path}", "--run-id=RB",
            "--no-report", "--no-allure", "-q", "-p", "no:cacheprovider"]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "TIM-IDLE-OFF" in done.stdout and "PASS" in done.stdout, done.stdout
    folder = tmp_path / "RB"
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    closed = [e for e in events if (e["instrument"], e["action"]) == ("relays", "close_channel")]
    assert closed and all(e["outcome"] == "ok" for e in closed), closed
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "passed"
    assert run["unit"]["battery"] == "not known: no test port"  # no operator on this bench
    assert any(i["resource"].startswith("hilrelay://") for i in run["instruments"])


def test_the_board_presses_the_buttons_of_a_good_unit(bench: Bench) -> None:
    start_treatment(bench, L2, settle_s=0.5)
    assert unit_is_on(bench)
    assert 200e-6 < output_peak_a(bench, 500.0) < 300e-6  # level 2: 250 uA
    assert _board(bench).closed_channels() == set()  # every press released


def test_a_press_on_a_dead_relay_is_a_failed_step_not_a_pass(bench: Bench) -> None:
    relay_board_for(bench.sim).dead.add(LEVEL_RELAY)
    with pytest.raises(StepNotConfirmed, match="level press from level 1"):
        start_treatment(bench, L2, settle_s=0.5)
    # the board itself saw nothing wrong: its read-back followed every command
    assert _board(bench).check_errors() == []


def test_a_line_the_board_cannot_execute_is_in_its_error_queue(bench: Bench) -> None:
    board = _board(bench)
    board.port.write(b"R9 ON\n")
    board.port.write(b"BLINK\n")
    errors = board.check_errors()
    assert len(errors) == 2 and "relay 9 outside 1..8" in errors[0], errors
    assert "unknown command" in errors[1]
    assert board.closed_channels() == set()


def test_the_safe_state_opens_the_button_relays_too(bench: Bench) -> None:
    """A relay left closed across POWER would hold the button down after an abort."""
    board = _board(bench)
    board.close_channel(LEVEL_RELAY)
    assert board.closed_channels() == {LEVEL_RELAY}
    assert bench.safe_state() == []
    assert board.closed_channels() == set()
