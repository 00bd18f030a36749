"""The simulated bench: one RMD-1, its load network and its two supplies, in virtual time.

This is the single physical model that every simulated instrument and the simulated test
port look at, so that they agree with each other the way real instruments wired to one
real unit do: the DMM in series sees the same current the scope sees as a voltage across
the load resistor, the supply sees the unit's power draw drop when it switches itself
off, and the buzzer test point beeps when the firmware's log says it did.

How it runs. Nothing happens between calls. Each input (`set_load`, `set_supply`,
`set_ammeter_burden`, a button press on `device`) acts at `clock.now()`. Before acting,
and before any observation, the model *catches up*: it fires every firmware timer that
fell due since the last call, at its exact virtual time, recording a new segment of the
output history at each. Observations are then closed-form over the segments, vectorised
over a numpy array of times. Times in the future (a DMM asking for the mean over the
aperture it is about to integrate) are answered by projecting a copy of the firmware
forward with today's inputs; the real state only moves when the clock does.

The current path (docs/domain.md, section 4 "The reference bench"): sphere A -> ammeter
(burden) -> load -> sphere B. `load_bank` maps each 34980A switch channel to the
resistor's *actual* value.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt

from harness.sim import physics
from harness.sim.clock import VirtualClock
from harness.sim.device import SimDevice
from harness.sim.faults import Fault, FaultProfile
from harness.sim.firmware import Firmware
from harness.sim.firmware_rmd2 import Rmd2Firmware
from harness.sim.physics import IDLE, FloatArray, OutputStage, Segment, Spike
from harness.sim.rmd2 import Rmd2Device
from harness.sim.room import Room
from harness.sim.timeline import IntervalSet, SegmentHistory, StepHistory
from harness.sim.unit_spread import UnitSpread, draw_unit, fault_names

LOAD_BANK_OHMS: dict[int, float] = {1001: 499.8, 1002: 2001.5, 1003: 9994.0, 1004: 100_020.0}
"""Actual resistances behind the switch channels (nominal 500, 2k, 10k, 100k ohms)."""
SUPPLY_CHANNELS = (1, 2, 3)
BATTERY_CHANNEL, CHARGER_CHANNEL = 1, 2
BUZZER_HIGH_V = 3.3


@dataclass(frozen=True)
class SupplyOutput:
    """One supply channel's programmed output."""

    volts: float = 0.0
    current_limit: float = 0.0
    on: bool = False

    @property
    def present_v(self) -> float:
        return self.volts if self.on else 0.0


