"""What an oscilloscope setting must be before a driver sends it, whatever the model.

Every :class:`~harness.instruments.protocols.Oscilloscope` takes the same arguments: a
channel, volts per division at a probe ratio, an offset, a time base, an edge trigger.
A wrong one is refused *before* anything reaches the instrument, with a message naming
the instrument and the value, so a typo in a test cannot leave a scope half set up.

Those checks follow from the role and live here. The limits they check against are the
model's (its data sheet: channel count, screen divisions, the s/div and V/div spans,
which probe ratios it accepts) and stay in the model's module as a :class:`ScopeLimits`.
What only one model has (the InfiniiVision's fixed RAW point counts, the DS1000Z's
memory depths) and every SCPI command stay in the model's module too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from harness.errors import InstrumentError

# The words an oscilloscope's settings are made of: defined here, with the checks that
# read them, and named by the Oscilloscope role (``protocols``), which imports them.
Coupling = Literal["DC", "AC"]
Slope = Literal["rising", "falling"]
Sweep = Literal["normal", "auto"]


@dataclass(frozen=True)
class ScopeLimits:
    """One model's limits, and the role's arguments checked against them.

    A probe ratio is either anything within ``probe_range`` (InfiniiVision) or one of
    ``probe_choices`` (DS1000Z); the V/div span at 1:1 scales with it. Each ``check_*``
    method raises :class:`~harness.errors.InstrumentError` for ``instrument`` (the
    bench's name for the scope) and returns nothing when the arguments are fine.
    """

    channel_count: int
    horizontal_divisions: int
    seconds_per_div: tuple[float, float]
    volts_per_div_at_1x: tuple[float, float]
    probe_range: tuple[float, float] | None = None
    probe_choices: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if (self.probe_range is None) == (not self.probe_choices):
            raise ValueError("give either probe_range or probe_choices")

    def check_channel(self, channel: int, *, instrument: str) -> None:
        if not 1 <= channel <= self.channel_count:
            raise InstrumentError(instrument, f"channel {channel} outside 1..{self.channel_count}")

    def check_channel_setup(
        self,
        channel: int,
        volts_per_div: float,
        offset_v: float,
        coupling: Coupling,
        probe: float,
        *,
        instrument: str,
    ) -> None:
        """The arguments of ``configure_channel``."""
        self.check_channel(channel, instrument=instrument)
        if self.probe_range is not None and not (
            self.probe_range[0] <= probe <= self.probe_range[1]
        ):
            raise InstrumentError(instrument, f"probe ratio {probe} outside {self.probe_range}")
        if self.probe_choices and probe not in self.probe_choices:
            raise InstrumentError(
                instrument, f"probe ratio {probe} not one of {self.probe_choices}"
            )
        low, high = (limit * probe for limit in self.volts_per_div_at_1x)
        if not low <= volts_per_div <= high:
            raise InstrumentError(
                instrument, f"{volts_per_div} V/div outside {low:g}..{high:g} at probe {probe}"
            )
        if coupling not in get_args(Coupling):
            raise InstrumentError(instrument, f"coupling {coupling!r} is not 'DC' or 'AC'")
        if not math.isfinite(offset_v):
            raise InstrumentError(instrument, f"offset {offset_v} V is not a number")

    def check_timebase(
        self,
        seconds_per_div: float,
        position_s: float,
        *,
        instrument: str,
        position_name: str = "position",
    ) -> None:
        """The arguments of ``configure_timebase``; ``position_name`` is the manual's word."""
        low, high = self.seconds_per_div
        if not low <= seconds_per_div <= high:
            raise InstrumentError(
                instrument, f"{seconds_per_div} s/div outside {self.seconds_per_div}"
            )
        if not math.isfinite(position_s):
            raise InstrumentError(
                instrument, f"timebase {position_name} {position_s} s is not a number"
            )

    def check_edge_trigger(
        self, channel: int, level_v: float, slope: Slope, sweep: Sweep, *, instrument: str
    ) -> None:
        """The arguments of ``configure_edge_trigger``."""
        self.check_channel(channel, instrument=instrument)
        if slope not in get_args(Slope) or sweep not in get_args(Sweep):
            raise InstrumentError(instrument, f"slope {slope!r} / sweep {sweep!r} not understood")
        if not math.isfinite(level_v):
            raise InstrumentError(instrument, f"trigger level {level_v} V is not a number")

    def check_digitize(self, channels: tuple[int, ...], *, instrument: str) -> None:
        """The channels of ``digitize``: at least one, each one the model has."""
        if not channels:
            raise InstrumentError(instrument, "digitize needs at least one channel")
        for channel in channels:
            self.check_channel(channel, instrument=instrument)

    def seconds_per_div_for(self, duration_s: float) -> float:
        """The s/div at which the screen (and so the record) spans ``duration_s``.

        A record covers every horizontal division, and their number is the model's (10
        on an InfiniiVision, 12 on a DS1000Z): dividing by a fixed 10 made a DS1000Z
        record 20 % longer than asked, at 20 % fewer samples per second. The result is
        not checked against the s/div span here: ``check_timebase`` does that when it
        is set.
        """
        return duration_s / self.horizontal_divisions

    def record_duration_s(self, seconds_per_div: float | None, *, instrument: str) -> float:
        """Divisions × the configured s/div; ``None`` (no time base set yet) is an error."""
        if seconds_per_div is None:
            raise InstrumentError(
                instrument, "record duration unknown: configure_timebase() not called"
            )
        return self.horizontal_divisions * seconds_per_div
