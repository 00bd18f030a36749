"""The simulated Rigol DP832, in the DP800 programming guide's exchanges.

Truth from the fake bench: a wired output (CH1 battery, CH2 charger) that is on draws
12 mA and sits at its setpoint; CH3 drives nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import pyvisa
from fake_bench import FakeBench

from harness.instruments.rigol_dp832 import RigolDP832 as RigolDriver
from harness.instruments.visa import open_scpi
from harness.sim import registry
from harness.sim.instruments.base import SimInstrument
from harness.sim.instruments.rigol_dp832 import RigolDP832

_ids = itertools.count()


def ask(inst: SimInstrument, message: str) -> str:
    reply = inst.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def error(inst: SimInstrument) -> str:
    return ask(inst, ":SYST:ERR?")


def test_idn_reset_state_and_error_format(bench: FakeBench) -> None:
    psu = RigolDP832(bench, serial="DP8C1")
    assert ask(psu, "*IDN?") == "RIGOL TECHNOLOGIES,DP832,DP8C1,00.01.14"
    assert bench.supplies[1] == (0.0, 3.0, False) and bench.supplies[2] == (0.0, 3.0, False)
    assert ask(psu, ":OUTP? CH1") == "OFF"
    assert error(psu) == '0,"No error"'


def test_settings_reach_the_model_and_readbacks_observe_it(bench: FakeBench) -> None:
    psu = RigolDP832(bench)
    psu.execute(":SOUR1:VOLT 3.8;:SOUR1:CURR 0.5")
    psu.execute(":OUTP CH1,ON")
    assert bench.supplies[1] == (3.8, 0.5, True)
    assert float(ask(psu, ":MEAS:VOLT? CH1")) == pytest.approx(3.8, abs=2e-3)
    assert float(ask(psu, ":MEAS:CURR? CH1")) == pytest.approx(0.012, abs=2e-3)
    volts, amps, watts = (float(v) for v in ask(psu, ":MEAS:ALL? CH1").split(","))
    assert watts == pytest.approx(volts * amps, abs=1e-3)
    assert ask(psu, ":SOUR1:VOLT?") == "3.800" and ask(psu, ":OUTP? CH1") == "ON"
    psu.execute(":APPL CH2,5,0.25")
    psu.execute(":INST CH2;:OUTP ON")  # no CH argument: the selected channel
    assert bench.supplies[2] == (5.0, 0.25, True)
    assert ask(psu, ":APPL? CH2") == "CH2:30V/3A,5.000,0.2500"
    assert float(ask(psu, ":MEAS:CURR? CH2")) == pytest.approx(0.012, abs=2e-3)
    psu.execute(":VOLT 6")  # the selected channel: CH2
    assert bench.supplies[2][0] == 6.0
    psu.execute(":SOUR3:VOLT 5;:OUTP CH3,ON")  # CH3 is not wired: nothing reaches the model
    assert 3 not in bench.supplies
    assert float(ask(psu, ":MEAS? CH3")) == pytest.approx(5.0, abs=2e-3)
    assert float(ask(psu, ":MEAS:CURR? CH3")) == 0.0
    psu.execute(":OUTP CH1,OFF")
    assert bench.supplies[1] == (3.8, 0.5, False)
    assert float(ask(psu, ":MEAS:VOLT? CH1")) == pytest.approx(0.0, abs=2e-3)
    assert error(psu) == '0,"No error"'


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (":SOUR1:VOLT 33", -222),
        (":SOUR3:VOLT 6", -222),
        (":SOUR2:CURR 3.5", -222),
        (":SOUR4:VOLT 1", -113),
        (":OUTP CH4,ON", -224),
        (":OUTP CH1,MAYBE", -224),
        (":MEAS:VOLT? CH0", -224),
        (":SOUR1:VOLT:PROT 5", -113),  # OVP is not modelled: undefined, never ignored
    ],
)
def test_refusals(bench: FakeBench, command: str, code: int) -> None:
    psu = RigolDP832(bench)
    psu.execute(command)
    assert error(psu).startswith(f"{code},")
    assert error(psu) == '0,"No error"'


@pytest.fixture
def visa(bench: FakeBench) -> Iterator[pyvisa.ResourceManager]:
    bench_id = f"dp832-{next(_ids)}"
    registry.register(bench_id, bench)  # type: ignore[arg-type]
    rm = pyvisa.ResourceManager(f"{bench_id}@hilsim")
    yield rm
    rm.close()
    registry.unregister(bench_id)


def test_harness_driver_through_visa(bench: FakeBench, visa: pyvisa.ResourceManager) -> None:
    link = open_scpi("TCPIP0::rigol-psu.sim::5025::SOCKET", name="psu", resource_manager=visa)
    psu = RigolDriver(link)
    psu.set_output(2, 5.0, 0.5)
    psu.enable(2, True)
    assert bench.supplies[2] == (5.0, 0.5, True)
    assert psu.measure_voltage(2) == pytest.approx(5.0, abs=2e-3)
    assert psu.measure_current(2) == pytest.approx(0.012, abs=2e-3)
    psu.all_off()
    assert bench.supplies[2] == (5.0, 0.5, False) and bench.supplies[1][2] is False
    assert psu.check_errors() == []
    link.close()
