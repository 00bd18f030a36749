"""Putting the unit into the state a requirement's conditions describe.

A requirement row says "500 Ω, level 5, F2, battery 3.8 V". ``Conditions`` is that row
in SI units and ``start_treatment`` brings the bench and the unit there the way an
operator would: battery at its voltage, charger off, unit on, level and frequency set
while no load is connected, then the load (contact), then a wait until the soft start
has finished (or a chosen settle time). Frequencies are spec names (``F1``…), levels are
the unit's own numbering.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from harness.bench.station import Bench
from harness.judging.spec import Requirement, Spec
from harness.judging.units import parse_quantity

BATTERY_CHANNEL, CHARGER_CHANNEL = 1, 2
SUPPLY_LIMIT_A = 0.5
SOFT_START_SETTLE_S = 2.0
"""Longer than the soft start (1.25 s) with margin; used unless a test says otherwise."""


@dataclass(frozen=True)
class Conditions:
    """The operating point of one measurement, in SI units and unit settings."""

    load_ohms: float | None = 500.0
    level: int = 3
    frequency: int | None = 2
    """None for a unit with one pulse rate (a spec without a nominal ``frequency``)."""
    battery_v: float = 3.8

    def as_record(self) -> dict[str, str]:
        """The conditions as the measurement record stores them."""
        load = "open" if self.load_ohms is None else f"{self.load_ohms:g} ohm"
        record = {"load": load, "level": f"L{self.level}"}
        if self.frequency is not None:
            record["frequency"] = f"F{self.frequency}"
        return record | {"battery": f"{self.battery_v:g} V"}

    def but(self, **changes: object) -> Conditions:
        return replace(self, **changes)  # type: ignore[arg-type]


def frequency_index(text: str | int | float) -> int:
    """``F2`` → 2."""
    value = str(text).strip().upper().removeprefix("F")
    return int(value)


def nominal_conditions(spec: Spec) -> Conditions:
    """The spec's nominal operating point (battery, load, level, frequency)."""
    nominal = spec.header.nominal_conditions
    return Conditions(
        load_ohms=parse_quantity(nominal.get("load", "500 ohm"), "ohm"),
        level=int(nominal.get("level", 3)),
        frequency=frequency_index(nominal["frequency"]) if "frequency" in nominal else None,
        battery_v=spec.header.nominal("battery", "V"),
    )


def conditions_for(spec: Spec, requirement: Requirement) -> Conditions:
    """The nominal point overridden by whatever the requirement's conditions fix."""
    base = nominal_conditions(spec)
    c = requirement.conditions
    changes: dict[str, object] = {}
    if "level" in c and str(c["level"]).isdigit():
        changes["level"] = int(c["level"])
    if "frequency" in c and str(c["frequency"]).upper().startswith("F"):
        changes["frequency"] = frequency_index(c["frequency"])
    if "battery" in c:
        with contextlib.suppress(ValueError):  # "3.4 V to 4.2 V": the test sweeps it
            changes["battery_v"] = parse_quantity(c["battery"], "V")
    if "load" in c:
        text = str(c["load"])
        if text == "open":
            changes["load_ohms"] = None
        else:
            with contextlib.suppress(ValueError):  # "500 ohm and 10 kohm": test chooses
                changes["load_ohms"] = parse_quantity(text, "ohm")
    return replace(base, **changes)  # type: ignore[arg-type]


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
        from harness.procedures.unit_control import start_by_buttons

        return start_by_buttons(bench, conditions, settle_s)
    bench.dut.power_off()
    bench.dut.power_on()
    bench.dut.set_level(conditions.level)
    if conditions.frequency is not None:
        bench.dut.set_frequency(conditions.frequency)
    bench.select_load(conditions.load_ohms)
    contact = bench.clock.now()
    if settle_s > 0:
        bench.clock.sleep(settle_s)
    return contact
