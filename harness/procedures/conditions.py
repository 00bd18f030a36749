"""A requirement's operating point: the row of conditions in SI units and unit settings.

A requirement row says "500 Ω, level 5, F2, battery 3.8 V". ``Conditions`` is that row,
read from the spec (its nominal point, overridden by what the requirement fixes), and the
supply channels it is set on. It knows nothing of how the unit is brought there
(``treatment`` does that, through the test port or the buttons), so every procedure may
use it without importing how treatment starts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from harness.judging.spec import Requirement, Spec
from harness.judging.units import convert, parse_quantity

BATTERY_CHANNEL, CHARGER_CHANNEL = 1, 2
"""The bench supply's channels: the unit's battery and its charger input."""


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


def nominal_period_s(spec: Spec, frequency: int | None) -> float | None:
    """The pulse period of frequency setting ``frequency`` (``WAV-FREQ-F<n>``'s nominal
    value), to size a record; None where the spec does not say."""
    rid = f"WAV-FREQ-F{frequency}"
    if frequency is None or rid not in spec.requirements:
        return None
    req = spec.requirement(rid)
    if not req.nominal_value:
        return None
    return 1.0 / convert(req.nominal_value, req.unit, "Hz")


__all__ = [
    "BATTERY_CHANNEL",
    "CHARGER_CHANNEL",
    "Conditions",
    "conditions_for",
    "frequency_index",
    "nominal_conditions",
    "nominal_period_s",
]
