"""Simulated Rigol DS1054Z (DS1000Z series): the bench scope, in Rigol's own SCPI.

Wired like the InfiniiVision (`scope_acquisition.channel_signal`): CH1 across the load,
CH2 the buzzer test point, CH3 the charger input, CH4 the battery. Records are made by
the shared `scope_acquisition` (edge search, 8-bit sampling); what differs from the
Keysight is the model, not the physics:

* **12 horizontal divisions**; the record is centred on the screen centre, which is
  `:TIMebase:MAIN:OFFSet` seconds after the trigger.
* **Memory depth** (`:ACQuire:MDEPth`) is one of the guide's fixed values for the number
  of channels switched on (one: 12k..24M points, two: half, three or four: a quarter);
  another value is -224. The sample rate is depth ÷ screen time, capped at 1 GSa/s for
  one channel, 500 MSa/s for two, 250 MSa/s for more. AUTO (the *RST state) takes the
  smallest depth [E: the real scope's AUTO choice is not documented].
* **Vertical**: 25 codes per division around code 127, and an offset that moves the
  trace (`rigol_transfer`). To quantise with the shared `Vertical` (32 codes per
  division around 128) the simulation gives it a scale of 32/25 of the V/div and a centre
  one Rigol code above the screen centre, which yields exactly the Rigol codes; its
  front-end noise is then 0.026 divisions r.m.s. [E].
* **No :DIGitize**: `:SINGle` arms once, `:TRIGger:STATus?` answers WAIT until the
  trigger, TD until the record is complete, STOP once it is (RUN while running in
  NORMal sweep, AUTO in AUTO sweep). As on the InfiniiVision the record is resolved
  lazily, so another instrument can cause the edge after the arming; a status poll only
  looks at the signal up to now and never moves the clock.
* **Coupling**: DC only. AC and GND are refused with -221: the AC high-pass and the
  grounded input are not modelled, and accepting them would return DC records.

Commands (MSO1000Z/DS1000Z Programming Guide): `:CHANnel<n>:SCALe/OFFSet/PROBe/COUPling/
DISPlay`, `:TIMebase:MODE`, `:TIMebase[:MAIN]:SCALe/OFFSet`, `:TRIGger:MODE EDGE`,
`:TRIGger:EDGe:SOURce/LEVel/SLOPe`, `:TRIGger:SWEep`, `:TRIGger:STATus?`, `:RUN`,
`:STOP`, `:SINGle`, `:ACQuire:MDEPth`, `:ACQuire:SRATe?`, `:WAVeform:SOURce/MODE/FORMat/
STARt/STOP/PREamble?/DATA?` and the X/Y increment, origin and reference queries,
`:SYSTem:ERRor[:NEXT]?` (answered `0,"No error"`, without the sign Keysight prints),
`*IDN?`, `*RST`, `*OPC?`, `*CLS`. The guide has no SCPI STATus subsystem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.rigol_transfer import (
    SCREEN_POINTS,
    Acquired,
    data,
    preamble,
    rigol_yinc,
)
from harness.sim.instruments.scope_acquisition import (
    AUTO_TIMEOUT_S,
    MAX_WAIT_S,
    EdgeTrigger,
    Record,
    TriggerSearch,
    Vertical,
    sample,
)
from harness.sim.scpi import Call, Command, ScpiError

CHANNELS = (1, 2, 3, 4)
SOURCES = ("CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4")
DIVISIONS = 12
PROBE_RATIOS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
VOLTS_PER_DIV_AT_1X = (1e-3, 10.0)
DEPTHS = (12_000, 120_000, 1_200_000, 12_000_000, 24_000_000)
"""One channel on; two channels halve each, three or four quarter each."""
MAX_RATE = {1: 1e9, 2: 5e8}
QUAD_RATE = 2.5e8
SEARCH_STEPS = 120
"""Grid of the trigger search: a tenth of a division (see `_search`)."""
_SLOPES = {"POSITIVE": "POS", "NEGATIVE": "NEG", "EITHER": "RFAL"}


@dataclass
class Channel:
    """Front-panel settings of one input (*RST: 1 V/div, 10X probe)."""

    scale: float = 1.0
    offset: float = 0.0
    probe: float = 10.0
    display: bool = False


def _real(value: float) -> str:
    return f"{value:.4e}"


class RigolDS1054Z(SimInstrument):
    """A four-channel DS1000Z over the model (module text)."""

    manufacturer = "RIGOL TECHNOLOGIES"
    model = "DS1054Z"
    firmware = "00.04.04.SP4"
    status_subsystem = False

    def __init__(self, sim: BenchModel, serial: str = "DS1ZA170800001") -> None:
        self.ch: dict[int, Channel] = {}
        self.tscale, self.toffset = 1e-6, 0.0
        self.trigger = EdgeTrigger(1, 0.0, "POSITIVE")
        self.sweep = "AUTO"
        self.depth: int | None = None
        self.running, self.armed_at = True, 0.0
        self.armed_channels: tuple[int, ...] = (1,)
        self.record: Record | None = None
        self.wav_source, self.wav_mode, self.wav_format = 1, "NORMAL", "BYTE"
        self.wav_start, self.wav_stop = 1, SCREEN_POINTS
        self._trigger_search = TriggerSearch()
        self._noise = sim.rng("rigol-scope")
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        c = self._channel
        return [
            Command(":CHANnel#:SCALe", self._set_scale),
            Command(":CHANnel#:SCALe?", lambda k: _real(c(k).scale)),
            Command(":CHANnel#:OFFSet", self._set_offset),
            Command(":CHANnel#:OFFSet?", lambda k: _real(c(k).offset)),
            Command(":CHANnel#:PROBe", self._set_probe),
            Command(":CHANnel#:PROBe?", lambda k: _real(c(k).probe)),
            Command(":CHANnel#:COUPling", self._set_coupling),
            Command(":CHANnel#:COUPling?", self._coupling),
            Command(":CHANnel#:DISPlay", lambda k: setattr(c(k), "display", k.boolean(0))),
            Command(":CHANnel#:DISPlay?", lambda k: str(int(c(k).display))),
            Command(":TIMebase:MODE", lambda k: k.choice(0, ("MAIN",)) and None),
            Command(":TIMebase:MODE?", lambda k: "MAIN"),
            Command(":TIMebase[:MAIN]:SCALe", self._set_tscale),
            Command(":TIMebase[:MAIN]:SCALe?", lambda k: _real(self.tscale)),
            Command(":TIMebase[:MAIN]:OFFSet", self._set_toffset),
            Command(":TIMebase[:MAIN]:OFFSet?", lambda k: _real(self.toffset)),
            Command(":TRIGger:MODE", lambda k: k.choice(0, ("EDGE",)) and None),
            Command(":TRIGger:MODE?", lambda k: "EDGE"),
            Command(":TRIGger:EDGe:SOURce", self._set_trigger_source),
            Command(":TRIGger:EDGe:SOURce?", lambda k: f"CHAN{self.trigger.source}"),
            Command(":TRIGger:EDGe:LEVel", self._set_trigger_level),
            Command(":TRIGger:EDGe:LEVel?", lambda k: _real(self.trigger.level)),
            Command(":TRIGger:EDGe:SLOPe", self._set_slope),
            Command(":TRIGger:EDGe:SLOPe?", lambda k: _SLOPES[self.trigger.slope]),
            Command(":TRIGger:SWEep", self._set_sweep),
            Command(":TRIGger:SWEep?", lambda k: self.sweep[:4]),
            Command(":TRIGger:STATus?", lambda k: self._status()),
            Command(":RUN", lambda k: self._arm(running=True)),
            Command(":STOP", lambda k: setattr(self, "running", False)),
            Command(":SINGle", lambda k: self._arm(running=False)),
            Command(":ACQuire:MDEPth", self._set_depth),
            Command(
                ":ACQuire:MDEPth?", lambda k: "AUTO" if self.depth is None else str(self.depth)
            ),
            Command(":ACQuire:SRATe?", lambda k: _real(1.0 / self._geometry()[0])),
            Command(":WAVeform:SOURce", self._set_wav_source),
            Command(":WAVeform:SOURce?", lambda k: f"CHAN{self.wav_source}"),
            Command(":WAVeform:MODE", self._set_wav_mode),
            Command(":WAVeform:MODE?", lambda k: self.wav_mode[:4]),
            Command(":WAVeform:FORMat", self._set_wav_format),
            Command(":WAVeform:FORMat?", lambda k: self.wav_format[:4].replace("ASCI", "ASC")),
            Command(":WAVeform:STARt", lambda k: setattr(self, "wav_start", self._point(k))),
            Command(":WAVeform:STARt?", lambda k: str(self.wav_start)),
            Command(":WAVeform:STOP", lambda k: setattr(self, "wav_stop", self._point(k))),
            Command(":WAVeform:STOP?", lambda k: str(self.wav_stop)),
            Command(":WAVeform:PREamble?", lambda k: self._preamble()),
            Command(":WAVeform:DATA?", lambda k: self._data()),
            Command(":WAVeform:XINCrement?", lambda k: self._field(4)),
            Command(":WAVeform:XORigin?", lambda k: self._field(5)),
            Command(":WAVeform:XREFerence?", lambda k: self._field(6)),
            Command(":WAVeform:YINCrement?", lambda k: self._field(7)),
            Command(":WAVeform:YORigin?", lambda k: self._field(8)),
            Command(":WAVeform:YREFerence?", lambda k: self._field(9)),
            Command(":SYSTem:ERRor[:NEXT]?", lambda k: self.engine.next_error().lstrip("+")),
            Command(":CLEar", lambda k: None),
        ]

    def reset(self) -> None:
        self.ch = {i: Channel(display=i == 1) for i in CHANNELS}
        self.tscale, self.toffset = 1e-6, 0.0
        self.trigger = EdgeTrigger(1, 0.0, "POSITIVE")
        self.sweep, self.depth = "AUTO", None
        self.wav_source, self.wav_mode, self.wav_format = 1, "NORMAL", "BYTE"
        self.wav_start, self.wav_stop = 1, SCREEN_POINTS
        self.running, self.record = True, None
        self._trigger_search.reset()
        self.armed_at, self.armed_channels = self.sim.clock.now(), (1,)

    # --- settings -------------------------------------------------------------------
    def _channel(self, call: Call) -> Channel:
        if call.suffix() not in CHANNELS:
            raise ScpiError(-113, call.header)
        return self.ch[call.suffix()]

    def _set_scale(self, call: Call) -> None:
        channel = self._channel(call)
        low, high = (v * channel.probe for v in VOLTS_PER_DIV_AT_1X)
        channel.scale = call.number(0, low=low, high=high, default=channel.scale, unit="V")

    def _offset_limit(self, channel: Channel) -> float:
        """±2 V below 500 mV/div, ±100 V from there (at 1X; scaled by the probe)."""
        at_1x = channel.scale / channel.probe
        return (100.0 if at_1x >= 0.5 else 2.0) * channel.probe

    def _set_offset(self, call: Call) -> None:
        channel = self._channel(call)
        limit = self._offset_limit(channel)
        channel.offset = call.number(0, low=-limit, high=limit, default=0.0, unit="V")

    def _set_probe(self, call: Call) -> None:
        """A probe ratio from the guide's list; the displayed scale and offset follow it."""
        channel = self._channel(call)
        ratio = call.number(0, low=0.01, high=1000.0, default=10.0)
        if not any(abs(ratio - r) <= 1e-9 * r for r in PROBE_RATIOS):
            raise ScpiError(-224, str(call.arg(0)))
        factor = ratio / channel.probe
        channel.probe, channel.scale, channel.offset = (
            ratio,
            channel.scale * factor,
            channel.offset * factor,
        )

    def _set_coupling(self, call: Call) -> None:
        self._channel(call)
        if call.choice(0, ("AC", "DC", "GND")) != "DC":
            raise ScpiError(-221, "AC and GND coupling are not simulated")

    def _coupling(self, call: Call) -> str:
        self._channel(call)  # -113 for a channel the model does not have
        return "DC"

    def _set_tscale(self, call: Call) -> None:
        self.tscale = call.number(0, low=5e-9, high=50.0, default=1e-6, unit="S")

    def _set_toffset(self, call: Call) -> None:
        self.toffset = call.number(0, low=-500.0, high=500.0, default=0.0, unit="S")

    def _source(self, call: Call) -> int:
        return int(call.choice(0, SOURCES)[-1])

    def _set_trigger_source(self, call: Call) -> None:
        t = self.trigger
        self.trigger = EdgeTrigger(self._source(call), t.level, t.slope)

    def _set_trigger_level(self, call: Call) -> None:
        """The guide's range: ±5 divisions of the source's screen, i.e. −offset ± 5·scale."""
        t, channel = self.trigger, self.ch[self.trigger.source]
        low, high = -channel.offset - 5 * channel.scale, -channel.offset + 5 * channel.scale
        level = call.number(0, low=low, high=high, default=0.0, unit="V")
        self.trigger = EdgeTrigger(t.source, level, t.slope)

    def _set_slope(self, call: Call) -> None:
        t = self.trigger
        slope = call.choice(0, ("POSitive", "NEGative", "RFALl"))
        self.trigger = EdgeTrigger(t.source, t.level, "EITHER" if slope == "RFALL" else slope)

    def _set_sweep(self, call: Call) -> None:
        self.sweep = call.choice(0, ("AUTO", "NORMal", "SINGle"))

    def _channels_on(self) -> int:
        return max(1, sum(1 for c in self.ch.values() if c.display))

    def _depths(self) -> tuple[int, ...]:
        divisor = {1: 1, 2: 2}.get(self._channels_on(), 4)
        return tuple(d // divisor for d in DEPTHS)

    def _set_depth(self, call: Call) -> None:
        text = str(call.arg(0)).upper()
        if text == "AUTO":
            self.depth = None
            return
        # the guide lists the depths and AUTO only: no MIN/MAX, no other numbers
        if not text.isdigit() or int(text) not in self._depths():
            raise ScpiError(-224, f"{text}: not a depth for {self._channels_on()} channel(s)")
        self.depth = int(text)

    def _set_wav_source(self, call: Call) -> None:
        self.wav_source = self._source(call)

    def _set_wav_mode(self, call: Call) -> None:
        self.wav_mode = call.choice(0, ("NORMal", "MAXimum", "RAW"))

    def _set_wav_format(self, call: Call) -> None:
        self.wav_format = call.choice(0, ("BYTE", "WORD", "ASCii"))

    def _point(self, call: Call) -> int:
        """A STARt/STOP point: 1 to the points the present mode can transfer."""
        most = SCREEN_POINTS if self.wav_mode == "NORMAL" else self._geometry()[2]
        value = call.number(0, low=1.0, high=float(most), default=1.0)
        if value != int(value):
            raise ScpiError(-224, str(call.arg(0)))
        return int(value)

    # --- acquisition ----------------------------------------------------------------
    def _geometry(self) -> tuple[float, float, int]:
        """(sample interval, time of the first sample from the trigger, points)."""
        on = self._channels_on()
        depth = self.depth if self.depth is not None else self._depths()[0]
        rate = min(MAX_RATE.get(on, QUAD_RATE), depth / (DIVISIONS * self.tscale))
        xinc = 1.0 / rate
        return xinc, self.toffset - depth * xinc / 2, depth

    def _arm(self, *, running: bool) -> None:
        self.running, self.record = running, None
        self._trigger_search.reset()
        self.armed_at = self.sim.clock.now()
        self.armed_channels = tuple(i for i in CHANNELS if self.ch[i].display) or (1,)

    def _vertical(self, channel: int) -> Vertical:
        """The shared quantiser set to give Rigol codes (module text)."""
        ch = self.ch[channel]
        return Vertical(ch.scale * 32 / 25, -ch.offset + rigol_yinc(ch.scale))

    def _resolve(self, *, wait: bool) -> Record | None:
        """The record a transfer returns, acquiring it if one is pending (see the
        InfiniiVision's `_resolve`: the same rules of waiting in virtual time)."""
        if self.record is not None and not self.running:
            return self.record
        clock = self.sim.clock
        if self.running:
            self.armed_at = clock.now()
            self.armed_channels = tuple(i for i in CHANNELS if self.ch[i].display) or (1,)
        xinc, xorigin, points = self._geometry()
        auto = self.sweep == "AUTO"
        start = self.armed_at + max(0.0, -xorigin)
        stop = start + (AUTO_TIMEOUT_S if auto else MAX_WAIT_S)
        horizon = stop if wait else min(stop, clock.now())
        # at 1 GSa/s a 50 ms AUTO wait is 5e7 samples, too many to walk: a grid of a
        # tenth of a division first, the edge at full rate inside its step [E]
        coarse = DIVISIONS * self.tscale / SEARCH_STEPS
        found = self._trigger_search.find(
            self.sim, self.trigger, start, horizon, xinc, coarse=coarse
        )
        if found is None and not (auto and horizon >= stop):
            if wait:
                clock.advance(max(0.0, stop - clock.now()))
            return None
        t_trig = stop if found is None else found
        end = t_trig + xorigin + points * xinc
        if not wait and end > clock.now():
            return None
        verticals = {i: self._vertical(i) for i in self.armed_channels}
        times = t_trig + xorigin + xinc * np.arange(points, dtype=np.float64)
        codes = sample(self.sim, verticals, times, 1, self._noise)
        clock.advance(max(0.0, end - clock.now()))
        self.record = Record(t_trig, found is not None, xorigin, xinc, codes, verticals, 1)
        if self.sweep == "SINGLE":
            self.running = False
        return self.record

    def _status(self) -> str:
        """WAIT, TD, STOP (single); RUN or AUTO while running (module text)."""
        if self.running:
            return "AUTO" if self.sweep == "AUTO" else "RUN"
        if self._resolve(wait=False) is not None:
            return "STOP"
        if self._trigger_search.triggered:
            return "TD"
        return "WAIT"

    # --- transfer -------------------------------------------------------------------
    def _acquired(self) -> Acquired:
        record = self._resolve(wait=True)
        if record is None:
            raise ScpiError(-230, "no trigger: acquisition incomplete")
        if self.wav_source not in record.codes:
            raise ScpiError(-221, f"CHAN{self.wav_source} was not acquired")
        if self.wav_mode == "RAW" and self.running:
            raise ScpiError(-221, "RAW mode reads the memory of a stopped scope")
        vertical = record.verticals[self.wav_source]
        volts_per_div = vertical.scale * 25 / 32
        return Acquired(
            record.codes[self.wav_source],
            record.xorigin,
            record.xinc,
            self.toffset - DIVISIONS / 2 * self.tscale,
            DIVISIONS * self.tscale,
            volts_per_div,
            -(vertical.offset - rigol_yinc(volts_per_div)),
        )

    def _preamble(self) -> str:
        return preamble(self._acquired(), self.wav_mode, self.wav_format, self.running)

    def _field(self, index: int) -> str:
        return self._preamble().split(",")[index]

    def _data(self) -> bytes:
        acquired = self._acquired()
        return data(
            acquired, self.wav_mode, self.wav_format, self.running, self.wav_start, self.wav_stop
        )
