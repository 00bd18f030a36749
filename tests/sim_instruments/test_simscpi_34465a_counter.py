"""The 34465A's frequency/period functions and its 1 µA / 10 µA ranges, from the manual.

The fake bench drives a 10 Hz, 50 % square wave into 500 Ω; the V/Ω input is across the
load, so the counter sees that waveform and must read 10 Hz (period 0.1 s) from it.
With no load switched in there is no signal: the manual returns 0 after the timeout
(1 s, or shorter with TIMeout:AUTO ON). Each expected value follows from the fake
bench's parameters, never from the simulation's output.
"""

from __future__ import annotations

import pytest
from fake_bench import FakeBench

from harness.sim.instruments.keysight_34465a import Keysight34465A


def running(bench: FakeBench) -> Keysight34465A:
    bench.set_load(500.0)
    bench.set_supply(1, 3.8, 0.1, True)
    return Keysight34465A(bench)


def ask(dmm: Keysight34465A, message: str) -> str:
    reply = dmm.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def no_errors(dmm: Keysight34465A) -> None:
    assert ask(dmm, "SYST:ERR?") == '+0,"No error"'


@pytest.mark.parametrize("frequency", [10.0, 37.0, 1000.0])
def test_meas_freq_reads_the_load_waveform(frequency: float) -> None:
    dmm = running(FakeBench(frequency=frequency))
    assert float(ask(dmm, "MEAS:FREQ?")) == pytest.approx(frequency, rel=1e-4)
    assert float(ask(dmm, "MEAS:PER?")) == pytest.approx(1 / frequency, rel=1e-4)
    no_errors(dmm)


def test_conf_freq_defaults_and_the_resolution_sets_the_aperture(bench: FakeBench) -> None:
    """Range 3 Hz-300 kHz (default 20 Hz); 100 ppm x range -> 10 ms, 1 ppm -> 1 s."""
    dmm = running(bench)
    dmm.execute("CONF:FREQ")
    assert ask(dmm, "CONF?") == '"FREQ +2.00000000E+01,+2.00000000E-04"'
    assert ask(dmm, "FREQ:APER?") == "+1.00000000E-01"
    dmm.execute("CONF:FREQ 100,MAX")
    assert ask(dmm, "FREQ:APER?") == "+1.00000000E-02"
    dmm.execute("CONF:PER 0.1,MIN")
    assert ask(dmm, "PER:APER?") == "+1.00000000E+00"  # shared with FREQ
    assert ask(dmm, "FREQ:APER?") == "+1.00000000E+00"
    assert ask(dmm, "CONF?") == '"PER +1.00000000E-01,+1.00000000E-07"'
    assert float(ask(dmm, "READ?")) == pytest.approx(0.1, rel=1e-4)
    no_errors(dmm)


def test_aperture_filter_and_voltage_range_settings(bench: FakeBench) -> None:
    dmm = running(bench)
    dmm.execute("FREQ:APER 1 ms")  # 34465A/70A only
    assert ask(dmm, "FREQ:APER?") == "+1.00000000E-03"
    dmm.execute("FREQ:APER 0.05")
    assert ask(dmm, "SYST:ERR?").startswith("-222")
    dmm.execute("FREQ:RANG:LOW 50")  # the highest filter not above 50 Hz
    assert ask(dmm, "FREQ:RANG:LOW?") == "+2.00000000E+01"
    dmm.execute("CONF:FREQ;:READ?")
    # 0.2 V peak-to-peak, 0.1 V r.m.s. a.c.: autorange lands on 100 mV
    assert ask(dmm, "FREQ:VOLT:RANG?") == "+1.00000000E-01"
    assert ask(dmm, "FREQ:VOLT:RANG:AUTO?") == "1"
    no_errors(dmm)


def test_a_fixed_voltage_range_too_small_is_overload() -> None:
    dmm = running(FakeBench(amplitude=4e-3))  # 1 V r.m.s. a.c. across 500 ohms
    dmm.execute("CONF:FREQ;:FREQ:VOLT:RANG 0.1")
    assert ask(dmm, "FREQ:VOLT:RANG:AUTO?") == "0"
    assert ask(dmm, "READ?") == "+9.90000000E+37"


def test_no_signal_reads_zero_after_the_timeout() -> None:
    """The manual: "With no signal applied, 0 is returned"; TIMeout:AUTO OFF waits 1 s."""
    bench = FakeBench()
    dmm = Keysight34465A(bench)  # no load switched in, supply off: nothing at the input
    start = bench.clock.now()
    assert ask(dmm, "MEAS:FREQ?") == "+0.00000000E+00"
    assert bench.clock.now() - start == pytest.approx(1.0, abs=0.01)
    assert ask(dmm, "MEAS:PER?") == "+0.00000000E+00"
    dmm.execute("FREQ:TIM:AUTO ON;:FREQ:RANG:LOW 200")
    start = bench.clock.now()
    assert ask(dmm, "READ?") == "+0.00000000E+00"
    assert bench.clock.now() - start < 0.2
    dmm.execute("*RST")  # the timeout setting survives *RST, as the manual says
    assert ask(dmm, "FREQ:TIM:AUTO?") == "1"
    assert ask(dmm, "FREQ:RANG:LOW?") == "+2.00000000E+01"
    no_errors(dmm)


def test_function_selects_the_counter(bench: FakeBench) -> None:
    dmm = running(bench)
    dmm.execute('FUNC "FREQ"')
    assert ask(dmm, "FUNC?") == '"FREQ"'
    assert float(ask(dmm, "READ?")) == pytest.approx(10.0, rel=1e-4)


@pytest.mark.parametrize(
    ("amplitude", "range_a"),
    [(1.2e-6, "+1.00000000E-06"), (8e-6, "+1.00000000E-05"), (80e-6, "+1.00000000E-04")],
)
def test_autorange_selects_the_1ua_and_10ua_ranges(amplitude: float, range_a: str) -> None:
    """Mean current amplitude/2: 0.6 uA sits on 1 uA, 4 uA on 10 uA, 40 uA on 100 uA."""
    dmm = running(FakeBench(amplitude=amplitude))
    assert float(ask(dmm, "MEAS:CURR:DC?")) == pytest.approx(amplitude / 2, rel=2e-3)
    assert ask(dmm, "CURR:RANG?") == range_a
    no_errors(dmm)


def test_low_current_ranges_are_dc_only(bench: FakeBench) -> None:
    dmm = running(bench)
    dmm.execute("CONF:CURR:DC 1e-6")
    assert ask(dmm, "CURR:DC:RANG?") == "+1.00000000E-06"
    assert ask(dmm, "READ?") == "+9.90000000E+37"  # 200 uA on the 1 uA range
    no_errors(dmm)
    dmm.execute("CURR:AC:RANG 1e-6")  # the smallest AC range is 100 uA
    assert ask(dmm, "SYST:ERR?").startswith("-222")
