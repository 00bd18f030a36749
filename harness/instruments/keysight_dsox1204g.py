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

from dataclasses import replace

import numpy as np

from harness.events.steps import bench_step, event_log_only
from harness.instruments.clock import WallClock
from harness.instruments.protocols import Clock, Coupling, Slope, Sweep, Waveform
from harness.instruments.scope_settings import ScopeLimits
from harness.instruments.scpi_reply import parse_int
from harness.instruments.visa import ScpiInstrument, ScpiLink
from harness.instruments.waveform_preamble import parse_preamble

HORIZONTAL_DIVISIONS = 10
#: ``:WAV:POIN`` values accepted in RAW points mode.
POINT_CHOICES = (100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
POINT_CHOICES_LARGE = (200_000, 500_000, 1_000_000, 2_000_000)
RUN_BIT = 1 << 3
SECONDS_PER_DIV = (5e-9, 50.0)
VOLTS_PER_DIV_AT_1X = (500e-6, 10.0)
PROBE_RATIOS = (0.001, 10_000.0)
LIMITS = ScopeLimits(
    channel_count=4,
    horizontal_divisions=HORIZONTAL_DIVISIONS,
    seconds_per_div=SECONDS_PER_DIV,
    volts_per_div_at_1x=VOLTS_PER_DIV_AT_1X,
    probe_range=PROBE_RATIOS,
)
_SLOPE = {"rising": "POS", "falling": "NEG"}
_SWEEP = {"normal": "NORM", "auto": "AUTO"}


class KeysightDSOX1204G(ScpiInstrument):
    """A four-channel InfiniiVision 1000 X scope.

    ``clock`` paces :meth:`wait_acquired`'s polling; on the simulated bench it is the
    simulator's clock, so waiting for a trigger costs virtual, not wall, time.
    """

    limits = LIMITS

    def __init__(
        self, link: ScpiLink, *, clock: Clock | None = None, poll_interval_s: float = 0.02
    ) -> None:
        super().__init__(link)
        self.clock: Clock = clock if clock is not None else WallClock()
        self.poll_interval_s = poll_interval_s
        self._seconds_per_div: float | None = None
        self._position_s = 0.0
        self._armed_at: float | None = None

    @bench_step
    def configure_channel(
        self,
        channel: int,
        volts_per_div: float,
        offset_v: float,
        coupling: Coupling = "DC",
        probe: float = 1.0,
    ) -> None:
        self.limits.check_channel_setup(
            channel, volts_per_div, offset_v, coupling, probe, instrument=self.name
        )
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
        self.limits.check_timebase(seconds_per_div, position_s, instrument=self.name)
        self.link.write(":TIM:MODE MAIN")
        self.link.write(":TIM:REF CENT")  # the trigger at the screen's centre, as assumed
        self.link.write(f":TIM:SCAL {seconds_per_div:g}")
        self.link.write(f":TIM:POS {position_s:g}")
        self.link.sync()
        self._seconds_per_div = seconds_per_div
        self._position_s = position_s

    @bench_step
    def configure_edge_trigger(
        self, channel: int, level_v: float, slope: Slope = "rising", sweep: Sweep = "normal"
    ) -> None:
        self.limits.check_edge_trigger(channel, level_v, slope, sweep, instrument=self.name)
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
        self._check_points(points)
        self.link.write(":WAV:POIN:MODE RAW")
        self.link.write(f":WAV:POIN {points}")
        self.link.sync()

    @bench_step
    def arm_single(self) -> None:
        """Arm one acquisition; return once the scope has taken the command.

        The event the scope is to catch is caused next, through another instrument on
        another connection. ``:SINGle`` sends no reply, so one ``:OPER:COND?`` follows:
        its answer proves ``:SINGle`` was executed before anything else happens on the
        bench (whatever the Run bit says: a fast trigger may already have completed).
        """
        self.link.write(":SING")
        self._acquiring()
        self._armed_at = self.clock.now()

    def _acquiring(self) -> bool:
        """The Run bit of the Operation Status Condition register (``:OPER:COND?``)."""
        return bool(parse_int(self.link.query(":OPER:COND?"), instrument=self.name) & RUN_BIT)

    def _post_trigger_s(self) -> float:
        """Signal the record holds after its trigger: the centre reference puts the trigger
        five divisions from the left edge, shifted right by the position."""
        if self._seconds_per_div is None:
            return 0.0
        return max(0.0, 5.0 * self._seconds_per_div + self._position_s)

    @bench_step
    def wait_acquired(self, timeout_s: float) -> None:
        """Poll the Run bit of the Operation Status Condition register until it clears.

        No acquisition completes sooner than its post-trigger part after the arming, so
        the polls start then: a one-second record costs a handful of polls, not fifty
        (each poll is three exchanges with the scope and the clock).
        """
        with event_log_only():  # the polls: evidence, not report steps
            now = self.clock.now()
            deadline = now + timeout_s
            if self._armed_at is not None:
                ahead = self._armed_at + self._post_trigger_s() - now
                self._armed_at = None
                if ahead > 0.0:
                    self.clock.sleep(min(timeout_s, ahead))
            while self._acquiring():
                if self.clock.now() >= deadline:
                    raise self._reject(f"no complete acquisition within {timeout_s} s")
                self.clock.sleep(self.poll_interval_s)

    @bench_step
    def digitize(self, channels: tuple[int, ...]) -> None:
        self.limits.check_digitize(channels, instrument=self.name)
        sources = ",".join(f"CHAN{channel}" for channel in channels)
        self.link.write(f":DIG {sources}")
        self.link.sync(timeout_s=10.0 + 2.0 * self._record_s_or_zero())

    @bench_step
    def read_waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Transfer ``points`` samples of the acquisition record (``None``: all of it)."""
        self.limits.check_channel(channel, instrument=self.name)
        if points is not None:
            self._check_points(points)
        for command in (
            f":WAV:SOUR CHAN{channel}",
            ":WAV:FORM BYTE",
            ":WAV:UNS 1",
            ":WAV:POIN:MODE RAW",
            f":WAV:POIN {points if points is not None else POINT_CHOICES_LARGE[-1]}",
        ):
            self.link.write(command)
        preamble = self.link.query(":WAV:PRE?")
        payload = self.link.query_block(":WAV:DATA?", timeout_s=30.0)
        return self._decode(channel, preamble, payload)

    @property
    def record_duration_s(self) -> float:
        return self.limits.record_duration_s(self._seconds_per_div, instrument=self.name)

    @bench_step
    def safe_state(self) -> None:
        """Stop acquiring; a scope drives nothing, so this is all there is."""
        self.link.write(":STOP")
        self.link.sync()

    def _decode(self, channel: int, preamble: str, payload: bytes) -> Waveform:
        fields = parse_preamble(preamble, instrument=self.name)
        if fields.points != len(payload):
            raise self._reject(
                f"preamble promises {fields.points:g} points, block has {len(payload)}"
            )
        codes = np.frombuffer(payload, dtype=np.uint8).copy()
        volts = (codes.astype(np.float64) - fields.yreference) * fields.yincrement + fields.yorigin
        return Waveform(
            channel=channel,
            t0=fields.t0,
            dt=fields.xincrement,
            volts=volts,
            codes=codes,
            preamble=fields.text,
        )

    def _record_s_or_zero(self) -> float:
        spd = self._seconds_per_div
        return 0.0 if spd is None else self.limits.horizontal_divisions * spd

    def _check_points(self, points: int) -> None:
        """RAW mode takes only the listed point counts."""
        allowed = POINT_CHOICES + POINT_CHOICES_LARGE
        if points not in allowed:
            raise self._reject(f"{points} points not one of {allowed}")


class KeysightDSOX1102G(KeysightDSOX1204G):
    """The two-channel sibling: same commands, channels 1–2."""

    limits = replace(LIMITS, channel_count=2)
