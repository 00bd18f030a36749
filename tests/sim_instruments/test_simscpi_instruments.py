"""Exchanges with each simulated model, checked against the fake bench's closed-form physics."""

from __future__ import annotations

import numpy as np
import pytest
from fake_bench import FakeBench

from harness.sim.instruments.base import SimInstrument
from harness.sim.instruments.keithley_2450 import Keithley2450
from harness.sim.instruments.keysight_34465a import Keysight34465A
from harness.sim.instruments.keysight_34980a import OPERATE_TIME_S, Keysight34980A
from harness.sim.instruments.keysight_dsox1204g import KeysightDSOX1204G
from harness.sim.instruments.keysight_e36312a import KeysightE36312A
from harness.sim.instruments.sim_clock import SimClock


def ask(inst: SimInstrument, message: str) -> str:
    reply = inst.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def no_errors(inst: SimInstrument) -> None:
    assert ask(inst, "SYST:ERR?") == '+0,"No error"'


# --- 34465A -------------------------------------------------------------------------
def test_dmm_idn_and_defaults(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench, serial="MY1")
    assert ask(dmm, "*IDN?") == "Keysight Technologies,34465A,MY1,A.03.02-02.40-03.02-00.52-03-01"
    assert float(ask(dmm, "CURR:NPLC?")) == 10.0
    assert ask(dmm, "SYST:LFR?") == "50"


