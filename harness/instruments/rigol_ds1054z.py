"""Rigol DS1054Z (DS1000Z series) as the bench's :class:`Oscilloscope`.

The same role as the Keysight InfiniiVision with three differences that matter:

* **Scaling.** ``:WAVeform:PREamble?`` has the same ten fields (format, type, points,
  count, xincrement, xorigin, xreference, yincrement, yorigin, yreference) but YORigin
  is in ADC counts, so ``V = (code − yorigin − yreference)·yincrement``; sample ``i`` is
  at ``t = (i − xreference)·xincrement + xorigin``.
* **Chunked reads.** ``:WAVeform:DATA?`` answers a ``#9`` block of at most 250 000
  BYTE points; a deeper record is read in slices chosen with ``:WAVeform:STARt`` and
  ``:WAVeform:STOP`` (1-based, inclusive), and RAW mode needs the scope stopped.
* **No :DIGitize.** A blocking acquisition is ``:SINGle`` and polling
  ``:TRIGger:STATus?`` until it answers ``STOP``.

The screen has 12 horizontal divisions.

Commands used (RIGOL MSO1000Z/DS1000Z Series Programming Guide):

=======================================  ========================================
``:CHANnel<n>:PROBe / :COUPling``         probe ratio (fixed set), coupling
``:CHANnel<n>:SCALe / :OFFSet / :DISPlay``  volts per div, offset, channel on
``:CHANnel<n>:DISPlay?``                   channels on, which set the depths
``:RUN``, ``:ACQuire:MDEPth``              memory depth (a fixed set per channels on)
``:TIMebase:MODE MAIN``,                   horizontal setup
``:TIMebase:MAIN:SCALe / :OFFSet``
``:TRIGger:MODE EDGE``, ``:TRIGger:EDGe:``  edge trigger source, slope, level
``SOURce / SLOPe / LEVel``, ``:TRIGger:SWEep``  NORMal or AUTO sweep
``:SINGle``, ``:TRIGger:STATus?``          arm once; ``STOP`` when complete
``:WAVeform:SOURce / MODE RAW / FORMat``   transfer setup
``:WAVeform:STARt / :STOP``                slice of the record to transfer
``:WAVeform:PREamble?``, ``:WAVeform:DATA?``  scaling and data block
``:STOP``, ``:SYSTem:ERRor?``, ``*OPC?``   stop, error queue, sync
=======================================  ========================================
"""

from __future__ import annotations

import numpy as np

from harness.events.steps import bench_step, event_log_only
from harness.instruments.clock import WallClock
from harness.instruments.protocols import Clock, Coupling, Slope, Sweep, Waveform
from harness.instruments.scope_settings import ScopeLimits
from harness.instruments.visa import ScpiInstrument, ScpiLink
from harness.instruments.waveform_preamble import Preamble, parse_preamble

HORIZONTAL_DIVISIONS = 12
CHANNEL_COUNT = 4
#: Most BYTE points one ``:WAV:DATA?`` may return.
MAX_POINTS_PER_READ = 250_000
PROBE_RATIOS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
VOLTS_PER_DIV_AT_1X = (1e-3, 10.0)
SECONDS_PER_DIV = (5e-9, 50.0)
LIMITS = ScopeLimits(
    channel_count=CHANNEL_COUNT,
    horizontal_divisions=HORIZONTAL_DIVISIONS,
    seconds_per_div=SECONDS_PER_DIV,
    volts_per_div_at_1x=VOLTS_PER_DIV_AT_1X,
    probe_choices=PROBE_RATIOS,
)
#: ``:ACQuire:MDEPth`` values with one channel on; two channels on halve each, three
#: or four quarter each (MSO1000Z/DS1000Z Programming Guide, :ACQuire:MDEPth).
ONE_CHANNEL_DEPTHS = (12_000, 120_000, 1_200_000, 12_000_000, 24_000_000)
_SLOPE = {"rising": "POS", "falling": "NEG"}


