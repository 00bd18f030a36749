"""The 34465A's thermocouple temperature, from its manual's syntax and NIST's tables.

A thermocouple reading is the input's d.c. volts taken as the couple's EMF, plus the
EMF of the reference junction's temperature, turned back into a temperature by the
type's ITS-90 function. The expected values come from the NIST ITS-90 tables (mV at a
temperature, reference junction at 0 °C), never from the simulator: e.g. type K is
4.096 mV at 100 °C, 2.023 mV at 50 °C and 6.138 mV at 150 °C.

The fake bench drives a d.c. current (amplitude 0, an offset) into the load, so the
input carries exactly the EMF a test wants; with its supply off the input is at 0 V,
which is what a couple whose junction sits in the room's air gives: the meter then
reads its reference junction, the room's temperature.
"""

from __future__ import annotations

import pytest
from fake_bench import FakeBench

from harness.sim.instruments.dmm_temperature import REFERENCE_ERROR_C
from harness.sim.instruments.keysight_34465a import Keysight34465A
from harness.sim.instruments.thermocouple import TYPES
from harness.sim.room import Room

OPEN = "+9.90000000E+37"
# type -> (mV at 100 °C, per NIST ITS-90 tables), and a second tabulated point
NIST_100C_MV = {"E": 6.319, "J": 5.269, "K": 4.096, "N": 2.774, "R": 0.647, "T": 4.279}
NIST_OTHER = {
    "E": (-100.0, -5.237),
    "J": (1000.0, 57.953),
    "K": (1000.0, 41.276),
    "N": (1000.0, 36.256),
    "R": (1000.0, 10.506),
    "T": (-100.0, -3.379),
}
SEEBECK_FLOOR_MV_PER_C = 0.0075
"""Type R's sensitivity near 100 °C, the lowest of the types: a table's 0.0005 mV
rounding is at most 0.07 °C of any type's reading."""


def ask(dmm: Keysight34465A, message: str) -> str:
    reply = dmm.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def no_errors(dmm: Keysight34465A) -> None:
    assert ask(dmm, "SYST:ERR?") == '+0,"No error"'


def emf_bench(millivolts: float, load: float = 500.0) -> FakeBench:
    """A bench whose input carries `millivolts` of d.c.: a steady current into `load`."""
    bench = FakeBench(seed=7, amplitude=0.0, offset=millivolts * 1e-3 / load)
    bench.set_load(load)
    bench.set_supply(1, 3.8, 0.5, True)
    return bench


def idle_bench(load: float | None = 500.0, room_c: float = 30.0) -> FakeBench:
    """No current: 0 V on the input; the room (and so the terminals) near `room_c`."""
    bench = FakeBench(seed=7)
    bench.set_load(load)
    bench.room = Room(7, bench.clock, temperature_c=room_c)  # type: ignore[attr-defined]
    return bench


@pytest.mark.parametrize("letter", sorted(NIST_100C_MV))
def test_reference_functions_give_nist_table_values(letter: str) -> None:
    kind = TYPES[letter]
    assert kind.emf_mv(0.0) == pytest.approx(0.0, abs=5e-4)
    assert kind.emf_mv(100.0) == pytest.approx(NIST_100C_MV[letter], abs=5e-4)
    celsius, mv = NIST_OTHER[letter]
    assert kind.emf_mv(celsius) == pytest.approx(mv, abs=5e-4)
    assert kind.celsius(kind.emf_mv(celsius)) == pytest.approx(celsius, abs=1e-6)


