"""The 34465A's capacitance, temperature, continuity and diode functions, from its manual.

The V/Ω input is across the load position (`dmm_functions`), so each function reads the
resistor the test switches in, or an open input: the expected values follow from the
manual's rules and the resistance alone (continuity: the 2-wire ohms, OPEN above
1.2 kΩ, beep at or below 10 Ω; diode: 1 mA × R, OPEN above 5.05 V; capacitance: a
resistive input cannot be timed, so overload; temperature: the probe curve, checked at
the points its standard tabulates: a PT100 is 138.5055 Ω at 100 °C (IEC 60751), a
thermistor of type N is N ohms at 25 °C). The supply stays off: these are passive tests.
"""

from __future__ import annotations

import pytest
from fake_bench import FakeBench

from harness.sim.instruments.dmm_functions import LEAD_OHMS, STRAY_FARADS
from harness.sim.instruments.keysight_34465a import Keysight34465A

OPEN = "+9.90000000E+37"


def ask(dmm: Keysight34465A, message: str) -> str:
    reply = dmm.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def no_errors(dmm: Keysight34465A) -> None:
    assert ask(dmm, "SYST:ERR?") == '+0,"No error"'


# --- capacitance ------------------------------------------------------------------
def test_capacitance_of_an_open_input_is_the_leads_stray(bench: FakeBench) -> None:
    bench.set_load(None)
    dmm = Keysight34465A(bench)
    reading = float(ask(dmm, "MEAS:CAP?"))  # autorange from the default 1 µF range
    assert reading == pytest.approx(STRAY_FARADS, rel=0.02)
    assert ask(dmm, "CAP:RANG?") == "+1.00000000E-09"  # down to the 1 nF range
    assert ask(dmm, "CONF?") == '"CAP +1.00000000E-09,+1.00000000E-13"'  # 4½ digits
    assert ask(dmm, "CAP:RANG:AUTO?") == "1"
    no_errors(dmm)


def test_capacitance_across_a_resistor_is_overload(bench: FakeBench) -> None:
    bench.set_load(500.0)
    dmm = Keysight34465A(bench)
    assert ask(dmm, "MEAS:CAP? 10nF") == OPEN  # the charge current flows in the load
    assert int(ask(dmm, "STAT:QUES?")) & 1024
    no_errors(dmm)


