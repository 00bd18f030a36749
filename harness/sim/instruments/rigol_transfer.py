"""How a simulated DS1000Z scope hands over a record: `:WAVeform:PREamble?` and `:DATA?`.

The DS1000Z programming guide's transfer rules, kept apart from the acquisition:

* **Modes.** NORMal returns the 1200 points of the screen (12 divisions), MAXimum the
  screen while running and the whole memory once stopped, RAW the whole memory, and
  only while stopped (a running scope refuses it here with -221).
* **Slices.** `:WAVeform:STARt` and `:STOP` choose points, 1-based and inclusive; one
  `:DATA?` returns at most 250 000 BYTE points (125 000 WORD, 15 625 ASCii), as a `#9`
  block. A slice larger than that is refused with -222 rather than cut short, so a
  driver that asks for too much learns it from the error queue.
* **Scaling.** `V = (code − YORigin − YREFerence)·YINCrement`, with YREFerence 127,
  YINCrement = V/div ÷ 25 (eight divisions over 200 codes), and YORigin the channel
  offset in codes: the DS1000Z's offset *moves the trace* (the screen centre shows
  −offset volts), unlike the InfiniiVision's, which names the centre voltage. Sample
  `i` is at `XORigin + i·XINCrement` from the trigger (XREFerence 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.sim.scpi import ScpiError, ieee_block

SCREEN_POINTS = 1200
YREFERENCE = 127
CODES_PER_DIVISION = 25
MAX_PER_READ = {"BYTE": 250_000, "WORD": 125_000, "ASCII": 15_625}
FORMAT_CODE = {"BYTE": 0, "WORD": 1, "ASCII": 2}
MODE_CODE = {"NORMAL": 0, "MAXIMUM": 1, "RAW": 2}


def rigol_yinc(volts_per_div: float) -> float:
    """Volts per code: 25 codes per division."""
    return volts_per_div / CODES_PER_DIVISION


@dataclass(frozen=True)
class Acquired:
    """One channel of an acquisition as the transfer sees it."""

    codes: npt.NDArray[np.uint8]
    xorigin: float
    xinc: float
    screen_start_s: float
    screen_s: float
    volts_per_div: float
    offset_v: float

    @property
    def yorigin(self) -> float:
        """The offset in codes (see the module text)."""
        return self.offset_v / rigol_yinc(self.volts_per_div)


@dataclass(frozen=True)
class View:
    """The points a transfer mode exposes: indices into the record and their spacing."""

    index: npt.NDArray[np.intp]
    xorigin: float
    xinc: float


def view(acquired: Acquired, mode: str, running: bool) -> View:
    """The points `mode` transfers (NORMal: the screen; RAW: the memory)."""
    if mode == "RAW" or (mode == "MAXIMUM" and not running):
        index = np.arange(acquired.codes.size, dtype=np.intp)
        return View(index, acquired.xorigin, acquired.xinc)
    first = max(0, round((acquired.screen_start_s - acquired.xorigin) / acquired.xinc))
    span = min(acquired.codes.size - first, round(acquired.screen_s / acquired.xinc))
    count = min(SCREEN_POINTS, span)
    index = first + (np.arange(count, dtype=np.intp) * span) // count
    step = acquired.xinc * span / count
    return View(index, acquired.xorigin + first * acquired.xinc, step)


def preamble(acquired: Acquired, mode: str, fmt: str, running: bool) -> str:
    """The ten fields: format,type,points,count,xinc,xorigin,xref,yinc,yorigin,yref."""
    shown = view(acquired, mode, running)
    yorigin = acquired.yorigin
    yorigin_text = f"{int(yorigin)}" if yorigin == int(yorigin) else f"{yorigin:.6f}"
    return ",".join(
        [
            str(FORMAT_CODE[fmt]),
            str(MODE_CODE[mode]),
            str(shown.index.size),
            "1",
            f"{shown.xinc:.6e}",
            f"{shown.xorigin:.6e}",
            "0",
            f"{rigol_yinc(acquired.volts_per_div):.6e}",
            yorigin_text,
            str(YREFERENCE),
        ]
    )


def data(acquired: Acquired, mode: str, fmt: str, running: bool, start: int, stop: int) -> bytes:
    """The `:DATA?` block of points start..stop (1-based, inclusive)."""
    shown = view(acquired, mode, running)
    stop = min(stop, shown.index.size)
    if start > stop:
        raise ScpiError(-221, f"STARt {start} after STOP {stop}")
    if stop - start + 1 > MAX_PER_READ[fmt]:
        raise ScpiError(-222, f"{stop - start + 1} points exceed {MAX_PER_READ[fmt]} per read")
    codes = acquired.codes[shown.index[start - 1 : stop]]
    if fmt == "BYTE":
        payload = codes.tobytes()
    elif fmt == "WORD":  # low byte holds the code, high byte is zero
        payload = codes.astype("<u2").tobytes()
    else:
        yinc = rigol_yinc(acquired.volts_per_div)
        volts = (codes.astype(np.float64) - acquired.yorigin - YREFERENCE) * yinc
        payload = ",".join(f"{v:.6e}" for v in volts).encode()
    return ieee_block(payload, width=9)
