"""Rigol DS1054Z exchanges, from the MSO1000Z/DS1000Z Programming Guide."""

from __future__ import annotations

import numpy as np
import pytest
from scripted_clock import SteppedClock

from harness.errors import InstrumentError
from harness.instruments.protocols import Oscilloscope
from harness.instruments.rigol_ds1054z import RigolDS1054Z
from harness.instruments.testing import expected_exchanges


def block9(payload: bytes) -> bytes:
    return b"#9" + f"{len(payload):09d}".encode() + payload + b"\n"


def preamble(points: int) -> str:
    return f"0,2,{points},1,1.000000e-06,-1.200000e-02,0,4.000000e-02,-3,127"


def test_configure_in_rigol_syntax() -> None:
    exchanges = [
        (":CHAN2:PROB 10", None),
        (":CHAN2:COUP AC", None),
        (":CHAN2:SCAL 1", None),
        (":CHAN2:OFFS 0", None),
        (":CHAN2:DISP ON", None),
        ("*OPC?", "1"),
        (":TIM:MODE MAIN", None),
        (":TIM:MAIN:SCAL 0.001", None),
        (":TIM:MAIN:OFFS 0.002", None),
        ("*OPC?", "1"),
        (":TRIG:MODE EDGE", None),
        (":TRIG:EDG:SOUR CHAN2", None),
        (":TRIG:EDG:SLOP POS", None),
        (":TRIG:EDG:LEV 1.5", None),
        (":TRIG:SWE AUTO", None),
        ("*OPC?", "1"),
    ]
    with expected_exchanges(exchanges, name="scope") as link:
        scope: Oscilloscope = RigolDS1054Z(link)
        scope.configure_channel(2, 1.0, 0.0, coupling="AC", probe=10)
        scope.configure_timebase(1e-3, position_s=2e-3)
        scope.configure_edge_trigger(2, 1.5, sweep="auto")
        assert scope.record_duration_s == pytest.approx(12e-3)


def test_digitize_is_single_plus_trigger_status_polling() -> None:
    exchanges = [
        (":TIM:MODE MAIN", None),
        (":TIM:MAIN:SCAL 0.001", None),
        (":TIM:MAIN:OFFS 0", None),
        ("*OPC?", "1"),
        (":SING", None),
        (":TRIG:STAT?", "WAIT"),  # arm_single: the scope has taken :SINGle
        (":TRIG:STAT?", "WAIT"),
        (":TRIG:STAT?", "TD"),
        (":TRIG:STAT?", "STOP"),
    ]
    clock = SteppedClock()
    with expected_exchanges(exchanges, name="scope") as link:
        scope = RigolDS1054Z(link, clock=clock, poll_interval_s=0.01)
        scope.configure_timebase(1e-3)
        scope.digitize((1,))
    assert clock.sleeps == [0.01, 0.01]


def test_unknown_trigger_status_is_an_error() -> None:
    with (
        pytest.raises(InstrumentError, match="answered 'BUSY'"),
        expected_exchanges([(":TRIG:STAT?", "BUSY")], name="scope") as link,
    ):
        RigolDS1054Z(link, clock=SteppedClock()).wait_acquired(1.0)


def test_deep_record_is_read_in_250k_slices_and_scaled() -> None:
    points = 300_000
    codes = (np.arange(points) % 256).astype(np.uint8)  # contains 0x0A many times
    raw = codes.tobytes()
    exchanges = [
        (":WAV:SOUR CHAN1", None),
        (":WAV:MODE RAW", None),
        (":WAV:FORM BYTE", None),
        (":WAV:PRE?", preamble(points)),
        (":WAV:STAR 1", None),
        (":WAV:STOP 250000", None),
        (":WAV:DATA?", block9(raw[:250_000])),
        (":WAV:STAR 250001", None),
        (":WAV:STOP 300000", None),
        (":WAV:DATA?", block9(raw[250_000:])),
    ]
    with expected_exchanges(exchanges, name="scope") as link:
        wave = RigolDS1054Z(link).read_waveform(1)
    np.testing.assert_array_equal(wave.codes, codes)
    np.testing.assert_allclose(wave.volts, (codes.astype(float) - (-3) - 127) * 0.04)
    assert wave.t0 == pytest.approx(-12e-3)
    assert wave.dt == pytest.approx(1e-6)


