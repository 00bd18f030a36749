"""A simulated bench that looks real: every instrument on a TCP port, the unit on a pty.

`open_bench` can run a simulated bench in-process or on loopback sockets, but either way
the harness *knows* it is simulated (the bench file has a `simulation:` block). To test
the harness exactly as it runs on a station, and to let another process (a second
harness, PyMeasure, a terminal program, a person with `nc`) use the simulator, the bench
is served instead: `serve_bench` builds one `SimBench` from the file's `simulation:`
block, listens for each simulated instrument on its own port of 127.0.0.1 (raw SCPI,
like port 5025 of a LAN instrument) and offers the unit's test port on a
pseudo-terminal or a loopback socket. `ServedBench.bench_yaml()` then writes the bench
file of that station as an engineer would for real hardware: the same instruments,
serials, calibration dates, accuracy lines and loads, but `TCPIP0::127.0.0.1::<port>::
SOCKET` resource strings, `visa_library: "@py"` (pyvisa-py, the stock pure-Python
backend), the pty path or `socket://` URL as the device port, an absolute spec path, and
no `simulation:` block. `hil run --bench <that file>` cannot tell it from hardware.

    with serve_bench(load_bench("fixtures/benches/sim.yaml")) as served:
        Path("served.yaml").write_text(served.bench_yaml())
        ...                                  # another process runs against it
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import yaml

from harness.definitions.bench_file import BenchFile
from harness.errors import InputError
from harness.sim.bench import SimBench
from harness.sim.instruments import ROLE_OF_MODEL
from harness.sim.pty_port import ServedDevice, serve_device
from harness.sim.server import (
    IDLE_TIMEOUT_S,
    MAX_CONNECTIONS,
    ServedInstruments,
    serve_instruments,
)

DeviceKind = Literal["pty", "socket"]

SIMULATED_MODELS = ROLE_OF_MODEL
"""Bench-file model → the simulated rack's role that plays it (`ROLE_OF_MODEL`)."""


@dataclass
class ServedBench:
    """A running simulated bench: its model, servers, and the bench file that reaches it."""

    source: BenchFile
    sim: SimBench
    instruments: ServedInstruments
    device: ServedDevice
    #: bench-file instrument name → the simulated rack's role serving it
    roles: dict[str, str]

    @property
    def resources(self) -> dict[str, str]:
        """Bench-file instrument name → its loopback VISA resource string."""
        served = self.instruments.resources
        return {name: served[role] for name, role in self.roles.items()}

    @property
    def device_url(self) -> str:
        """Where the unit's test port is: a `/dev/pts/N` path or a `socket://` URL."""
        return self.device.url

    @property
    def unit_serial(self) -> str:
        """The serial number the simulated unit reports (`ID?`)."""
        return str(self.sim.device.identity[1])

    def bench_document(self) -> dict[str, Any]:
        """The served station's bench file as plain data (see the module docstring)."""
        doc: dict[str, Any] = self.source.document.model_dump(
            mode="json", by_alias=True, exclude={"simulation"}
        )
        doc["bench"]["visa_library"] = "@py"
        doc["bench"]["spec"] = str(self.source.spec_path)
        resources = self.resources
        for entry in doc["instruments"]:
            entry["resource"] = resources[entry["name"]]
        doc["device"]["port"] = self.device_url
        return doc

    def bench_yaml(self) -> str:
        """The served station's bench file, ready for `load_bench` and `hil run --bench`."""
        header = (
            f"# Bench {self.source.id} served by `hil sim serve` from {self.source.path}\n"
            f"# (seed {self.sim.seed}, unit {self.unit_serial}). Every instrument is a\n"
            "# simulated one on a loopback TCP port and the unit's test port is a\n"
            f"# {'pseudo-terminal' if self.device_url.startswith('/') else 'loopback socket'};"
            " the harness sees a real bench.\n"
        )
        return header + yaml.safe_dump(self.bench_document(), sort_keys=False)

    def stop(self) -> None:
        """Stop the device port and every instrument server; safe to call twice."""
        self.device.stop()
        self.instruments.stop()

    def __enter__(self) -> ServedBench:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _roles(bench_file: BenchFile) -> dict[str, str]:
    roles: dict[str, str] = {}
    for index, entry in enumerate(bench_file.document.instruments):
        role = SIMULATED_MODELS.get(entry.model)
        if role is None:
            raise InputError(
                bench_file.path,
                f"instruments[{index}].model",
                f"a model the simulator provides ({', '.join(sorted(SIMULATED_MODELS))})",
                got=entry.model,
            )
        if role in roles.values():
            raise InputError(
                bench_file.path,
                f"instruments[{index}].model",
                "each simulated model once (one simulated bench has one of each)",
                got=entry.model,
            )
        roles[entry.name] = role
    return roles


def serve_bench(
    bench_file: BenchFile,
    *,
    seed: int | None = None,
    faults: Iterable[str] = (),
    serial: str | None = None,
    device: DeviceKind = "pty",
    max_connections: int = MAX_CONNECTIONS,
    idle_timeout_s: float | None = IDLE_TIMEOUT_S,
) -> ServedBench:
    """Build the file's simulated bench and serve it on 127.0.0.1 until `stop()`.

    `seed` and `serial` override the `simulation:` block; `faults` (`--sim-fault`
    syntax) add to the block's own. Errors in any of them are `InputError`s, raised
    before anything listens. `max_connections` and `idle_timeout_s` bound each
    instrument's clients (see `harness.sim.server`).
    """
    simulation = bench_file.document.simulation
    if simulation is None:
        raise InputError(bench_file.path, "simulation", "a simulation: block to serve")
    if device not in ("pty", "socket"):
        raise InputError("--device", "device", "pty or socket", got=device)
    roles = _roles(bench_file)
    sim = SimBench(
        seed=simulation.seed if seed is None else seed,
        faults=[*simulation.faults, *faults],
        serial=serial or simulation.unit_serial,
        fault_source="--sim-fault",
    )
    if max_connections < 1:
        raise InputError("--max-connections", "max_connections", "1 or more", got=max_connections)
    if idle_timeout_s is not None and not idle_timeout_s > 0:
        raise InputError("--idle-timeout", "idle_timeout_s", "seconds above 0", got=idle_timeout_s)
    instruments = serve_instruments(
        sim,
        roles=sorted(set(roles.values())),
        max_connections=max_connections,
        idle_timeout_s=idle_timeout_s,
    )
    try:
        served_device = serve_device(sim, device)
    except BaseException:
        instruments.stop()
        raise
    return ServedBench(bench_file, sim, instruments, served_device, roles)


__all__ = ["SIMULATED_MODELS", "ServedBench", "serve_bench"]
