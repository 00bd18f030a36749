"""Keysight InfiniiVision 1000 X-series scopes (DSOX1204G, DSOX1102G) as :class:`Oscilloscope`.

Channel 1 watches the voltage across the load resistor (the device's current is
``v / R``); the others watch the buzzer test point, the charger input and the battery.

How a waveform comes back. ``:WAVeform:PREamble?`` answers ten numbers::

    format, type, points, count, xincrement, xorigin, xreference,
    yincrement, yorigin, yreference

and ``:WAVeform:DATA?`` an IEEE 488.2 block with an ``#8`` header holding ``points``
unsigned bytes (``:WAV:FORM BYTE``, ``:WAV:UNS 1``). Sample ``i`` is at
``t = (i − xreference)·xincrement + xorigin`` seconds from the trigger and reads
``V = (code − yreference)·yincrement + yorigin`` volts. ``:WAV:POIN:MODE RAW`` asks
for the acquisition record itself, not the screen's decimated copy.

Commands used (InfiniiVision 1000 X-Series Oscilloscopes Programmer's Guide):

==========================================  ======================================
``:CHANnel<n>:PROBe / :COUPling / :SCALe``   probe ratio, coupling, volts per div
``:CHANnel<n>:OFFSet / :DISPlay``            offset, channel on
``:TIMebase:MODE MAIN / :SCALe / :POSition``  horizontal setup (10 divisions)
``:TRIGger:MODE EDGE``, ``:TRIGger:EDGE:``    edge trigger source, level, slope
``SOURce / LEVel / SLOPe``, ``:TRIGger:SWEep``  NORMal or AUTO sweep
``:SINGle``, ``:OPERegister:CONDition?``      arm once; bit 3 (Run) clears when done
``:DIGitize CHANnel<n>,...`` + ``*OPC?``      blocking acquisition
``:WAVeform:SOURce / FORMat / UNSigned``      waveform transfer setup
``:WAVeform:POINts:MODE RAW / :POINts``
``:WAVeform:PREamble?``, ``:WAVeform:DATA?``  scaling and the data block
``:STOP``, ``:SYSTem:ERRor?``, ``*OPC?``      stop, error queue, sync
==========================================  ======================================
"""

from __future__ import annotations

import math

import numpy as np

from harness.instruments.clock import WallClock
from harness.instruments.protocols import Clock, Coupling, Slope, Sweep, Waveform
from harness.instruments.scpi_reply import parse_int, parse_measurements
from harness.instruments.visa import ScpiInstrument, ScpiLink
from harness.reporting.steps import bench_step

