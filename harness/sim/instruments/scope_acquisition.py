"""How the simulated InfiniiVision scope turns the model into a record.

A digital storage scope samples its inputs into a circular memory while armed, waits
for the trigger condition, and keeps a fixed amount of signal before and after it. The
horizontal settings fix where the trigger sits in the record: the screen spans ten
divisions of `scale` seconds, the *reference* point (LEFT/CENTer/RIGHt: one, five or nine
divisions from the left edge) is `position` seconds after the trigger, so the first sample
is at `position − ref·scale` relative to the trigger (the preamble's *xorigin*).

An edge trigger fires where the source crosses `level` on the chosen slope. After
arming at `t_arm` the scope must first fill its pre-trigger memory, so the search starts
at `t_arm + pre-trigger time`, walks forward through the model in chunks, and gives up
after `MAX_WAIT_S` of virtual time. In AUTO sweep the scope triggers by itself when no
edge arrives within `AUTO_TIMEOUT_S`. The samples before the trigger come from the
model's retained history, which is exactly what a real scope's pre-trigger memory holds.

Each sample is the model's voltage plus Gaussian front-end noise, quantised by an 8-bit
converter across the eight vertical divisions (codes 0 and 255 mean off screen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.sim.instruments.base import BenchModel, FloatArray

REFERENCE_DIVISIONS = {"LEFT": 1.0, "CENTER": 5.0, "RIGHT": 9.0}
MAX_WAIT_S = 10.0
"""Longest virtual time a NORMal-sweep trigger search runs before giving up [E]."""
AUTO_TIMEOUT_S = 0.05
"""AUTO sweep forces a trigger when no edge comes within this time [E]."""
NOISE_DIVISIONS = 0.02
"""Front-end noise, r.m.s., in vertical divisions [E]."""
CHUNK_POINTS = 200_000


def channel_signal(sim: BenchModel, channel: int) -> Callable[[FloatArray], FloatArray]:
    """What each input is wired to (contracts.md): CH1 load, CH2 buzzer, CH3/CH4 supplies."""
    if channel == 1:
        return sim.load_voltage
    if channel == 2:
        return sim.buzzer_voltage
    supply = 2 if channel == 3 else 1
    return lambda t: sim.supply_voltage(supply, t)


@dataclass(frozen=True)
class Vertical:
    """A channel's vertical setting at acquisition time: V/div and offset (screen centre)."""

    scale: float
    offset: float

    @property
    def yinc(self) -> float:
        """Volts per 8-bit code: eight divisions over 256 codes."""
        return 8.0 * self.scale / 256.0

    def quantise(self, volts: FloatArray) -> npt.NDArray[np.uint8]:
        return self._quantise_in_place(np.subtract(volts, self.offset))

    def _quantise_in_place(self, shifted: FloatArray) -> npt.NDArray[np.uint8]:
        """`quantise` of ``shifted + offset``, overwriting `shifted` (the same operations
        in the same order, without a temporary per step: a record has up to 1M points)."""
        shifted /= self.yinc
        shifted += 128.0
        np.rint(shifted, out=shifted)
        np.clip(shifted, 0.0, 255.0, out=shifted)  # max then min, in one pass
        return shifted.astype(np.uint8)


@dataclass
class Record:
    """One acquisition: codes per channel and the time axis relative to the trigger."""

    trigger_time: float
    triggered: bool
    xorigin: float
    xinc: float
    codes: dict[int, npt.NDArray[np.uint8]]
    verticals: dict[int, Vertical]
    averages: int

    @property
    def end_time(self) -> float:
        points = len(next(iter(self.codes.values()))) if self.codes else 0
        return self.trigger_time + self.xorigin + points * self.xinc

    def volts(self, channel: int) -> FloatArray:
        vertical = self.verticals[channel]
        codes = self.codes[channel].astype(np.float64)
        return (codes - 128.0) * vertical.yinc + vertical.offset


