"""The 34465A's frequency and period functions: a reciprocal counter on the V/Ω input.

What the input sees: on this bench the V/Ω input is across the load resistor (the node
pair the scope's CH1 watches, `dmm_functions`), so the counter sees the load voltage.
While the device drives a load the reading is the frequency of that waveform; with the
output off, or nothing switched in, there is no signal, and the manual's answer for no
signal is a reading of 0 (MEASure:{FREQuency|PERiod}?: "With no signal applied, 0 is
returned"), given after the timeout: 1 s with {FREQ|PER}:TIMeout:AUTO OFF (the default),
shorter with ON, depending on the AC filter (the shorter times are [E]).

How it counts: the input is a.c. coupled (the mean is removed), and an edge is a
rising crossing through a hysteresis band of ±5 % of the voltage range [E], so a signal
well below the range, or none, gives no edges. The gate opens on the first edge and
closes on the first edge after the aperture (10 ms, 100 ms default, 1 s; 1 ms on the
34465A/70A), the reading is whole periods ÷ the time between those edges, and the
measurement takes that long. Edge times are interpolated between samples. The voltage
range autoranges on the a.c. RMS (up above 120 %, down below 10 %, as the manual's
autoranging); an input above 120 % of a fixed range is the overload value 9.9E37, as the
manual says. The AC filter (`RANGe:LOWer`: 3, 20, 200 Hz) is kept and reported but
does not attenuate the waveform here [E: a signal below the filter is still counted].

The `<range>` of CONFigure/MEASure (3 Hz–300 kHz, default 20 Hz; period 3.33 µs–
333.33 ms, default 50 ms) only sets the resolution: 100 ppm × range picks a 10 ms
aperture, 10 ppm 100 ms, 1 ppm 1 s; frequency and period do not autorange and share one
set of settings (aperture, filter, voltage range), as the manual says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.sim.instruments.base import BenchModel
from harness.sim.instruments.dmm_functions import OVERLOAD

APERTURES_S = (1e-3, 10e-3, 0.1, 1.0)
"""Gate times; 1 ms on the 34465A/70A only."""
LOW_FILTERS_HZ = (3.0, 20.0, 200.0)
VOLTAGE_RANGES = (0.1, 1.0, 10.0, 100.0, 750.0)
FREQUENCY_SPAN = (3.0, 300e3)
PERIOD_SPAN = (1 / 300e3, 1 / 3.0)
DEFAULT_FREQUENCY_RANGE = 20.0
DEFAULT_PERIOD_RANGE = 0.05
TIMEOUT_OFF_S = 1.0
"""TIMeout:AUTO OFF: the meter waits 1 s for a signal before it returns 0."""
TIMEOUT_AUTO_S = {3.0: 1.0, 20.0: 0.2, 200.0: 0.05}
"""TIMeout:AUTO ON: a shorter wait for the faster filters [E]."""
HYSTERESIS = 0.05
"""Half the hysteresis band, as a fraction of the voltage range [E]."""
SAMPLE_STEP_S = 5e-6
"""Time step the waveform is sampled at to find its edges."""
MAX_SAMPLES = 400_000


@dataclass
class CounterSettings:
    """Shared by FREQuency and PERiod; `timeout_auto` survives *RST, as on the meter."""

    aperture: float = 0.1
    low_filter: float = 20.0
    voltage_range: float = 10.0
    voltage_auto: bool = True
    timeout_auto: bool = False

    def reset(self) -> None:
        self.aperture, self.low_filter = 0.1, 20.0
        self.voltage_range, self.voltage_auto = 10.0, True

    @property
    def timeout_s(self) -> float:
        return TIMEOUT_AUTO_S[self.low_filter] if self.timeout_auto else TIMEOUT_OFF_S


def aperture_for_resolution(ppm_of_range: float) -> float:
    """The manual's table: 100 ppm × range -> 10 ms, 10 ppm -> 100 ms, 1 ppm -> 1 s."""
    if ppm_of_range >= 100.0 * (1 - 1e-9):
        return 10e-3
    if ppm_of_range >= 10.0 * (1 - 1e-9):
        return 0.1
    return 1.0


def ppm_for_aperture(aperture: float) -> float:
    """The resolution, in ppm of the range, a gate time gives (1 ms: 1000 ppm [E])."""
    return {1e-3: 1000.0, 10e-3: 100.0, 0.1: 10.0, 1.0: 1.0}[aperture]


def _rising_edges(
    times: npt.NDArray[np.float64], volts: npt.NDArray[np.float64], band: float
) -> npt.NDArray[np.float64]:
    """Times of rising crossings of 0 that come after the signal was below -band and
    reach +band before the next one (a comparator with hysteresis), interpolated."""
    state = np.where(volts > band, 1, np.where(volts < -band, -1, 0))
    armed = np.flatnonzero(state != 0)
    if armed.size < 2:
        return np.empty(0)
    levels = state[armed]
    ups = armed[1:][(levels[1:] == 1) & (levels[:-1] == -1)]
    edges = []
    for high in ups:
        # the zero crossing between the last sample <= 0 and the first above it
        k = high
        while k > 0 and volts[k - 1] > 0:
            k -= 1
        if k == 0:
            continue
        v0, v1 = volts[k - 1], volts[k]
        edges.append(times[k - 1] + (times[k] - times[k - 1]) * (0.0 - v0) / (v1 - v0))
    return np.asarray(edges, dtype=np.float64)


@dataclass(frozen=True)
class Count:
    """One counter reading: the frequency (0 for no signal, OVERLOAD) and its duration."""

    frequency: float
    duration_s: float
    voltage_range: float


def count(sim: BenchModel, settings: CounterSettings, t0: float) -> Count:
    """Observe the load voltage from `t0` as the counter does (module docstring)."""
    window = settings.timeout_s + settings.aperture + 2.0 / FREQUENCY_SPAN[0]
    n = int(min(MAX_SAMPLES, max(1000, window / SAMPLE_STEP_S)))
    times = t0 + np.linspace(0.0, window, n)
    volts = np.asarray(sim.load_voltage(times), dtype=np.float64)
    volts = volts - float(np.mean(volts))  # a.c. coupled
    rms = float(np.sqrt(np.mean(volts**2)))
    rng = settings.voltage_range
    if settings.voltage_auto:
        rng = next((r for r in VOLTAGE_RANGES if rms <= 1.2 * r), VOLTAGE_RANGES[-1])
        while rms < 0.1 * rng and rng != VOLTAGE_RANGES[0]:
            rng = VOLTAGE_RANGES[VOLTAGE_RANGES.index(rng) - 1]
    elif rms > 1.2 * rng:
        return Count(OVERLOAD, settings.aperture, rng)
    edges = _rising_edges(times, volts, HYSTERESIS * rng)
    edges = edges[edges <= t0 + settings.timeout_s + settings.aperture + 1.0 / FREQUENCY_SPAN[0]]
    if edges.size < 2 or edges[0] > t0 + settings.timeout_s:
        return Count(0.0, settings.timeout_s, rng)
    first = edges[0]
    after = np.flatnonzero(edges >= first + settings.aperture)
    last_index = int(after[0]) if after.size else edges.size - 1
    if last_index == 0:
        return Count(0.0, settings.timeout_s, rng)
    span = float(edges[last_index] - first)
    return Count(last_index / span, float(edges[last_index] - t0), rng)