HORIZONTAL_DIVISIONS = 10
#: ``:WAV:POIN`` values accepted in RAW points mode.
POINT_CHOICES = (100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
POINT_CHOICES_LARGE = (200_000, 500_000, 1_000_000, 2_000_000)
RUN_BIT = 1 << 3
SECONDS_PER_DIV = (5e-9, 50.0)
VOLTS_PER_DIV_AT_1X = (500e-6, 10.0)
PROBE_RATIOS = (0.001, 10_000.0)
_SLOPE = {"rising": "POS", "falling": "NEG"}
_SWEEP = {"normal": "NORM", "auto": "AUTO"}


class KeysightDSOX1204G(ScpiInstrument):
    """A four-channel InfiniiVision 1000 X scope.

    ``clock`` paces :meth:`wait_acquired`'s polling; on the simulated bench it is the
    simulator's clock, so waiting for a trigger costs virtual, not wall, time.
    """

    channel_count = 4

    def __init__(
        self, link: ScpiLink, *, clock: Clock | None = None, poll_interval_s: float = 0.02
    ) -> None:
        super().__init__(link)
        self.clock: Clock = clock if clock is not None else WallClock()
        self.poll_interval_s = poll_interval_s
        self._seconds_per_div: float | None = None

    @bench_step
    def configure_channel(
        self,
        channel: int,
        volts_per_div: float,
        offset_v: float,
        coupling: Coupling = "DC",
        probe: float = 1.0,
    ) -> None:
        self._check_channel(channel)
        if not PROBE_RATIOS[0] <= probe <= PROBE_RATIOS[1]:
            raise self._reject(f"probe ratio {probe} outside {PROBE_RATIOS}")
        low, high = (limit * probe for limit in VOLTS_PER_DIV_AT_1X)
        if not low <= volts_per_div <= high:
            raise self._reject(f"{volts_per_div} V/div outside {low:g}..{high:g} at probe {probe}")
        if coupling not in ("DC", "AC"):
            raise self._reject(f"coupling {coupling!r} is not 'DC' or 'AC'")
        if not math.isfinite(offset_v):
            raise self._reject(f"offset {offset_v} V is not a number")
        prefix = f":CHAN{channel}"
        for command in (
            f"{prefix}:PROB {probe:g}",
            f"{prefix}:COUP {coupling}",
            f"{prefix}:SCAL {volts_per_div:g}",
            f"{prefix}:OFFS {offset_v:g}",
            f"{prefix}:DISP 1",
        ):
            self.link.write(command)
        self.link.sync()

    @bench_step
    def configure_timebase(self, seconds_per_div: float, position_s: float = 0.0) -> None:
        if not SECONDS_PER_DIV[0] <= seconds_per_div <= SECONDS_PER_DIV[1]:
            raise self._reject(f"{seconds_per_div} s/div outside {SECONDS_PER_DIV}")
        if not math.isfinite(position_s):
            raise self._reject(f"timebase position {position_s} s is not a number")
        self.link.write(":TIM:MODE MAIN")
        self.link.write(f":TIM:SCAL {seconds_per_div:g}")
        self.link.write(f":TIM:POS {position_s:g}")
        self.link.sync()
        self._seconds_per_div = seconds_per_div

    @bench_step
    def configure_edge_trigger(
        self, channel: int, level_v: float, slope: Slope = "rising", sweep: Sweep = "normal"
    ) -> None:
        self._check_channel(channel)
        if slope not in _SLOPE or sweep not in _SWEEP:
            raise self._reject(f"slope {slope!r} / sweep {sweep!r} not understood")
        if not math.isfinite(level_v):
            raise self._reject(f"trigger level {level_v} V is not a number")
        for command in (
            ":TRIG:MODE EDGE",
            f":TRIG:EDGE:SOUR CHAN{channel}",
            f":TRIG:EDGE:LEV {level_v:g}",
            f":TRIG:EDGE:SLOP {_SLOPE[slope]}",
            f":TRIG:SWE {_SWEEP[sweep]}",
        ):
            self.link.write(command)
        self.link.sync()

    @bench_step
    def configure_record(self, points: int) -> None:
        """RAW points mode with ``points`` samples: in RAW mode the InfiniiVision sizes
        the next :DIGitize/:SINGle record by :WAVeform:POINts, so set it before acquiring."""
        allowed = POINT_CHOICES + POINT_CHOICES_LARGE
        if points not in allowed:
            raise self._reject(f"{points} points not one of {allowed}")
        self.link.write(":WAV:POIN:MODE RAW")
        self.link.write(f":WAV:POIN {points}")
        self.link.sync()

    @bench_step
    def arm_single(self) -> None:
        self.link.write(":SING")

    @bench_step
    def wait_acquired(self, timeout_s: float) -> None:
        """Poll the Run bit of the Operation Status Condition register until it clears."""
        deadline = self.clock.now() + timeout_s
        while True:
            condition = parse_int(self.link.query(":OPER:COND?"), instrument=self.name)
            if not condition & RUN_BIT:
                return
            if self.clock.now() >= deadline:
                raise self._reject(f"no complete acquisition within {timeout_s} s")
            self.clock.sleep(self.poll_interval_s)

    @bench_step
    def digitize(self, channels: tuple[int, ...]) -> None:
        if not channels:
            raise self._reject("digitize needs at least one channel")
        for channel in channels:
            self._check_channel(channel)
        sources = ",".join(f"CHAN{channel}" for channel in channels)
        self.link.write(f":DIG {sources}")
        self.link.sync(timeout_s=10.0 + 2.0 * self._record_s_or_zero())

    @bench_step
    def read_waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Transfer ``points`` samples of the acquisition record (``None``: all of it)."""
        self._check_channel(channel)
        allowed = POINT_CHOICES + POINT_CHOICES_LARGE
        if points is not None and points not in allowed:
            raise self._reject(f"{points} points not one of {allowed}")
        for command in (
            f":WAV:SOUR CHAN{channel}",
            ":WAV:FORM BYTE",
            ":WAV:UNS 1",
            ":WAV:POIN:MODE RAW",
            f":WAV:POIN {points if points is not None else allowed[-1]}",
        ):
            self.link.write(command)
        preamble = self.link.query(":WAV:PRE?")
        payload = self.link.query_block(":WAV:DATA?", timeout_s=30.0)
        return self._decode(channel, preamble, payload)

    @property
    def record_duration_s(self) -> float:
        return HORIZONTAL_DIVISIONS * self._require_timebase()

    @bench_step
    def safe_state(self) -> None:
        """Stop acquiring; a scope drives nothing, so this is all there is."""
        self.link.write(":STOP")
        self.link.sync()

    def _decode(self, channel: int, preamble: str, payload: bytes) -> Waveform:
        fields = parse_measurements(preamble, instrument=self.name, quantity="preamble field")
        if len(fields) != 10:
            raise self._reject(f"preamble has {len(fields)} fields, expected 10: {preamble!r}")
        fmt, _type, points, _count, xinc, xorig, xref, yinc, yorig, yref = fields
        if fmt != 0:
            raise self._reject(f"waveform format {fmt:g} is not BYTE (0): {preamble!r}")
        if points != len(payload):
            raise self._reject(f"preamble promises {points:g} points, block has {len(payload)}")
        if not xinc > 0:
            raise self._reject(f"preamble x increment {xinc:g} s is not positive: {preamble!r}")
        codes = np.frombuffer(payload, dtype=np.uint8).copy()
        volts = (codes.astype(np.float64) - yref) * yinc + yorig
        return Waveform(
            channel=channel,
            t0=xorig - xref * xinc,
            dt=xinc,
            volts=volts,
            codes=codes,
            preamble=preamble.strip(),
        )

    def _record_s_or_zero(self) -> float:
        spd = self._seconds_per_div
        return 0.0 if spd is None else HORIZONTAL_DIVISIONS * spd

    def _require_timebase(self) -> float:
        if self._seconds_per_div is None:
            raise self._reject("record duration unknown: configure_timebase() not called")
        return self._seconds_per_div

    def _check_channel(self, channel: int) -> None:
        if not 1 <= channel <= self.channel_count:
            raise self._reject(f"channel {channel} outside 1..{self.channel_count}")


class KeysightDSOX1102G(KeysightDSOX1204G):
    """The two-channel sibling: same commands, channels 1–2."""

    channel_count = 2