@dataclass(frozen=True)
class EdgeTrigger:
    """Edge trigger settings."""

    source: int
    level: float
    slope: str  # POSITIVE, NEGATIVE, EITHER, ALTERNATE

    def find(
        self, sim: BenchModel, start: float, stop: float, step: float
    ) -> tuple[float | None, float]:
        """(time of the first qualifying edge in [start, stop], last sample time examined).

        The search walks the grid ``start + k·step`` in chunks and never samples past
        `stop`, so a caller may resume an unsuccessful search from the returned time (the
        scope's status polls do: each looks only at the signal since the last one).
        """
        signal = channel_signal(sim, self.source)
        t = start
        while stop - t >= step:
            n = int(min(CHUNK_POINTS, (stop - t) / step))
            times: FloatArray = t + step * np.arange(n + 1, dtype=np.float64)
            v = signal(times)
            above = v >= self.level
            rising = ~above[:-1] & above[1:]
            falling = above[:-1] & ~above[1:]
            hits = {"POSITIVE": rising, "NEGATIVE": falling}.get(self.slope, rising | falling)
            index = np.flatnonzero(hits)
            if index.size:
                return float(times[index[0] + 1]), float(times[index[0] + 1])
            t = float(times[-1])
        return None, t


class TriggerSearch:
    """One armed acquisition's search for its trigger, resumed where it last stopped.

    While a scope waits for a trigger the harness polls it every few milliseconds of
    virtual time; searching from the arming each time would cost the square of the
    number of polls. The signal before `now` cannot change, so an unsuccessful search is
    remembered (with what it depended on: start, sample step, trigger settings) and the
    next one walks only the new part. ``reset`` forgets it (the scope was re-armed).

    ``coarse``: walk a grid of that step first and find the edge at full rate only inside
    the step where it crossed, for records far denser than the trigger's timing needs;
    an event shorter than ``coarse`` can then be missed.
    """

    def __init__(self) -> None:
        self._key: tuple[float, float, EdgeTrigger] | None = None
        self._found: float | None = None
        self._reached = 0.0

    def reset(self) -> None:
        self._key, self._found = None, None

    @property
    def triggered(self) -> bool:
        """Whether the search so far has found the trigger."""
        return self._key is not None and self._found is not None

    def find(
        self,
        sim: BenchModel,
        trigger: EdgeTrigger,
        start: float,
        horizon: float,
        step: float,
        *,
        coarse: float | None = None,
    ) -> float | None:
        """The trigger time in [start, horizon], or None when it has not come yet."""
        key = (start, step, trigger)
        resume = start
        if self._key == key:
            if self._found is not None:
                return self._found
            resume = self._reached
        walk = step if coarse is None else max(step, coarse)
        found, reached = trigger.find(sim, resume, horizon, walk)
        if found is not None and walk > step:
            fine, _ = trigger.find(sim, max(start, found - walk), found, step)
            found = found if fine is None else fine
        self._key, self._found, self._reached = key, found, reached
        return found


def sample(
    sim: BenchModel,
    channels: dict[int, Vertical],
    times: FloatArray,
    averages: int,
    noise: np.random.Generator,
) -> dict[int, npt.NDArray[np.uint8]]:
    """8-bit codes of each channel at `times`; averaging divides the noise by √n."""
    codes: dict[int, npt.NDArray[np.uint8]] = {}
    scratch = np.empty(times.size)  # one for every channel: their codes are copies
    for channel, vertical in sorted(channels.items()):
        clean = channel_signal(sim, channel)(times)
        sigma = NOISE_DIVISIONS * vertical.scale / np.sqrt(averages)
        volts = noise.standard_normal(out=scratch)  # normal(0, sigma) draws 0 + sigma·z:
        volts *= sigma  # the same draws, the same bits, without a call per sample
        volts += clean  # clean + noise (addition commutes exactly), in the scratch array
        if vertical.offset != 0.0:  # x - 0.0 is x, to the bit: a pass saved
            volts -= vertical.offset
        codes[channel] = vertical._quantise_in_place(volts)
    return codes
