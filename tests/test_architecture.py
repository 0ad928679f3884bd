"""Layering rules of ARCHITECTURE.md that the code can check about itself."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"

# Work in progress elsewhere (issue 11): the modules being split and the cycle being broken at
# this moment by other changes. These lists only shrink; the integrator empties them.
KNOWN_LONG_MODULES: set[str] = set()
KNOWN_CYCLES: list[list[str]] = []
MAX_LINES = 700


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
    for name in (
        "arrays.py",
        "cache.py",
        "encoded.py",
        "handle.py",
        "local.py",
        "opening.py",
        "ozx_read.py",
        "ozx_write.py",
        "remote.py",
        "retry_store.py",
    )
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


# ----------------------------------------------------------------------------------------
# the import graph


def module_name(path: Path) -> str:
    """The dotted name a file of src/ is imported under (src/core is ngff_geozarr.core)."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[0] == "core":
        parts = ["ngff_geozarr", *parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in SRC.rglob("*.py")}


def _is_type_checking(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def dependencies(path: Path) -> set[str]:
    """The modules of src/ a file imports, at run time, wherever it imports them.

    Function-level imports count: deferring an import hides a cycle from the interpreter,
    not from the design (``geozarr.write`` and ``geozarr.pyramid`` did exactly that). So do
    the lazy re-exports of a package (``lazy_exports``), which are imports deferred to first
    use. Imports under ``if TYPE_CHECKING:`` do not: they never run. ``from a import b``
    depends on the module ``a.b`` when there is one, else on ``a``.
    """
    found: set[str] = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "lazy_exports"
        ):
            found.update(
                c.value
                for c in ast.walk(node)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            )
    return found & set(MODULES)


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert import_cycles(graph) == [["a", "b", "c"], ["e"]]


def test_dependencies_count_deferred_imports_not_type_checking_ones(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "import ngff.versions\n"
        "if TYPE_CHECKING:\n"
        "    import ngff.create\n"
        "def f():\n"
        "    from geozarr import write\n"
        "lazy_exports(__name__, {'convert': 'ngff.convert'})\n"
    )
    assert dependencies(sample) == {"ngff.versions", "geozarr.write", "ngff.convert"}


def test_no_import_cycle_in_src() -> None:
    graph = {name: dependencies(path) for name, path in MODULES.items()}
    assert import_cycles(graph) == KNOWN_CYCLES


# ----------------------------------------------------------------------------------------
# sizes


def test_no_module_over_700_lines() -> None:
    long = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if len(path.read_text().splitlines()) > MAX_LINES
    }
    assert long <= KNOWN_LONG_MODULES, f"over {MAX_LINES} lines: {sorted(long)}"


# ----------------------------------------------------------------------------------------
# models load no I/O

MODELS = ("ngff.v04", "ngff.v05", "ngff.v06", "ngff.common", "geozarr.conventions", "geozarr.cf")
WRITERS = (
    "zarr",
    "ngff.create",
    "ngff.convert",
    "geozarr.write",
    "geozarr.pyramid",
    "geozarr.writing",
    "geozarr.convert",
    "ngff_geozarr.core.pyramid",
    "ngff_geozarr.core.store.handle",
)
"""Modules (and their submodules) that a model must not load: zarr and every writer."""

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("model", MODELS)
def test_importing_a_model_loads_neither_zarr_nor_a_writer(model: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, model], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert model in loaded
    offenders = [m for m in loaded if any(m == w or m.startswith(w + ".") for w in WRITERS)]
    assert offenders == []


def test_a_version_package_reaches_only_into_common() -> None:
    """Regression: 0.5 and 0.6 reused a well check that lived in the 0.4 package.

    What versions share lives in ``ngff.common``; a version package imports no other
    version's package.
    """
    versions = ("ngff.v04", "ngff.v05", "ngff.v06")
    for version in versions:
        for path in (SRC / "ngff" / version.split(".")[1]).glob("*.py"):
            others = {
                m
                for m in imported_modules(path)
                for v in versions
                if v != version and (m == v or m.startswith(v + "."))
            }
            assert not others, f"{path.relative_to(SRC)} imports {sorted(others)}"
