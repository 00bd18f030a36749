"""Both power-supply drivers refuse a setting beyond a channel's rating before sending.

A typo in a bench file must not put 25 V on a Li-ion cell input: each case is one wrong
argument, an empty script (nothing may be sent) and the exact message, which names the
channel and the model's own rating.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from refusal import refused_by_each_model

from harness.instruments.keysight_e36312a import KeysightE36312A
from harness.instruments.protocols import PowerSupply
from harness.instruments.rigol_dp832 import RigolDP832
from harness.instruments.testing import expected_exchanges
from harness.instruments.visa import ScpiLink

Call = Callable[[PowerSupply], object]

MODELS: list[tuple[str, Callable[[ScpiLink], PowerSupply]]] = [
    ("E36312A", KeysightE36312A),
    ("DP832", RigolDP832),
]

#: (case, call, Keysight E36312A message, Rigol DP832 message)
CASES: list[tuple[str, Call, str, str]] = [
    (
        "no such channel",
        lambda p: p.set_output(4, 1.0, 0.1),
        "no channel 4; channels are [1, 2, 3]",
        "no channel 4; channels are [1, 2, 3]",
    ),
    (
        "enable a missing channel",
        lambda p: p.enable(0, True),
        "no channel 0; channels are [1, 2, 3]",
        "no channel 0; channels are [1, 2, 3]",
    ),
    (
        "measure voltage on a missing channel",
        lambda p: p.measure_voltage(4),
        "no channel 4; channels are [1, 2, 3]",
        "no channel 4; channels are [1, 2, 3]",
    ),
    (
        "measure current on a missing channel",
        lambda p: p.measure_current(-1),
        "no channel -1; channels are [1, 2, 3]",
        "no channel -1; channels are [1, 2, 3]",
    ),
    (
        "volts over CH3's rating",
        lambda p: p.set_output(3, 26.0, 0.1),
        "CH3: 26.0 V outside 0..25.0 V",
        "CH3: 26.0 V outside 0..5.0 V",
    ),
    (
        "negative volts",
        lambda p: p.set_output(1, -0.1, 0.1),
        "CH1: -0.1 V outside 0..6.0 V",
        "CH1: -0.1 V outside 0..30.0 V",
    ),
    (
        "volts not a number",
        lambda p: p.set_output(2, math.nan, 0.1),
        "CH2: nan V outside 0..25.0 V",
        "CH2: nan V outside 0..30.0 V",
    ),
    (
        "zero current limit",
        lambda p: p.set_output(1, 3.0, 0.0),
        "CH1: current limit 0.0 A outside 0..5.0 A",
        "CH1: current limit 0.0 A outside 0..3.0 A",
    ),
    (
        "current limit over CH2's rating",
        lambda p: p.set_output(2, 5.0, 3.5),
        "CH2: current limit 3.5 A outside 0..1.0 A",
        "CH2: current limit 3.5 A outside 0..3.0 A",
    ),
    (
        "current limit not a number",
        lambda p: p.set_output(1, 3.0, math.inf),
        "CH1: current limit inf A outside 0..5.0 A",
        "CH1: current limit inf A outside 0..3.0 A",
    ),
]


test_setting_beyond_the_rating_is_refused = refused_by_each_model(MODELS, CASES, name="psu")


@pytest.mark.parametrize(
    ("driver", "channel", "volts", "amps", "commands"),
    [
        (KeysightE36312A, 1, 6.0, 5.0, ["VOLT 6,(@1)", "CURR 5,(@1)"]),
        (KeysightE36312A, 3, 0.0, 1.0, ["VOLT 0,(@3)", "CURR 1,(@3)"]),
        (RigolDP832, 3, 5.0, 3.0, [":SOUR3:VOLT 5", ":SOUR3:CURR 3"]),
        (RigolDP832, 1, 30.0, 1e-3, [":SOUR1:VOLT 30", ":SOUR1:CURR 0.001"]),
    ],
)
def test_the_rating_itself_is_accepted(
    driver: Callable[[ScpiLink], PowerSupply],
    channel: int,
    volts: float,
    amps: float,
    commands: list[str],
) -> None:
    exchanges = [(command, None) for command in commands] + [("*OPC?", "1")]
    with expected_exchanges(exchanges, name="psu") as link:
        driver(link).set_output(channel, volts, amps)
