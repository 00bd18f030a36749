"""Where in-process transports find their simulated bench.

A PyVISA resource string such as `TCPIP0::dmm.sim::5025::SOCKET` opened through
`ResourceManager("bench7@hilsim")`, or the pyserial URL `hilsim://bench7`, names a bench
only by its id. The test fixture that builds a `SimBench` registers it here under that id;
the transports look it up when a resource is opened. Each bench id names exactly one
bench, so two benches in one process (two parallel test sessions) never cross wires.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

# A registered bench is reached over pyserial as hilsim://<bench id>: the URL scheme is
# made known to pyserial by the simulator itself, so the unit's driver (harness.dut)
# never has to know that a simulator exists.
import harness.sim.transports  # noqa: F401

if TYPE_CHECKING:
    from harness.sim.bench import SimBench

_benches: dict[str, SimBench] = {}
_lock = threading.Lock()


def register(bench_id: str, sim: SimBench) -> None:
    """Make `sim` reachable as `bench_id`.

    Registering the same bench twice is harmless; registering a *different* bench under
    an id already in use is refused, because instruments already open on the old bench
    would silently talk to a different model than new ones.
    """
    if not bench_id:
        raise ValueError("bench id must be a non-empty string")
    with _lock:
        present = _benches.get(bench_id)
        if present is not None and present is not sim:
            raise ValueError(f"bench id {bench_id!r} is already registered to another bench")
        _benches[bench_id] = sim


def lookup(bench_id: str) -> SimBench:
    """The bench registered as `bench_id`; KeyError naming the known ids if there is none."""
    with _lock:
        try:
            return _benches[bench_id]
        except KeyError:
            known = ", ".join(sorted(_benches)) or "none"
            raise KeyError(
                f"no simulated bench registered as {bench_id!r} (registered: {known}); "
                "build a SimBench and call harness.sim.registry.register first"
            ) from None


def unregister(bench_id: str) -> None:
    """Forget `bench_id`; unknown ids are ignored so teardown can run unconditionally."""
    with _lock:
        _benches.pop(bench_id, None)


def registered() -> list[str]:
    """The ids registered now, sorted (for diagnostics)."""
    with _lock:
        return sorted(_benches)
