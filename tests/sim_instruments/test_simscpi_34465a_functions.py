"""The 34465A as a whole DMM: exchanges after the examples of its programming reference.

The fake bench drives a 400 µA, 10 Hz, 50 % square wave into 500 Ω, so every function
has a closed-form answer: DC current 200 µA, DC volts 0.1 V, AC (a.c. part RMS) 200 µA
and 0.1 V, 500 Ω 4-wire and 500.2 Ω 2-wire (leads), and an open input for resistance.
"""

from __future__ import annotations

import pytest
from fake_bench import FakeBench

from harness.sim.instruments.dmm_functions import LEAD_OHMS
from harness.sim.instruments.keysight_34465a import Keysight34465A


def ask(dmm: Keysight34465A, message: str) -> str:
    reply = dmm.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def no_errors(dmm: Keysight34465A) -> None:
    assert ask(dmm, "SYST:ERR?") == '+0,"No error"'


@pytest.mark.parametrize(
    ("query", "expected", "tolerance"),
    [
        ("MEAS:VOLT:DC? 10,3e-6", 0.1, 1e-4),  # 3 µV on 10 V: 10 NPLC, two whole periods
        ("MEAS:VOLT? DEF,DEF", 0.1, 1e-4),
        ("MEAS:VOLT:AC? 1", 0.1, 1e-3),
        ("MEAS:CURR:DC? 1mA", 200e-6, 0.2e-6),
        ("MEAS:CURR:AC? DEF,DEF", 200e-6, 2e-6),
        ("MEAS:RES? 1000", 500.0 + LEAD_OHMS, 0.05),
        ("MEAS:FRES? 1000,0.001", 500.0, 0.05),
    ],
)
def test_measure_every_function_from_the_model(
    bench: FakeBench, query: str, expected: float, tolerance: float
) -> None:
    dmm = Keysight34465A(bench)
    assert float(ask(dmm, query)) == pytest.approx(expected, abs=tolerance)
    no_errors(dmm)


def test_third_party_dc_voltage_sequence(bench: FakeBench) -> None:
    """The finding: CONF:VOLT:DC, then READ?, as every generic 34465A driver sends."""
    dmm = Keysight34465A(bench)
    dmm.execute("*RST;*CLS")
    dmm.execute("CONF:VOLT:DC 10")
    assert ask(dmm, "CONF?") == '"VOLT +1.00000000E+01,+3.00000000E-06"'  # 10 NPLC
    assert float(ask(dmm, "READ?")) == pytest.approx(0.1, abs=1e-4)
    no_errors(dmm)


def test_open_input_reads_overload_for_resistance(bench: FakeBench) -> None:
    bench.set_load(None)
    dmm = Keysight34465A(bench)
    assert ask(dmm, "MEAS:RES?") == "+9.90000000E+37"
    assert int(ask(dmm, "STAT:QUES?")) & 512  # ohms overload latched
    assert ask(dmm, "STAT:QUES?") == "0"  # and cleared by the read
    no_errors(dmm)


