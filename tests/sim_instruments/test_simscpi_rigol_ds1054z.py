"""The simulated Rigol DS1054Z, in the DS1000Z programming guide's own exchanges.

Truth comes from the fake bench's parameters, never from the simulator: 400 µA into
500 Ω is 0.2 V while the 10 Hz square wave is in its first half period and 0 V in the
second, so the rising edges are at whole multiples of 0.1 s.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
import pyvisa
from fake_bench import FakeBench

from harness.instruments.rigol_ds1054z import RigolDS1054Z as RigolDriver
from harness.instruments.visa import open_scpi
from harness.sim import registry
from harness.sim.instruments.base import SimInstrument
from harness.sim.instruments.rigol_ds1054z import RigolDS1054Z

HIGH_V = 400e-6 * 500.0
PERIOD_S = 0.1
_ids = itertools.count()


def ask(inst: SimInstrument, message: str) -> str:
    reply = inst.execute(message)
    assert reply is not None, message
    return reply.decode().rstrip("\n")


def error(inst: SimInstrument) -> str:
    return ask(inst, ":SYST:ERR?")


def block(inst: SimInstrument, message: str) -> bytes:
    reply = inst.execute(message)
    assert reply is not None and reply.startswith(b"#9"), reply
    length = int(reply[2:11])
    assert reply[11 + length :] == b"\n"
    return reply[11 : 11 + length]


def truth(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The load voltage at times `t` (virtual seconds) from the bench's parameters."""
    return np.where(np.mod(t / PERIOD_S, 1.0) < 0.5, HIGH_V, 0.0)


def away_from_edges(t: npt.NDArray[np.float64], margin_s: float) -> npt.NDArray[np.bool_]:
    phase = np.mod(t, PERIOD_S / 2)
    return (phase > margin_s) & (phase < PERIOD_S / 2 - margin_s)


def single_on_rising_edge(scope: RigolDS1054Z, bench: FakeBench) -> None:
    for command in (
        ":CHAN1:PROB 1",
        ":CHAN1:SCAL 0.05",
        ":CHAN1:OFFS 0",
        ":TIM:MAIN:SCAL 0.01",
        ":TIM:MAIN:OFFS 0",
        ":TRIG:EDG:SOUR CHAN1",
        ":TRIG:EDG:LEV 0.1",
        ":TRIG:EDG:SLOP POS",
        ":TRIG:SWE NORM",
    ):
        assert scope.execute(command) is None
    bench.clock.advance(0.0123)  # arm mid-period: the trigger must find the next edge
    scope.execute(":SING")


def test_idn_and_rigol_error_format(bench: FakeBench) -> None:
    scope = RigolDS1054Z(bench, serial="DS1ZA170800001")
    assert ask(scope, "*IDN?") == "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA170800001,00.04.04.SP4"
    assert error(scope) == '0,"No error"'
    scope.execute(":CHAN1:INV ON")  # not in this simulation: undefined, never ignored
    assert error(scope) == '-113,"Undefined header"'


def test_single_waits_then_stops_and_records_the_edge(bench: FakeBench) -> None:
    scope = RigolDS1054Z(bench)
    single_on_rising_edge(scope, bench)
    assert ask(scope, ":TRIG:STAT?") == "WAIT"  # nothing after the arming has happened yet
    bench.clock.advance(0.2)
    assert ask(scope, ":TRIG:STAT?") == "STOP"
    scope.execute(":WAV:SOUR CHAN1;:WAV:MODE RAW;:WAV:FORM BYTE")
    fields = ask(scope, ":WAV:PRE?").split(",")
    points, xinc, xorigin = int(fields[2]), float(fields[4]), float(fields[5])
    yinc, yorigin, yref = float(fields[7]), float(fields[8]), float(fields[9])
    assert fields[:2] == ["0", "2"] and points == 12_000  # AUTO depth: one channel, 12k
    assert xinc == pytest.approx(0.12 / 12_000) and xorigin == pytest.approx(-0.06)
    assert yinc == pytest.approx(0.05 / 25) and yref == 127
    scope.execute(f":WAV:STAR 1;:WAV:STOP {points}")
    codes = np.frombuffer(block(scope, ":WAV:DATA?"), dtype=np.uint8)
    volts = (codes.astype(float) - yorigin - yref) * yinc
    # times from the trigger: on a rising edge, so the truth is in phase with them
    t = xorigin + xinc * np.arange(points)
    keep = away_from_edges(t, 2 * xinc)
    np.testing.assert_allclose(volts[keep], truth(t[keep]), atol=4 * yinc)
    assert error(scope) == '0,"No error"'