@pytest.mark.parametrize("letter", sorted(NIST_100C_MV))
def test_fixed_0_c_reference_reads_the_table_temperature(letter: str) -> None:
    dmm = Keysight34465A(emf_bench(NIST_100C_MV[letter]))
    dmm.execute("TEMP:TRAN:TC:RJUN:TYPE FIX;:TEMP:TRAN:TC:RJUN 0")
    reading = float(ask(dmm, f"MEAS:TEMP? TC,{letter}"))
    assert reading == pytest.approx(100.0, abs=0.0005 / SEEBECK_FLOOR_MV_PER_C)
    assert ask(dmm, "TEMP:TRAN:TYPE?;:TEMP:TRAN:TC:TYPE?") == f"TC;{letter}"
    assert ask(dmm, "CONF?").startswith(f'"TEMP TC,{letter},+1.00000000E+00,')
    no_errors(dmm)


def test_fixed_reference_adds_its_emf_not_its_degrees() -> None:
    """K: 150 °C against a 50 °C reference is 6.138 − 2.023 = 4.115 mV; the meter adds
    the reference's EMF back, so it reads 150 °C (adding 50 degrees to what 4.115 mV is
    against 0 °C, 100.5 °C, would be off by half a degree)."""
    dmm = Keysight34465A(emf_bench(6.138 - 2.023))
    dmm.execute("CONF:TEMP TC,K")
    dmm.execute("TEMP:TRAN:TC:RJUN:TYPE FIXED;:TEMP:TRAN:TC:RJUN 50")
    assert float(ask(dmm, "READ?")) == pytest.approx(150.0, abs=0.05)
    dmm.execute("UNIT:TEMP F")  # the reading follows the unit; the reference stays in °C
    assert float(ask(dmm, "READ?")) == pytest.approx(302.0, abs=0.1)
    assert ask(dmm, "TEMP:TRAN:TC:RJUN?;:TEMP:TRAN:TC:RJUN:TYPE?") == "+5.00000000E+01;FIX"
    no_errors(dmm)


def test_internal_reference_reads_the_room_through_a_zero_emf() -> None:
    bench = idle_bench(room_c=30.0)
    dmm = Keysight34465A(bench)
    sensed = float(ask(dmm, "TEMP:RJUN?"))
    room = bench.room.state(bench.clock.now()).temperature_c  # type: ignore[attr-defined]
    assert abs(sensed - room) <= REFERENCE_ERROR_C
    assert abs(room - 30.0) < 2.0  # the room drifts around its centre, a degree or so
    for letter in "JKT":
        reading = float(ask(dmm, f"MEAS:TEMP? TC,{letter}"))
        assert reading == pytest.approx(sensed, abs=0.02)  # 0 mV: the reference itself
    dmm.execute("TEMP:TRAN:TC:RJUN:TYPE FIX;:TEMP:TRAN:TC:RJUN 0")
    assert float(ask(dmm, "READ?")) == pytest.approx(0.0, abs=0.02)  # no ice bath here
    no_errors(dmm)


def test_internal_reference_converts_through_the_curve() -> None:
    """With the junction at the room's temperature r, a K couple at 150 °C gives
    E(150) − E(r); the meter's reading is 150 °C off by its sensor's error only."""
    bench = idle_bench(room_c=23.0)
    dmm = Keysight34465A(bench)
    room = bench.room.state(0.0).temperature_c  # type: ignore[attr-defined]
    emf = TYPES["K"].emf_mv(150.0) - TYPES["K"].emf_mv(room)
    bench.amplitude, bench.offset = 0.0, emf * 1e-3 / 500.0
    bench.set_supply(1, 3.8, 0.5, True)
    reading = float(ask(dmm, "MEAS:TEMP? TC,K"))
    error = float(ask(dmm, "TEMP:RJUN?")) - room
    # the sensor's error, scaled by dE/dT at the room (40.4 µV/°C) over dE/dT at 150 °C
    # (40.3 µV/°C; NIST's Seebeck coefficients of type K)
    assert reading == pytest.approx(150.0 + error * 40.4 / 40.3, abs=0.01)
    no_errors(dmm)


