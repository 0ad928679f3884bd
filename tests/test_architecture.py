"""Layering rules of ARCHITECTURE.md that the code can check about itself."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# The store package's modules that do I/O. Its other modules (keys, compression presets)
# are what models may import, so they must stay free of zarr.
ZARR_MODULES = {
    SRC / "core" / "store" / name
    for name in ("arrays.py", "handle.py", "local.py", "opening.py", "remote.py")
}


def test_zarr_is_imported_only_by_the_store_layer() -> None:
    importers = {
        path
        for path in SRC.rglob("*.py")
        if any(m == "zarr" or m.startswith("zarr.") for m in imported_modules(path))
    }
    assert sorted(str(p.relative_to(SRC)) for p in importers - ZARR_MODULES) == []
    # The list names modules that exist and do import zarr: it cannot go stale unnoticed.
    assert importers >= ZARR_MODULES


def test_core_knows_no_convention() -> None:
    offenders = sorted(
        str(path.relative_to(SRC))
        for path in (SRC / "core").rglob("*.py")
        if any(m.split(".")[0] in ("ngff", "geozarr") for m in imported_modules(path))
    )
    assert offenders == []
