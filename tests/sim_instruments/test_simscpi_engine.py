"""The SCPI engine on its own: header forms, case, compounds, parameters, errors, blocks."""

from __future__ import annotations

import pytest

from harness.sim.scpi import (
    QUEUE_DEPTH,
    Call,
    Command,
    ScpiEngine,
    ScpiError,
    ieee_block,
    parse_channel_list,
    parse_number,
)


class Box:
    def __init__(self) -> None:
        self.nplc = 10.0
        self.level = 0.0
        self.resets = 0
        self.seen: list[list[int]] = []

    def engine(self) -> ScpiEngine:
        def set_nplc(c: Call) -> None:
            self.nplc = c.number(0, low=0.02, high=100, default=10)

        def set_level(c: Call) -> None:
            self.level = c.number(0, low=-10, high=10, default=0, unit="V")

        def chan(c: Call) -> str:
            self.seen.append(c.suffixes)
            return str(c.suffix())

        def reset() -> None:
            self.resets += 1

        return ScpiEngine(
            [
                Command("[SENSe:]CURRent[:DC]:NPLCycles", set_nplc),
                Command("[SENSe:]CURRent[:DC]:NPLCycles?", lambda c: f"{self.nplc:g}"),
                Command("MEASure:CURRent[:DC]?", lambda c: "+1.0E-04"),
                Command("SOURce:VOLTage", set_level),
                Command("SOURce:CURRent?", lambda c: "curr"),
                Command(":CHANnel#:SCALe?", chan),
                Command("DATA?", lambda c: ieee_block(b"a\nb")),
            ],
            identity=lambda: "ACME,X1,1,1.0",
            reset=reset,
        )


@pytest.fixture
def box() -> Box:
    return Box()


def ask(engine: ScpiEngine, message: str) -> str | None:
    reply = engine.execute(message)
    return None if reply is None else reply.decode().rstrip("\n")


@pytest.mark.parametrize(
    "header",
    [
        ":MEASure:CURRent:DC?",
        "MEAS:CURR:DC?",
        "meas:curr?",
        "Measure:Current:Dc?",
        ":MEAS:CURR?",
    ],
)
def test_short_long_and_case_match(box: Box, header: str) -> None:
    engine = box.engine()
    assert ask(engine, header) == "+1.0E-04"
    assert ask(engine, "SYST:ERR?") == '+0,"No error"'


@pytest.mark.parametrize("header", ["MEASU:CURR?", "MEA:CURR?", "MEAS:CURRE?"])
def test_neither_short_nor_long_is_undefined(box: Box, header: str) -> None:
    engine = box.engine()
    assert ask(engine, header) is None
    assert ask(engine, "SYST:ERR?") == '-113,"Undefined header"'


def test_optional_nodes(box: Box) -> None:
    engine = box.engine()
    for message, value in [
        ("SENS:CURR:DC:NPLC 1", 1.0),
        ("CURR:NPLC 0.2", 0.2),
        ("current:dc:nplcycles 100", 100.0),
        (":SENSE:CURR:NPLC MIN", 0.02),
    ]:
        engine.execute(message)
        assert box.nplc == value
    assert ask(engine, "CURR:NPLC?") == "0.02"


def test_compound_and_path_rule(box: Box) -> None:
    engine = box.engine()
    # After SOURce:VOLTage the relative header CURR? continues under SOURce.
    assert ask(engine, "SOUR:VOLT 1.5;CURR?") == "curr"
    assert box.level == 1.5
    assert ask(engine, "*IDN?;:CURR:NPLC?;*OPC?") == "ACME,X1,1,1.0;10;1"
    assert ask(engine, "*RST;:*CLS;") is None and box.resets == 1


def test_numeric_suffix(box: Box) -> None:
    engine = box.engine()
    assert ask(engine, ":CHAN3:SCAL?") == "3"
    assert ask(engine, ":CHANNEL2:SCALE?") == "2"
    assert ask(engine, ":CHAN:SCAL?") == "1"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100mV", 0.1),
        ("100 mV", 0.1),
        ("-2.5", -2.5),
        ("1e-1V", 0.1),
        ("MAX", 10.0),
        ("def", 0.0),
        ("minimum", -10.0),
        (".5", 0.5),
    ],
)
def test_numbers_and_suffixes(text: str, value: float) -> None:
    assert parse_number(text, -10, 10, 0, "V") == pytest.approx(value)


def test_current_and_time_multipliers() -> None:
    assert parse_number("100uA", 100e-6, 3, 0, "A") == 100e-6
    assert parse_number("20 ms", 0, 10, 0, "S") == pytest.approx(0.02)
    assert parse_number("2MOHM", 0, 1e7, 0, "OHM") == 2e6


def test_channel_lists() -> None:
    assert parse_channel_list("(@1001,1003:1004)") == [1001, 1003, 1004]
    assert parse_channel_list("( @1 )") == [1]
    with pytest.raises(ScpiError):
        parse_channel_list("1001")


@pytest.mark.parametrize(
    ("message", "code", "text"),
    [
        ("FOO:BAR", -113, "Undefined header"),
        ("MEAS:CURR:DC", -113, "Undefined header"),  # exists only as a query
        ("CURR:NPLC", -109, "Missing parameter"),
        ("CURR:NPLC 1000", -222, "Data out of range"),
        ("CURR:NPLC abc", -104, "Data type error"),
        ("SOUR:VOLT 1mA", -131, "Invalid suffix"),
        ("MEAS::CURR?", -102, "Syntax error"),
        ("MEAS?CURR?", -102, "Syntax error"),
    ],
)
def test_error_codes(box: Box, message: str, code: int, text: str) -> None:
    engine = box.engine()
    engine.execute(message)
    assert ask(engine, "SYST:ERR?") == f'{code:+d},"{text}"'
    assert ask(engine, "SYST:ERR?") == '+0,"No error"'


def test_error_classes_set_esr_bits(box: Box) -> None:
    engine = box.engine()
    engine.execute("FOO")
    engine.execute("CURR:NPLC 1000")
    engine.push_error(-410)
    assert ask(engine, "*ESR?") == str(32 | 16 | 4)
    assert ask(engine, "*ESR?") == "0"
    engine.execute("*OPC")
    assert ask(engine, "*ESR?") == "1"


def test_queue_overflow_replaces_last_entry(box: Box) -> None:
    engine = box.engine()
    for _ in range(QUEUE_DEPTH + 5):
        engine.execute("FOO")
    errors = [ask(engine, "SYST:ERR?") for _ in range(QUEUE_DEPTH + 1)]
    assert errors[: QUEUE_DEPTH - 1] == ['-113,"Undefined header"'] * (QUEUE_DEPTH - 1)
    assert errors[QUEUE_DEPTH - 1] == '-350,"Queue overflow"'
    assert errors[QUEUE_DEPTH] == '+0,"No error"'


def test_cls_empties_queue(box: Box) -> None:
    engine = box.engine()
    engine.execute("FOO;BAR")
    assert ask(engine, "SYST:ERR:COUN?") == "2"
    engine.execute("*CLS")
    assert ask(engine, "SYST:ERR?") == '+0,"No error"'


def test_definite_length_block() -> None:
    assert ieee_block(b"abc") == b"#13abc"
    assert ieee_block(b"x" * 12, width=8) == b"#800000012" + b"x" * 12
    engine = Box().engine()
    assert engine.execute("DATA?") == b"#13a\nb\n"