def test_normal_mode_is_the_screen_and_offset_moves_the_trace(bench: FakeBench) -> None:
    scope = RigolDS1054Z(bench)
    single_on_rising_edge(scope, bench)
    scope.execute(":CHAN1:OFFS -0.1")  # the trace moves down 2 divisions: 0.1 V mid-screen
    bench.clock.advance(0.3)
    scope.execute(":SING")
    bench.clock.advance(0.3)
    scope.execute(":WAV:MODE NORM;:WAV:FORM BYTE;:WAV:STAR 1;:WAV:STOP 1200")
    fields = ask(scope, ":WAV:PRE?").split(",")
    assert fields[1:3] == ["0", "1200"] and float(fields[4]) == pytest.approx(1e-4)
    assert float(fields[8]) == pytest.approx(-50)  # -0.1 V in 2 mV codes
    codes = np.frombuffer(block(scope, ":WAV:DATA?"), dtype=np.uint8).astype(float)
    # 0 V reads 2 divisions (50 codes) below the centre code, 0.2 V 2 divisions above
    t = float(fields[5]) + float(fields[4]) * np.arange(1200)
    low = (t < -1e-3) & (t > -0.049)
    assert np.median(codes[low]) == pytest.approx(127 - 50, abs=1)
    assert np.median(codes[(t > 1e-3) & (t < 0.049)]) == pytest.approx(127 + 50, abs=1)
    scope.execute(":WAV:FORM ASC;:WAV:STOP 100")
    volts = np.array([float(v) for v in block(scope, ":WAV:DATA?").decode().split(",")])
    assert volts.size == 100
    np.testing.assert_allclose(volts, truth(t[:100]), atol=4 * 0.002)
    scope.execute(":WAV:FORM WORD")
    words = np.frombuffer(block(scope, ":WAV:DATA?"), dtype="<u2")
    np.testing.assert_array_equal(words, codes[:100])
    assert error(scope) == '0,"No error"'


def test_deep_memory_in_250k_slices(bench: FakeBench) -> None:
    scope = RigolDS1054Z(bench)
    scope.execute(":ACQ:MDEP 1200000")
    assert ask(scope, ":ACQ:MDEP?") == "1200000"
    single_on_rising_edge(scope, bench)
    bench.clock.advance(1.0)
    scope.execute(":WAV:MODE RAW;:WAV:FORM BYTE;:WAV:STAR 1;:WAV:STOP 250001")
    assert scope.execute(":WAV:DATA?") is None  # more than one read may carry: refused
    assert error(scope) == '-222,"Data out of range"'
    fields = ask(scope, ":WAV:PRE?").split(",")
    xinc, xorigin = float(fields[4]), float(fields[5])
    yinc, yorigin = float(fields[7]), float(fields[8])
    assert xinc == pytest.approx(0.12 / 1.2e6)
    parts = []
    for start in range(1, 1_200_001, 250_000):
        scope.execute(f":WAV:STAR {start};:WAV:STOP {min(start + 249_999, 1_200_000)}")
        parts.append(np.frombuffer(block(scope, ":WAV:DATA?"), dtype=np.uint8))
    codes = np.concatenate(parts)
    assert codes.size == 1_200_000
    volts = (codes.astype(float) - yorigin - 127) * yinc
    t = xorigin + xinc * np.arange(codes.size)  # from the trigger, on a rising edge
    keep = away_from_edges(t, 1e-5)
    np.testing.assert_allclose(volts[keep], truth(t[keep]), atol=4 * yinc)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (":CHAN5:SCAL 1", -113),
        (":TIMebase:MAIN:SCAL 100", -222),
        (":CHAN1:PROB 3", -224),
        (":CHAN1:SCAL 200", -222),  # 10 V/div at 1X times the 10X probe of *RST
        (":CHAN1:COUP AC", -221),
        (":TRIG:EDG:SLOP UP", -224),
        (":TRIG:EDG:LEV 9", -222),  # beyond 5 divisions of the 1 V/div screen
        (":CHAN2:DISP ON;:ACQ:MDEP 12000", -224),  # two channels: 6k, 60k, ...
        (":WAV:STOP 1201", -222),  # NORMal mode has 1200 points
    ],
)
def test_refusals_as_the_guide_numbers_them(bench: FakeBench, command: str, code: int) -> None:
    scope = RigolDS1054Z(bench)
    scope.execute(command)
    assert error(scope).startswith(f"{code},")
    assert error(scope) == '0,"No error"'


class BenchClock:
    """The harness's Clock over the fake bench's virtual time (a scope poll sleeps)."""

    def __init__(self, bench: FakeBench) -> None:
        self.bench = bench

    def now(self) -> float:
        return self.bench.clock.now()

    def sleep(self, seconds: float) -> None:
        self.bench.clock.advance(seconds)


@pytest.fixture
def visa(bench: FakeBench) -> Iterator[pyvisa.ResourceManager]:
    bench_id = f"rigol{next(_ids)}"
    registry.register(bench_id, bench)  # type: ignore[arg-type]
    rm = pyvisa.ResourceManager(f"{bench_id}@hilsim")
    yield rm
    rm.close()
    registry.unregister(bench_id)


def test_harness_driver_reads_the_whole_span_through_visa(
    bench: FakeBench, visa: pyvisa.ResourceManager
) -> None:
    """The harness driver over the simulated VISA backend: a 0.24 s record asked for
    10 000 points comes back spanning all of it (1.2M deep, every 120th sample)."""
    link = open_scpi("TCPIP0::rigol-scope.sim::5025::SOCKET", name="scope", resource_manager=visa)
    scope = RigolDriver(link, clock=BenchClock(bench))
    scope.configure_channel(1, 0.05, 0.0)
    scope.configure_timebase(0.02)
    scope.configure_edge_trigger(1, 0.1, "rising", "normal")
    scope.configure_record(1_000_000)
    scope.digitize((1,))
    wave = scope.read_waveform(1, 10_000)
    assert wave.volts.size == 10_000 and wave.dt == pytest.approx(0.24 / 10_000)
    t = wave.t0 + wave.dt * np.arange(wave.volts.size)
    assert t[0] == pytest.approx(-0.12) and t[-1] == pytest.approx(0.12, abs=1e-4)
    keep = away_from_edges(t, 2 * wave.dt)
    np.testing.assert_allclose(wave.volts[keep], truth(t[keep]), atol=4 * 0.05 / 25)
    assert scope.check_errors() == []
    link.close()
