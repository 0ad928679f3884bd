"""The GeoZarr writers are modules by job; the names they had before the split still import.

Regression: ``geozarr.write`` imported ``geozarr.pyramid`` inside ``write()`` and
``geozarr.pyramid`` imported private functions of ``geozarr.write`` (a cycle), and
``write.py`` had 833 lines. The cycle and the length are checked for all of ``src/`` in
``tests/test_architecture.py``; here, that the two modules no longer import each other.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _imports(module: str) -> set[str]:
    """The modules a module imports, at any depth of its code."""
    path = SRC.joinpath(*module.split(".")).with_suffix(".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_write_and_pyramid_do_not_import_each_other() -> None:
    assert not {m for m in _imports("geozarr.write") if m.startswith("geozarr.pyramid")}
    assert not {m for m in _imports("geozarr.pyramid") if m.startswith("geozarr.write")}


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "geozarr.write",
            "CF_VERSION GRID_MAPPING GeoWriteError Grid WriteResult encode_fill_value "
            "grid_from_xarray parse_transform write write_level_metadata",
        ),
        ("geozarr.pyramid", "RESAMPLING_NAMES GeoPyramid default_method pyramid"),
    ],
)
def test_the_old_public_names_still_import(module: str, names: str) -> None:
    loaded = importlib.import_module(module)
    for name in names.split():
        assert getattr(loaded, name) is not None, name
    writing_grid = importlib.import_module("geozarr.writing.grid")
    if module == "geozarr.write":
        assert loaded.GeoWriteError is writing_grid.GeoWriteError
        assert loaded.Grid is writing_grid.Grid
