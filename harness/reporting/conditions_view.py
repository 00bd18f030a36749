"""The report's environmental conditions: each value, who measured it or that it was entered,
the range the laboratory allows, and the deviations when the room was outside it.

ISO/IEC 17025 7.8.3.1 a asks a test report for the conditions of testing where they can
influence the results. A value measured by the bench's environment sensor is printed
with its expanded uncertainty and the sensor's model and serial (its calibration is in
the equipment table), once for the start and once for the end of the run; a value from
a bench file or ``--env`` is *entered, not measured*, because a constant presented as a
measured condition claims more than the laboratory knows. A condition outside the
laboratory's allowed range, or a sensor that did not answer, is a deviation (section 8),
never a silent row of the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.recording.record import EnvironmentReading
from harness.reporting.wording import plain_text, pretty_unit

ENTERED = "entered, not measured"


@dataclass(frozen=True)
class ConditionRow:
    """One environmental condition: its value, where it came from, the range allowed."""

    quantity: str
    value: str
    source: str
    allowed: str = "none stated in the bench file"
    outside: bool = False


def _value(c: EnvironmentReading) -> str:
    if c.source == "measured" and not c.value:
        return "not read"
    text = pretty_unit(plain_text(c.value))
    if c.uncertainty:
        text += f" ± {pretty_unit(plain_text(c.uncertainty))} (k = 2)"
    return text


def _source(c: EnvironmentReading) -> str:
    if c.source != "measured":
        return ENTERED
    who = " ".join(p for p in (c.model, c.serial) if p) or "the bench's sensor"
    text = f"measured by {who}" + (f" ({c.instrument})" if c.instrument else "")
    if c.moment:
        text += f" at the {c.moment} of the run"
    if c.note:
        text += f"; {plain_text(c.note)}"
    return text


def _allowed(c: EnvironmentReading) -> str:
    if c.allowed is None:
        return "none stated in the bench file"
    text = pretty_unit(plain_text(c.allowed))
    return f"OUTSIDE: {text}" if c.within is False else text


def condition_rows(
    conditions: list[EnvironmentReading], environment: dict[str, str]
) -> list[ConditionRow]:
    """Each condition with its source; a record without sources has entered values only."""
    if conditions:
        order = {"start": 0, "end": 1}  # measured at the start, at the end, then entered
        ordered = sorted(conditions, key=lambda c: (c.source != "measured",
                                                    order.get(c.moment or "", 2)))  # fmt: skip
        return [
            ConditionRow(c.quantity.replace("_", " "), _value(c), _source(c), _allowed(c),
                         c.within is False)
            for c in ordered
        ]  # fmt: skip
    return [
        ConditionRow(name.replace("_", " "), pretty_unit(plain_text(value)), ENTERED)
        for name, value in sorted(environment.items())
    ]


def condition_deviations(conditions: list[EnvironmentReading]) -> list[str]:
    """A sentence for each condition outside the allowed range and each sensor reading
    that is missing: what the reader must weigh before trusting the results."""
    out = []
    for c in conditions:
        if c.within is False:
            out.append(
                f"The {c.quantity.replace('_', ' ')} was outside the range the laboratory "
                f"allows: {_value(c)}, {_source(c)}; allowed {pretty_unit(str(c.allowed))}. "
                "Accuracies stated for that range may not hold for this run"
            )
        elif c.source == "measured" and not c.value:
            out.append(
                f"The {c.quantity.replace('_', ' ')} was not measured at the "
                f"{c.moment or 'time'} of the run: {plain_text(c.note) or 'no reading'}"
            )
    return out