def test_capacitance_settings_the_manual_gives_and_none_it_lacks(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    dmm.execute("CONF:CAP 100nF,1e-12")  # the resolution is optional and ignored
    assert ask(dmm, "FUNC?") == '"CAP"'
    assert ask(dmm, "CAP:RANG?;:CAP:RANG:AUTO?") == "+1.00000000E-07;0"
    dmm.execute("CAP:RANG MAX")
    assert ask(dmm, "CAP:RANG?") == "+1.00000000E-04"
    no_errors(dmm)
    dmm.execute("CAP:RANG 1")  # above 100 µF
    assert ask(dmm, "SYST:ERR?").startswith("-222")
    dmm.execute("CAP:NPLC 10")  # capacitance has no integration time
    assert ask(dmm, "SYST:ERR?") == '-113,"Undefined header"'


# --- continuity -------------------------------------------------------------------
def test_continuity_reads_the_load_and_beeps_at_or_below_10_ohms(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    bench.set_load(500.0)
    assert float(ask(dmm, "MEAS:CONT?")) == pytest.approx(500.0 + LEAD_OHMS, abs=0.05)
    assert dmm.beeps == 0
    bench.set_load(5.0)
    assert float(ask(dmm, "MEAS:CONT?")) == pytest.approx(5.0 + LEAD_OHMS, abs=0.02)
    assert dmm.beeps == 1
    dmm.execute("SYST:BEEP:STAT OFF")
    ask(dmm, "READ?")
    assert dmm.beeps == 1  # the beeper is off
    assert ask(dmm, "CONF?;:FUNC?") == '"CONT";"CONT"'
    no_errors(dmm)


@pytest.mark.parametrize("load", [2000.0, None])
def test_continuity_above_1k2_or_open_reads_open(bench: FakeBench, load: float | None) -> None:
    bench.set_load(load)
    dmm = Keysight34465A(bench)
    assert ask(dmm, "MEAS:CONT?") == OPEN
    assert int(ask(dmm, "STAT:QUES?")) & 512
    no_errors(dmm)


# --- diode ------------------------------------------------------------------------
@pytest.mark.parametrize("load", [500.0, 2000.0])
def test_diode_reads_1_ma_times_the_load(bench: FakeBench, load: float) -> None:
    bench.set_load(load)
    dmm = Keysight34465A(bench)
    assert float(ask(dmm, "MEAS:DIOD?")) == pytest.approx(1e-3 * (load + LEAD_OHMS), abs=1e-4)
    assert ask(dmm, "CONF?") == '"DIOD"'
    no_errors(dmm)


@pytest.mark.parametrize("load", [10_000.0, None])
def test_diode_above_5_05_volts_or_open_reads_open(bench: FakeBench, load: float | None) -> None:
    bench.set_load(load)
    dmm = Keysight34465A(bench)
    dmm.execute("CONF:DIOD")
    assert ask(dmm, "READ?") == OPEN
    no_errors(dmm)


def test_diode_and_continuity_take_no_range(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    dmm.execute("DIOD:RANG 10")
    assert ask(dmm, "SYST:ERR?") == '-113,"Undefined header"'
    dmm.execute('FUNC "DIODe"')
    assert ask(dmm, "FUNC?") == '"DIOD"'


# --- temperature ------------------------------------------------------------------
def test_default_probe_is_a_4_wire_pt100_in_celsius(bench: FakeBench) -> None:
    bench.set_load(138.5055)
    dmm = Keysight34465A(bench)
    assert float(ask(dmm, "MEAS:TEMP?")) == pytest.approx(100.0, abs=0.01)
    assert ask(dmm, "TEMP:TRAN:TYPE?;:TEMP:TRAN:FRTD:RES?") == "FRTD;+1.00000000E+02"
    assert ask(dmm, "UNIT:TEMP?") == "C"
    dmm.execute("UNIT:TEMP F")
    assert float(ask(dmm, "READ?")) == pytest.approx(212.0, abs=0.02)
    dmm.execute("UNIT:TEMP K")
    assert float(ask(dmm, "READ?")) == pytest.approx(373.15, abs=0.01)
    no_errors(dmm)


def test_two_wire_rtd_reads_the_leads_as_temperature(bench: FakeBench) -> None:
    bench.set_load(100.0)  # 0 °C, plus the leads' 0.2 Ω at 0.385 Ω/°C
    dmm = Keysight34465A(bench)
    reading = float(ask(dmm, "MEAS:TEMP? RTD,85"))
    assert reading == pytest.approx(LEAD_OHMS / 0.385, abs=0.01)
    dmm.execute("TEMP:TRAN:RTD:RES 1000")  # a PT1000: the same leads matter 10× less
    bench.set_load(1385.055 - LEAD_OHMS)
    assert float(ask(dmm, "READ?")) == pytest.approx(100.0, abs=0.01)
    no_errors(dmm)


@pytest.mark.parametrize("kind", [2252, 5000, 10000])
def test_thermistor_types_read_25_c_at_their_nominal(bench: FakeBench, kind: int) -> None:
    bench.set_load(float(kind))
    dmm = Keysight34465A(bench)
    assert float(ask(dmm, f"MEAS:TEMP? FTH,{kind}")) == pytest.approx(25.0, abs=0.05)
    assert ask(dmm, "TEMP:TRAN:TYPE?;:TEMP:TRAN:FTH:TYPE?") == f"FTH;{kind:+d}"
    assert ask(dmm, "CONF?").startswith(f'"TEMP FTH,{kind},+1.00000000E+00,')
    no_errors(dmm)


@pytest.mark.parametrize(("load", "probe"), [(None, "FRTD"), (None, "THER"), (1e5, "FRTD")])
def test_open_probe_or_out_of_span_reads_overload(
    bench: FakeBench, load: float | None, probe: str
) -> None:
    bench.set_load(load)
    dmm = Keysight34465A(bench)
    assert ask(dmm, f"MEAS:TEMP? {probe}") == OPEN
    assert int(ask(dmm, "STAT:QUES?")) & 16
    no_errors(dmm)


def test_temperature_refusals_and_reset(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    for bad, code in [
        ("TEMP:TRAN:RTD:RES 10", "-222"),  # R0 is 49 Ω to 2.1 kΩ
        ("TEMP:TRAN:THER:TYPE 3000", "-224"),  # 2252, 5000 or 10000
        ("CONF:TEMP RTD,91", "-224"),  # the 34465A has only the 0.00385 curve
        ("CONF:TEMP TC,B", "-224"),  # a 34465A reads E, J, K, N, R and T couples only
        ("TEMP:RANG 1", "-113"),  # temperature has no range
    ]:
        dmm.execute(bad)
        assert ask(dmm, "SYST:ERR?").startswith(code), bad
    dmm.execute("TEMP:TRAN:TYPE THER;:TEMP:TRAN:THER:TYPE 2252;:UNIT:TEMP K;:TEMP:NPLC 1")
    assert ask(dmm, "TEMP:TRAN:TYPE?;:TEMP:TRAN:THER:TYPE?;:TEMP:NPLC?") == (
        "THER;+2252;+1.00000000E+00"
    )
    dmm.execute('FUNC "TEMP"')
    assert ask(dmm, "FUNC?") == '"TEMP"'
    dmm.execute("*RST")
    assert ask(dmm, "TEMP:TRAN:TYPE?;:UNIT:TEMP?;:FUNC?") == 'FRTD;C;"VOLT"'
    no_errors(dmm)
