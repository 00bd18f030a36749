"""PyMeasure's Agilent34450A reads frequency from the simulated 34465A over VISA.

PyMeasure 0.16 has no 34465A driver; of its Agilent DMMs only the 34450A has frequency
(`mode = "voltage frequency"` sends CONF:VOLT:AC then CONF:FREQ, `frequency` is READ?)
and its aperture and voltage-range controls, which are 34465A SCPI as well. The fake
bench's 10 Hz square wave across 500 ohms must come back as 10 Hz with an empty queue.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_bench import FakeBench

from harness.sim.server import ServedInstruments, serve_instruments

pytest.importorskip("pymeasure")
from pymeasure.instruments.agilent import Agilent34450A

NO_ERROR = (0, "No error")


@pytest.fixture
def served(bench: FakeBench) -> Iterator[ServedInstruments]:
    with serve_instruments(bench, roles=("dmm",)) as running:
        yield running


def next_error(dmm: Agilent34450A) -> tuple[int, str]:
    code, _, text = dmm.ask("SYST:ERR?").strip().partition(",")
    return int(code), text.strip('"')


def test_agilent34450a_reads_the_load_frequency(served: ServedInstruments) -> None:
    dmm = Agilent34450A(served.resources["dmm"], read_termination="\n")
    try:
        dmm.mode = "voltage frequency"
        assert next_error(dmm) == NO_ERROR
        assert dmm.frequency == pytest.approx(10.0, rel=1e-4)
        dmm.frequency_aperture = 1
        assert dmm.frequency_aperture == pytest.approx(1.0)
        dmm.frequency_voltage_range = 1
        assert dmm.frequency_voltage_range == pytest.approx(1.0)
        assert dmm.frequency_voltage_auto_range is False
        assert dmm.frequency == pytest.approx(10.0, rel=1e-4)
        dmm.frequency_voltage_auto_range = True
        assert dmm.frequency_voltage_auto_range is True
        assert next_error(dmm) == NO_ERROR
    finally:
        dmm.adapter.close()
