"""Both oscilloscope drivers refuse a wrong argument before sending anything.

Each case is a call with one wrong argument and the exact message the driver must
raise; the script is empty, so a driver that sent a single command would fail too.
Where the model's limits differ, so does the message (its own numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import pytest
from refusal import refusal, refused_by_each_model

from harness.instruments.keysight_dsox1204g import KeysightDSOX1102G, KeysightDSOX1204G
from harness.instruments.protocols import Coupling, Oscilloscope, Slope, Sweep
from harness.instruments.rigol_ds1054z import RigolDS1054Z
from harness.instruments.scope_settings import ScopeLimits
from harness.instruments.testing import Exchange, expected_exchanges
from harness.instruments.visa import ScpiLink

Call = Callable[[Oscilloscope], object]

RIGOL_PROBES = "(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)"

#: (case, call, Keysight DSOX1204G message, Rigol DS1054Z message)
CASES: list[tuple[str, Call, str, str]] = [
    (
        "channel above the count",
        lambda s: s.configure_channel(5, 0.1, 0.0),
        "channel 5 outside 1..4",
        "channel 5 outside 1..4",
    ),
    (
        "channel zero",
        lambda s: s.configure_channel(0, 0.1, 0.0),
        "channel 0 outside 1..4",
        "channel 0 outside 1..4",
    ),
    (
        "probe ratio",
        lambda s: s.configure_channel(1, 0.1, 0.0, probe=20_000.0),
        "probe ratio 20000.0 outside (0.001, 10000.0)",
        f"probe ratio 20000.0 not one of {RIGOL_PROBES}",
    ),
    (
        "volts per div below the range",
        lambda s: s.configure_channel(1, 0.0002, 0.0),
        "0.0002 V/div outside 0.0005..10 at probe 1.0",
        "0.0002 V/div outside 0.001..10 at probe 1.0",
    ),
    (
        "volts per div scales with the probe",
        lambda s: s.configure_channel(1, 200.0, 0.0, probe=10.0),
        "200.0 V/div outside 0.005..100 at probe 10.0",
        "200.0 V/div outside 0.01..100 at probe 10.0",
    ),
    (
        "coupling",
        lambda s: s.configure_channel(1, 0.1, 0.0, coupling=cast(Coupling, "GND")),
        "coupling 'GND' is not 'DC' or 'AC'",
        "coupling 'GND' is not 'DC' or 'AC'",
    ),
    (
        "offset",
        lambda s: s.configure_channel(1, 0.1, math.nan),
        "offset nan V is not a number",
        "offset nan V is not a number",
    ),
    (
        "seconds per div",
        lambda s: s.configure_timebase(100.0),
        "100.0 s/div outside (5e-09, 50.0)",
        "100.0 s/div outside (5e-09, 50.0)",
    ),
    (
        "timebase position (the DS1000Z calls it the offset)",
        lambda s: s.configure_timebase(1e-3, position_s=math.inf),
        "timebase position inf s is not a number",
        "timebase offset inf s is not a number",
    ),
    (
        "trigger channel",
        lambda s: s.configure_edge_trigger(7, 0.1),
        "channel 7 outside 1..4",
        "channel 7 outside 1..4",
    ),
    (
        "trigger slope",
        lambda s: s.configure_edge_trigger(1, 0.1, slope=cast(Slope, "up")),
        "slope 'up' / sweep 'normal' not understood",
        "slope 'up' / sweep 'normal' not understood",
    ),
    (
        "trigger sweep",
        lambda s: s.configure_edge_trigger(1, 0.1, sweep=cast(Sweep, "single")),
        "slope 'rising' / sweep 'single' not understood",
        "slope 'rising' / sweep 'single' not understood",
    ),
    (
        "trigger level",
        lambda s: s.configure_edge_trigger(1, -math.inf),
        "trigger level -inf V is not a number",
        "trigger level -inf V is not a number",
    ),
    (
        "digitize without channels",
        lambda s: s.digitize(()),
        "digitize needs at least one channel",
        "digitize needs at least one channel",
    ),
    (
        "digitize a channel the model lacks",
        lambda s: s.digitize((1, 5)),
        "channel 5 outside 1..4",
        "channel 5 outside 1..4",
    ),
    (
        "waveform channel",
        lambda s: s.read_waveform(9),
        "channel 9 outside 1..4",
        "channel 9 outside 1..4",
    ),
    (
        "record duration before a time base",
        lambda s: s.record_duration_s,
        "record duration unknown: configure_timebase() not called",
        "record duration unknown: configure_timebase() not called",
    ),
]

MODELS: list[tuple[str, Callable[[ScpiLink], Oscilloscope]]] = [
    ("DSOX1204G", KeysightDSOX1204G),
    ("DS1054Z", RigolDS1054Z),
]


test_wrong_argument_is_refused_with_the_models_message = refused_by_each_model(
    MODELS, CASES, name="scope"
)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.configure_channel(3, 0.1, 0.0),
        lambda s: s.configure_edge_trigger(3, 0.1),
        lambda s: s.digitize((1, 3)),
        lambda s: s.read_waveform(3),
    ],
    ids=["channel", "trigger", "digitize", "waveform"],
)
def test_two_channel_keysight_counts_its_own_channels(call: Call) -> None:
    message = refusal(lambda link: call(KeysightDSOX1102G(link)), name="scope")
    assert message == "scope: channel 3 outside 1..2"


@pytest.mark.parametrize(
    "call",
    [lambda s: s.configure_record(123_456), lambda s: s.read_waveform(1, points=123_456)],
    ids=["record", "waveform"],
)
def test_keysight_record_lengths_are_its_raw_point_counts(call: Call) -> None:
    allowed = (
        "(100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,"
        " 200000, 500000, 1000000, 2000000)"
    )
    message = refusal(lambda link: call(KeysightDSOX1204G(link)), name="scope")
    assert message == f"scope: 123456 points not one of {allowed}"


def test_rigol_record_lengths_are_its_memory_depths() -> None:
    message = refusal(lambda link: RigolDS1054Z(link).configure_record(24_000_001), name="scope")
    assert message == "scope: 24000001 points exceed the deepest memory 24000000"
    message = refusal(lambda link: RigolDS1054Z(link).read_waveform(1, points=0), name="scope")
    assert message == "scope: points must be positive, got 0"
    message = refusal(lambda link: RigolDS1054Z(link).configure_record(0), name="scope")
    assert message == "scope: points must be positive, got 0"


@pytest.mark.parametrize(
    ("driver", "probe", "commands"),
    [
        (KeysightDSOX1204G, 0.001, [":CHAN4:PROB 0.001", ":CHAN4:DISP 1"]),
        (RigolDS1054Z, 1000.0, [":CHAN4:PROB 1000", ":CHAN4:DISP ON"]),
    ],
)
def test_limits_themselves_are_accepted(
    driver: Callable[[ScpiLink], Oscilloscope], probe: float, commands: list[str]
) -> None:
    """The last channel, the extreme probe ratio, the V/div at that ratio's bound."""
    prob, disp = commands
    low = {0.001: 500e-6, 1000.0: 1e-3}[probe] * probe
    exchanges = [
        (prob, None),
        (":CHAN4:COUP AC", None),
        (f":CHAN4:SCAL {low:g}", None),
        (":CHAN4:OFFS -0.5", None),
        (disp, None),
        ("*OPC?", "1"),
    ]
    with expected_exchanges(exchanges, name="scope") as link:
        driver(link).configure_channel(4, low, -0.5, coupling="AC", probe=probe)


