"""The operator as a step: scripted answers, their refusals, and a terminal's time-out."""

from __future__ import annotations

import threading
from io import StringIO
from pathlib import Path

import pytest

from harness.dut.buttons import NOT_KNOWN, declared
from harness.dut.operator import (
    OperatorAbort,
    OperatorScriptError,
    OperatorTimeout,
    Prompt,
    ScriptedOperator,
    TerminalOperator,
    load_operator_input,
)
from harness.errors import InputError

PRESS = Prompt("press power", "Press and hold POWER for 1.2 s")


def _script(tmp_path: Path, text: str) -> ScriptedOperator:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return ScriptedOperator(load_operator_input(path), path)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("prompt: x\n", "(document)"),
        ("- {prompt: press power}\n", "[0].answer"),
        ("- {prompt: press power, answer: done, times: 0}\n", "[0].times"),
        ("- {prompt: press power, answer: done, when: now}\n", "[0]"),
    ],
)
def test_a_malformed_file_names_its_entry_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_operator_input(path)
    assert caught.value.field == field
    assert str(path) in str(caught.value)


def test_answers_are_consumed_in_order_and_all_repeats(tmp_path: Path) -> None:
    op = _script(
        tmp_path,
        "- {prompt: 'declare firmware', answer: '2.0.1'}\n"
        "- {prompt: 'press *', answer: done, times: all}\n"
        "- {prompt: 'declare hardware', answer: B}\n",
    )
    assert op.ask(Prompt("declare firmware", "?", declare=True), 1.0) == "2.0.1"
    assert [op.ask(PRESS, 1.0) for _ in range(3)] == ["done"] * 3
    assert op.ask(Prompt("declare hardware", "?", declare=True), 1.0) == "B"


def test_a_prompt_the_script_does_not_expect_is_refused_naming_both(tmp_path: Path) -> None:
    op = _script(tmp_path, "- {prompt: 'press level', answer: done}\n")
    with pytest.raises(OperatorScriptError) as caught:
        op.ask(PRESS, 1.0)
    message = str(caught.value)
    assert "answers.yaml:1" in message and "[0].prompt" in message
    assert "'press power'" in message and "'press level'" in message


def test_a_script_that_ends_early_is_refused(tmp_path: Path) -> None:
    op = _script(tmp_path, "- {prompt: 'press power', answer: done}\n")
    op.ask(PRESS, 1.0)
    with pytest.raises(OperatorScriptError, match="the file ended"):
        op.ask(PRESS, 1.0)


def test_abort_and_timeout_answers_are_the_operator_stopping_or_silent(tmp_path: Path) -> None:
    op = _script(
        tmp_path,
        "- {prompt: 'press power', answer: timeout}\n- {prompt: 'press power', answer: abort}\n",
    )
    with pytest.raises(OperatorTimeout):
        op.ask(PRESS, 5.0)
    with pytest.raises(OperatorAbort):
        op.ask(PRESS, 5.0)


def test_declared_values_are_marked_and_unknown_without_an_operator(tmp_path: Path) -> None:
    op = _script(tmp_path, "- {prompt: 'declare firmware', answer: unknown}\n")
    assert declared(op, "firmware", "?", 1.0) == "unknown (declared by the operator)"
    assert declared(None, "firmware", "?", 1.0) == NOT_KNOWN


def test_the_terminal_times_out_and_aborts() -> None:
    never = threading.Event()
    silent = TerminalOperator(read=lambda: str(never.wait(5.0)), out=StringIO())
    with pytest.raises(OperatorTimeout):
        silent.ask(PRESS, 0.05)
    never.set()
    out = StringIO()
    with pytest.raises(OperatorAbort):
        TerminalOperator(read=lambda: "a\n", out=out).ask(PRESS, 5.0)
    assert "Press and hold POWER" in out.getvalue()
    assert TerminalOperator(read=lambda: "\n", out=StringIO()).ask(PRESS, 5.0) == "done"
