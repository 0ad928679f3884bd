"""The GeoZarr writers are modules by job: no import cycle, none over 700 lines, old names kept.

Regression: ``geozarr.write`` imported ``geozarr.pyramid`` inside ``write()`` and
``geozarr.pyramid`` imported private functions of ``geozarr.write`` (a cycle), and
``write.py`` had 833 lines.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "geozarr"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Every geozarr module and the geozarr modules it imports, at any depth of its code."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[name] = 2
        stack.pop()
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)) is not None:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_geozarr() -> None:
    graph = _graph()
    assert "geozarr.pyramid" not in graph["geozarr.write"]
    assert "geozarr.write" not in graph["geozarr.pyramid"]
    assert _cycle(graph) is None


def test_no_geozarr_module_over_700_lines() -> None:
    sizes = {_module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 700} == {}


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