def test_short_slice_is_an_error() -> None:
    exchanges = [
        (":WAV:SOUR CHAN1", None),
        (":WAV:MODE RAW", None),
        (":WAV:FORM BYTE", None),
        (":WAV:PRE?", preamble(10)),
        (":WAV:STAR 1", None),
        (":WAV:STOP 10", None),
        (":WAV:DATA?", block9(b"\x00" * 9)),
    ]
    with (
        pytest.raises(InstrumentError, match=r"asked for points 1\.\.10, block has 9 bytes"),
        expected_exchanges(exchanges, name="scope") as link,
    ):
        RigolDS1054Z(link).read_waveform(1)


def test_non_byte_preamble_is_refused() -> None:
    exchanges = [
        (":WAV:SOUR CHAN1", None),
        (":WAV:MODE RAW", None),
        (":WAV:FORM BYTE", None),
        (":WAV:PRE?", "2,2,1200,1,1e-6,0,0,0.04,0,127"),
    ]
    with (
        pytest.raises(InstrumentError, match="format 2 is not BYTE"),
        expected_exchanges(exchanges, name="scope") as link,
    ):
        RigolDS1054Z(link).read_waveform(1)


def test_error_drain_and_probe_check() -> None:
    exchanges = [(":SYST:ERR?", '-113,"Undefined header"'), (":SYST:ERR?", '0,"No error"')]
    with expected_exchanges(exchanges, name="scope") as link:
        scope = RigolDS1054Z(link)
        with pytest.raises(InstrumentError, match="probe ratio 3"):
            scope.configure_channel(1, 0.1, 0.0, probe=3)
        assert scope.check_errors() == ['-113,"Undefined header"']


def displayed(*on: int) -> list[tuple[str, str | bytes | None]]:
    """The four ``:CHAN<n>:DISP?`` answers (1 or 0, as the guide gives them)."""
    return [(f":CHAN{n}:DISP?", "1" if n in on else "0") for n in (1, 2, 3, 4)]


def test_memory_depth_is_the_smallest_that_holds_the_record() -> None:
    exchanges = [*displayed(1), (":RUN", None), (":ACQ:MDEP 120000", None), ("*OPC?", "1")]
    with expected_exchanges(exchanges, name="scope") as link:
        RigolDS1054Z(link).configure_record(100_000)
    with expected_exchanges([], name="scope") as link, pytest.raises(InstrumentError):
        RigolDS1054Z(link).configure_record(50_000_000)


@pytest.mark.parametrize(
    ("on", "points", "depth"),
    [
        ((1, 2), 100_000, 600_000),  # two channels: 6k, 60k, 600k, 6M, 12M
        ((2, 4), 6_000, 6_000),
        ((1, 2), 12_000_000, 12_000_000),
        ((1, 2, 3), 100_000, 300_000),  # three or four: 3k, 30k, 300k, 3M, 6M
        ((1, 2, 3, 4), 3_000, 3_000),
        ((3,), 12_001, 120_000),
        ((), 1_000, 12_000),  # nothing on: the scope's one-channel depths
    ],
)
def test_memory_depth_is_one_the_guide_allows_for_the_channels_on(
    on: tuple[int, ...], points: int, depth: int
) -> None:
    """MDEPth with two channels on takes half the one-channel values, with three or four
    a quarter; a one-channel depth would be refused by the scope (-224)."""
    exchanges = [*displayed(*on), (":RUN", None), (f":ACQ:MDEP {depth}", None), ("*OPC?", "1")]
    with expected_exchanges(exchanges, name="scope") as link:
        RigolDS1054Z(link).configure_record(points)


def test_a_record_too_deep_for_the_channels_on_is_refused_before_setting_anything() -> None:
    with (
        pytest.raises(
            InstrumentError,
            match="12000001 points exceed the deepest memory 12000000 with 2 channels on",
        ),
        expected_exchanges(displayed(1, 4), name="scope") as link,
    ):
        RigolDS1054Z(link).configure_record(12_000_001)


def test_a_display_answer_other_than_0_or_1_is_an_error() -> None:
    with (
        pytest.raises(InstrumentError, match=r":CHAN1:DISP\? answered 'ON'"),
        expected_exchanges([(":CHAN1:DISP?", "ON")], name="scope") as link,
    ):
        RigolDS1054Z(link).configure_record(1_000)
