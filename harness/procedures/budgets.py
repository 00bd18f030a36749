"""One uncertainty line per instrument role, read from the bench file in one place.

Every reading a procedure turns into a number carries the accuracy of the instrument it
came from. The bench file states that accuracy per instrument and range (``accuracy:``
lines, ``±(% of reading + % of range)``); a bench file may also leave a range out. What
the budget then assumes must be the same whichever procedure took the reading: when each
procedure looked the line up itself, the copies drifted and one of them silently left
the instrument's accuracy out of the budget when the line was missing, understating U.
So each role has exactly one helper here, and each helper says what it assumes without
a bench line:

==================  ======================================  ============================
role                from the bench file                     without a line
==================  ======================================  ============================
ammeter             the line of the range in use            ±0.1 % of range
oscilloscope gain   the first line's % of reading           ±3 % of reading (datasheet)
oscilloscope time   (not in the bench file)                 ±50 ppm of the interval
power supply        the line of the range in use (6 V)      ±0.1 % of range
load resistor       the load's own tolerance                (every load states one)
==================  ======================================  ============================

All bounds are rectangular (``UncertaintyBudget.add_accuracy``/``add_relative``). Each
helper appends its line to the budget it is given and returns that budget, so a
procedure still builds its budget in one readable chain, in a fixed order.
"""

from __future__ import annotations

from harness.definitions.bench_file import BenchFile, InstrumentEntry, LoadEntry
from harness.judging.uncertainty import UncertaintyBudget

FALLBACK_RANGE_PCT = 0.1
"""Assumed ±% of range for an ammeter or supply range the bench file gives no line for:
wider than any 6½-digit meter or bench supply readback the harness supports."""
SCOPE_GAIN_PCT = 3.0
"""Assumed ±% of reading for a scope without an accuracy line: the DC vertical gain
accuracy of the InfiniiVision 1000 X and DS1000Z datasheets, the worst of the models."""
TIMEBASE_PPM = 50.0
"""Scope timebase accuracy (InfiniiVision 1000 X: ±50 ppm), rectangular."""
SUPPLY_RANGE_V = 6.0
"""The battery channel's range (E36312A and DP832 CH1: 6 V)."""

AMMETER_ACCURACY = "ammeter accuracy"
"""The name of the ammeter's line when the bench file gives it. A ratio of two readings
on one range drops this line (the gain is common to both), so it is found by name."""


def _range_accuracy(
    budget: UncertaintyBudget,
    entry: InstrumentEntry | None,
    *,
    name: str,
    reading: float,
    range_value: float,
    range_in: tuple[float, str],
) -> UncertaintyBudget:
    """The line of one range (looked up as ``range_in``: number and unit), or the fallback."""
    spec = entry.accuracy_for(*range_in) if entry is not None else None
    if spec is None:
        return budget.add_accuracy(
            f"{name} (no bench line; {FALLBACK_RANGE_PCT:g} % rng assumed)",
            reading,
            0.0,
            FALLBACK_RANGE_PCT,
            range_value,
        )
    return budget.add_accuracy(name, reading, spec.reading_pct, spec.range_pct, range_value)


def ammeter_accuracy(
    budget: UncertaintyBudget, bench_file: BenchFile, reading_a: float, range_a: float
) -> UncertaintyBudget:
    """The ammeter's ±(% rdg + % rng) at ``reading_a`` on the ``range_a`` range (A)."""
    return _range_accuracy(
        budget,
        bench_file.instrument("ammeter"),
        name=AMMETER_ACCURACY,
        reading=reading_a,
        range_value=range_a,
        range_in=(range_a * 1e6, "uA"),
    )


def supply_readback(
    budget: UncertaintyBudget,
    bench_file: BenchFile,
    volts: float,
    range_v: float = SUPPLY_RANGE_V,
) -> UncertaintyBudget:
    """The power supply's voltage readback accuracy at ``volts`` on the ``range_v`` range."""
    return _range_accuracy(
        budget,
        bench_file.instrument("power_supply"),
        name="supply readback",
        reading=volts,
        range_value=range_v,
        range_in=(range_v, "V"),
    )


def scope_gain(budget: UncertaintyBudget, bench_file: BenchFile, value: float) -> UncertaintyBudget:
    """The scope's vertical gain accuracy as a fraction of ``value`` (any unit).

    The scope is read at whatever scale keeps the record on screen, and its datasheet
    states the gain accuracy against full scale; the bench file's first line carries
    it as % of reading, the same on every range.
    """
    entry = bench_file.instrument("oscilloscope")
    if entry is not None and entry.accuracy:
        return budget.add_accuracy(
            "scope vertical gain", value, entry.accuracy[0].reading_pct, 0.0, 0.0
        )
    return budget.add_accuracy(
        f"scope vertical gain (no bench line; {SCOPE_GAIN_PCT:g} % assumed)",
        value,
        SCOPE_GAIN_PCT,
        0.0,
        0.0,
    )


def scope_timebase(budget: UncertaintyBudget, value_s: float) -> UncertaintyBudget:
    """The scope's timebase accuracy on a time of ``value_s`` read off one record."""
    return budget.add_accuracy("scope timebase", value_s, TIMEBASE_PPM * 1e-4, 0.0, 0.0)


def load_tolerance(budget: UncertaintyBudget, load: LoadEntry, value: float) -> UncertaintyBudget:
    """The load resistor's tolerance, relative to ``value`` (a quantity ∝ v/R)."""
    return budget.add_relative(f"load {load.name} tolerance", value, load.tolerance_fraction)


__all__ = [
    "AMMETER_ACCURACY",
    "FALLBACK_RANGE_PCT",
    "SCOPE_GAIN_PCT",
    "SUPPLY_RANGE_V",
    "TIMEBASE_PPM",
    "ammeter_accuracy",
    "load_tolerance",
    "scope_gain",
    "scope_timebase",
    "supply_readback",
]
