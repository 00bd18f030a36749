"""Faults that can be injected into the simulated RMD-1.

A compliance harness is only trustworthy if it is seen to *fail* units that are broken.
Each fault here mimics a defect a real unit can have (docs/domain.md, section 3 "Faults
a real unit can have") and is caught by at least one requirement:

| fault | what is wrong in the unit | caught by |
|---|---|---|
| `gain=F` | sense-resistor drift: output current x F | OUT-AMP |
| `level_table=a,b,c,d,e` | levels skipped or swapped (uA per level) | OUT-MONO, COM-STATE |
| `compliance_v=V` | weak boost converter: compliance voltage V | OUT-LOAD-10K, OUT-VCOMP |
| `stuck_polarity` | H-bridge stuck: every pulse positive | WAV-DC |
| `phase_asymmetry=F` | negative phases x (1 - F) | WAV-DC |
| `leak_ua=I` | leaky output switch: d.c. I uA through the load, any state | LKG-AUX-DC, OUT-MIN |
| `charger_interlock=off` | charger not detected: output continues on the charger | SAF-CHG-* |
| `ocp=off` | over-current protection missing: self-test never trips | SAF-OC-* |
| `ocp_delay_ms=T` | slow over-current protection | SAF-OC-TRIP |
| `contact_detect=off` | never suspends: drives open load at compliance | SAF-NOCONTACT-*, WAV-OVS |
| `soft_start=off` | output steps to full with overshoot | WAV-RAMP, WAV-OVS |
| `clock_error=F` | crystal off by F: every device time x (1 + F) | WAV-FREQ, WAV-PW, TIM-* |
| `session_s=T`, `autooff_s=T` | timer bug | TIM-SESSION, TIM-AUTOOFF |
| `lowbatt_cutoff=off` | no low-battery cut-off | SAF-LOWBAT-* |
| `boost_unlimited` | BOOST never times out and stacks levels uncapped | OUT-BOOST, OUT-ABSMAX |
| `report_level_offset=N` | firmware reports level + N | COM-STATE |
| `reboot_at_s=T` | watchdog reset at T s on the bench clock | none (see below) |
| `slew_us=TAU` | slow output stage: first-order edges, time constant TAU us | see below |
| `biphasic_gap_ms=G` | wrong output profile: biphasic pairs, G ms gap, no reversal | see below |

`slew_us` and `biphasic_gap_ms` give the scope records real captures have: edges that
span many samples, and the other common waveform class of microcurrent devices. A slew
of tens of microseconds changes no RMD-1 number beyond its uncertainty (widths are taken
at 50 %, plateaus after the edge has settled), so the suite must still pass such a unit:
the fault proves the analysis holds on finite edges. A slew of milliseconds eats into
each 12.5 ms pulse (lower charge and plateau). A biphasic unit breaks what RMD-1 requires
of its monophasic, polarity-reversing output (tests/suites/test_fault_matrix.py says which).

`reboot_at_s` is the one fault no requirement catches: a unit that restarts is not out of
a limit, it is out of the test. The output stops, the firmware starts again switched off,
and the harness sees the restart on the test port (docs/testport.md, "A unit that
restarts"), so the test in progress ends as a device-communication error instead of
judging a unit that silently switched itself off. T is on the bench's virtual clock,
which starts at 0 when the simulated bench is built (the model's power-on boot); the
reset happens once, and only if the battery powers the unit at T (an unpowered
microcontroller has no watchdog to bite).

A fault is written `NAME` or `NAME=VALUE` (a bench file, a command-line option); a bad one
is an `InputError` naming where it came from, before anything is simulated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path

from harness.errors import InputError

FaultValue = float | int | bool | tuple[float, ...]

NOMINAL_CLOCK_ERROR = 20e-6
"""A healthy unit's crystal is 20 ppm fast [E]; `clock_error=F` replaces it."""


@dataclass(frozen=True)
class Fault:
    """One parsed fault: its name, its typed value, and the text it came from."""

    name: str
    value: FaultValue
    text: str


