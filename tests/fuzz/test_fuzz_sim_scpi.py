"""Fuzzing the simulated instruments' SCPI command parser (harness/sim/scpi.py).

A real instrument never raises at its caller: a bad message lands in its error queue as
a standard code. Properties: `ScpiEngine.execute` answers any message with a reply or
nothing and queues only standard codes; numeric parameters come back inside their range
or as -104/-131/-222; channel lists expand or are -224, in bounded time; and every
simulated model, fed commands built from its own command table with arbitrary
parameters, behaves the same way.
"""

from __future__ import annotations

import re

from fuzz_support import FUZZ, outcome, wire_text, within
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.sim.bench import SimBench
from harness.sim.instruments import MODELS
from harness.sim.scpi import (
    ERROR_MESSAGES,
    Command,
    ScpiEngine,
    ScpiError,
    parse_channel_list,
    parse_number,
)


def _engine() -> ScpiEngine:
    table = [
        Command("[SENSe:]CURRent[:DC]:NPLC", lambda c: None),
        Command("[SENSe:]CURRent[:DC]:NPLC?", lambda c: "10"),
        Command(":CHANnel#:SCALe", lambda c: str(c.number(0, low=1e-3, high=10, default=1))),
        Command("ROUTe:CLOSe", lambda c: str(c.channels(0))),
        Command("OUTPut", lambda c: str(c.boolean(0))),
        Command("TRIGger:SLOPe", lambda c: c.choice(0, ["POSitive", "NEGative"])),
    ]
    return ScpiEngine(table, identity=lambda: "Fuzz,Engine,0,0", reset=lambda: None)


def _drain(engine: ScpiEngine) -> list[int]:
    codes = []
    for _ in range(30):
        entry = engine.next_error()
        code = int(entry.split(",", 1)[0])
        if code == 0:
            return codes
        codes.append(code)
    raise AssertionError("error queue deeper than its 20 entries")


_WORDS = st.sampled_from(
    ["SENS", "SENSE", "CURR", "current", "DC", "NPLC", "CHAN2", "CHANNEL4", "CHAN", "SCAL",
     "ROUT", "CLOS", "OUTP", "TRIG", "SLOP", "*IDN", "*RST", "*CLS", "*OPC", "SYST", "ERR",
     "CHAN" + "9" * 5000, "X", ""]
)  # fmt: skip
_ARGS = st.sampled_from(
    ["", "1", "MIN", "max", "DEF", "5 mV", "1e999", "-1", "ON", "off", "POS", "(@1001)",
     "(@1:3,5)", "(@1:99999999999)", "(@", "\"a;b\"", "'x", "1,2", "nan", "10 MOHM", "2 kHz"]
)  # fmt: skip


@st.composite
def messages(draw: st.DrawFn) -> str:
    """Compound messages of headers from the table's vocabulary, or arbitrary text."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        header = ":".join(draw(st.lists(_WORDS, min_size=1, max_size=4)))
        header = draw(st.sampled_from(["", ":"])) + header + draw(st.sampled_from(["", "?"]))
        args = ",".join(draw(st.lists(_ARGS, max_size=2)))
        parts.append(f"{header} {args}".strip())
    return draw(st.one_of(st.just(";".join(parts)), wire_text(60)))


@FUZZ
@given(st.lists(messages(), min_size=1, max_size=5))
def test_the_engine_answers_or_queues_a_standard_error(batch: list[str]) -> None:
    engine = _engine()
    with within(2.0):
        for message in batch:
            reply = engine.execute(message)
            assert reply is None or reply.endswith(b"\n")
    assert set(_drain(engine)) <= set(ERROR_MESSAGES)


@FUZZ
@given(st.one_of(wire_text(30), st.sampled_from(["1e999", "-1e999", "1" * 400, "2 MOHM"])))
def test_numbers_land_in_range_or_are_standard_errors(text: str) -> None:
    value, error = outcome(parse_number, text, 1e-3, 10.0, 1.0, "OHM", errors=(ScpiError,))
    if error is None:
        assert 1e-3 <= value <= 10.0
    else:
        assert error.code in (-104, -131, -222)


@FUZZ
@given(
    st.one_of(
        st.from_regex(r"\(@[0-9,: ]{0,30}\)", fullmatch=True),
        wire_text(30),
        st.sampled_from(["(@1:99999999999)", "(@0:4000000000,1)", "(@1001:1004)"]),
    )
)
def test_channel_lists_expand_or_are_refused_in_bounded_time(text: str) -> None:
    with within(2.0):
        channels, error = outcome(parse_channel_list, text, errors=(ScpiError,))
    if error is None:
        assert len(channels) <= 100_000 and all(isinstance(c, int) for c in channels)
    else:
        assert error.code == -224


_MODEL_ROLES = sorted(MODELS)


def _table_headers(role: str) -> list[str]:
    """Short and long forms of each command the model declares, suffixes filled in."""
    instrument = MODELS[role](SimBench(seed=3))
    headers = []
    for command in instrument.commands():
        pattern = command.pattern.replace("#", "2")
        for form in (re.sub(r"[a-z]", "", re.sub(r"\[[^\]]*\]", "", pattern)), pattern):
            headers.append(form.replace("[", "").replace("]", "") or pattern)
    return sorted(set(headers))


_HEADERS = {role: _table_headers(role) for role in _MODEL_ROLES}
_MODEL_ARGS = st.one_of(
    _ARGS, st.floats(allow_nan=True).map(repr), st.integers(-(10**6), 10**12).map(str),
    st.sampled_from(["CHAN1", "CHAN5", "BYTE", "RAW", "NORM", "AUTO", "EDGE", "CURR", "VOLT",
                     "(@1)", "(@2)", "(@1001,1002)", "P6V", "CH1", "0.001", "100000"]),
)  # fmt: skip


@st.composite
def model_sessions(draw: st.DrawFn) -> tuple[str, list[str]]:
    role = draw(st.sampled_from(_MODEL_ROLES))
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        header = draw(st.sampled_from(_HEADERS[role]))
        args = ",".join(draw(st.lists(_MODEL_ARGS, max_size=3)))
        lines.append(f"{header} {args}".strip())
    return role, lines


@settings(FUZZ, max_examples=120)
@given(model_sessions())
def test_every_simulated_model_answers_its_own_commands_with_any_parameters(
    session: tuple[str, list[str]],
) -> None:
    role, lines = session
    instrument = MODELS[role](SimBench(seed=3))
    with within(3.0):
        for line in lines:
            reply = instrument.execute(line)
            assert reply is None or reply.endswith(b"\n"), f"{role}: {line!r} -> {reply!r}"
        assert set(_drain(instrument.engine)) <= set(ERROR_MESSAGES), f"{role}: {lines}"