def test_function_and_per_function_settings(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    assert ask(dmm, "FUNC?") == '"VOLT"'  # power-on function is DC volts
    dmm.execute('FUNC "VOLT:AC"')
    assert ask(dmm, "SENS:FUNC?") == '"VOLT:AC"'
    dmm.execute("VOLT:AC:BAND 200")
    assert ask(dmm, "VOLT:AC:BAND?") == "+2.00000000E+02"
    dmm.execute('FUNC "FRESistance"')
    assert ask(dmm, "FUNC?") == '"FRES"'
    dmm.execute("VOLT:DC:RANG 1;:VOLT:DC:NPLC 1")
    assert ask(dmm, "VOLT:RANG?") == "+1.00000000E+00"
    assert ask(dmm, "VOLT:RANG:AUTO?") == "0"
    assert ask(dmm, "VOLT:DC:NPLC?") == "+1.00000000E+00"
    assert ask(dmm, "CURR:NPLC?") == "+1.00000000E+01"  # each function keeps its own
    dmm.execute("RES:RES 1e-3")
    assert float(ask(dmm, "RES:NPLC?")) == 1.0  # 1 ppm of the 1 kΩ range
    dmm.execute("VOLT:APER 0.1")
    assert ask(dmm, "VOLT:NPLC?") == "+1.00000000E+01"
    dmm.execute("CURR:TERM 10;:VOLT:IMP:AUTO ON;:VOLT:ZERO:AUTO OFF")
    assert ask(dmm, "CURR:TERM?;:VOLT:IMP:AUTO?;:VOLT:ZERO:AUTO?") == "+10;1;0"
    no_errors(dmm)
    dmm.execute('FUNC "TEMP:FOO"')
    assert ask(dmm, "SYST:ERR?").startswith("-224")
    dmm.execute("VOLT:AC:NPLC 10")  # AC functions have no NPLC on a 34465A
    assert ask(dmm, "SYST:ERR?") == '-113,"Undefined header"'


def test_bus_trigger_counts_and_fetch(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    dmm.execute("CONF:CURR:DC 1mA;:SAMP:COUN 2;:TRIG:COUN 2;:TRIG:SOUR BUS")
    dmm.execute("INIT")
    assert int(ask(dmm, "STAT:OPER:COND?")) & 32  # waiting for trigger
    dmm.execute("*TRG")
    assert ask(dmm, "DATA:POIN?") == "+2"
    dmm.execute("*TRG")
    values = [float(v) for v in ask(dmm, "FETC?").split(",")]
    assert len(values) == 4 and all(v == pytest.approx(200e-6, abs=1e-6) for v in values)
    assert ask(dmm, "STAT:OPER:COND?") == "0"
    no_errors(dmm)
    dmm.execute("*TRG")
    assert ask(dmm, "SYST:ERR?") == '-211,"Trigger ignored"'
    assert dmm.execute("READ?") is None  # READ? would wait for a *TRG forever: -221
    assert ask(dmm, "SYST:ERR?").startswith("-221")


def test_sample_and_trigger_count_readings_and_data_remove(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    dmm.execute("CONF:VOLT:DC 1;:SAMP:COUN 3;:TRIG:COUN 2;:TRIG:DEL 0.01")
    assert len(ask(dmm, "READ?").split(",")) == 6
    assert ask(dmm, "TRIG:DEL?;:TRIG:DEL:AUTO?") == "+1.00000000E-02;0"
    assert len(ask(dmm, "DATA:REM? 4").split(",")) == 4
    assert ask(dmm, "DATA:POIN?") == "+2"
    dmm.execute("ABOR")
    no_errors(dmm)


def test_common_and_system_commands(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    assert ask(dmm, "*TST?") == "+0"
    assert ask(dmm, "SYST:VERS?") == "1999.0"
    dmm.execute("SYST:BEEP;:SYST:BEEP:STAT OFF;:SYST:REM;:SYST:LOC")
    assert ask(dmm, "SYST:BEEP:STAT?") == "0"
    dmm.execute("*ESE 60;*SRE 32")
    assert ask(dmm, "*ESE?;*SRE?") == "60;32"
    dmm.execute("FOO")  # command error, enabled by *ESE: ESB and MSS set
    assert int(ask(dmm, "*STB?")) == 4 | 32 | 64
    dmm.execute("*CLS")
    assert ask(dmm, "*STB?") == "0"
    dmm.execute("STAT:QUES:ENAB 512;:STAT:OPER:ENAB 32")
    assert ask(dmm, "STAT:QUES:ENAB?;:STAT:OPER:ENAB?") == "512;32"
    dmm.execute("STAT:PRES")
    assert ask(dmm, "STAT:QUES:ENAB?;:STAT:OPER:ENAB?;:STAT:OPER?") == "0;0;0"
    dmm.execute("*WAI")
    no_errors(dmm)
