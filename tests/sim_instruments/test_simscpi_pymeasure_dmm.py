"""PyMeasure's DMM drivers against the simulated 34465A, served on loopback TCP.

PyMeasure 0.16 has no 34465A driver; its `Agilent34410A` (the 34410A is the 34465A's
predecessor with the same SCPI for these functions) and `Agilent34450A` are what a third
party would pick. Every property and measurement of both is read (and set, where it is
settable, with a value valid on a 34465A), and the error queue must stay empty after
each. The 34450A is a different meter: where its driver sends a command the 34465A's
programming reference does not have, the test says so and expects the 34465A's answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_bench import FakeBench

from harness.sim.instruments.dmm_functions import LEAD_OHMS
from harness.sim.server import ServedInstruments, serve_instruments

pytest.importorskip("pymeasure")
from pymeasure.instruments.agilent import Agilent34410A, Agilent34450A

NO_ERROR = (0, "No error")


@pytest.fixture
def served(bench: FakeBench) -> Iterator[ServedInstruments]:
    with serve_instruments(bench, roles=("dmm",)) as running:
        yield running


def next_error(dmm: Agilent34410A | Agilent34450A) -> tuple[int, str]:
    code, _, text = dmm.ask("SYST:ERR?").strip().partition(",")
    return int(code), text.strip('"')


def test_agilent34410a_reads_dc_voltage(served: ServedInstruments) -> None:
    """The finding: a third-party driver's MEAS:VOLT:DC? timed out on -113."""
    dmm = Agilent34410A(served.resources["dmm"], read_termination="\n", timeout=5000)
    try:
        assert dmm.voltage_dc == pytest.approx(0.1, abs=1e-4)  # 200 µA mean · 500 Ω
        assert next_error(dmm) == NO_ERROR
    finally:
        dmm.adapter.close()


@pytest.mark.parametrize(
    ("name", "expected", "tolerance"),
    [
        ("voltage_dc", 0.1, 1e-4),
        ("voltage_ac", 0.1, 1e-3),
        ("current_dc", 200e-6, 0.5e-6),
        ("current_ac", 200e-6, 2e-6),
        ("resistance", 500.0 + LEAD_OHMS, 0.05),
        ("resistance_4w", 500.0, 0.05),
    ],
)
def test_agilent34410a_every_measurement(
    served: ServedInstruments, name: str, expected: float, tolerance: float
) -> None:
    dmm = Agilent34410A(served.resources["dmm"], read_termination="\n", timeout=10000)
    try:
        assert getattr(dmm, name) == pytest.approx(expected, abs=tolerance)
        assert next_error(dmm) == NO_ERROR
    finally:
        dmm.adapter.close()


# property prefix -> (mode, a valid range, reading property, expected, tolerance)
FUNCTIONS = {
    "current": ("current", 1e-3, "current", 200e-6, 1e-6),
    "current_ac": ("ac current", 10e-3, "current_ac", 200e-6, 2e-6),
    "voltage": ("voltage", 1.0, "voltage", 0.1, 1e-4),
    "voltage_ac": ("ac voltage", 1.0, "voltage_ac", 0.1, 1e-3),
    "resistance": ("resistance", 1e3, "resistance", 500.0 + LEAD_OHMS, 0.05),
    "resistance_4w": ("4w resistance", 1e3, "resistance_4w", 500.0, 0.05),
}
AC_RESOLUTION = {"current_ac", "voltage_ac"}
"""34465A: AC resolution is fixed (6½ digits); there is no <f>:AC:RESolution command."""