def memory_depths(channels_on: int) -> tuple[int, ...]:
    """The depths the guide allows with ``channels_on`` channels switched on.

    With none on the scope still acquires the way it does with one (the smallest
    divisor), so zero counts as one rather than being refused here.
    """
    divisor = 1 if channels_on <= 1 else 2 if channels_on == 2 else 4
    return tuple(depth // divisor for depth in ONE_CHANNEL_DEPTHS)


_SWEEP = {"normal": "NORM", "auto": "AUTO"}


class RigolDS1054Z(ScpiInstrument):
    """A DS1054Z; ``clock`` paces the polling in :meth:`wait_acquired`."""

    error_query = ":SYST:ERR?"
    limits = LIMITS

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
        self.limits.check_channel_setup(
            channel, volts_per_div, offset_v, coupling, probe, instrument=self.name
        )
        prefix = f":CHAN{channel}"
        for command in (
            f"{prefix}:PROB {probe:g}",
            f"{prefix}:COUP {coupling}",
            f"{prefix}:SCAL {volts_per_div:g}",
            f"{prefix}:OFFS {offset_v:g}",
            f"{prefix}:DISP ON",
        ):
            self.link.write(command)
        self.link.sync()

    @bench_step
    def configure_timebase(self, seconds_per_div: float, position_s: float = 0.0) -> None:
        # The DS1000Z calls the horizontal position the timebase offset (:TIM:MAIN:OFFS).
        self.limits.check_timebase(
            seconds_per_div, position_s, instrument=self.name, position_name="offset"
        )
        self.link.write(":TIM:MODE MAIN")
        self.link.write(f":TIM:MAIN:SCAL {seconds_per_div:g}")
        self.link.write(f":TIM:MAIN:OFFS {position_s:g}")
        self.link.sync()
        self._seconds_per_div = seconds_per_div

    @bench_step
    def configure_edge_trigger(
        self, channel: int, level_v: float, slope: Slope = "rising", sweep: Sweep = "normal"
    ) -> None:
        self.limits.check_edge_trigger(channel, level_v, slope, sweep, instrument=self.name)
        for command in (
            ":TRIG:MODE EDGE",
            f":TRIG:EDG:SOUR CHAN{channel}",
            f":TRIG:EDG:SLOP {_SLOPE[slope]}",
            f":TRIG:EDG:LEV {level_v:g}",
            f":TRIG:SWE {_SWEEP[sweep]}",
        ):
            self.link.write(command)
        self.link.sync()

    @bench_step
    def configure_record(self, points: int) -> None:
        """Memory depth (``:ACQuire:MDEPth``) of at least ``points`` per channel.

        The DS1000Z offers fixed depths that depend on how many channels are switched
        on (the channels share the acquisition memory): the guide lists 12k, 120k,
        1.2M, 12M and 24M points for one channel, half of each for two, a quarter for
        three or four; any other number is refused (-224). A channel a previous
        capture left on counts as much as one set up now, so the driver asks the scope
        (``:CHANnel<n>:DISPlay?``) instead of assuming one channel, and takes the
        smallest allowed depth that holds ``points``. Set it while running.
        """
        if points < 1:
            raise self._reject(f"points must be positive, got {points}")
        if points > ONE_CHANNEL_DEPTHS[-1]:  # too deep whatever is on: ask nothing
            raise self._reject(
                f"{points} points exceed the deepest memory {ONE_CHANNEL_DEPTHS[-1]}"
            )
        channels_on = sum(
            self._display_on(channel) for channel in range(1, self.limits.channel_count + 1)
        )
        depths = memory_depths(channels_on)
        depth = next((d for d in depths if d >= points), None)
        if depth is None:
            raise self._reject(
                f"{points} points exceed the deepest memory {depths[-1]}"
                f" with {channels_on} channels on"
            )
        self.link.write(":RUN")
        self.link.write(f":ACQ:MDEP {depth}")
        self.link.sync()

    def _display_on(self, channel: int) -> bool:
        """``:CHAN<n>:DISP?``: the guide's answer is 1 or 0; anything else is an error."""
        answer = self.link.query(f":CHAN{channel}:DISP?").strip()
        if answer not in ("0", "1"):
            raise self._reject(f":CHAN{channel}:DISP? answered {answer!r}")
        return answer == "1"

    @bench_step
    def arm_single(self) -> None:
        """Arm one acquisition; return once the scope has taken the command.

        ``:SINGle`` sends no reply, so one ``:TRIG:STAT?`` follows: its answer proves
        the scope executed ``:SINGle`` before the event is caused through another
        instrument on another connection.
        """
        self.link.write(":SING")
        self._trigger_status()

    @bench_step
    def wait_acquired(self, timeout_s: float) -> None:
        """Poll ``:TRIG:STAT?`` (TD, WAIT, RUN, AUTO or STOP) until ``STOP``."""
        with event_log_only():  # the polls: evidence, not report steps
            deadline = self.clock.now() + timeout_s
            while self._trigger_status() != "STOP":
                if self.clock.now() >= deadline:
                    raise self._reject(f"no complete acquisition within {timeout_s} s")
                self.clock.sleep(self.poll_interval_s)

    def _trigger_status(self) -> str:
        """``:TRIG:STAT?``: TD, WAIT, RUN, AUTO or STOP; anything else is an error."""
        status = self.link.query(":TRIG:STAT?").strip().upper()
        if status not in ("TD", "WAIT", "RUN", "AUTO", "STOP"):
            raise self._reject(f":TRIG:STAT? answered {status!r}")
        return status

    @bench_step
    def digitize(self, channels: tuple[int, ...]) -> None:
        """One single-shot acquisition of every displayed channel, waited for."""
        self.limits.check_digitize(channels, instrument=self.name)
        self.arm_single()
        self.wait_acquired(10.0 + 2.0 * self.record_duration_s)

    @bench_step
    def read_waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Transfer the record in 250k-point slices; with ``points``, every k-th sample.

        The memory depth is one of a few fixed values (:meth:`configure_record` takes the
        smallest that holds ``points``) and spans the whole screen, so the record is
        deeper than asked. As the InfiniiVision's ``:WAV:POIN`` does, ``points`` keeps
        the whole time span at a coarser, still uniform interval: every ``k``-th sample,
        ``k`` the largest step leaving at least ``points``. Keeping only the start (as
        this driver did) cut a 2.2 s capture to its first 0.44 s.
        """
        self.limits.check_channel(channel, instrument=self.name)
        if points is not None and points < 1:
            raise self._reject(f"points must be positive, got {points}")
        self.link.write(f":WAV:SOUR CHAN{channel}")
        self.link.write(":WAV:MODE RAW")
        self.link.write(":WAV:FORM BYTE")
        preamble = self.link.query(":WAV:PRE?")
        fields = self._preamble_fields(preamble)
        total = int(fields.points)
        step = 1 if points is None else max(1, total // points)
        chunks: list[bytes] = []
        for start in range(1, total + 1, MAX_POINTS_PER_READ):
            stop = min(start + MAX_POINTS_PER_READ - 1, total)
            self.link.write(f":WAV:STAR {start}")
            self.link.write(f":WAV:STOP {stop}")
            chunk = self.link.query_block(":WAV:DATA?", timeout_s=30.0)
            if len(chunk) != stop - start + 1:
                raise self._reject(
                    f"asked for points {start}..{stop}, block has {len(chunk)} bytes"
                )
            chunks.append(chunk)
        codes = np.frombuffer(b"".join(chunks), dtype=np.uint8)[::step].copy()
        # YORigin is in ADC counts here, not volts (see the module text).
        volts = (codes.astype(np.float64) - fields.yorigin - fields.yreference) * fields.yincrement
        return Waveform(
            channel=channel,
            t0=fields.t0,
            dt=fields.xincrement * step,
            volts=volts,
            codes=codes,
            preamble=fields.text,
        )

    @property
    def record_duration_s(self) -> float:
        return self.limits.record_duration_s(self._seconds_per_div, instrument=self.name)

    @bench_step
    def safe_state(self) -> None:
        self.link.write(":STOP")
        self.link.sync()

    def _preamble_fields(self, preamble: str) -> Preamble:
        """The preamble, whose point count must be whole: it sizes the slices read."""
        fields = parse_preamble(preamble, instrument=self.name)
        if fields.points < 1 or fields.points != int(fields.points):
            raise self._reject(f"preamble announces no whole number of points: {preamble!r}")
        return fields
