"""Simulated Keysight InfiniiVision DSOX1204G (four channels; DSOX1102G family commands).

The scope watches the bench (contracts.md): CH1 the voltage across the load resistor
(current = V/R), CH2 the buzzer test point, CH3 the charger input, CH4 the battery.
Settings are kept here; acquisitions are computed from the model by
`scope_acquisition.acquire` when a command needs one. `:SINGle` only *arms*: the record is
resolved lazily, at the first query that needs it, so a test can arm the scope, then
switch a load or press a button through other instruments, and the scope catches the
edge that followed the arm time. `:DIGitize` arms and resolves at once (it blocks on the
real scope). A resolved acquisition moves the virtual clock to the end of its record.

Waveform transfer follows the programmer's guide: `:WAVeform:PREamble?` is
`format,type,points,count,xincrement,xorigin,xreference,yincrement,yorigin,yreference`,
`V = (code − yreference)·yincrement + yorigin`, and `:WAVeform:DATA?` is an IEEE 488.2
block with an 8-digit length (`#800062500...`), BYTE (8-bit codes), WORD (16-bit, MSB
first) or ASCii (comma-separated volts). With no acquisition to return (NORMal sweep and
no trigger within the wait) the query queues -230 and returns nothing. Invalid automatic
measurements read 9.9E+37, as on the real instrument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.sim.instruments.base import BenchModel, SimInstrument
from harness.sim.instruments.dsox_channel_extras import Extras
from harness.sim.instruments.scope_acquisition import (
    AUTO_TIMEOUT_S,
    MAX_WAIT_S,
    REFERENCE_DIVISIONS,
    EdgeTrigger,
    Record,
    TriggerSearch,
    Vertical,
    sample,
)
from harness.sim.scpi import Call, Command, ScpiError, ieee_block, scpi_float

INVALID = 9.9e37
MAX_POINTS = 1_000_000
NORMAL_POINTS = 62_500
CHANNELS = (1, 2, 3, 4)
SOURCES = ("CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4")


@dataclass
class Channel:
    """Front-panel settings of one input."""

    scale: float = 1.0
    offset: float = 0.0
    coupling: str = "DC"
    probe: float = 10.0
    display: bool = False


def _real(value: float) -> str:
    return scpi_float(value, 6)


class KeysightDSOX1204G(SimInstrument):
    """A four-channel 8-bit oscilloscope over the model."""

    model = "DSO-X 1204G"
    firmware = "02.12.2021071625"
    status_subsystem = False  # InfiniiVision status lives in :OPERegister and :TER?, not STATus

    def __init__(self, sim: BenchModel, serial: str = "CN60123456") -> None:
        self.ch: dict[int, Channel] = {}
        self.tscale, self.tposition, self.reference, self.tmode = 100e-6, 0.0, "CENTER", "MAIN"
        self.trigger = EdgeTrigger(1, 0.0, "POSITIVE")
        self.sweep, self.acq_type, self.averages = "AUTO", "NORMAL", 8
        self.wav_source, self.wav_format, self.wav_points, self.wav_mode = 1, "BYTE", 1000, "NORMAL"
        self.wav_unsigned = True
        self.running, self.armed_at = True, 0.0
        self.armed_channels: tuple[int, ...] = (1,)
        self.record: Record | None = None
        self.ter = self._ter_taken = False
        self._trigger_search = TriggerSearch()
        self._noise = sim.rng("scope")
        self.extras = Extras(CHANNELS, self._channel)
        super().__init__(sim, serial)

    def commands(self) -> list[Command]:
        c, n = self._channel, _real
        return [
            # 1000 X-Series: 500 uV/div to 10 V/div at 1:1 (up to 50 V/div through a probe)
            Command(":CHANnel#:SCALe", lambda k: self._set(k, "scale", low=500e-6, high=50.0)),
            Command(":CHANnel#:SCALe?", lambda k: n(c(k).scale)),
            Command(":CHANnel#:OFFSet", lambda k: self._set(k, "offset", low=-200.0, high=200.0)),
            Command(":CHANnel#:OFFSet?", lambda k: n(c(k).offset)),
            Command(
                ":CHANnel#:COUPling", lambda k: setattr(c(k), "coupling", k.choice(0, ("AC", "DC")))
            ),
            Command(":CHANnel#:COUPling?", lambda k: c(k).coupling),
            Command(":CHANnel#:PROBe", lambda k: self._set(k, "probe", low=0.1, high=10000.0)),
            Command(":CHANnel#:PROBe?", lambda k: n(c(k).probe)),
            Command(":CHANnel#:DISPlay", lambda k: setattr(c(k), "display", k.boolean(0))),
            Command(":CHANnel#:DISPlay?", lambda k: str(int(c(k).display))),
            Command(":TIMebase:SCALe", self._set_tscale),
            Command(":TIMebase:SCALe?", lambda k: n(self.tscale)),
            Command(":TIMebase:RANGe", self._set_trange),
            Command(":TIMebase:RANGe?", lambda k: n(10 * self.tscale)),
            Command(":TIMebase:POSition", self._set_tposition),
            Command(":TIMebase:POSition?", lambda k: n(self.tposition)),
            Command(
                ":TIMebase:REFerence",
                lambda k: setattr(self, "reference", k.choice(0, ("LEFT", "CENTer", "RIGHt"))),
            ),
            Command(":TIMebase:REFerence?", lambda k: self.reference[:4]),
            Command(
                ":TIMebase:MODE",
                lambda k: setattr(self, "tmode", k.choice(0, ("MAIN", "WINDow", "XY", "ROLL"))),
            ),
            Command(":TIMebase:MODE?", lambda k: self.tmode[:4]),
            Command(":TRIGger:MODE", lambda k: k.choice(0, ("EDGE",)) and None),
            Command(":TRIGger:MODE?", lambda k: "EDGE"),
            Command(":TRIGger[:EDGE]:SOURce", self._set_trigger_source),
            Command(":TRIGger[:EDGE]:SOURce?", lambda k: f"CHAN{self.trigger.source}"),
            Command(":TRIGger[:EDGE]:LEVel", self._set_trigger_level),
            Command(":TRIGger[:EDGE]:LEVel?", lambda k: n(self.trigger.level)),
            Command(":TRIGger[:EDGE]:SLOPe", self._set_slope),
            Command(":TRIGger[:EDGE]:SLOPe?", lambda k: self.trigger.slope[:3]),
            Command(
                ":TRIGger:SWEep", lambda k: setattr(self, "sweep", k.choice(0, ("AUTO", "NORMal")))
            ),
            Command(":TRIGger:SWEep?", lambda k: self.sweep[:4]),
            Command(
                ":ACQuire:TYPE",
                lambda k: setattr(
                    self, "acq_type", k.choice(0, ("NORMal", "AVERage", "HRESolution", "PEAK"))
                ),
            ),
            Command(":ACQuire:TYPE?", lambda k: self.acq_type[:4]),
            Command(
                ":ACQuire:COUNt",
                lambda k: setattr(self, "averages", int(k.number(0, low=2, high=65536, default=8))),
            ),
            Command(":ACQuire:COUNt?", lambda k: str(self.averages)),
            Command(":RUN", lambda k: self._arm(running=True)),
            Command(":STOP", lambda k: self._stop()),
            Command(":SINGle", lambda k: self._arm(running=False)),
            Command(":DIGitize", self._digitize),
            Command(":OPERegister:CONDition?", lambda k: str(8 if self._busy() else 0)),
            Command(":TER?", lambda k: self._read_ter()),
            Command(":WAVeform:SOURce", self._set_wav_source),
            Command(":WAVeform:SOURce?", lambda k: f"CHAN{self.wav_source}"),
            Command(
                ":WAVeform:FORMat",
                lambda k: setattr(self, "wav_format", k.choice(0, ("BYTE", "WORD", "ASCii"))),
            ),
            Command(":WAVeform:FORMat?", lambda k: self.wav_format.replace("ASCII", "ASC")),
            Command(":WAVeform:UNSigned", lambda k: setattr(self, "wav_unsigned", k.boolean(0))),
            Command(":WAVeform:UNSigned?", lambda k: "1" if self.wav_unsigned else "0"),
            Command(
                ":WAVeform:POINts",
                lambda k: setattr(
                    self, "wav_points", int(k.number(0, low=100, high=MAX_POINTS, default=1000))
                ),
            ),
            Command(":WAVeform:POINts?", lambda k: str(self._points_out())),
            Command(
                ":WAVeform:POINts:MODE",
                lambda k: setattr(self, "wav_mode", k.choice(0, ("NORMal", "MAXimum", "RAW"))),
            ),
            Command(":WAVeform:POINts:MODE?", lambda k: self.wav_mode[:4]),
            Command(":WAVeform:PREamble?", lambda k: self._preamble()),
            Command(":WAVeform:DATA?", lambda k: self._data()),
            Command(":WAVeform:XINCrement?", lambda k: n(self._axes()[0])),
            Command(":WAVeform:XORigin?", lambda k: n(self._axes()[1])),
            Command(":WAVeform:XREFerence?", lambda k: "0"),
            Command(":WAVeform:YINCrement?", lambda k: n(self._vertical().yinc)),
            Command(":WAVeform:YORigin?", lambda k: n(self._vertical().offset)),
            Command(":WAVeform:YREFerence?", lambda k: "128"),
            Command(":MEASure:FREQuency?", lambda k: n(self._measure(k, "FREQ"))),
            Command(":MEASure:VPP?", lambda k: n(self._measure(k, "VPP"))),
            Command(":MEASure:VMAX?", lambda k: n(self._measure(k, "VMAX"))),
            Command(":SYSTem:PRESet", lambda k: self.reset()),
            *self.extras.commands(),
        ]

    def reset(self) -> None:
        self.ch = {i: Channel(display=i == 1) for i in CHANNELS}
        self.tscale, self.tposition, self.reference, self.tmode = 100e-6, 0.0, "CENTER", "MAIN"
        self.trigger = EdgeTrigger(1, 0.0, "POSITIVE")
        self.sweep, self.acq_type, self.averages = "AUTO", "NORMAL", 8
        self.wav_source, self.wav_format, self.wav_points, self.wav_mode = 1, "BYTE", 1000, "NORMAL"
        self.wav_unsigned = True
        self.running, self.record, self.ter = True, None, False
        self.armed_at, self.armed_channels = self.sim.clock.now(), (1,)
        self.extras.reset()

    # --- settings -------------------------------------------------------------------
    def _channel(self, call: Call) -> Channel:
        if call.suffix() not in CHANNELS:
            raise ScpiError(-113, call.header)
        return self.ch[call.suffix()]

    def _set(self, call: Call, name: str, *, low: float, high: float) -> None:
        channel = self._channel(call)
        setattr(
            channel,
            name,
            call.number(0, low=low, high=high, default=getattr(channel, name), unit="V"),
        )

    def _set_tscale(self, call: Call) -> None:
        self.tscale = call.number(0, low=5e-9, high=50.0, default=100e-6, unit="S")

    def _set_trange(self, call: Call) -> None:
        self.tscale = call.number(0, low=50e-9, high=500.0, default=1e-3, unit="S") / 10

    def _set_tposition(self, call: Call) -> None:
        self.tposition = call.number(0, low=-500.0, high=500.0, default=0.0, unit="S")

    def _source(self, call: Call, index: int) -> int:
        name = call.choice(index, SOURCES)
        return int(name[-1])

    def _set_trigger_source(self, call: Call) -> None:
        t = self.trigger
        self.trigger = EdgeTrigger(self._source(call, 0), t.level, t.slope)

    def _set_trigger_level(self, call: Call) -> None:
        t = self.trigger
        level = call.number(0, low=-200.0, high=200.0, default=0.0, unit="V")
        self.trigger = EdgeTrigger(t.source, level, t.slope)

    def _set_slope(self, call: Call) -> None:
        t = self.trigger
        slope = call.choice(0, ("POSitive", "NEGative", "EITHer", "ALTernate"))
        self.trigger = EdgeTrigger(t.source, t.level, slope)

    def _set_wav_source(self, call: Call) -> None:
        self.wav_source = self._source(call, 0)

    # --- acquisition ----------------------------------------------------------------
    def _arm(self, *, running: bool) -> None:
        self.running, self.record, self.ter, self._ter_taken = running, None, False, False
        self._trigger_search.reset()
        self.armed_at = self.sim.clock.now()
        self.armed_channels = tuple(i for i in CHANNELS if self.ch[i].display)

    def _stop(self) -> None:
        self.running = False

    def _digitize(self, call: Call) -> None:
        sources = tuple(self._source(call, i) for i in range(len(call.args))) or None
        for source in sources or ():
            self.ch[source].display = True
        self._arm(running=False)
        self._resolve(wait=True)

    def _record_points(self) -> int:
        wanted = NORMAL_POINTS if self.wav_mode == "NORMAL" else MAX_POINTS
        return max(100, min(wanted, self.wav_points if self.wav_mode != "NORMAL" else wanted))

    def _resolve(self, *, wait: bool) -> Record | None:
        """The acquisition the next transfer returns, computing it if one is pending.

        With `wait` the scope waits in virtual time (the clock moves to the record's end,
        or to the end of the trigger search when nothing triggers in NORMal sweep).
        Without it — status polls — only the time up to now is examined, so a poll never
        moves the clock and never looks into a future the other instruments may change.
        """
        if self.record is not None and not self.running:
            return self.record
        clock = self.sim.clock
        if self.running:
            self.armed_at = clock.now()
        xinc, xorigin = self._axes()
        duration = 10 * self.tscale
        auto = self.sweep == "AUTO"
        start = self.armed_at + max(0.0, -xorigin)
        stop = start + (AUTO_TIMEOUT_S if auto else MAX_WAIT_S)
        horizon = stop if wait else min(stop, clock.now())
        found = self._trigger_search.find(self.sim, self.trigger, start, horizon, xinc)
        if found is None and not (auto and horizon >= stop):
            if wait:
                clock.advance(max(0.0, stop - clock.now()))
            return None
        t_trig = stop if found is None else found
        self.ter = self.ter or (found is not None and not self._ter_taken)
        averages = self.averages if self.acq_type == "AVERAGE" else 1
        end = t_trig + xorigin + averages * duration
        if not wait and end > clock.now():
            return None
        channels = {
            i: Vertical(self.ch[i].scale, self.ch[i].offset) for i in self.armed_channels or (1,)
        }
        times = np.arange(self._record_points(), dtype=np.float64)
        times *= xinc  # in place: (t_trig + xorigin) + xinc·k, to the bit
        times += t_trig + xorigin
        codes = sample(self.sim, channels, times, averages, self._noise)
        clock.advance(max(0.0, end - clock.now()))
        self.record = Record(t_trig, found is not None, xorigin, xinc, codes, channels, averages)
        return self.record

    def _busy(self) -> bool:
        return self.running or self._resolve(wait=False) is None

    def _read_ter(self) -> str:
        """Trigger event register: 1 once per trigger since it was last read."""
        if self.record is None and not self.running:
            self._resolve(wait=False)
        value, self.ter = self.ter, False
        self._ter_taken = self._ter_taken or value
        return str(int(value))

    def _ready(self) -> Record:
        record = self._resolve(wait=True)
        if record is None:
            raise ScpiError(-230, "no trigger: acquisition incomplete")
        if self.wav_source not in record.codes:
            raise ScpiError(-221, f"CHAN{self.wav_source} was not acquired")
        return record

    # --- transfer -------------------------------------------------------------------
    def _axes(self) -> tuple[float, float]:
        """(xincrement, xorigin) of the record the present settings produce."""
        ref = REFERENCE_DIVISIONS[self.reference]
        return 10 * self.tscale / self._record_points(), self.tposition - ref * self.tscale

    def _vertical(self) -> Vertical:
        if self.record is not None and self.wav_source in self.record.verticals:
            return self.record.verticals[self.wav_source]
        return Vertical(self.ch[self.wav_source].scale, self.ch[self.wav_source].offset)

    def _picked_count(self, record: Record) -> int:
        """How many points a transfer returns: at most the requested count."""
        points = len(record.codes[self.wav_source])
        limit = (
            self.wav_points if self.wav_mode != "NORMAL" else min(self.wav_points, NORMAL_POINTS)
        )
        return min(points, limit)

    def _picked(self, record: Record) -> npt.NDArray[np.intp] | slice:
        """Indices of the transferred points, evenly spread; all of them (the usual
        transfer) as a slice rather than an index per point of a 1M-point record."""
        points, count = len(record.codes[self.wav_source]), self._picked_count(record)
        return slice(None) if count == points else (np.arange(count) * points) // count

    def _points_out(self) -> int:
        record = self.record
        if record is None or self.wav_source not in record.codes:
            return min(self.wav_points, self._record_points())
        return self._picked_count(record)

    def _preamble(self) -> str:
        record = self._ready()
        count = self._picked_count(record)
        step = len(record.codes[self.wav_source]) / count
        fmt = {"BYTE": 0, "WORD": 1, "ASCII": 4}[self.wav_format]
        kind = {"NORMAL": 0, "PEAK": 1, "AVERAGE": 2, "HRESOLUTION": 3}[self.acq_type]
        vertical = record.verticals[self.wav_source]
        yinc, yref = vertical.yinc, 128
        if self.wav_format == "WORD":
            yinc, yref = yinc / 256, 32768
        if not self.wav_unsigned:  # signed data: codes shifted down, reference at zero
            yref = 0
        fields = [
            str(fmt),
            str(kind),
            str(count),
            str(record.averages),
            _real(record.xinc * step),
            _real(record.xorigin),
            "0",
            _real(yinc),
            _real(vertical.offset),
            str(yref),
        ]
        return ",".join(fields)

    def _data(self) -> bytes:
        record = self._ready()
        picked = self._picked(record)
        codes = record.codes[self.wav_source][picked]
        if self.wav_format == "BYTE":
            shifted = codes if self.wav_unsigned else (codes.astype(np.int16) - 128).astype(np.int8)
            payload = shifted.tobytes()
        elif self.wav_format == "WORD":
            words = codes.astype(np.int32) << 8
            payload = (
                (words if self.wav_unsigned else words - 32768)
                .astype(">u2" if self.wav_unsigned else ">i2")
                .tobytes()
            )
        else:
            volts = record.volts(self.wav_source)[picked]
            payload = ",".join(f"{v:+.6E}" for v in volts).encode()
        return ieee_block(payload, width=8)

    def _measure(self, call: Call, kind: str) -> float:
        source = self._source(call, 0) if call.args else self.wav_source
        record = self._resolve(wait=True)
        if record is None or source not in record.codes:
            return INVALID
        codes = record.codes[source]
        if codes.min() == 0 or codes.max() == 255:
            return INVALID  # clipped: the true extreme is off screen
        volts = record.volts(source)
        if kind == "VPP":
            return float(np.ptp(volts))
        if kind == "VMAX":
            return float(volts.max())
        middle = (volts.max() + volts.min()) / 2
        above = volts > middle
        edges = np.flatnonzero(~above[:-1] & above[1:])
        if edges.size < 2 or np.ptp(volts) < 4 * record.verticals[source].yinc:
            return INVALID
        return float((edges.size - 1) / ((edges[-1] - edges[0]) * record.xinc))