def _block(payload: bytes, digits: int) -> bytes:
    return b"#" + str(digits).encode() + f"{len(payload):0{digits}d}".encode() + payload + b"\n"


def _keysight_read(preamble: str, payload: bytes) -> list[Exchange]:
    return [
        (":WAV:SOUR CHAN1", None),
        (":WAV:FORM BYTE", None),
        (":WAV:UNS 1", None),
        (":WAV:POIN:MODE RAW", None),
        (":WAV:POIN 100", None),
        (":WAV:PRE?", preamble),
        (":WAV:DATA?", _block(payload, 8)),
    ]


def _rigol_read(preamble: str) -> list[Exchange]:
    return [
        (":WAV:SOUR CHAN1", None),
        (":WAV:MODE RAW", None),
        (":WAV:FORM BYTE", None),
        (":WAV:PRE?", preamble),
    ]


@pytest.mark.parametrize(
    ("preamble", "detail"),
    [
        ("0,0,4,1,0,0,0,0.04,0,127", "preamble x increment 0 s is not positive"),
        ("0,0,4,1,-1e-6,0,0,0.04,0,127", "preamble x increment -1e-06 s is not positive"),
        # More than one thing wrong: the sample interval is named first, on both models.
        ("0,0,5,1,0,0,0,0.04,0,127", "preamble x increment 0 s is not positive"),
        ("0,0,4,1,1e-6,0,0,0.04,0", "preamble has 9 fields, expected 10"),
        ("4,0,4,1,1e-6,0,0,0.04,0,127", "waveform format 4 is not BYTE (0)"),
    ],
)
def test_both_models_refuse_the_same_bad_preambles(preamble: str, detail: str) -> None:
    message = refusal(
        lambda link: KeysightDSOX1204G(link).read_waveform(1, points=100),
        name="scope",
        exchanges=_keysight_read(preamble, b"\x00" * 4),
    )
    assert message == f"scope: {detail}: {preamble!r}"
    rigol_preamble = preamble.replace("0,0,5,", "0,0,4.5,")  # a fractional count as well
    message = refusal(
        lambda link: RigolDS1054Z(link).read_waveform(1),
        name="scope",
        exchanges=_rigol_read(rigol_preamble),
    )
    assert message == f"scope: {detail}: {rigol_preamble!r}"


def test_each_model_checks_the_point_count_its_own_way() -> None:
    """The InfiniiVision's one block must hold the points; the DS1000Z needs a whole count."""
    preamble = "0,0,5,1,1e-6,0,0,0.04,0,127"
    message = refusal(
        lambda link: KeysightDSOX1204G(link).read_waveform(1, points=100),
        name="scope",
        exchanges=_keysight_read(preamble, b"\x00" * 4),
    )
    assert message == "scope: preamble promises 5 points, block has 4"
    preamble = "0,0,4.5,1,1e-6,0,0,0.04,0,127"
    message = refusal(
        lambda link: RigolDS1054Z(link).read_waveform(1),
        name="scope",
        exchanges=_rigol_read(preamble),
    )
    assert message == f"scope: preamble announces no whole number of points: {preamble!r}"


@pytest.mark.parametrize(
    "probes",
    [{}, {"probe_range": (0.1, 10.0), "probe_choices": (1.0, 10.0)}],
    ids=["neither", "both"],
)
def test_a_model_accepts_probe_ratios_one_way(probes: dict[str, tuple[float, ...]]) -> None:
    """A range or a fixed set, never both nor neither: else any ratio would pass."""
    with pytest.raises(ValueError, match="either probe_range or probe_choices"):
        ScopeLimits(
            channel_count=2,
            horizontal_divisions=10,
            seconds_per_div=(1e-9, 1.0),
            volts_per_div_at_1x=(1e-3, 10.0),
            **probes,  # type: ignore[arg-type]
        )
