"""Faults that can be injected into the simulated RMD-2 (the unit without a test port).

Each mimics a defect a real RMD-2 can have and is caught by at least one requirement of
``specs/rmd2.yaml`` (docs/domain.md, section "The second reference device RMD-2"):

| fault | what is wrong in the unit | caught by |
|---|---|---|
| `gain=F` | sense-resistor drift: output current x F | OUT-AMP-L1..L3 |
| `level_table=a,b,c` | levels skipped or swapped (uA per level) | OUT-AMP-L* |
| `phase_asymmetry=F` | the second (negative) phase of each pair x (1 - F) | WAV-QBAL |
| `gap_ms=G` | interphase gap G ms instead of 4 ms | WAV-GAP, WAV-PHASE |
| `clock_error=F` | crystal off by F: every device time x (1 + F) | WAV-PAIR-RATE, TIM-* |
| `session_s=T`, `autooff_s=T` | timer bug | TIM-SESSION, TIM-AUTOOFF |
| `charger_interlock=off` | charger not detected: output continues on the charger | SAF-CHG-OFF |
| `lowbatt_cutoff=off` | no low-battery cut-off | SAF-LOWBAT-OFF |
| `cue=off` | no relocate pause in the output | TIM-CUE |
| `leak_ua=I` | leaky output switch: d.c. I uA through the load, any state | OUT-MIN, WAV-QBAL |
| `level_button=off` | LEVEL contact dead: presses do nothing | OUT-AMP-L2, -L3 |
| `contact_loss_s=T` | contact-loss delay T s, not 0.3 s (a wrong debounce) | SAF-CONTACT-LOSS |

The same syntax as the RMD-1's faults (`NAME` or `NAME=VALUE`); a bad one is an
`InputError` naming where it came from, before anything is simulated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from harness.errors import InputError
from harness.sim.faults import NOMINAL_CLOCK_ERROR, Fault, FaultValue

LEVELS_UA = (150.0, 250.0, 350.0)
INTERPHASE_GAP_MS = 4.0
CONTACT_LOSS_S = 0.3
"""Above 50 kOhm this long (device seconds) before the output is suspended."""


@dataclass(frozen=True)
class Rmd2Faults:
    """Every knob of the RMD-2 a fault can turn, at its healthy value by default."""

    gain: float = 1.0
    level_table_ua: tuple[float, ...] = LEVELS_UA
    phase_asymmetry: float = 0.0
    gap_ms: float = INTERPHASE_GAP_MS
    clock_error: float = NOMINAL_CLOCK_ERROR
    session_s: float = 180.0
    autooff_s: float = 600.0
    charger_interlock: bool = True
    lowbatt_cutoff: bool = True
    cue: bool = True
    leak_ua: float = 0.0
    level_button: bool = True
    contact_loss_s: float = CONTACT_LOSS_S


def _number(low: float, high: float) -> Callable[[str], float]:
    def convert(text: str) -> float:
        value = float(text)
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(text)
        return value

    return convert


def _levels(text: str) -> tuple[float, ...]:
    values = tuple(_number(0.0, 1000.0)(part) for part in text.split(","))
    if len(values) != len(LEVELS_UA):
        raise ValueError(text)
    return values


_NUMERIC: dict[str, tuple[Callable[[str], FaultValue], str]] = {
    "gain": (_number(0.01, 10.0), "a factor in [0.01, 10]"),
    "level_table": (_levels, "three comma-separated currents in uA, 0-1000"),
    "phase_asymmetry": (_number(-1.0, 1.0), "a fraction in [-1, 1]"),
    "gap_ms": (_number(0.0, 15.0), "milliseconds in [0, 15]"),
    "clock_error": (_number(-0.5, 0.5), "a fraction in [-0.5, 0.5]"),
    "session_s": (_number(1.0, 1e5), "seconds in [1, 1e5]"),
    "autooff_s": (_number(1.0, 1e5), "seconds in [1, 1e5]"),
    "leak_ua": (_number(-1000.0, 1000.0), "microamps in [-1000, 1000]"),
    "contact_loss_s": (_number(0.0, 10.0), "seconds in [0, 10]"),
}
_SWITCHES = ("charger_interlock", "lowbatt_cutoff", "cue", "level_button")
KNOWN_FAULTS: tuple[str, ...] = tuple(sorted((*_NUMERIC, *_SWITCHES)))
_FIELD = {"level_table": "level_table_ua"}


def parse_fault(text: str, source: str | Path = "faults") -> Fault:
    """Parse `NAME` or `NAME=VALUE` for the RMD-2; `source` names the file or option."""
    name, sep, raw = text.strip().partition("=")
    name, raw = name.strip(), raw.strip()
    if name in _SWITCHES:
        if raw not in ("off", "on"):
            raise InputError(source, name, f"{name}=off (or =on)", got=text)
        return Fault(name, raw == "on", text)
    if name in _NUMERIC:
        convert, expected = _NUMERIC[name]
        try:
            if not sep:
                raise ValueError(text)
            return Fault(name, convert(raw), text)
        except ValueError:
            raise InputError(source, name, f"{name}=VALUE with {expected}", got=text) from None
    expected = "one of the RMD-2 faults " + ", ".join(KNOWN_FAULTS)
    raise InputError(source, "fault", expected, got=text)


def rmd2_faults(faults: Iterable[Fault | str], source: str | Path = "faults") -> Rmd2Faults:
    """Apply faults (parsed or text) to a healthy RMD-2; each name at most once."""
    profile, seen = Rmd2Faults(), set[str]()
    for item in faults:
        fault = parse_fault(item.text if isinstance(item, Fault) else item, source=source)
        if fault.name in seen:
            raise InputError(source, fault.name, "each fault at most once", got=fault.text)
        seen.add(fault.name)
        changes: dict[str, object] = {_FIELD.get(fault.name, fault.name): fault.value}
        profile = replace(profile, **changes)  # type: ignore[arg-type]
    return profile


def parse_fault_of_model(model: str, text: str, source: str | Path = "faults") -> Fault:
    """A fault of the simulated `model` (RMD-2 here, else the RMD-1's faults)."""
    if model == "RMD-2":
        return parse_fault(text, source=source)
    from harness.sim.faults import parse_fault as parse_rmd1_fault

    return parse_rmd1_fault(text, source=source)
