"""Make a package's entry points visible to ``importlib.metadata`` without installing it.

An installed distribution is, to ``importlib.metadata``, a ``<name>-<version>.dist-info``
folder on ``sys.path`` with ``METADATA`` and ``entry_points.txt``. Writing that folder
from the package's own ``pyproject.toml`` and putting it (and the package's source) on
``sys.path`` is what ``pip install`` would leave, minus the copying, the build backend
and the network: milliseconds instead of seconds, and nothing to uninstall.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path


def write_dist_info(
    site: Path, name: str, version: str, entry_points: dict[str, dict[str, str]]
) -> Path:
    """``site/<name>-<version>.dist-info`` with the given entry points (group → name → value)."""
    folder = site / f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines: list[str] = []
    for group, points in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{point} = {value}" for point, value in points.items()]
        lines.append("")
    (folder / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def dist_info_from_pyproject(project: Path, site: Path) -> Path:
    """The dist-info ``pip install project`` would write, from its ``pyproject.toml``."""
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return write_dist_info(site, meta["name"], meta["version"], meta.get("entry-points", {}))
