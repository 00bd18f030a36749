"""The room a run was done in, as the bench's environment sensor measured it, or as entered.

A report must state the environmental conditions when they can influence the results
(ISO/IEC 17025 7.8.2.1, 7.8.3.1 a), and every instrument's accuracy is stated only for a
temperature band. A bench with an ``environment_sensor`` instrument reads it at the
start of the run and again at its end, so the report shows what the room did while the
unit was measured, not a constant typed into a bench file. Each reading carries its
expanded uncertainty from the sensor's ``accuracy:`` lines in the bench file (probe and
transmitter included, as the calibration certificate states the chain) and the sensor's
model and serial, which lead to its calibration in the equipment table.

Without a sensor the entered values (bench file ``environment:``, ``--env``) stay and
are marked *entered*. Either way a value outside the laboratory's allowed range
(``bench: allowed_conditions:``) is marked, and the report turns it into a deviation:
a room at 31 °C does not fail the unit, but it leaves the instruments outside the band
their accuracies were stated for, and the reader must be told.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, cast

from harness.definitions.bench_file import InstrumentEntry
from harness.definitions.conditions import (
    UNITS,
    ConditionParseError,
    ConditionRange,
    format_condition,
    parse_condition,
)
from harness.errors import HilError
from harness.instruments.protocols import EnvironmentSensor
from harness.judging.uncertainty import UncertaintyBudget
from harness.recording.record import EnvironmentReading, utc_now

if TYPE_CHECKING:  # the run's record imports ``judged`` without opening anything
    from harness.bench.station import Bench

log = logging.getLogger(__name__)

Moment = Literal["start", "end"]

RESOLUTION = {"temperature": 0.01, "humidity": 0.1}
"""The step a reading is recorded with (°C, %RH): finer than any stated accuracy."""


def sensor_of(bench: Bench) -> tuple[InstrumentEntry, EnvironmentSensor] | None:
    """The bench's environment sensor with its bench-file entry; None when it has none."""
    entry = bench.file.instrument("environment_sensor")
    if entry is None or entry.name not in bench.instruments:
        return None
    return entry, cast(EnvironmentSensor, bench.instruments[entry.name])


def expanded_uncertainty(entry: InstrumentEntry, quantity: str, value: float) -> float:
    """U (k = 2) of one reading: the stated accuracy as a rectangular bound, plus the
    recorded resolution. The bench file always has the line (``InstrumentEntry``
    refuses an environment sensor without one)."""
    spec = entry.condition_accuracy(quantity)
    assert spec is not None, "InstrumentEntry checks an environment sensor's accuracy"
    span = parse_condition(quantity, spec.range)
    bound = spec.reading_pct / 100 * abs(value) + spec.range_pct / 100 * span + spec.absolute
    budget = UncertaintyBudget().add_rectangular(f"{entry.name} stated accuracy", bound)
    budget = budget.add_quantisation("recorded resolution", RESOLUTION[quantity])
    return budget.expanded()


def rounded(quantity: str, value: float, uncertainty: float) -> tuple[str, str]:
    """Value and U as text, U to two significant digits and the value to the same place."""
    decimals = max(0, 1 - math.floor(math.log10(uncertainty))) if uncertainty > 0 else 2
    return format_condition(quantity, value, decimals), format_condition(
        quantity, uncertainty, decimals
    )


def judged(
    reading: EnvironmentReading, allowed: Mapping[str, ConditionRange]
) -> EnvironmentReading:
    """``reading`` with the allowed range (in words, with its basis) and whether it lies
    inside it; unchanged when no range is stated for its quantity."""
    limits = allowed.get(reading.quantity)
    if limits is None or reading.quantity not in UNITS:
        return reading
    words = f"{limits.describe(reading.quantity)} ({limits.basis})"
    try:
        value = parse_condition(reading.quantity, reading.value)
    except ConditionParseError:
        return reading.model_copy(update={"allowed": words, "within": None})
    within = limits.contains(reading.quantity, value)
    return reading.model_copy(update={"allowed": words, "within": within})


def read_conditions(
    bench: Bench, moment: Moment, *, tolerate_failure: bool = False
) -> list[EnvironmentReading]:
    """Temperature and humidity from the bench's sensor, judged against the allowed range;
    an empty list for a bench without a sensor.

    At the start a sensor that does not answer stops the run (``HilError`` raised): a
    run claiming measured conditions must have them. At the end (``tolerate_failure``)
    the run's measurements are already taken; the reading is recorded as missing with
    the reason, and the report says so.
    """
    found = sensor_of(bench)
    if found is None:
        return []
    entry, sensor = found
    allowed = bench.file.document.bench.allowed_conditions
    readers: dict[str, Callable[[], float]] = {
        "temperature": sensor.read_temperature,
        "humidity": sensor.read_humidity,
    }
    readings = []
    for quantity, read in readers.items():
        base = EnvironmentReading(
            quantity=quantity, value="", source="measured", instrument=entry.name,
            moment=moment, model=entry.model, serial=entry.serial, taken_at=utc_now(),
        )  # fmt: skip
        try:
            value = read()
        except HilError as error:
            if not tolerate_failure:
                raise
            log.warning("%s: %s not read at the %s of the run: %s", entry.name, quantity,
                        moment, error)  # fmt: skip
            readings.append(base.model_copy(update={"note": f"not read: {error}"}))
            continue
        text, u_text = rounded(quantity, value, expanded_uncertainty(entry, quantity, value))
        reading = base.model_copy(update={"value": text, "uncertainty": u_text})
        readings.append(judged(reading, allowed))
    return readings