@dataclass(frozen=True)
class FaultProfile:
    """Every knob a fault can turn, at its healthy value unless a fault changed it."""

    gain: float = 1.0
    level_table_ua: tuple[float, ...] = (80.0, 160.0, 240.0, 320.0, 400.0)
    compliance_v: float = 12.0
    stuck_polarity: bool = False
    phase_asymmetry: float = 0.0
    leak_ua: float = 0.0
    charger_interlock: bool = True
    ocp: bool = True
    ocp_delay_ms: float = 10.0
    contact_detect: bool = True
    soft_start: bool = True
    clock_error: float = NOMINAL_CLOCK_ERROR
    session_s: float = 300.0
    autooff_s: float = 1200.0
    lowbatt_cutoff: bool = True
    boost_unlimited: bool = False
    report_level_offset: int = 0
    reboot_at_s: float | None = None
    slew_us: float = 0.0
    biphasic_gap_ms: float | None = None

    @classmethod
    def from_faults(
        cls, faults: Iterable[Fault | str], source: str | Path = "faults"
    ) -> FaultProfile:
        """Apply faults (parsed or text) to a healthy unit; each name at most once."""
        profile = cls()
        seen: set[str] = set()
        for item in faults:
            fault = item if isinstance(item, Fault) else parse_fault(item, source=source)
            if fault.name in seen:
                raise InputError(source, fault.name, "each fault at most once", got=fault.text)
            seen.add(fault.name)
            changes: dict[str, object] = {_FIELD.get(fault.name, fault.name): fault.value}
            profile = replace(profile, **changes)  # type: ignore[arg-type]
        return profile


_FIELD = {"level_table": "level_table_ua"}
_SWITCHES = ("charger_interlock", "ocp", "contact_detect", "soft_start", "lowbatt_cutoff")
_FLAGS = ("stuck_polarity", "boost_unlimited")


def _number(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    def convert(text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            raise ValueError(text)
        return value

    return convert


def _level_table(text: str) -> tuple[float, ...]:
    values = tuple(_number(0.0, 10_000.0)(part) for part in text.split(","))
    if len(values) != 5:
        raise ValueError(text)
    return values


def _offset(text: str) -> int:
    value = int(text)
    if abs(value) > 4:
        raise ValueError(text)
    return value


_NUMERIC: dict[str, tuple[Callable[[str], FaultValue], str]] = {
    "gain": (_number(0.0, 10.0, low_open=True), "a factor in (0, 10]"),
    "level_table": (_level_table, "five comma-separated currents in uA, 0-10000"),
    "compliance_v": (_number(0.0, 100.0, low_open=True), "volts in (0, 100]"),
    "phase_asymmetry": (_number(-1.0, 1.0), "a fraction in [-1, 1]"),
    "leak_ua": (_number(-1000.0, 1000.0), "microamps in [-1000, 1000]"),
    "ocp_delay_ms": (_number(0.0, 10_000.0), "milliseconds in [0, 10000]"),
    "clock_error": (_number(-0.5, 0.5), "a fraction in [-0.5, 0.5]"),
    "session_s": (_number(0.0, 1e6, low_open=True), "seconds > 0"),
    "autooff_s": (_number(0.0, 1e6, low_open=True), "seconds > 0"),
    "report_level_offset": (_offset, "an integer in [-4, 4]"),
    "reboot_at_s": (_number(0.0, 1e6, low_open=True), "seconds in (0, 1e6]"),
    "slew_us": (_number(0.0, 5000.0), "microseconds in [0, 5000]"),
    "biphasic_gap_ms": (_number(0.0, 10.0), "milliseconds in [0, 10]"),
}

KNOWN_FAULTS: tuple[str, ...] = tuple(sorted((*_NUMERIC, *_SWITCHES, *_FLAGS)))
"""Every fault name `parse_fault` accepts."""


def parse_fault(text: str, source: str | Path = "faults") -> Fault:
    """Parse `NAME` or `NAME=VALUE`; `source` names the file or option for the error."""
    name, sep, raw = text.strip().partition("=")
    name, raw = name.strip(), raw.strip()
    if name in _FLAGS:
        if sep:
            raise InputError(source, name, "no value (a flag)", got=text)
        return Fault(name, True, text)
    if name in _SWITCHES:
        if raw not in ("off", "on"):
            raise InputError(source, name, f"{name}=off (or =on)", got=text)
        return Fault(name, raw == "on", text)
    if name in _NUMERIC:
        convert, expected = _NUMERIC[name]
        if not sep:
            raise InputError(source, name, f"{name}=VALUE with {expected}", got=text)
        try:
            return Fault(name, convert(raw), text)
        except ValueError:
            raise InputError(source, name, expected, got=raw) from None
    raise InputError(source, "fault", "one of " + ", ".join(KNOWN_FAULTS), got=text)


def describe(profile: FaultProfile) -> list[str]:
    """The fields that differ from a healthy unit, as `name=value` (for logs and records)."""
    healthy = FaultProfile()
    return [
        f"{f.name}={getattr(profile, f.name)!r}"
        for f in fields(profile)
        if getattr(profile, f.name) != getattr(healthy, f.name)
    ]
