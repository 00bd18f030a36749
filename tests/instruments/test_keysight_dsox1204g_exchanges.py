"""InfiniiVision 1000 X exchanges, from the 1000 X-Series Programmer's Guide."""

from __future__ import annotations

import numpy as np
import pytest
from scripted_clock import SteppedClock

from harness.errors import InstrumentError
from harness.instruments.keysight_dsox1204g import KeysightDSOX1102G, KeysightDSOX1204G
from harness.instruments.protocols import Oscilloscope
from harness.instruments.testing import expected_exchanges

# Codes include 10 (LF) and 13 (CR) so the block reader's termination handling matters.
CODES = bytes([128, 10, 13, 255, 0, 10, 200, 10])
PREAMBLE = "+0,+0,+8,+1,+2.00000000E-07,-8.00000000E-07,+0,+4.00000000E-03,+1.00000000E-01,+128"


def block8(payload: bytes) -> bytes:
    return b"#8" + f"{len(payload):08d}".encode() + payload + b"\n"


def test_configure_channel_timebase_and_trigger() -> None:
    exchanges = [
        (":CHAN1:PROB 1", None),
        (":CHAN1:COUP DC", None),
        (":CHAN1:SCAL 0.05", None),
        (":CHAN1:OFFS 0.1", None),
        (":CHAN1:DISP 1", None),
        ("*OPC?", "1"),
        (":TIM:MODE MAIN", None),
        (":TIM:REF CENT", None),
        (":TIM:SCAL 0.01", None),
        (":TIM:POS 0", None),
        ("*OPC?", "1"),
        (":TRIG:MODE EDGE", None),
        (":TRIG:EDGE:SOUR CHAN1", None),
        (":TRIG:EDGE:LEV 0.02", None),
        (":TRIG:EDGE:SLOP NEG", None),
        (":TRIG:SWE NORM", None),
        ("*OPC?", "1"),
    ]
    with expected_exchanges(exchanges, name="scope") as link:
        scope: Oscilloscope = KeysightDSOX1204G(link)
        scope.configure_channel(1, 0.05, 0.1)
        scope.configure_timebase(0.01)
        scope.configure_edge_trigger(1, 0.02, slope="falling")
        assert scope.record_duration_s == pytest.approx(0.1)


def test_single_acquisition_polls_run_bit_on_the_bench_clock() -> None:
    exchanges = [
        (":SING", None),
        (":OPER:COND?", "+8"),  # arm_single: the scope has taken :SINGle
        (":OPER:COND?", "+8"),
        (":OPER:COND?", "+8"),
        (":OPER:COND?", "+0"),
    ]
    clock = SteppedClock()
    with expected_exchanges(exchanges, name="scope") as link:
        scope = KeysightDSOX1204G(link, clock=clock, poll_interval_s=0.05)
        scope.arm_single()
        scope.wait_acquired(timeout_s=1.0)
    assert clock.sleeps == [0.05, 0.05]


def test_polls_start_when_the_post_trigger_part_can_have_been_recorded() -> None:
    """10 ms/div with the trigger 5 ms right of centre: 55 ms of signal after the trigger,
    so no record is complete before then and the first poll waits for it."""
    exchanges = [
        (":TIM:MODE MAIN", None),
        (":TIM:REF CENT", None),
        (":TIM:SCAL 0.01", None),
        (":TIM:POS 0.005", None),
        ("*OPC?", "1"),
        (":SING", None),
        (":OPER:COND?", "+8"),
        (":OPER:COND?", "+8"),
        (":OPER:COND?", "+0"),
    ]
    clock = SteppedClock()
    with expected_exchanges(exchanges, name="scope") as link:
        scope = KeysightDSOX1204G(link, clock=clock, poll_interval_s=0.02)
        scope.configure_timebase(0.01, 0.005)
        scope.arm_single()
        clock.sleep(0.015)  # the procedure causes its event meanwhile
        scope.wait_acquired(timeout_s=1.0)
    assert clock.sleeps == pytest.approx([0.015, 0.04, 0.02])


def test_wait_acquired_times_out_without_trigger() -> None:
    clock = SteppedClock()
    exchanges = [(":OPER:COND?", "+8")] * 3
    with (
        pytest.raises(InstrumentError, match=r"scope: no complete acquisition within 0\.1 s"),
        expected_exchanges(exchanges, name="scope") as link,
    ):
        KeysightDSOX1204G(link, clock=clock, poll_interval_s=0.05).wait_acquired(0.1)