@pytest.mark.parametrize(("load", "reads_open"), [(None, True), (10_000.0, True), (500.0, False)])
def test_thermocouple_check_reports_an_open_couple(load: float | None, reads_open: bool) -> None:
    dmm = Keysight34465A(idle_bench(load))
    dmm.execute("CONF:TEMP TC,T;:TEMP:TRAN:TC:CHEC ON")
    assert ask(dmm, "TEMP:TRAN:TC:CHEC?") == "1"
    reading = ask(dmm, "READ?")
    assert (reading == OPEN) is reads_open
    assert bool(int(ask(dmm, "STAT:QUES?")) & 16) is reads_open
    dmm.execute("TEMP:TRAN:TC:CHEC OFF")  # unchecked, an open input floats at 0 V here
    assert ask(dmm, "READ?") != OPEN
    no_errors(dmm)


def test_a_driven_load_is_beyond_every_span() -> None:
    """0.1 V on the input (the unit's mean 200 µA into 500 Ω) is no couple's EMF."""
    bench = FakeBench(seed=7)
    bench.set_load(500.0)
    bench.set_supply(1, 3.8, 0.5, True)
    dmm = Keysight34465A(bench)
    assert ask(dmm, "MEAS:TEMP? TC,K") == OPEN
    assert int(ask(dmm, "STAT:QUES?")) & 16
    no_errors(dmm)


def test_type_t_above_400_c_reads_overload() -> None:
    dmm = Keysight34465A(emf_bench(21.0))  # type T is 20.872 mV at 400 °C, its top
    dmm.execute("TEMP:TRAN:TC:RJUN:TYPE FIX")
    assert ask(dmm, "MEAS:TEMP? TC,T") == OPEN
    assert float(ask(dmm, "MEAS:TEMP? TC,K")) == pytest.approx(508.4, abs=0.5)  # K: 21 mV
    no_errors(dmm)


def test_thermocouple_settings_refusals_and_reset() -> None:
    dmm = Keysight34465A(idle_bench())
    for bad, code in [
        ("TEMP:TRAN:TC:TYPE S", "-224"),  # E, J, K, N, R, T only
        ("TEMP:TRAN:TC:TYPE 85", "-224"),
        ("CONF:TEMP TC,5000", "-224"),  # a thermistor's type is no couple's
        ("TEMP:TRAN:TC:RJUN:TYPE EXT", "-224"),  # the 34465A has no external reference
        ("TEMP:TRAN:TC:RJUN 81", "-222"),  # -20 to +80 °C
        ("TEMP:TRAN:TC:RJUN -21", "-222"),
        ("TEMP:TRAN:TC:CHEC MAYBE", "-224"),
    ]:
        dmm.execute(bad)
        assert ask(dmm, "SYST:ERR?").startswith(code), bad
    assert ask(dmm, "TEMP:TRAN:TC:TYPE?") == "J"  # nothing refused was taken
    dmm.execute("SENS:TEMP:TRAN:TYPE TC;:SENS:TEMP:TRAN:TC:TYPE K")
    dmm.execute("SENS:TEMP:TRAN:TC:RJUN MAX;:SENS:TEMP:TRAN:TC:RJUN:TYPE FIX")
    dmm.execute("SENS:TEMP:TRAN:TC:CHEC ON")
    assert ask(dmm, "TEMP:TRAN:TYPE?;:TEMP:TRAN:TC:TYPE?;:TEMP:TRAN:TC:RJUN?") == (
        "TC;K;+8.00000000E+01"
    )
    dmm.execute("CONF:TEMP TC,DEF")
    assert ask(dmm, "TEMP:TRAN:TC:TYPE?") == "J"
    dmm.execute("*RST")
    assert ask(
        dmm, "TEMP:TRAN:TC:TYPE?;:TEMP:TRAN:TC:RJUN:TYPE?;:TEMP:TRAN:TC:RJUN?;:TEMP:TRAN:TC:CHEC?"
    ) == ("J;INT;+0.00000000E+00;0")
    assert ask(dmm, "TEMP:TRAN:TYPE?") == "FRTD"
    no_errors(dmm)
