"""The simulated DAQ970A reads the simulated bench's room, through the real pyvisa stack.

The room (``harness.sim.room``) is the truth; the instrument adds its probe's and
transmitter's calibration error, noise and resolution. Read through the harness's own
driver over pyvisa (the in-process ``@hilsim`` backend and the loopback TCP server), a
reading must lie within the accuracy sim.yaml states for the sensor, and the room must
move the way a room does: slowly, the same for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import pyvisa

from harness.data import SIM_BENCH
from harness.definitions.bench_file import load_bench
from harness.instruments.keysight_daq970a import KeysightDAQ970A
from harness.instruments.visa import open_scpi
from harness.sim import registry
from harness.sim.bench import SimBench
from harness.sim.instruments import rack_for
from harness.sim.room import Room
from harness.sim.server import serve_instruments


def _accuracy(quantity: str) -> float:
    entry = load_bench(SIM_BENCH).instrument("environment_sensor")
    assert entry is not None
    spec = entry.condition_accuracy(quantity)
    assert spec is not None
    return spec.absolute


@pytest.fixture
def sim() -> Iterator[SimBench]:
    bench = SimBench(seed=3)
    registry.register("envtest", bench)
    yield bench
    registry.unregister("envtest")


def _sensor(resource: str, manager: pyvisa.ResourceManager) -> KeysightDAQ970A:
    return KeysightDAQ970A(open_scpi(resource, name="env", resource_manager=manager))


def test_readings_through_pyvisa_lie_within_the_stated_accuracy(sim: SimBench) -> None:
    manager = pyvisa.ResourceManager("envtest@hilsim")
    sensor = _sensor("TCPIP0::env.sim::5025::SOCKET", manager)
    try:
        assert sensor.identify().model == "DAQ970A"
        for _ in range(5):
            sim.advance(600.0)  # ten minutes of room drift between readings
            temperature = sensor.read_temperature()
            truth_t = sim.room.state().temperature_c
            humidity = sensor.read_humidity()
            truth_h = sim.room.state().humidity_pct
            assert abs(temperature - truth_t) <= _accuracy("temperature"), (temperature, truth_t)
            assert abs(humidity - truth_h) <= _accuracy("humidity"), (humidity, truth_h)
        assert sensor.check_errors() == []
    finally:
        sensor.close()
        manager.close()


def test_the_loopback_server_serves_the_same_room(sim: SimBench) -> None:
    served = serve_instruments(sim, roles=("env",), idle_timeout_s=None)
    manager = pyvisa.ResourceManager("@py")
    sensor = _sensor(served.resources["env"], manager)
    try:
        reading = sensor.read_temperature()
        assert abs(reading - sim.room.state().temperature_c) <= _accuracy("temperature")
    finally:
        sensor.close()
        manager.close()
        served.stop()


def test_a_wrong_thermistor_type_or_an_open_channel_reads_wrong_as_a_real_daq_would() -> None:
    sim = SimBench(seed=3)
    daq = rack_for(sim).get("env")

    def ask(message: str) -> str:
        reply = daq.execute(message)
        return "" if reply is None else reply.decode().strip()

    truth = sim.room.state().temperature_c
    ask("CONF:TEMP THER,2252,(@101)")
    assert float(ask("READ?")) < truth - 10  # 5 kΩ read on a 2252 Ω curve: far colder
    ask("CONF:TEMP THER,5000,(@105)")
    assert float(ask("READ?")) == pytest.approx(9.9e37)  # nothing wired to 105
    ask("CONF:TEMP THER,5000,(@101)")
    ask("UNIT:TEMP F,(@101)")
    assert float(ask("READ?")) == pytest.approx(truth * 9 / 5 + 32, abs=0.5)
    ask("FORM:READ:UNIT ON")
    ask("FORM:READ:CHAN ON")
    value, channel = ask("READ?").split(",")
    assert value.endswith(" F") and channel == "101"
    ask("CONF:TEMP TC,K,(@101)")  # no thermocouple is wired: refused, not invented
    assert ask("SYST:ERR?").startswith("-224")


def test_the_room_drifts_slowly_and_is_the_same_for_the_same_seed() -> None:
    class Clock:
        t = 0.0

        def now(self) -> float:
            return self.t

    clock = Clock()
    room, twin, other = Room(5, clock), Room(5, clock), Room(6, clock)
    start = room.state()
    assert start == twin.state() and start != other.state()
    assert 21.0 < start.temperature_c < 25.0 and 30.0 < start.humidity_pct < 60.0
    clock.t = 60.0
    assert abs(room.state().temperature_c - start.temperature_c) < 0.1  # a minute: little
    temps = []
    for hour in range(12):
        clock.t = hour * 3600.0
        temps.append(room.state().temperature_c)
    assert max(temps) - min(temps) > 0.3  # half a day: the room has moved
    hot = Room(5, clock, temperature_c=31.0)
    assert hot.state().temperature_c > 29.0