def test_digitize_blocks_with_opc() -> None:
    with expected_exchanges([(":DIG CHAN1,CHAN2", None), ("*OPC?", "1")], name="scope") as link:
        KeysightDSOX1204G(link).digitize((1, 2))


def test_read_waveform_scales_codes_with_the_preamble() -> None:
    exchanges = [
        (":WAV:SOUR CHAN1", None),
        (":WAV:FORM BYTE", None),
        (":WAV:UNS 1", None),
        (":WAV:POIN:MODE RAW", None),
        (":WAV:POIN 1000", None),
        (":WAV:PRE?", PREAMBLE),
        (":WAV:DATA?", block8(CODES)),
    ]
    with expected_exchanges(exchanges, name="scope") as link:
        wave = KeysightDSOX1204G(link).read_waveform(1, points=1000)
    codes = np.frombuffer(CODES, dtype=np.uint8).astype(float)
    np.testing.assert_allclose(wave.volts, (codes - 128) * 4e-3 + 0.1)
    np.testing.assert_array_equal(wave.codes, np.frombuffer(CODES, dtype=np.uint8))
    assert wave.dt == pytest.approx(2e-7)
    assert wave.t0 == pytest.approx(-8e-7)
    assert wave.times[-1] == pytest.approx(-8e-7 + 7 * 2e-7)
    assert wave.preamble == PREAMBLE


def test_read_waveform_rejects_a_block_shorter_than_the_preamble() -> None:
    exchanges = [
        (":WAV:SOUR CHAN2", None),
        (":WAV:FORM BYTE", None),
        (":WAV:UNS 1", None),
        (":WAV:POIN:MODE RAW", None),
        (":WAV:POIN 2000000", None),
        (":WAV:PRE?", PREAMBLE),
        (":WAV:DATA?", block8(CODES[:5])),
    ]
    with (
        pytest.raises(InstrumentError, match="scope: preamble promises 8 points, block has 5"),
        expected_exchanges(exchanges, name="scope") as link,
    ):
        KeysightDSOX1204G(link).read_waveform(2)


def test_malformed_preamble_names_the_reply() -> None:
    exchanges = [
        (":WAV:SOUR CHAN1", None),
        (":WAV:FORM BYTE", None),
        (":WAV:UNS 1", None),
        (":WAV:POIN:MODE RAW", None),
        (":WAV:POIN 100", None),
        (":WAV:PRE?", "+0,+0,+8"),
        (":WAV:DATA?", block8(CODES)),
    ]
    with (
        pytest.raises(InstrumentError, match="preamble has 3 fields"),
        expected_exchanges(exchanges, name="scope") as link,
    ):
        KeysightDSOX1204G(link).read_waveform(1, points=100)


def test_error_drain() -> None:
    exchanges = [("SYST:ERR?", '-224,"Illegal parameter value"'), ("SYST:ERR?", '+0,"No error"')]
    with expected_exchanges(exchanges, name="scope") as link:
        assert KeysightDSOX1204G(link).check_errors() == ['-224,"Illegal parameter value"']


def test_two_channel_model_and_argument_checks() -> None:
    with expected_exchanges([], name="scope") as link:
        small = KeysightDSOX1102G(link)
        with pytest.raises(InstrumentError, match=r"channel 3 outside 1\.\.2"):
            small.configure_channel(3, 0.1, 0.0)
        with pytest.raises(InstrumentError, match="V/div"):
            small.configure_channel(1, 50.0, 0.0)
        with pytest.raises(InstrumentError, match="s/div"):
            small.configure_timebase(100.0)
        with pytest.raises(InstrumentError, match="points not one of"):
            small.read_waveform(1, points=1234)
        with pytest.raises(InstrumentError, match="configure_timebase"):
            _ = small.record_duration_s


def test_record_length_is_set_before_acquiring() -> None:
    exchanges = [(":WAV:POIN:MODE RAW", None), (":WAV:POIN 100000", None), ("*OPC?", "1")]
    with expected_exchanges(exchanges, name="scope") as link:
        KeysightDSOX1204G(link).configure_record(100_000)
    with expected_exchanges([], name="scope") as link, pytest.raises(InstrumentError):
        KeysightDSOX1204G(link).configure_record(123_456)
