"""``hil sim serve``: run a simulated bench as if it were a station on the network.

``hil sim faults`` lists the faults a simulated unit can be given (``--sim-fault``),
with the values each takes and the requirements that catch it.

    hil sim serve [--bench FILE] [--seed N] [--sim-fault F ...] [--serial SN]
                  [--device pty|socket] [--write-bench PATH]
                  [--max-connections N] [--idle-timeout S]

It serves every simulated instrument of the bench file on a loopback TCP port and the
unit's test port on a pseudo-terminal (or a loopback socket), prints the resource
strings, and prints the bench file that reaches them (or writes it to ``--write-bench``,
atomically, so a script waiting for the file never reads half of it). Then it serves
until SIGINT or SIGTERM and stops cleanly, closing every socket and the pty.

In another terminal, ``hil run --bench served.yaml --serial RMD1-SIM-0001`` tests the
simulated unit through pyvisa-py and pyserial exactly as it would a real one.
Input errors (an unreadable bench file, an unknown fault) exit with status 2 before
anything listens, like every ``hil`` command.

Each instrument serves at most ``--max-connections`` clients at once (16) and closes a
connection silent for ``--idle-timeout`` seconds (300; 0: never); running short of file
descriptors only pauses accepting (``harness.sim.server``). Should an instrument's
server stop accepting for good all the same, the command says which, stops the others
and exits 1, rather than go on printing that it serves.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from harness.data import SIM_BENCH
from harness.errors import HilError

if TYPE_CHECKING:
    from harness.sim.serve import ServedBench

DEFAULT_BENCH = SIM_BENCH


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``sim`` (with its ``serve`` action) on the top-level ``hil`` subparsers.

    The returned ``sim`` parser sets ``sim_command="serve"``; dispatch with :func:`run`.
    """
    sim: argparse.ArgumentParser = subparsers.add_parser(
        "sim", help="run the simulated bench for other processes"
    )
    actions = sim.add_subparsers(dest="sim_command", required=True)
    serve = actions.add_parser(
        "serve", help="serve the simulated instruments on loopback TCP and the unit on a pty"
    )
    serve.add_argument("--bench", help="bench file with a simulation: block (default: sim.yaml)")
    serve.add_argument("--seed", type=int, help="model seed (default: the bench file's)")
    serve.add_argument(
        "--sim-fault",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a fault of the simulated unit (repeatable; hil sim faults lists them)",
    )
    serve.add_argument("--serial", help="serial the simulated unit reports")
    serve.add_argument(
        "--device",
        choices=["pty", "socket"],
        default="socket" if os.name == "nt" else "pty",
        help="the unit's test port: a pseudo-terminal (default; Windows has none, so there "
        "the default is socket) or a loopback socket",
    )
    serve.add_argument("--write-bench", metavar="PATH", help="write the bench file here")
    serve.add_argument(
        "--max-connections", type=int, default=16, metavar="N", help="clients per instrument"
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="close a connection silent this long (0: never)",
    )
    faults = actions.add_parser(
        "faults", help="list the faults a simulated unit can have, with their values"
    )
    faults.set_defaults(sim_command="faults")
    return sim


def fault_table() -> list[tuple[str, str, str, str]]:
    """Every fault the simulated unit knows: name, values it takes, defect, requirements.

    The names and value ranges come from the parser's own table of converters
    (``harness.sim.faults``), so the list cannot drift from what ``--sim-fault``
    accepts; what each fault does and what catches it from the module's documented
    table. Imported here, when asked, so ``hil`` starts without the simulator.
    """
    from harness.sim import faults

    described: dict[str, tuple[str, str]] = {}
    written: dict[str, str] = {}
    for line in (faults.__doc__ or "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) != 3:
            continue
        for name, value in re.findall(r"`([a-z_]+)(=[^`]*)?`", cells[0]):
            described[name] = (cells[1], cells[2].replace("see below", "see harness/sim/faults.py"))
            written[name] = f"{name}{value}"
    numeric = faults._NUMERIC
    rows = []
    for name in faults.KNOWN_FAULTS:
        if name in numeric:
            values = f"{written.get(name, name + '=VALUE')}: {numeric[name][1]}"
        elif name in faults._SWITCHES:
            values = f"{name}=off (or =on)"
        else:
            values = f"{name} (a flag, no value)"
        what, caught = described.get(name, ("", ""))
        rows.append((name, values, what, caught.replace("`", "")))
    return rows


def print_faults() -> int:
    """``hil sim faults``: the table, aligned, on standard output."""
    rows = [("FAULT", "VALUES", "WHAT IS WRONG IN THE UNIT", "CAUGHT BY"), *fault_table()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3])
    return 0


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def _announce(args: argparse.Namespace, served: ServedBench) -> None:
    """Print the resource strings, and the bench file or where it was written."""
    print(
        f"hil sim serve: bench {served.source.id}, seed {served.sim.seed}, "
        f"unit {served.unit_serial}"
    )
    for name, resource in served.resources.items():
        print(f"  {name:<8} {resource}")
    print(f"  {'device':<8} {served.device_url}")
    text = served.bench_yaml()
    if args.write_bench:
        _write_atomically(Path(args.write_bench), text)
        print(f"bench file written to {Path(args.write_bench).resolve()}")
    else:
        print(text, end="")
    print("serving; stop with Ctrl-C or SIGTERM", flush=True)


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or until ``stop`` is set); 0 on a clean stop, 2 on bad input.

    Signal handlers are installed only in the main thread (Python allows nothing else);
    a caller in another thread passes ``stop`` instead.
    """
    from harness.definitions.bench_file import load_bench
    from harness.sim.serve import serve_bench

    if getattr(args, "sim_command", "serve") == "faults":
        return print_faults()
    stop = stop if stop is not None else threading.Event()
    previous: dict[signal.Signals, Any] = {}

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Handlers first: a signal that arrives while the servers start still stops cleanly.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _stop)
    try:
        try:
            bench_file = load_bench(Path(args.bench) if args.bench else DEFAULT_BENCH)
            idle = float(getattr(args, "idle_timeout", 300.0))
            served = serve_bench(
                bench_file,
                seed=args.seed,
                faults=list(args.sim_fault),
                serial=args.serial,
                device=args.device,
                max_connections=int(getattr(args, "max_connections", 16)),
                idle_timeout_s=None if idle == 0 else idle,
            )
        except HilError as error:
            print(f"hil: input error: {error}", file=sys.stderr)
            return 2
        try:
            _announce(args, served)
            while not stop.wait(0.5):  # a timed wait lets the signal handler run promptly
                failed = served.instruments.failures()
                if failed:
                    for role, why in failed.items():
                        print(f"hil sim serve: {role} stopped accepting: {why}", file=sys.stderr)
                    return 1
        finally:
            served.stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("hil sim serve: stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m harness.cli.sim [options]``: the same as ``hil sim serve``."""
    parser = argparse.ArgumentParser(prog="hil")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sim", "serve", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
