"""Files the harness ships with it: the simulated benches and the RMD-1 spec.

They are package data, so a lab that installs the wheel has them too: ``hil run`` with
no ``--bench`` runs the RMD-1 suites on ``benches/sim.yaml``, and a bench file given by
name (``--bench sim-loopback``) is looked up here when no such file exists. Nothing in
the harness finds a file through the layout of the repository it was developed in.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import InputError

DATA = Path(__file__).resolve().parent
BENCHES = DATA / "benches"
SPECS = DATA / "specs"
SIM_BENCH = BENCHES / "sim.yaml"
SIM_POOL = BENCHES / "pool-sim.yaml"
RMD1_SPEC = SPECS / "rmd1.yaml"


def packaged_benches() -> list[str]:
    """Names of the bench files that ship with the harness (``sim``, ``sim-loopback``…)."""
    return sorted(p.stem for p in BENCHES.glob("*.yaml") if not p.stem.startswith("pool"))


def bench_path(text: str | Path) -> Path:
    """A bench file: an existing path as given, else a packaged bench by name."""
    path = Path(text)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path
    packaged = BENCHES / f"{text}.yaml"
    if packaged.is_file():
        return packaged
    raise InputError(
        "--bench", "bench", f"a bench file or one of {', '.join(packaged_benches())}", got=text
    )