@pytest.mark.parametrize("prefix", sorted(FUNCTIONS))
def test_agilent34450a_function_properties(served: ServedInstruments, prefix: str) -> None:
    mode, rng, reading, expected, tolerance = FUNCTIONS[prefix]
    dmm = Agilent34450A(served.resources["dmm"], read_termination="\n")
    try:
        dmm.mode = mode
        assert dmm.mode == mode
        setattr(dmm, f"{prefix}_range", rng)
        assert getattr(dmm, f"{prefix}_range") == pytest.approx(rng)
        assert getattr(dmm, f"{prefix}_auto_range") is False
        setattr(dmm, f"{prefix}_auto_range", True)
        assert getattr(dmm, f"{prefix}_auto_range") is True
        assert next_error(dmm) == NO_ERROR
        assert getattr(dmm, reading) == pytest.approx(expected, abs=tolerance)
        assert next_error(dmm) == NO_ERROR
        if prefix in AC_RESOLUTION:
            # The setter's header is refused as a real 34465A refuses it; the getter sends
            # the same header as a query, which gets no reply (a timeout), so it is not read.
            setattr(dmm, f"{prefix}_resolution", "DEF")
            assert next_error(dmm) == (-113, "Undefined header")
            return
        setattr(dmm, f"{prefix}_resolution", "DEF")
        assert getattr(dmm, f"{prefix}_resolution") > 0
        setattr(dmm, f"{prefix}_resolution", "MAX")
        assert next_error(dmm) == NO_ERROR
    finally:
        dmm.adapter.close()


def test_agilent34450a_configure_methods_and_system(served: ServedInstruments) -> None:
    dmm = Agilent34450A(served.resources["dmm"], read_termination="\n")
    try:
        dmm.reset()
        dmm.configure_voltage(1, ac=False)
        assert dmm.voltage == pytest.approx(0.1, abs=1e-4)
        assert next_error(dmm) == NO_ERROR
        dmm.configure_voltage("AUTO", ac=True)  # sends VOLT:AC:RES, which a 34465A lacks
        assert next_error(dmm) == (-113, "Undefined header")
        assert dmm.voltage_ac == pytest.approx(0.1, abs=1e-3)
        dmm.configure_current(1e-3)
        assert dmm.current == pytest.approx(200e-6, abs=1e-6)
        assert next_error(dmm) == NO_ERROR
        dmm.configure_current(ac=True)  # likewise CURR:AC:RES
        assert next_error(dmm) == (-113, "Undefined header")
        assert dmm.current_ac == pytest.approx(200e-6, abs=2e-6)
        dmm.configure_resistance(1e3, wires=2)
        assert dmm.resistance == pytest.approx(500.0 + LEAD_OHMS, abs=0.05)
        dmm.configure_resistance(wires=4)
        assert dmm.resistance_4w == pytest.approx(500.0, abs=0.05)
        dmm.beep()
        dmm.shutdown()
        assert next_error(dmm) == NO_ERROR
    finally:
        dmm.adapter.close()


def test_agilent34450a_temperature_rtd_then_thermocouple(
    bench: FakeBench, served: ServedInstruments
) -> None:
    """The driver's `configure_temperature` (CONF:TEMP, the 34465A's default 4-wire
    PT100) and `temperature` (READ?) on a 138.5055 Ω load, which a PT100 is at 100 °C
    (IEC 60751); then the same property after the 34465A's own thermocouple commands,
    which the driver lacks, with the unit off: 0 V on the input, so a K couple reads the
    meter's reference junction, the room."""
    bench.set_load(138.5055)
    bench.set_supply(1, 0.0, 0.0, False)
    dmm = Agilent34450A(served.resources["dmm"], read_termination="\n")  # its timeout: 10 s
    try:
        dmm.configure_temperature()
        assert dmm.mode == "temperature"
        assert dmm.temperature == pytest.approx(100.0, abs=0.01)
        assert next_error(dmm) == NO_ERROR
        dmm.write("TEMP:TRAN:TYPE TC;:TEMP:TRAN:TC:TYPE K")
        reference = float(dmm.ask("TEMP:RJUN?"))
        assert 15.0 < reference < 35.0  # a lab's air, as the meter's sensor reads it
        assert dmm.temperature == pytest.approx(reference, abs=0.02)
        assert dmm.mode == "temperature"
        assert next_error(dmm) == NO_ERROR
    finally:
        dmm.adapter.close()
