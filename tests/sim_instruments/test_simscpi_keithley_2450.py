"""The simulated Keithley 2450 as a whole SMU, in series with the load.

Truth from the fake bench's parameters: while the battery supply is on the device
drives a 400 µA, 10 Hz, 50 % square wave, so any aperture of whole periods (10 NPLC at
50 Hz is 0.2 s) averages 200 µA; with the supply off no current flows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import pyvisa
from fake_bench import FakeBench

from harness.instruments.keithley_2450 import Keithley2450 as HarnessDriver
from harness.instruments.visa import open_scpi
from harness.sim import registry
from harness.sim.instruments.base import SimInstrument
from harness.sim.instruments.keithley_2450 import Keithley2450
from harness.sim.server import ServedInstruments, serve_instruments

MEAN_A = 200e-6
_ids = itertools.count()


def ask(inst: SimInstrument, message: str) -> str:
    reply = inst.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def error(inst: SimInstrument) -> str:
    return ask(inst, ":SYST:ERR?")


def device_off(bench: FakeBench) -> None:
    bench.set_supply(1, 0.0, 0.5, False)


def test_identity(bench: FakeBench) -> None:
    smu = Keithley2450(bench)
    assert ask(smu, "*IDN?") == "KEITHLEY INSTRUMENTS,MODEL 2450,04512345,1.7.12b"


def test_voltage_source_reads_its_level_and_the_loop_current(bench: FakeBench) -> None:
    smu = Keithley2450(bench)
    smu.execute(":SOUR:FUNC VOLT;:SOUR:VOLT 1.5;:SOUR:VOLT:ILIM 0.01;:OUTP ON")
    smu.execute(':SENS:FUNC "VOLT";:SENS:VOLT:NPLC 10')
    assert float(ask(smu, ":READ?")) == pytest.approx(1.5, abs=1e-3)
    assert float(ask(smu, ":SOUR:VOLT:RANG?")) == 2.0  # autoranged to hold 1.5 V
    smu.execute(":SENS:CURR:NPLC 10")
    t0 = bench.clock.now()
    assert float(ask(smu, ":MEAS:CURR?")) == pytest.approx(MEAN_A, rel=1e-3)
    assert bench.clock.now() - t0 == pytest.approx(0.2)
    smu.execute(":SOUR:VOLT:ILIM 50e-6")  # the SMU limits: the reading sits at the limit
    assert float(ask(smu, ":READ?")) == pytest.approx(50e-6, rel=1e-3)
    assert error(smu) == '+0,"No error"'


def test_current_source_against_the_device_goes_to_its_voltage_limit(bench: FakeBench) -> None:
    smu = Keithley2450(bench)
    smu.execute(":SOUR:FUNC CURR;:SOUR:CURR 0;:SOUR:CURR:VLIM 5;:OUTP ON")
    smu.execute(':SENS:FUNC "VOLT";:SENS:VOLT:NPLC 10')
    # the device drives 200 µA (mean) through a source that wants 0: pushed to -5 V
    assert float(ask(smu, ":READ?")) == pytest.approx(-5.0, abs=5e-3)
    device_off(bench)
    assert float(ask(smu, ":READ?")) == pytest.approx(0.0, abs=5e-3)  # both want 0 A
    smu.execute(":SOUR:CURR 1e-3")  # an open loop: nothing can carry 1 mA
    assert float(ask(smu, ":READ?")) == pytest.approx(5.0, abs=5e-3)
    assert float(ask(smu, ":MEAS:CURR?")) == pytest.approx(0.0, abs=1e-7)
    assert error(smu) == '+0,"No error"'


def test_reset_limit_fixed_ranges_overflow_and_refuse(bench: FakeBench) -> None:
    smu = Keithley2450(bench)
    smu.execute(":OUTP ON")  # *RST: 0 V with a 105 µA limit, below the device's 200 µA
    assert float(ask(smu, ":READ?")) == pytest.approx(105e-6, rel=1e-3)
    smu.execute(":SENS:CURR:RANG 1e-6")
    assert ask(smu, ":SENS:CURR:RANG:AUTO?") == "0"
    assert float(ask(smu, ":READ?")) == 9.9e37  # 200 µA on the 1 µA range
    smu.execute(":SOUR:VOLT:RANG 2;:SOUR:VOLT 5")  # beyond the fixed 2 V range
    assert error(smu).startswith("-222,")


def test_buffer_readings_and_sources(bench: FakeBench) -> None:
    smu = Keithley2450(bench)
    smu.execute(":SOUR:VOLT 0;:SOUR:VOLT:ILIM 1e-3;:OUTP ON;:SENS:CURR:NPLC 10")
    smu.execute(':TRAC:CLE "defbuffer1";:SENS:COUN 4;:TRAC:TRIG "defbuffer1"')
    assert ask(smu, ':TRAC:ACT? "defbuffer1"') == "4"
    values = [float(v) for v in ask(smu, ':TRAC:DATA? 1, 4, "defbuffer1", READ, SOUR').split(",")]
    assert values[0::2] == pytest.approx([MEAN_A] * 4, rel=1e-3)
    assert values[1::2] == [0.0] * 4
    assert error(smu) == '+0,"No error"'


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (":SOUR:FUNC:SHAP SIN", -113),
        (':SENS:FUNC "RES"', -224),  # resistance is not simulated
        (":SOUR:FUNC POW", -224),
        (":SOUR:VOLT 300", -222),
        (":SOUR:CURR:VLIM 0.001", -222),
        (":SENS:CURR:NPLC 20", -222),
        (':TRAC:CLE "mybuffer"', -224),
    ],
)
def test_refusals(bench: FakeBench, command: str, code: int) -> None:
    smu = Keithley2450(bench)
    smu.execute(command)
    assert error(smu).startswith(f"{code:+d},")


@pytest.fixture
def visa(bench: FakeBench) -> Iterator[pyvisa.ResourceManager]:
    bench_id = f"smu{next(_ids)}"
    registry.register(bench_id, bench)  # type: ignore[arg-type]
    rm = pyvisa.ResourceManager(f"{bench_id}@hilsim")
    yield rm
    rm.close()
    registry.unregister(bench_id)


def test_harness_driver_reads_a_buffer_through_visa(
    bench: FakeBench, visa: pyvisa.ResourceManager
) -> None:
    link = open_scpi("TCPIP0::smu.sim::5025::SOCKET", name="smu", resource_manager=visa)
    smu = HarnessDriver(link)
    smu.configure_dc_current(1e-3, nplc=10)
    assert smu.read_current() == pytest.approx(MEAN_A, rel=1e-3)
    assert list(smu.read_currents(3)) == pytest.approx([MEAN_A] * 3, rel=1e-3)
    assert smu.check_errors() == []
    link.close()


@pytest.fixture
def served(bench: FakeBench) -> Iterator[ServedInstruments]:
    with serve_instruments(bench, roles=("smu",)) as running:
        yield running


def test_pymeasure_driver_sources_current_and_measures_voltage(
    bench: FakeBench, served: ServedInstruments
) -> None:
    pytest.importorskip("pymeasure")
    from pymeasure.instruments.keithley import Keithley2450 as PyMeasure2450

    device_off(bench)
    smu = PyMeasure2450(served.resources["smu"], read_termination="\n")
    try:
        smu.reset()
        smu.apply_current(current_range=1e-3, compliance_voltage=10)
        smu.measure_voltage(nplc=1, voltage=20, auto_range=False)
        smu.source_current = 0.0
        smu.enable_source()
        assert smu.compliance_voltage == pytest.approx(10)
        assert smu.voltage == pytest.approx(0.0, abs=0.01)  # both sources agree on 0 A
        smu.source_current = 5e-4  # the device is off: the loop is open, SMU at its limit
        assert smu.voltage == pytest.approx(10.0, abs=0.01)
        assert smu.source_current_range == pytest.approx(1e-3)
        assert smu.check_errors() == []
    finally:
        smu.adapter.close()