def test_dmm_integrates_over_aperture_and_advances_clock(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    dmm.execute("CONF:CURR:DC 100e-6")
    assert bench.burden == 1000.0  # the 100 µA shunt is now in series
    dmm.execute("CONF:CURR:DC 1e-3")
    assert bench.burden == 100.0
    t0 = bench.clock.now()
    reading = float(ask(dmm, "READ?"))
    # 0.2 s aperture = two whole periods of the 10 Hz square wave: mean is 200 µA.
    assert reading == pytest.approx(200e-6, abs=0.1e-6)
    assert bench.clock.now() - t0 == pytest.approx(0.2 + 1e-3)
    no_errors(dmm)


def test_dmm_sample_count_fetch_r_and_points(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    dmm.execute("CONF:CURR:DC 1mA;:SAMP:COUN 3;:TRIG:SOUR IMM")
    dmm.execute("INIT")
    assert ask(dmm, "DATA:POIN?") == "+3"
    values = [float(v) for v in ask(dmm, "FETC?").split(",")]
    assert len(values) == 3 and all(abs(v - 200e-6) < 2e-6 for v in values)
    block = dmm.execute("R?")
    assert block is not None and block.startswith(b"#2")
    assert ask(dmm, "DATA:POIN?") == "+0"


def test_dmm_overload_and_nplc_steps(bench: FakeBench) -> None:
    bench.offset = 1e-3  # 1.2 mA mean, far over the 100 µA range
    dmm = Keysight34465A(bench)
    assert ask(dmm, "MEAS:CURR:DC? 100uA") == "+9.90000000E+37"
    dmm.execute("CURR:NPLC 0.5")
    assert float(ask(dmm, "CURR:NPLC?")) == 1.0  # rounds up to the next supported value
    dmm.execute("CURR:RANG 20")
    assert ask(dmm, "SYST:ERR?") == '-222,"Data out of range"'


def test_dmm_autorange_picks_a_range_that_holds_the_reading(bench: FakeBench) -> None:
    dmm = Keysight34465A(bench)
    value = float(ask(dmm, "MEAS:CURR:DC?"))
    assert value == pytest.approx(200e-6, rel=1e-3)
    assert float(ask(dmm, "CURR:RANG?")) == 1e-3


# --- E36312A ------------------------------------------------------------------------
def test_psu_sets_model_and_reads_back(bench: FakeBench) -> None:
    psu = KeysightE36312A(bench)
    psu.execute("INST CH1;:VOLT 4.1;:CURR 0.2;:OUTP ON")
    assert bench.supplies[1] == (4.1, 0.2, True)
    assert float(ask(psu, "MEAS:VOLT? (@1)")) == pytest.approx(4.1, abs=2e-3)
    assert float(ask(psu, "MEAS:CURR? (@1)")) == pytest.approx(0.012, abs=2e-3)
    psu.execute("APPL CH2,5.0,0.5")
    psu.execute("OUTP 1,(@2)")
    assert bench.supplies[2] == (5.0, 0.5, True)
    assert ask(psu, "OUTP? (@1:3)") == "1,1,0"
    assert ask(psu, "VOLT? (@2)") == "+5.00000000E+00"
    no_errors(psu)


def test_psu_ratings_are_enforced(bench: FakeBench) -> None:
    psu = KeysightE36312A(bench)
    psu.execute("VOLT 7,(@1)")
    assert ask(psu, "SYST:ERR?") == '-222,"Data out of range"'
    psu.execute("VOLT 20,(@2)")
    psu.execute("CURR 2,(@3)")
    assert ask(psu, "SYST:ERR?") == '-222,"Data out of range"'


# --- 34980A -------------------------------------------------------------------------
def test_switch_parallel_network_and_operate_time(bench: FakeBench) -> None:
    switch = Keysight34980A(bench)
    assert bench.load is None
    t0 = bench.clock.now()
    switch.execute("ROUT:CLOS (@1001)")
    assert bench.load == 500.0
    assert bench.clock.now() - t0 == pytest.approx(OPERATE_TIME_S)
    switch.execute("ROUT:CLOS (@1002)")
    assert bench.load == pytest.approx(400.0)  # 500 Ω ∥ 2 kΩ
    assert ask(switch, "ROUT:CLOS? (@1001:1004)") == "1,1,0,0"
    assert ask(switch, "ROUT:OPEN? (@1001,1003)") == "0,1"
    switch.execute("ROUT:OPEN:ALL")
    assert bench.load is None
    assert ask(switch, "SYST:CTYP? 1").split(",")[1] == "34921A"
    no_errors(switch)
    switch.execute("ROUT:CLOS (@2001)")
    assert ask(switch, "SYST:ERR?").startswith("-224")


# --- clock --------------------------------------------------------------------------
def test_clock_reads_and_advances(bench: FakeBench) -> None:
    clock = SimClock(bench)
    clock.execute("SYST:CLOC:ADV 1.5")
    clock.execute("SYST:CLOC:ADV 500 ms")
    assert float(ask(clock, "SYST:CLOC?")) == pytest.approx(2.0)
    clock.execute("SYST:CLOC:ADV -1")
    assert ask(clock, "SYST:ERR?") == '-222,"Data out of range"'


# --- 2450 ---------------------------------------------------------------------------
def test_smu_measures_current_at_zero_volts(bench: FakeBench) -> None:
    smu = Keithley2450(bench)
    smu.execute(":SOUR:FUNC VOLT;:SOUR:VOLT:LEV 0;:SOUR:VOLT:ILIM 0.01")
    smu.execute(":SENS:FUNC 'CURR';:SENS:CURR:NPLC 10;")
    smu.execute("OUTPUT ON")
    assert float(ask(smu, ":READ?")) == pytest.approx(200e-6, rel=1e-3)
    assert ask(smu, "OUTPUT?") == "1"
    no_errors(smu)
    smu.execute(":SOUR:VOLT:LEV 1")  # in series with a current source: same current
    assert float(ask(smu, ":READ?")) == pytest.approx(200e-6, rel=1e-3)
    no_errors(smu)


# --- DSOX1204G ----------------------------------------------------------------------
def scope_setup(bench: FakeBench) -> KeysightDSOX1204G:
    scope = KeysightDSOX1204G(bench)
    scope.execute(":CHAN1:SCAL 0.05;:CHAN1:OFFS 0.1;:TIM:SCAL 0.02;:TIM:REF LEFT;:TIM:POS 0")
    scope.execute(":TRIG:MODE EDGE;:TRIG:SOUR CHAN1;:TRIG:LEV 0.1;:TRIG:SLOP POS;:TRIG:SWE NORM")
    scope.execute(":WAV:SOUR CHAN1;:WAV:FORM BYTE;:WAV:POIN:MODE RAW;:WAV:POIN 10000")
    return scope


def test_scope_single_edge_trigger_preamble_and_block(bench: FakeBench) -> None:
    bench.clock.advance(0.03)  # arm mid-pulse: the next rising edge is at 0.1 s
    scope = scope_setup(bench)
    scope.execute(":SINGle")
    assert ask(scope, ":OPER:COND?") == "8"  # still running: nothing yet in the past
    reply = scope.execute(":WAV:DATA?")
    assert reply is not None and reply.startswith(b"#800010000") and reply.endswith(b"\n")
    codes = np.frombuffer(reply[10:-1], dtype=np.uint8)
    pre = ask(scope, ":WAV:PRE?").split(",")
    assert pre[0] == "0" and int(pre[2]) == 10000
    xinc, xorig, yinc, yorig, yref = (float(pre[i]) for i in (4, 5, 7, 8, 9))
    assert xinc == pytest.approx(0.2 / 10000) and xorig == pytest.approx(-0.02)
    volts = (codes - yref) * yinc + yorig
    t = xorig + xinc * np.arange(codes.size)
    # Trigger at t = 0 is the 10 Hz rising edge: 0 V before, 0.2 V (400 µA · 500 Ω) after.
    assert np.median(volts[(t > -0.015) & (t < -0.001)]) == pytest.approx(0.0, abs=2e-3)
    assert np.median(volts[(t > 0.001) & (t < 0.045)]) == pytest.approx(0.2, abs=2e-3)
    assert bench.clock.now() == pytest.approx(0.1 + 0.18, abs=1e-4)
    assert ask(scope, ":TER?") == "1" and ask(scope, ":TER?") == "0"
    assert ask(scope, ":OPER:COND?") == "0"
    assert float(ask(scope, ":MEAS:FREQ? CHAN1")) == pytest.approx(10.0, rel=1e-3)
    # Peak-to-peak includes the front-end noise peaks (about ±4 σ of 1 mV).
    assert float(ask(scope, ":MEAS:VPP?")) == pytest.approx(0.2, abs=0.015)
    assert float(ask(scope, ":MEAS:VMAX?")) == pytest.approx(0.2, abs=0.008)
    assert ask(scope, "SYST:ERR?") == '+0,"No error"'


def test_scope_trigger_catches_an_event_caused_after_arming(bench: FakeBench) -> None:
    bench.set_supply(1, 3.8, 0.5, False)  # device off: no edge anywhere
    scope = scope_setup(bench)
    scope.execute(":SINGle")
    assert ask(scope, ":TER?") == "0"
    bench.clock.advance(0.5)
    bench.set_supply(1, 3.8, 0.5, True)  # another instrument turns it on
    reply = scope.execute(":WAV:DATA?")
    assert reply is not None
    assert ask(scope, ":TER?") == "1"


def test_scope_normal_sweep_without_trigger_reports_error(bench: FakeBench) -> None:
    bench.set_supply(1, 3.8, 0.5, False)
    scope = scope_setup(bench)
    scope.execute(":DIGitize CHAN1")
    assert scope.execute(":WAV:DATA?") is None
    assert ask(scope, "SYST:ERR?").startswith("-230")
    assert float(ask(scope, ":MEAS:FREQ?")) == 9.9e37


def test_scope_clipped_codes_and_word_format(bench: FakeBench) -> None:
    scope = scope_setup(bench)
    scope.execute(":CHAN1:SCAL 0.01;:CHAN1:OFFS 0")  # 0.2 V is off the top of the screen
    scope.execute(":DIGitize CHAN1")
    reply = scope.execute(":WAV:DATA?")
    assert reply is not None
    codes = np.frombuffer(reply[10:-1], dtype=np.uint8)
    assert codes.max() == 255
    assert float(ask(scope, ":MEAS:VPP?")) == 9.9e37
    scope.execute(":WAV:FORM WORD")
    word = scope.execute(":WAV:DATA?")
    assert word is not None
    assert np.array_equal(np.frombuffer(word[10:-1], dtype=">u2") >> 8, codes)
    assert ask(scope, ":WAV:PRE?").split(",")[9] == "32768"


def test_scope_four_channels_map_to_the_bench(bench: FakeBench) -> None:
    bench.set_supply(2, 5.0, 0.5, True)
    scope = scope_setup(bench)
    for ch in (3, 4):
        scope.execute(f":CHAN{ch}:SCAL 1;:CHAN{ch}:OFFS 3;:CHAN{ch}:DISP 1")
    scope.execute(":TRIG:SWE AUTO;:DIGitize CHAN3,CHAN4")
    scope.execute(":WAV:SOUR CHAN3")
    assert float(ask(scope, ":MEAS:VMAX? CHAN3")) == pytest.approx(5.0, abs=0.1)
    assert float(ask(scope, ":MEAS:VMAX? CHAN4")) == pytest.approx(3.8, abs=0.1)
    scope.execute(":CHAN5:SCAL 1")
    assert ask(scope, "SYST:ERR?").startswith("-113")
