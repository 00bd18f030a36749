"""time_reaction on synthetic records: which outcome gives which time, budget and note.

The bench is left out: the triggered capture is replaced by a record made here (1 mA
of d.c. into 500 Ω that stops 50 ms after an event at 20 ms), and the archive by one
that only remembers names. The suites and the fault matrix cover the real bench.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from harness.definitions.bench_file import LoadEntry
from harness.instruments.protocols import Waveform
from harness.procedures import reaction
from harness.procedures.capture import CurrentCapture, timing_budget
from harness.procedures.events import Bracket
from harness.procedures.reaction import (
    TIMING_RESOLUTION_S,
    EventRecord,
    ReactionTime,
    StopCriterion,
    time_reaction,
)

DT = 50e-6
OHMS = 500.0
EVENT = Bracket(0.020, 0.020 + DT)


class NamesOnly:
    def __init__(self) -> None:
        self.names: list[str] = []

    def save(self, name: str, *_args: Any, **_kwargs: Any) -> str:
        self.names.append(name)
        return f"captures/{len(self.names):03d}-{name}.npz"


def _record(stop_s: float | None) -> CurrentCapture:
    t = np.arange(4000) * DT  # 0.2 s
    amps = np.where(t < (stop_s if stop_s is not None else np.inf), 1e-3, 0.0)
    volts = amps * OHMS
    wave = Waveform(1, 0.0, DT, volts, np.zeros(t.size, dtype=np.uint8), "")
    load = LoadEntry(name="R500", nominal="500 ohm", tolerance="0.1 %", channel=1)
    return CurrentCapture(0.0, DT, amps, load, 4e-6, wave)


def _time(
    monkeypatch: pytest.MonkeyPatch, capture: CurrentCapture, event: Bracket | None
) -> tuple[ReactionTime, NamesOnly]:
    monkeypatch.setattr(reaction, "triggered_capture", lambda *_a, **_k: capture)
    archive = NamesOnly()
    timed = time_reaction(
        None,  # type: ignore[arg-type]  # the capture is made here, no bench is asked
        OHMS,
        record=EventRecord(
            trigger=(1, 0.25, "rising"),
            action=lambda: None,
            peak_a=1e-3,
            duration_s=0.2,
            resolution_s=DT,
            pre_trigger_s=0.01,
            timeout_s=1.0,
        ),
        event=lambda _cap: event,
        stop=StopCriterion(10e-6, hold_s=0.05, pulsed=False),
        archive=archive,  # type: ignore[arg-type]
        name="EVT",
        no_event="no event",
        not_stopped="still on",
    )
    return timed, archive


def test_a_stop_after_the_event_is_timed_with_both_brackets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timed, archive = _time(monkeypatch, _record(stop_s=0.070), EVENT)
    assert timed.seconds is not None  # smoothing delays the stop: the budget says by how much
    assert abs(timed.seconds - 0.050) <= timed.budget.expanded()
    assert timed.stop is not None
    assert timed.note == f"stop bracket {timed.stop.half_width * 1e3:.2f} ms"
    assert timed.attachments == ("captures/001-EVT.npz",)
    assert archive.names == ["EVT"]
    names = {c.name for c in timed.budget.components}
    assert {"event bracket (start)", "reaction bracket (stop)", "noise smoothing window"} <= names


def test_an_output_still_on_gives_no_time_but_keeps_the_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timed, _ = _time(monkeypatch, _record(stop_s=None), EVENT)
    assert (timed.seconds, timed.note, timed.event, timed.stop) == (None, "still on", EVENT, None)
    assert timed.attachments == ("captures/001-EVT.npz",)


def test_no_event_on_the_record_gives_no_time(monkeypatch: pytest.MonkeyPatch) -> None:
    timed, _ = _time(monkeypatch, _record(stop_s=0.070), None)
    assert (timed.seconds, timed.note, timed.event) == (None, "no event", None)
    assert timed.attachments


def test_a_missing_time_carries_the_budget_of_the_nominal_interval() -> None:
    missed = ReactionTime("trigger never came")
    assert missed.seconds is None and missed.attachments == ()
    expected = timing_budget(0.0, TIMING_RESOLUTION_S).expanded()
    assert missed.budget.expanded() == expected
