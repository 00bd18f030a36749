"""A power-supply channel's rating, and the settings refused before they are sent.

A :class:`~harness.instruments.protocols.PowerSupply` on this bench is the device's
battery on one channel and its charger input on another. Each model rates its channels
differently (its front panel: maximum volts and amps per channel), and keeps that table
in its own module as ``RATINGS``, channel → (volts, amps). What follows from the role is
the same for every model: a channel must be in the table, a voltage setpoint within
``0..volts`` and a current limit within ``(0, amps]``, all finite, checked *before*
anything is sent, so a typo in a bench file cannot put 25 V on a Li-ion cell input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from harness.errors import InstrumentError

#: Channel → (maximum volts, maximum amps).
Ratings = Mapping[int, tuple[float, float]]


def channel_rating(ratings: Ratings, channel: int, *, instrument: str) -> tuple[float, float]:
    """``channel``'s (maximum volts, maximum amps), or an error listing the channels."""
    if channel not in ratings:
        raise InstrumentError(instrument, f"no channel {channel}; channels are {sorted(ratings)}")
    return ratings[channel]


def check_output_setting(
    ratings: Ratings, channel: int, volts: float, current_limit_a: float, *, instrument: str
) -> None:
    """The arguments of ``set_output``, against ``channel``'s rating."""
    max_v, max_a = channel_rating(ratings, channel, instrument=instrument)
    if not (math.isfinite(volts) and 0.0 <= volts <= max_v):
        raise InstrumentError(instrument, f"CH{channel}: {volts} V outside 0..{max_v} V")
    if not (math.isfinite(current_limit_a) and 0.0 < current_limit_a <= max_a):
        raise InstrumentError(
            instrument, f"CH{channel}: current limit {current_limit_a} A outside 0..{max_a} A"
        )
