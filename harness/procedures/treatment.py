"""Putting the unit into the state a requirement's conditions describe.

A requirement row says "500 Ω, level 5, F2, battery 3.8 V". ``Conditions`` is that row
in SI units and ``start_treatment`` brings the bench and the unit there the way an
operator would: battery at its voltage, charger off, unit on, level and frequency set
while no load is connected, then the load (contact), then a wait until the soft start
has finished (or a chosen settle time). Frequencies are spec names (``F1``…), levels are
the unit's own numbering.
"""

from __future__ import annotations

from harness.bench.station import Bench
from harness.procedures.conditions import (
    BATTERY_CHANNEL,
    CHARGER_CHANNEL,
    Conditions,
    conditions_for,
    frequency_index,
    nominal_conditions,
)
from harness.procedures.unit_control import start_by_buttons

SUPPLY_LIMIT_A = 0.5
SOFT_START_SETTLE_S = 2.0
"""Longer than the soft start (1.25 s) with margin; used unless a test says otherwise."""


def set_battery(bench: Bench, volts: float) -> None:
    bench.supply.set_output(BATTERY_CHANNEL, volts, SUPPLY_LIMIT_A)
    bench.supply.enable(BATTERY_CHANNEL, True)


def set_charger(bench: Bench, volts: float | None) -> None:
    """Charger input at ``volts``, or disconnected (output off) for None."""
    if volts is None:
        bench.supply.enable(CHARGER_CHANNEL, False)
        return
    bench.supply.set_output(CHARGER_CHANNEL, volts, SUPPLY_LIMIT_A)
    bench.supply.enable(CHARGER_CHANNEL, True)


def start_treatment(
    bench: Bench, conditions: Conditions, settle_s: float = SOFT_START_SETTLE_S
) -> float:
    """Battery, charger off, unit on at level/frequency, then contact, then settle.

    Returns the bench time of contact (the load connected), where treatment timers
    start. A unit without a test port is worked by its buttons instead
    (``unit_control.start_by_buttons``: each change confirmed by measurement).
    """
    bench.select_load(None)
    set_charger(bench, None)
    set_battery(bench, conditions.battery_v)
    if not bench.has_port:
        return start_by_buttons(bench, conditions, settle_s)
    bench.dut.power_off()
    bench.dut.power_on()
    return set_operating_point(bench, conditions, settle_s)


def set_operating_point(bench: Bench, conditions: Conditions, settle_s: float) -> float:
    """On a unit that is on: level and frequency over its port, then the load, then
    settle; the bench time of contact. (A unit without a port keeps its level: its
    buttons are worked by ``unit_control``.)"""
    if bench.has_port:
        bench.dut.set_level(conditions.level)
        if conditions.frequency is not None:
            bench.dut.set_frequency(conditions.frequency)
    bench.select_load(conditions.load_ohms)
    contact = bench.clock.now()
    if settle_s > 0:
        bench.clock.sleep(settle_s)
    return contact


__all__ = [  # the conditions' names stay importable from here, where the suites take them
    "BATTERY_CHANNEL",
    "CHARGER_CHANNEL",
    "SOFT_START_SETTLE_S",
    "SUPPLY_LIMIT_A",
    "Conditions",
    "conditions_for",
    "frequency_index",
    "nominal_conditions",
    "set_battery",
    "set_charger",
    "set_operating_point",
    "start_treatment",
]