class SimBench:
    """The physical model of one simulated bench (see the module docstring)."""

    def __init__(
        self,
        seed: int = 0,
        faults: Iterable[Fault | str] = (),
        serial: str = "RMD1-SIM-0001",
        *,
        history_s: float = 120.0,
        clock: VirtualClock | None = None,
        fault_source: str = "faults",
        unit_spread: bool = False,
        model: str = "RMD-1",
        button_channels: dict[int, str] | None = None,
    ) -> None:
        """`model` is the unit on the bench (RMD-1, or RMD-2: no test port, buttons only);
        `button_channels` maps the switch channels wired across an RMD-2's button
        contacts to the button's name (`relays_changed`)."""
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.lock = threading.RLock()
        self.clock = clock if clock is not None else VirtualClock()
        self.seed = seed
        self.room = Room(seed, self.clock)
        """The air around the bench, read by its environment sensor (``sim.room``)."""
        faults = list(faults)
        self.model = model
        self.button_channels = dict(button_channels or {})
        self._closed: dict[str, set[int]] = {}  # closed relays, by relay instrument
        if model == "RMD-2":
            self._build_rmd2(faults, fault_source, serial)
        else:
            self._build_rmd1(faults, fault_source, serial, unit_spread)
        self.load_bank = dict(LOAD_BANK_OHMS)
        self._load: float | None = None
        self._burden = 0.0
        self._spike: Spike | None = None
        self._supplies = {ch: SupplyOutput() for ch in SUPPLY_CHANNELS}
        self._supply_history = {ch: StepHistory(0.0) for ch in SUPPLY_CHANNELS}
        start = Segment(self.clock.now(), IDLE, None, 0.0)
        self._history = SegmentHistory(start, history_s)
        self._rngs: dict[str, np.random.Generator] = {}

    device: SimDevice
    """The RMD-1's buttons and self-report, as its test port reaches them (RMD-1 only)."""
    unit: Rmd2Device | None = None
    """The RMD-2's buttons (RMD-2 only): it has no test port."""
    _firmware: Firmware | Rmd2Firmware

    def _build_rmd2(self, faults: list[Fault | str], source: str, serial: str) -> None:
        from harness.sim.rmd2 import build_rmd2

        self.faults = FaultProfile()  # the RMD-1's knobs; the RMD-2's are unit_faults
        self.unit_spread: UnitSpread | None = None
        self.unit_faults, self.stage, self._firmware, self.unit = build_rmd2(
            self, self.clock, faults, source, serial
        )
        self.serial = serial

    def _build_rmd1(
        self, faults: list[Fault | str], fault_source: str, serial: str, unit_spread: bool
    ) -> None:
        self.serial = serial
        self.faults = FaultProfile.from_faults(faults, source=fault_source)
        # unit_spread: this serial's drawn analog properties; explicit faults win
        self.unit_spread = draw_unit(serial, self.seed) if unit_spread else None
        if self.unit_spread is not None:
            self.faults = self.unit_spread.apply(self.faults, fault_names(faults, fault_source))
        self.stage = OutputStage(
            compliance_v=self.faults.compliance_v,
            negative_phase_factor=(1.0 - physics.NOMINAL_PHASE_MISMATCH)
            * (1.0 - self.faults.phase_asymmetry),
            stuck_polarity=self.faults.stuck_polarity,
            leak_a=self.faults.leak_ua * 1e-6,
            edge_tau_s=self.faults.slew_us * 1e-6,
            biphasic_gap_s=None
            if self.faults.biphasic_gap_ms is None
            else self.faults.biphasic_gap_ms * 1e-3,
        )
        firmware = Firmware(self.faults)
        self._firmware = firmware
        self.device = SimDevice(self, firmware, self.clock, serial)

    # --- inputs ----------------------------------------------------------------------

    def set_load(self, ohms: float | None) -> None:
        """Connect a load of `ohms` between the spheres, or open the circuit (None)."""
        if ohms is not None and not (math.isfinite(ohms) and ohms > 0.0):
            raise ValueError(f"load must be a positive resistance or None, got {ohms!r}")
        with self.lock:
            self.catch_up()
            t = self.clock.now()
            if ohms != self._load:
                last = self._history.last
                self._spike = physics.contact_spike(self.stage, last, ohms, self._burden, t)
                self._load = ohms
            self._apply(t)

    def set_ammeter_burden(self, ohms: float) -> None:
        """The series ammeter's burden resistance for its present range."""
        if not (math.isfinite(ohms) and ohms >= 0.0):
            raise ValueError(f"burden must be a resistance >= 0, got {ohms!r}")
        with self.lock:
            self.catch_up()
            self._burden = float(ohms)
            self._apply(self.clock.now())

    def set_supply(self, channel: int, volts: float, current_limit: float, on: bool) -> None:
        """Program a supply channel: CH1 is the battery, CH2 the charger input."""
        self._check_channel(channel)
        if not (math.isfinite(volts) and volts >= 0.0):
            raise ValueError(f"supply volts must be >= 0, got {volts!r}")
        if not (math.isfinite(current_limit) and current_limit >= 0.0):
            raise ValueError(f"current limit must be >= 0, got {current_limit!r}")
        with self.lock:
            self.catch_up()
            t = self.clock.now()
            setting = SupplyOutput(float(volts), float(current_limit), bool(on))
            self._supplies[channel] = setting
            self._supply_history[channel].set(t, setting.present_v)
            self._apply(t)

    def relays_changed(self, closed: Iterable[int], source: str = "switch") -> None:
        """A relay instrument's closed channels now (`source`: the 34980A, or the serial
        relay board): those wired across a button's contacts press it (down when closed,
        released when opened). Each instrument reports only its own relays, so the
        contacts closed are the union over the instruments."""
        with self.lock:
            before: set[int] = set().union(*self._closed.values())
            self._closed[source] = set(closed)
            after: set[int] = set().union(*self._closed.values())
            for channel, button in sorted(self.button_channels.items()):
                was, now = channel in before, channel in after
                if was != now and self.unit is not None:
                    self.unit.button(button, now)

    def press_button(self, button: str, hold_s: float) -> None:
        """A finger on an RMD-2 button for `hold_s` (the simulated operator's hands)."""
        if self.unit is None:
            raise ValueError(f"the simulated {self.model} has no buttons to press by hand")
        with self.lock:
            self.unit.button(button, True)
            self.advance(hold_s)
            self.unit.button(button, False)

    @property
    def load_ohms(self) -> float | None:
        return self._load

    @property
    def burden_ohms(self) -> float:
        return self._burden

    def supply(self, channel: int) -> SupplyOutput:
        self._check_channel(channel)
        return self._supplies[channel]

    # --- time ------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Fire every firmware timer due by now, each at its own exact time."""
        with self.lock:
            now = self.clock.now()
            while (due := self._firmware.next_deadline()) is not None and due[0] <= now:
                self._firmware.fire(*due)
                self._record(due[0])
            self._prune(now)

    def commit(self) -> None:
        """Record the firmware's new drive at the present time (after a button press)."""
        with self.lock:
            self._record(self.clock.now())

    def advance_to(self, t: float) -> None:
        """Move the clock to virtual time t (not backwards) and catch up."""
        with self.lock:
            self.advance(t - self.clock.now())

    def advance(self, dt: float) -> None:
        """Move the clock by dt seconds and catch up."""
        with self.lock:
            self.clock.advance(dt)
            self.catch_up()

    @property
    def history_start(self) -> float:
        """The oldest virtual time still observable: `history_s` before now."""
        return self.clock.now() - self._history.retention_s

    # --- observations ----------------------------------------------------------------

    def load_current(self, t: npt.ArrayLike) -> FloatArray:
        """Current through the load (A, sphere A -> B positive) at each time in t."""
        with self.lock:
            times = self._times(t)
            history, _ = self._view(times)
            return history.evaluate(partial(physics.current, self.stage, ascending=True), times)

    def load_voltage(self, t: npt.ArrayLike) -> FloatArray:
        """Voltage across the load resistor (the open-circuit voltage when open)."""
        with self.lock:
            times = self._times(t)
            history, _ = self._view(times)
            return history.evaluate(partial(physics.voltage, self.stage, ascending=True), times)

    def buzzer_voltage(self, t: npt.ArrayLike) -> FloatArray:
        """The buzzer-enable test point: 3.3 V while a beep sounds, else 0 V."""
        with self.lock:
            times = self._times(t)
            _, buzzer = self._view(times)
            return buzzer.level(times, BUZZER_HIGH_V)

    def supply_voltage(self, channel: int, t: npt.ArrayLike) -> FloatArray:
        """A supply channel's output voltage (0 while off) at each time in t."""
        self._check_channel(channel)
        with self.lock:
            times = self._times(t)
            self._view(times)
            return self._supply_history[channel].at(times)

    def mean_current(self, t0: float, t1: float) -> float:
        """Exact average load current over [t0, t1] (what a DMM aperture integrates)."""
        if not (math.isfinite(t0) and math.isfinite(t1)) or t1 < t0:
            raise ValueError(f"need finite t0 <= t1, got {t0!r}, {t1!r}")
        with self.lock:
            if t1 == t0:
                return float(self.load_current(np.array([t0]))[0])
            history, _ = self._view(self._times([t0, t1]))
            fn = partial(physics.current, self.stage)
            kinks = partial(physics.breakpoints, self.stage)
            return history.integrate(fn, kinks, t0, t1) / (t1 - t0)

    def mean_currents(self, windows: Sequence[tuple[float, float]]) -> list[float]:
        """`mean_current` over each window, the same numbers, from one integration.

        A DMM burst asks for a few short apertures back to back (most of a compliance
        run's readings). Asked one at a time, each catches up, projects the firmware
        past the present and finds the waveform's kinks anew; here the bench projects
        once to the last window's end (inputs do not change within a burst: the DMM
        holds the bench while it reads) and `SegmentHistory.integrate_windows` adds up
        each window as `integrate` would.
        """
        for t0, t1 in windows:
            if not (math.isfinite(t0) and math.isfinite(t1)) or t1 < t0:
                raise ValueError(f"need finite t0 <= t1, got {t0!r}, {t1!r}")
        if not windows:
            return []
        with self.lock:
            span = self._times([min(w[0] for w in windows), max(w[1] for w in windows)])
            history, _ = self._view(span)
            spread = [(t0, t1) for t0, t1 in windows if t1 > t0]
            totals = iter(
                history.integrate_windows(
                    partial(physics.current, self.stage),
                    partial(physics.breakpoints, self.stage),
                    spread,
                    physics.batches_exactly,
                )
            )
            return [
                next(totals) / (t1 - t0) if t1 > t0 else self.mean_current(t0, t1)
                for t0, t1 in windows
            ]

    def supply_current(self, channel: int) -> float:
        """Current drawn from a supply channel now (A), limited by its current limit."""
        self._check_channel(channel)
        with self.lock:
            self.catch_up()
            setting = self._supplies[channel]
            if setting.present_v <= 0.0:
                return 0.0
            fw = self._firmware
            if channel == CHARGER_CHANNEL:
                battery_v = self._supplies[BATTERY_CHANNEL].present_v
                return physics.charger_current(setting.present_v, battery_v, setting.current_limit)
            if channel != BATTERY_CHANNEL:
                return 0.0
            state = fw.state()
            quiescent = {"off": physics.QUIESCENT_OFF_A, "treating": physics.QUIESCENT_TREATING_A}
            output = physics.mean_abs_output(self.stage, self._history.last, self.clock.now())
            draw = physics.battery_current(
                quiescent.get(state, physics.QUIESCENT_STANDBY_A),
                output,
                self.stage.compliance_v,
                setting.present_v,
            )
            return min(draw, setting.current_limit)

    def rng(self, name: str) -> np.random.Generator:
        """The named instrument's noise generator, seeded from (seed, unit, name).

        The name and the unit's serial are hashed with SHA-256 (Python's hash() changes
        between runs), so each unit of a batch meets its own measurement noise, and the
        same name always returns the same generator, so its stream continues.
        """
        with self.lock:
            if name not in self._rngs:
                key = f"{name}@{self.serial}".encode()
                digest = int.from_bytes(hashlib.sha256(key).digest()[:16], "little")
                self._rngs[name] = np.random.default_rng(
                    np.random.SeedSequence([self.seed, digest])
                )
            return self._rngs[name]

    # --- internals -------------------------------------------------------------------

    def _apply(self, t: float) -> None:
        """Tell the firmware what its sensors now see, then record the result."""
        sense = None if self._load is None else self._load + self._burden
        self._firmware.sense(
            t,
            self._supplies[BATTERY_CHANNEL].present_v,
            self._supplies[CHARGER_CHANNEL].present_v,
            sense,
        )
        self._record(t)

    def _record(self, t: float) -> None:
        drive = self._firmware.drive()
        self._history.append(Segment(t, drive, self._load, self._burden, self._spike))

    def _prune(self, now: float) -> None:
        self._history.prune(now)
        horizon = self._history.earliest
        if math.isfinite(horizon):
            self._firmware.buzzer.sounding.prune(horizon)
            for steps in self._supply_history.values():
                steps.prune(horizon)

    def _times(self, t: npt.ArrayLike) -> FloatArray:
        self.catch_up()
        return np.asarray(t, dtype=np.float64)

    def _view(self, times: FloatArray) -> tuple[SegmentHistory, IntervalSet]:
        """The history covering `times`, projected past the present if they reach it.

        Only a timer can change the drive ahead of the clock (inputs act at the present),
        so the firmware is forked and run forward only when one falls due by the last
        time asked about; otherwise the present segment, which lasts until further
        notice, already covers them (a burst of DMM readings, a scope record).
        """
        if times.size == 0:
            return self._history, self._firmware.buzzer.sounding
        lo, hi = float(times.min()), float(times.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError("observation times must be finite")
        if lo < self.history_start:
            raise ValueError(
                f"time {lo:.6f} s is older than the retained history "
                f"(the last {self._history.retention_s:g} s, from {self.history_start:.6f} s)"
            )
        if hi <= self.clock.now():
            return self._history, self._firmware.buzzer.sounding
        due = self._firmware.next_deadline()
        if due is None or due[0] > hi:  # no timer fires by hi: the projection adds nothing
            return self._history, self._firmware.buzzer.sounding
        twin = self._firmware.fork()
        future: list[Segment] = []
        while (due := twin.next_deadline()) is not None and due[0] <= hi:
            twin.fire(*due)
            future.append(Segment(due[0], twin.drive(), self._load, self._burden, self._spike))
        return self._history.extended(future), twin.buzzer.sounding

    @staticmethod
    def _check_channel(channel: int) -> None:
        if channel not in SUPPLY_CHANNELS:
            raise ValueError(f"supply channel must be one of {SUPPLY_CHANNELS}, got {channel!r}")
