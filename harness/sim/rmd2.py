"""The simulated RMD-2 as the bench reaches it: two buttons, and nothing else.

A unit without a test port answers no question. All the bench can do is close the
contacts of a button for a while (a relay channel wired across them, or the simulated
operator's finger) and watch what the output and the supplies do. `Rmd2Device` is that
surface; `SimBench` owns it (`SimBench.device`) and routes relay closures of the channels
the bench file wires to the buttons here (`SimBench.relays_changed`).

The physical model underneath is the RMD-1's: the same output stage (`physics`), in its
biphasic-pair form with a 4 ms interphase gap and 10 V compliance, the same battery and
charger model, the same virtual clock. Only the firmware differs
(`harness.sim.firmware_rmd2`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.sim import physics
from harness.sim.clock import VirtualClock
from harness.sim.device import DeviceHost, DeviceIdentity
from harness.sim.faults import Fault
from harness.sim.faults_rmd2 import Rmd2Faults, rmd2_faults
from harness.sim.firmware_rmd2 import BUTTONS, COMPLIANCE_V, Rmd2Firmware

MODEL, FIRMWARE_VERSION, HARDWARE_REVISION = "RMD-2", "2.0.1", "A"


def rmd2_stage(faults: Rmd2Faults) -> physics.OutputStage:
    """The RMD-2's output stage: biphasic pairs with an interphase gap, 10 V compliance."""
    return physics.OutputStage(
        compliance_v=COMPLIANCE_V,
        negative_phase_factor=(1.0 - physics.NOMINAL_PHASE_MISMATCH)
        * (1.0 - faults.phase_asymmetry),
        leak_a=faults.leak_ua * 1e-6,
        biphasic_gap_s=faults.gap_ms * 1e-3,
    )


class Rmd2Device:
    """The simulated RMD-2's buttons, pressed at the bench's present."""

    def __init__(
        self, host: DeviceHost, firmware: Rmd2Firmware, clock: VirtualClock, serial: str
    ) -> None:
        self._host, self.firmware, self._clock = host, firmware, clock
        self._identity = DeviceIdentity(MODEL, serial, FIRMWARE_VERSION, HARDWARE_REVISION)

    @property
    def identity(self) -> DeviceIdentity:
        """What the label and the box say; the unit itself cannot be asked."""
        return self._identity

    @property
    def has_power(self) -> bool:
        with self._host.lock:
            return self.firmware.has_power

    def button(self, name: str, down: bool) -> None:
        """Close (down) or open the contacts of button `name` now."""
        with self._host.lock:
            self._host.catch_up()
            self.firmware.button(self._clock.now(), name, down)
            self._host.commit()


def build_rmd2(
    host: DeviceHost,
    clock: VirtualClock,
    faults: Iterable[Fault | str],
    source: str | Path,
    serial: str,
) -> tuple[Rmd2Faults, physics.OutputStage, Rmd2Firmware, Rmd2Device]:
    """The RMD-2's fault profile, output stage, firmware and button surface."""
    profile = rmd2_faults(faults, source=source)
    firmware = Rmd2Firmware(profile)
    return profile, rmd2_stage(profile), firmware, Rmd2Device(host, firmware, clock, serial)


__all__ = ["BUTTONS", "MODEL", "Rmd2Device", "build_rmd2", "rmd2_stage"]
