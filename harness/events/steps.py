"""Bench steps: every instrument action becomes an Allure step and a line in the event log.

A compliance verdict rests on what the bench *did*: which relay closed before the DMM
read, at which battery voltage, how long the scope took to trigger. labgrid answers that
question with a ``@step`` on every driver action; this module is our version of it.
:func:`bench_step` decorates a driver's public action method once, in the driver, and
each call of it then appears

* in the Allure report as a step of the running test, titled
  ``"dmm: configure_dc_current(0.001, 0.2)"`` and nested as the calls nest, so a failed
  test shows the instrument exchange that led to it, with the failing action marked;
* in the run's event log ``reports/<run-id>/events.jsonl``, one JSON object per action
  (UTC start time to the millisecond, instrument, action, arguments, duration, outcome,
  the error if any, the test that was running): a who/what/when record an auditor can
  grep without opening a report viewer.

Both sinks are optional and the decorator must cost next to nothing without them: the
simulated suite performs thousands of actions. The event log goes through the standard
``logging`` module (logger ``harness.events``), whose enabled check is a cached
dictionary lookup; the Allure side is switched on by the Allure plugin only when Allure
results are being written (:func:`set_allure_steps`). With neither, a decorated call is
one flag test and one ``isEnabledFor`` away from the undecorated method.

The JSON line is produced by :class:`EventFormatter`; the Allure plugin installs a file
handler with it for the duration of a run and stops the logger propagating, so events
never flood pytest's captured log.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import uuid as uuid_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

EVENTS_LOGGER = "harness.events"
"""Name of the logger every bench step reports to (level INFO)."""

EVENT_SCHEMA_VERSION = 1
"""Version of the JSON object on each line of ``events.jsonl``."""

_MAX_ARG_CHARS = 60
_SCALARS = (bool, int, float, str, type(None))

_events = logging.getLogger(EVENTS_LOGGER)
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)  # built once, not per line
_nesting = threading.local()

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class _Sinks:
    """Whether Allure steps are wanted; set by the Allure plugin for its session."""

    allure = False


def set_allure_steps(enabled: bool) -> None:
    """Turn Allure steps on (while an Allure results directory is written) or off."""
    _Sinks.allure = enabled


def allure_steps_enabled() -> bool:
    return _Sinks.allure


def bench_step(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Make a driver method a logged bench step (Allure step + event-log line).

    The instrument is named by the object's ``name`` attribute (the bench file's name for
    it, ``"dmm"``), else its class name. Exceptions pass through unchanged; the step is
    marked failed and the event records the error first.
    """
    action = method.__name__

    @functools.wraps(method)
    def step(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        allure_on = _Sinks.allure and not getattr(_nesting, "summarised", False)
        log_on = _events.isEnabledFor(logging.INFO)
        if not (allure_on or log_on):
            return method(self, *args, **kwargs)
        return _recorded_call(method, action, self, args, kwargs, allure_on, log_on)

    return step


@contextmanager
def summary_step(title: str) -> Iterator[Callable[[str], None]]:
    """One Allure step standing for the many bench steps of a loop (a wait that polls).

    A 20-minute auto-off check observes the unit every few seconds: hundreds of
    ``clock: now()``, ``clock: sleep(10.0)`` and ``dut: status()`` steps that bury the
    steps a reader wants (clock polling was 70 % of a run's Allure steps). Inside this
    block they are left out of Allure but still written, each, to ``events.jsonl``, the
    record an auditor greps. The block yields a function that adds the loop's outcome
    ("seen after 1201.7 s, 121 observations") as the step's one child; an exception
    leaving the block marks the step failed.
    """
    if not _Sinks.allure or getattr(_nesting, "summarised", False):
        with event_log_only():
            yield lambda _text: None
        return
    uuid = _start_allure_step(title)
    outcomes: list[str] = []
    try:
        with event_log_only():
            yield outcomes.append
    except BaseException as exc:
        _add_outcomes(outcomes)
        _stop_allure_step(uuid, exc)
        raise
    _add_outcomes(outcomes)
    _stop_allure_step(uuid, None)


@contextmanager
def event_log_only() -> Iterator[None]:
    """Bench steps inside the block go to ``events.jsonl`` only, not into Allure.

    For polling loops inside one action (a scope waiting for its acquisition polls a
    status register and the clock every few milliseconds): the action is the step a
    reader wants, its polls are noise there and evidence in the event log.
    """
    was = getattr(_nesting, "summarised", False)
    _nesting.summarised = True
    try:
        yield
    finally:
        _nesting.summarised = was


def _add_outcomes(texts: list[str]) -> None:
    for text in texts:
        _stop_allure_step(_start_allure_step(text), None)


def _recorded_call(
    method: Callable[..., R],
    action: str,
    instrument_obj: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    allure_on: bool,
    log_on: bool,
) -> R:
    instrument = str(getattr(instrument_obj, "name", "") or type(instrument_obj).__name__)
    arguments = _arguments_text(args, kwargs)
    uuid = _start_allure_step(f"{instrument}: {action}({arguments})") if allure_on else None
    depth = getattr(_nesting, "depth", 0)
    _nesting.depth = depth + 1
    started = time.time()
    t0 = time.perf_counter()
    try:
        result = method(instrument_obj, *args, **kwargs)
    except BaseException as exc:
        duration = time.perf_counter() - t0
        if uuid is not None:
            _stop_allure_step(uuid, exc)
        if log_on:
            error = f"{type(exc).__name__}: {exc}"
            _emit(started, instrument, action, arguments, duration, depth, "error", error, None)
        raise
    finally:
        _nesting.depth = depth
    duration = time.perf_counter() - t0
    if uuid is not None:
        _stop_allure_step(uuid, None)
    if log_on:
        _emit(started, instrument, action, arguments, duration, depth, "ok", None, result)
    return result


def _arguments_text(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [_brief(a) for a in args]
    parts += [f"{k}={_brief(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _brief(value: object) -> str:
    """``repr`` of a scalar, the type of anything bulky (an array is not an argument)."""
    if isinstance(value, _SCALARS):
        text = repr(value)
        return text if len(text) <= _MAX_ARG_CHARS else text[: _MAX_ARG_CHARS - 1] + "…"
    if isinstance(value, tuple | list) and len(value) <= 8:
        inner = ", ".join(_brief(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return f"<{type(value).__name__}>"


def _start_allure_step(title: str) -> str:
    from allure_commons import plugin_manager

    uuid = str(uuid_module.uuid4())
    plugin_manager.hook.start_step(uuid=uuid, title=title, params={})
    return uuid


def _stop_allure_step(uuid: str, exc: BaseException | None) -> None:
    from allure_commons import plugin_manager

    plugin_manager.hook.stop_step(
        uuid=uuid,
        exc_type=None if exc is None else type(exc),
        exc_val=exc,
        exc_tb=None if exc is None else exc.__traceback__,
    )


class _SecondText:
    """The formatted date-time of the last whole second (read and replaced atomically)."""

    cached: tuple[int, str] = (-1, "")


def _utc_text(seconds: float) -> str:
    """``2026-01-01T12:00:00.123Z``; the date-time part is formatted once per second."""
    whole = int(seconds)
    cached_second, text = _SecondText.cached
    if cached_second != whole:
        text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _SecondText.cached = (whole, text)
    return f"{text}.{int((seconds - whole) * 1000):03d}Z"


def _emit(
    started: float,
    instrument: str,
    action: str,
    arguments: str,
    duration: float,
    depth: int,
    outcome: str,
    error: str | None,
    result: object,
) -> None:
    event: dict[str, object] = {
        "t": _utc_text(started),
        "instrument": instrument,
        "action": action,
        "args": arguments,
        "duration_s": round(duration, 6),
        "outcome": outcome,
    }
    if depth:
        event["depth"] = depth
    if error is not None:
        event["error"] = error
    elif result is not None:
        event["result"] = _brief(result) if not isinstance(result, bool | int | float) else result
    # makeRecord + handle: what Logger.info does, minus the caller lookup (a stack walk)
    record = _events.makeRecord(
        EVENTS_LOGGER, logging.INFO, "", 0, "%s: %s(%s)", (instrument, action, arguments), None
    )
    record.bench_event = event
    _events.handle(record)


class EventFormatter(logging.Formatter):
    """One JSON object per record; ``context()`` adds fields such as the running test.

    Records that did not come from :func:`bench_step` (someone logging to
    ``harness.events`` by hand) become ``{"message": ...}`` events rather than being lost.
    """

    def __init__(self, context: Callable[[], dict[str, object]] | None = None) -> None:
        super().__init__()
        self._context = context

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "bench_event", None)
        if not isinstance(event, dict):
            event = {"t": _utc_text(record.created), "message": record.getMessage()}
        if self._context is not None:
            event = {**event, **self._context()}
        return _JSON.encode(event)


class EventFileHandler(logging.FileHandler):
    """Appends event lines to a file, flushing only when told to (and on close).

    ``logging.FileHandler`` flushes after every record: one system call per bench action,
    a third of the cost of an event. The Allure plugin flushes after each test, so a
    killed run loses at most the current test's tail of the log (which its results store
    marks incomplete anyway).
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
