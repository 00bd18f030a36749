"""pyserial URL handler `hilsim://<bench_id>`: the simulated unit's UART, in-process.

The fastest and most deterministic way to reach the simulated device (`line_port`
says how the bytes move): each complete request line runs through the bench's test-port
firmware at once, advancing the virtual clock by the bytes moved
(`harness.sim.testport_firmware`).

pyserial imports this module by name once `harness.sim.transports` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.sim.testport_firmware import firmware_for
from harness.sim.transports.line_port import LineDevice, LinePort

if TYPE_CHECKING:
    from harness.sim.bench import SimBench


class Serial(LinePort):
    """A pyserial port object whose far end is a simulated RMD-1's test port."""

    scheme = "hilsim"

    def device_on(self, bench: SimBench) -> LineDevice:
        return firmware_for(bench)
