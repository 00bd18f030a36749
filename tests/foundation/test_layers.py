"""The layers of docs/architecture.md, as the imports of harness/ have them.

Each package of ``harness/`` is a layer; a module may import from its own layer and the
layers below it, never from one above, and the four leaf layers that stand side by side
(drivers, the unit's port, the simulator, the analysis) never from each other: a change
to a driver never touches reporting, and the simulator stays a model that speaks only
through the real VISA and serial stacks. Imports under ``if TYPE_CHECKING:`` count too: a
type hint is a dependency. The check reads the source (``ast``), so it also sees imports
inside functions, which a runtime check would miss.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "harness"

LAYERS: list[set[str]] = [
    {"errors"},
    {"data"},
    {"events"},
    {"judging"},
    {"definitions"},
    {"recording"},
    {"instruments", "dut", "sim", "analysis"},
    {"bench"},
    {"procedures"},
    {"reporting"},
    {"plugin"},
    {"cli"},
]
"""Bottom to top. A set of several names: layers side by side, independent of each other."""


def _rank(layer: str) -> int:
    for index, names in enumerate(LAYERS):
        if layer in names:
            return index
    raise AssertionError(f"harness/{layer} is in no layer of LAYERS (add it, bottom to top)")


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "harness" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import of a harness module in ``path``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "harness":  # a module of harness/, or the package's face
                found += [
                    (node.lineno, f"harness.{a.name}")
                    for a in node.names
                    if (HARNESS / a.name).is_dir() or (HARNESS / f"{a.name}.py").is_file()
                ]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module"):
            raise AssertionError(f"{path}:{node.lineno}: a module loaded by name hides a layer")
    return [(line, m) for line, m in found if m.startswith("harness")]


def _module(path: Path) -> str:
    return ".".join(("harness", *path.relative_to(HARNESS).with_suffix("").parts))


def violations() -> list[str]:
    found = []
    for path in sorted(HARNESS.rglob("*.py")):
        mine = _layer(_module(path))
        if mine is None or mine in ("__init__", "__main__"):
            continue
        for line, module in _imports(path):
            theirs = _layer(module)
            if theirs is None or theirs == mine:
                continue
            if _rank(theirs) > _rank(mine) or _rank(theirs) == _rank(mine):
                found.append(f"{path.relative_to(HARNESS.parent)}:{line}: {mine} -> {module}")
    return found


def test_no_module_imports_from_a_higher_or_a_sibling_layer() -> None:
    assert violations() == []


def test_every_package_of_harness_is_a_layer() -> None:
    packages = {p.name for p in HARNESS.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in HARNESS.glob("*.py")} - {"__init__", "__main__"}
    assert modules == {"errors"}, f"modules loose in harness/: {sorted(modules - {'errors'})}"
    for name in packages:
        _rank(name)


def test_the_check_sees_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a driver that imports reporting is caught, with its line."""
    fake = tmp_path / "harness"
    (fake / "instruments").mkdir(parents=True)
    (fake / "instruments" / "meter.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from harness.reporting.compliance import build_compliance_report\n"
    )
    (fake / "sim").mkdir()
    (fake / "sim" / "model.py").write_text("def f():\n    from harness.dut import testport\n")
    monkeypatch.setattr(__import__(__name__), "HARNESS", fake)
    assert violations() == [
        "harness/instruments/meter.py:3: instruments -> harness.reporting.compliance",
        "harness/sim/model.py:2: sim -> harness.dut",
    ]
