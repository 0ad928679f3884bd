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


def test_zarr_is_imported_only_by_the_store_layer() -> None:
    offenders = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path != SRC / "core" / "store.py"
        and any(m == "zarr" or m.startswith("zarr.") for m in imported_modules(path))
    )
    assert offenders == []


def test_core_knows_no_convention() -> None:
    offenders = sorted(
        str(path.relative_to(SRC))
        for path in (SRC / "core").rglob("*.py")
        if any(m.split(".")[0] in ("ngff", "geozarr") for m in imported_modules(path))
    )
    assert offenders == []
