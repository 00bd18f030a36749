"""pyserial URL handler `hilrelay://<bench_id>`: the simulated relay board, in-process.

The serial relay board's counterpart of `hilsim://` (`line_port` says how the bytes
move): the harness's relay-board driver opens it like a board on a USB port, and each
complete line is executed by the bench's simulated board (`harness.sim.relay_board`).

pyserial imports this module by name once `harness.sim.transports` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.sim.relay_board import relay_board_for
from harness.sim.transports.line_port import LineDevice, LinePort

if TYPE_CHECKING:
    from harness.sim.bench import SimBench


class Serial(LinePort):
    """A pyserial port object whose far end is a simulated relay board."""

    scheme = "hilrelay"

    def device_on(self, bench: SimBench) -> LineDevice:
        return relay_board_for(bench)
