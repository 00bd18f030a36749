"""Unit-to-unit spread: every simulated RMD-1 a little different, like a real production lot.

No two real units are alike. The sense resistor that sets the output current has a
tolerance, the crystal that times every pulse is a few ppm off, the boost converter
reaches a slightly different compliance voltage, the two halves of the H-bridge are not
perfectly matched and the output switches leak a little. A compliance harness sees this
as scatter across units; process-capability statistics (``harness.reporting.stats``:
Cp, Cpk, control charts) measure how much room that scatter leaves inside the limits.
A simulator whose units are all identical would show σ ≈ 0 and Cpk = ∞, which teaches
nothing, so a simulated unit may draw its analog properties from these distributions
[E, chosen for the reference device, not measured on any product]:

| property | FaultProfile knob | distribution | requirement that sees it |
|---|---|---|---|
| sense-resistor gain | ``gain`` | normal, mean 1, sd 1.5 % | OUT-AMP-*, WAV-IAVG |
| crystal error | ``clock_error`` | normal, mean +20 ppm, sd 20 ppm | WAV-FREQ, WAV-PW, TIM-* |
| compliance voltage | ``compliance_v`` | normal, mean 12 V, sd 2 % | OUT-VCOMP |
| phase mismatch | ``phase_asymmetry`` | normal, mean 0, sd 0.1 % | WAV-DC |
| output-switch leak | ``leak_ua`` | exponential, mean 0.05 uA | LKG-AUX-DC, OUT-MIN |

With these a typical lot passes: the spread sits well inside every limit except
OUT-VCOMP, whose guarded acceptance zone (10.8–13.2 V shrunk by U ≈ 0.42 V) is about
±3σ wide, so roughly one unit in 600 fails there. Cpk is finite and visible: about
1.6 for OUT-VCOMP, about 4.4 for OUT-AMP-L5, WAV-IAVG and WAV-QPH (σ = 1.5 % of a
value 20 % inside its limit).

**Stable identity.** A unit is its serial: the draw is seeded from the bench seed and
the SHA-256 of the serial (Python's ``hash()`` changes between processes), so
``RMD1-SIM-0042`` with seed 1 is the same unit in every run, on every machine, today
and next year (as long as numpy's PCG64 and its normal/exponential samplers stay as they
are, which numpy promises only loosely). Retesting a unit therefore measures the same
unit again, as a real retest would.

**Off by default.** ``SimBench`` without ``unit_spread=True`` is exactly the nominal
unit the rest of the test suite relies on. **Explicit faults win**: a fault injected by
name (``gain=0.7``) replaces the drawn value of that knob; the other knobs keep theirs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from harness.sim.faults import NOMINAL_CLOCK_ERROR, Fault, FaultProfile, parse_fault

SPREAD_KNOBS: tuple[str, ...] = (
    "gain",
    "clock_error",
    "compliance_v",
    "phase_asymmetry",
    "leak_ua",
)
"""The FaultProfile fields (also fault names) a unit's spread sets, in draw order."""


@dataclass(frozen=True)
class SpreadModel:
    """The lot's distributions; ``RMD1_SPREAD`` is the reference device's [E]."""

    gain_sd: float = 0.015
    clock_error_mean: float = NOMINAL_CLOCK_ERROR
    clock_error_sd: float = 20e-6
    compliance_v_mean: float = 12.0
    compliance_v_rel_sd: float = 0.02
    phase_asymmetry_sd: float = 0.001
    leak_mean_ua: float = 0.05


RMD1_SPREAD = SpreadModel()


@dataclass(frozen=True)
class UnitSpread:
    """One unit's drawn analog properties, as values of the FaultProfile knobs."""

    serial: str
    seed: int
    gain: float
    clock_error: float
    compliance_v: float
    phase_asymmetry: float
    leak_ua: float

    def knobs(self) -> dict[str, float]:
        """Knob name -> drawn value, in ``SPREAD_KNOBS`` order."""
        return {name: float(getattr(self, name)) for name in SPREAD_KNOBS}

    def fault_texts(self, skip: Iterable[str] = ()) -> list[str]:
        """The spread written as faults (``gain=1.0123…``), leaving out the knobs in ``skip``.

        ``repr`` of a float round-trips exactly through ``parse_fault``'s ``float()``, so
        a unit passed this way (``hil run --sim-fault …``, as ``hil batch`` does) is the
        very unit ``SimBench(unit_spread=True)`` builds, and its run record lists the
        values it was simulated with.
        """
        skipped = set(skip)
        return [f"{name}={value!r}" for name, value in self.knobs().items() if name not in skipped]

    def apply(self, profile: FaultProfile, explicit: Iterable[str] = ()) -> FaultProfile:
        """``profile`` with the drawn knobs, except those named in ``explicit`` (they win)."""
        keep = set(explicit)
        changes = {name: value for name, value in self.knobs().items() if name not in keep}
        return replace(profile, **changes)  # type: ignore[arg-type]


def draw_unit(serial: str, seed: int = 0, model: SpreadModel = RMD1_SPREAD) -> UnitSpread:
    """The unit with this serial in the lot of this seed: same inputs, same unit, always."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    digest = int.from_bytes(hashlib.sha256(serial.encode("utf-8")).digest()[:16], "little")
    rng = np.random.default_rng(np.random.SeedSequence([seed, digest]))
    z = rng.standard_normal(4)  # one block, so adding a knob later cannot shift these
    leak = rng.exponential(model.leak_mean_ua)
    return UnitSpread(
        serial=serial,
        seed=seed,
        gain=1.0 + model.gain_sd * float(z[0]),
        clock_error=model.clock_error_mean + model.clock_error_sd * float(z[1]),
        compliance_v=model.compliance_v_mean * (1.0 + model.compliance_v_rel_sd * float(z[2])),
        phase_asymmetry=model.phase_asymmetry_sd * float(z[3]),
        leak_ua=float(leak),
    )


def fault_names(faults: Iterable[Fault | str], source: str = "faults") -> list[str]:
    """The knob names explicit faults set (``"gain=0.7"`` -> ``"gain"``)."""
    return [f.name if isinstance(f, Fault) else parse_fault(f, source=source).name for f in faults]
