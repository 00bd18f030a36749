"""The operator as a step of the test: a prompt saying what to do, and the answer.

A unit without a test port is worked by hand. The harness then asks the person at the
bench to press a button ("press power"), or to type what it cannot read from the unit
("declare firmware"), and goes on only with an answer. Every prompt has a short *key*
(``press power``) that a script can match, and a text that a person reads.

Two operators answer prompts:

* :class:`TerminalOperator` asks on the terminal and waits at most the bench file's
  ``operator_timeout_s``. Enter means done, ``a`` (abort) stops the run safely. No answer
  in time is :class:`OperatorTimeout`: the step failed, nobody said it was done.
* :class:`ScriptedOperator` answers from an ``--operator-input`` file (CI, the harness's
  own tests, a lab's dry run). The file is a YAML or JSON list of entries
  ``{prompt: <key or glob>, answer: <text>, times: <n or all>}``, consumed in order; a
  prompt the next entry does not expect is refused with :class:`OperatorScriptError`
  naming the file, the entry and both prompts, because answering the wrong question is
  how a scripted run would silently test something else.

Each prompt and its answer is a bench step of the instrument ``operator`` (an Allure step
and a line of ``events.jsonl``), like any relay closing.

Answers are text: ``done`` (a press was made), ``abort``, ``timeout`` (scripted only: as if
nobody answered), or for a ``declare`` prompt the declared value (``unknown`` when the
operator cannot tell). An operator's word is never evidence that a state changed: the
procedures confirm every press by measurement (``harness.procedures.unit_control``).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Protocol, TextIO

from harness.errors import HilError, InputError
from harness.events.steps import bench_step
from harness.judging.yamlfile import load_yaml

DONE, ABORT, TIMEOUT, UNKNOWN = "done", "abort", "timeout", "unknown"


@dataclass(frozen=True)
class Prompt:
    """One thing the operator is asked: ``key`` for scripts, ``text`` for a person."""

    key: str
    text: str
    declare: bool = False
    """True when the answer is a value to record (``declare firmware``), not ``done``."""


class OperatorAbort(HilError):
    """The operator chose to stop the run; the bench is made safe and the session ends."""

    def __init__(self, prompt: Prompt) -> None:
        self.prompt = prompt
        super().__init__(f"the operator aborted the run at the prompt {prompt.key!r}")


class OperatorTimeout(HilError):
    """Nobody answered the prompt in time: the step it asked for did not happen."""

    def __init__(self, prompt: Prompt, timeout_s: float) -> None:
        self.prompt = prompt
        super().__init__(f"no answer to the prompt {prompt.key!r} within {timeout_s:g} s")


class OperatorScriptError(InputError):
    """An ``--operator-input`` file that does not answer what the harness asks."""


class Operator(Protocol):
    """Whoever answers the prompts (a person at the terminal, or a script)."""

    def ask(self, prompt: Prompt, timeout_s: float) -> str:
        """The answer: ``done`` or a declared value; raises OperatorAbort or
        OperatorTimeout instead of returning ``abort`` or nothing."""
        ...


# --- scripted answers ------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptEntry:
    """One line of an operator-input file; ``times`` None means every matching prompt."""

    prompt: str
    answer: str
    times: int | None
    line: int | None


def load_operator_input(path: str | Path) -> list[ScriptEntry]:
    """Read and check an operator-input file (InputError naming file, entry and field)."""
    doc = load_yaml(path)  # YAML is a superset of JSON: one reader for both
    if not isinstance(doc.data, list) or not doc.data:
        raise InputError(doc.source, "(document)", "a list of {prompt, answer} entries")
    entries = []
    for index, item in enumerate(doc.data):
        line = doc.line_of((index,))
        where = f"[{index}]"
        if not isinstance(item, dict) or set(item) - {"prompt", "answer", "times"}:
            raise InputError(
                doc.source, where, "a mapping with prompt, answer and optional times",
                line=line, got=item,
            )  # fmt: skip
        for key in ("prompt", "answer"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise InputError(
                    doc.source, f"{where}.{key}", "non-empty text", line=line, got=value
                )
        times = item.get("times", 1)
        if times == "all":
            times = None
        elif isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise InputError(
                doc.source, f"{where}.times", "a count >= 1 or 'all'", line=line, got=times
            )
        entries.append(ScriptEntry(item["prompt"].strip(), item["answer"].strip(), times, line))
    return entries


class ScriptedOperator:
    """Answers prompts from an operator-input file, in order (see the module docstring)."""

    def __init__(self, entries: list[ScriptEntry], source: str | Path) -> None:
        self._entries = list(entries)
        self._source = source
        self._index = 0
        self._used = 0  # answers given by the entry at _index
        self.asked: list[tuple[str, str]] = []

    name = "operator"

    @bench_step
    def ask(self, prompt: Prompt, timeout_s: float) -> str:
        entry = self._entry_for(prompt)
        self.asked.append((prompt.key, entry.answer))
        if entry.answer == ABORT:
            raise OperatorAbort(prompt)
        if entry.answer == TIMEOUT:
            raise OperatorTimeout(prompt, timeout_s)
        return entry.answer

    def _entry_for(self, prompt: Prompt) -> ScriptEntry:
        while self._index < len(self._entries):
            entry = self._entries[self._index]
            if fnmatchcase(prompt.key, entry.prompt):
                self._used += 1
                if entry.times is not None and self._used >= entry.times:
                    self._index, self._used = self._index + 1, 0
                return entry
            if entry.times is None and self._used:  # an 'all' entry ends at a non-match
                self._index, self._used = self._index + 1, 0
                continue
            raise OperatorScriptError(
                self._source, f"[{self._index}].prompt",
                f"the prompt the harness asked next, {prompt.key!r} ({prompt.text})",
                line=entry.line, got=entry.prompt,
            )  # fmt: skip
        raise OperatorScriptError(
            self._source, f"[{len(self._entries)}]",
            f"an answer to {prompt.key!r} ({prompt.text}): the file ended",
        )  # fmt: skip


# --- a person at the terminal ----------------------------------------------------------


class TerminalOperator:
    """Asks on the terminal; Enter is done, ``a`` aborts; waits at most ``timeout_s``.

    The answer is read on a helper thread so that the wait has a time-out on every
    platform (``select`` on a console does not work on Windows).
    """

    def __init__(self, read: Callable[[], str] | None = None, out: TextIO | None = None) -> None:
        self._read = read or (lambda: (sys.__stdin__ or sys.stdin).readline())
        self._out = out or sys.__stderr__ or sys.stderr
        self._answers: queue.Queue[str] = queue.Queue()
        self._reader: threading.Thread | None = None

    name = "operator"

    @bench_step
    def ask(self, prompt: Prompt, timeout_s: float) -> str:
        hint = "type the value, or 'unknown'" if prompt.declare else "Enter when done"
        self._out.write(f"\n>>> OPERATOR: {prompt.text}\n    [{hint}; 'a' + Enter aborts "
                        f"the run safely; {timeout_s:g} s]\n> ")  # fmt: skip
        self._out.flush()
        if self._reader is None or not self._reader.is_alive():
            self._reader = threading.Thread(target=self._read_one, daemon=True)
            self._reader.start()
        try:
            text = self._answers.get(timeout=timeout_s).strip()
        except queue.Empty:
            raise OperatorTimeout(prompt, timeout_s) from None
        if text.lower() in ("a", ABORT):
            raise OperatorAbort(prompt)
        if prompt.declare:
            return text or UNKNOWN
        return DONE

    def _read_one(self) -> None:
        self._answers.put(self._read())


def operator_for(input_file: str | Path | None) -> Operator:
    """The scripted operator of ``--operator-input``, or a person at the terminal."""
    if input_file is None:
        return TerminalOperator()
    return ScriptedOperator(load_operator_input(input_file), Path(input_file))


def answers_as_json(operator: Operator) -> str:
    """What a scripted operator was asked and answered (for a failing test's message)."""
    asked = getattr(operator, "asked", [])
    return json.dumps(asked[-10:])
