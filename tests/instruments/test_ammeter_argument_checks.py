"""Both ammeter drivers refuse a wrong setting before sending, each from its own tables.

A range is chosen from the model's table, matched up to float rounding (a range worked
out as ``1e-3 * (1 + 1e-12)`` still selects the 1 mA range); each case below is one
wrong argument, an empty script and the exact message, with the model's own table in it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from refusal import refusal, refused_by_each_model

from harness.instruments.keithley_2450 import Keithley2450
from harness.instruments.keysight_34465a import Keysight34465A
from harness.instruments.protocols import Ammeter
from harness.instruments.testing import expected_exchanges
from harness.instruments.visa import ScpiLink

Call = Callable[[Ammeter], object]

KEYSIGHT_RANGES = "(1e-06, 1e-05, 0.0001, 0.001, 0.01, 0.1, 1.0, 3.0)"
KEITHLEY_RANGES = "(1e-08, 1e-07, 1e-06, 1e-05, 0.0001, 0.001, 0.01, 0.1, 1.0)"

MODELS: list[tuple[str, Callable[[ScpiLink], Ammeter]]] = [
    ("34465A", Keysight34465A),
    ("2450", Keithley2450),
]

#: (case, call, Keysight 34465A message, Keithley 2450 message)
CASES: list[tuple[str, Call, str, str]] = [
    (
        "range between two of the table",
        lambda a: a.configure_dc_current(2e-3, 1.0),
        f"current range 0.002 A not one of {KEYSIGHT_RANGES}",
        f"current range 0.002 A not one of {KEITHLEY_RANGES}",
    ),
    (
        "range above the table",
        lambda a: a.configure_dc_current(10.0, 1.0),
        f"current range 10.0 A not one of {KEYSIGHT_RANGES}",
        f"current range 10.0 A not one of {KEITHLEY_RANGES}",
    ),
    (
        "range only the other model has",
        lambda a: a.configure_dc_current(3.0 if isinstance(a, Keithley2450) else 1e-8, 1.0),
        f"current range 1e-08 A not one of {KEYSIGHT_RANGES}",
        f"current range 3.0 A not one of {KEITHLEY_RANGES}",
    ),
    (
        "NPLC",
        lambda a: a.configure_dc_current(1e-3, 20.0),
        "NPLC 20.0 not one of (0.02, 0.06, 0.2, 1.0, 10.0, 100.0)",
        "NPLC 20.0 outside 0.01..10.0",
    ),
    (
        "no readings",
        lambda a: a.read_currents(0),
        "reading count 0 outside 1..50000",
        "reading count 0 outside 1..100000",
    ),
    (
        "more readings than the memory holds",
        lambda a: a.read_currents(100_001),
        "reading count 100001 outside 1..50000",
        "reading count 100001 outside 1..100000",
    ),
    (
        "burden before a range",
        lambda a: a.burden_ohms,
        "burden unknown: configure_dc_current() has not been called",
        "burden unknown: configure_dc_current() has not been called",
    ),
]


test_wrong_setting_is_refused_with_the_models_table = refused_by_each_model(
    MODELS, CASES, name="dmm"
)


@pytest.mark.parametrize("driver", [Keysight34465A, Keithley2450])
@pytest.mark.parametrize("hz", [0.0, 55.0, 400.0])
def test_line_frequency_is_50_or_60_hz(driver: Callable[..., Ammeter], hz: float) -> None:
    message = refusal(lambda link: driver(link, line_frequency_hz=hz), name="dmm")
    assert message == f"dmm: line frequency must be 50 or 60 Hz, got {hz}"


def test_range_and_nplc_match_the_table_up_to_rounding() -> None:
    """A range or NPLC a rounding step away from a table entry selects that entry."""
    near_1ma = 1e-3 * (1 + 1e-12)
    near_0_2 = 0.1 * 3 * 2 / 3
    assert near_1ma != 1e-3 and near_0_2 != 0.2
    exchanges = [("CONF:CURR:DC 0.001", None), ("CURR:DC:NPLC 0.2", None), ("*OPC?", "1")]
    with expected_exchanges(exchanges, name="dmm") as link:
        dmm = Keysight34465A(link, line_frequency_hz=60.0)
        dmm.configure_dc_current(near_1ma, near_0_2)
        assert dmm.burden_ohms == 110.0
        assert dmm.aperture_s == pytest.approx(0.2 / 60)
    exchanges = [
        (":SOUR:FUNC VOLT", None),
        (":SOUR:VOLT 0", None),
        (":SOUR:VOLT:ILIM 0.001", None),
        (':SENS:FUNC "CURR"', None),
        (":SENS:CURR:RANG 0.001", None),
        (":SENS:CURR:NPLC 0.01", None),
        (":OUTP ON", None),
        ("*OPC?", "1"),
    ]
    with expected_exchanges(exchanges, name="dmm") as link:
        Keithley2450(link).configure_dc_current(near_1ma, 0.01)


def test_low_ranges_leave_the_table_of_a_34461a() -> None:
    def configure(link: ScpiLink) -> None:
        Keysight34465A(link, low_current_ranges=False).configure_dc_current(1e-5, 10)

    assert refusal(configure, name="dmm") == (
        "dmm: current range 1e-05 A not one of (0.0001, 0.001, 0.01, 0.1, 1.0, 3.0)"
    )
