"""The public API: ``__all__`` is exactly each module's public surface (after httpx's test of
the same), every public name is documented, and the examples in docstrings run."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

PACKAGES = ("ngff", "geozarr", "ngff_geozarr")


def all_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=package + "."):
            names.append(info.name)
    return sorted(names)


def defined_public_names(module: ModuleType) -> set[str]:
    """Names a module binds at top level (imports count only in a package's __init__).

    A package that re-exports lazily (``ngff_geozarr.core.lazy``) imports those names under
    ``if TYPE_CHECKING:`` for type checkers; there, and only there, such imports count too.
    """
    tree = ast.parse(inspect.getsource(module))
    is_init = module.__name__ == getattr(module, "__package__", None)
    lazy = bool(lazy_imports(module))
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.ImportFrom) and is_init and _first_party(node.module):
                if node.module != "ngff_geozarr.core.lazy":  # the machinery, not an export
                    names.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.If) and (lazy or not _is_type_checking(node)):
                visit(node.body)
                visit(node.orelse)

    visit(tree.body)
    return {n for n in names if not n.startswith("_")}


def _first_party(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in PACKAGES


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def lazy_imports(module: ModuleType) -> dict[str, str]:
    """The names a package imports under ``if TYPE_CHECKING:``, with their modules, when the
    package re-exports lazily (calls ``lazy_exports``); else nothing."""
    tree = ast.parse(inspect.getsource(module))
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "lazy_exports"
    ]
    if not calls:
        return {}
    return {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and _is_type_checking(block)
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


LAZY_PACKAGES = [name for name in all_modules() if lazy_imports(importlib.import_module(name))]


def test_the_lazy_packages_are_the_expected_ones() -> None:
    assert set(LAZY_PACKAGES) >= {
        "ngff",
        "geozarr",
        "ngff_geozarr.core",
        "ngff_geozarr.core.hierarchy",
        "ngff_geozarr.core.store",
    }


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_lazy_exports_are_what_type_checkers_see(name: str) -> None:
    """Each lazily exported name is, at run time, the object its TYPE_CHECKING import names,
    also after the submodule of the same name was imported (``ngff.validate``)."""
    module = importlib.import_module(name)
    for item, source in lazy_imports(module).items():
        expected = getattr(importlib.import_module(source), item)
        assert getattr(module, item) is expected, f"{name}.{item}"
        assert item in dir(module)


@pytest.mark.parametrize("name", all_modules())
def test_all_is_exactly_the_public_surface(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(exported) == len(set(exported)), f"{name}.__all__ has duplicates"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names missing {item!r}"
    public = {n for n in exported if not n.startswith("__")}
    assert public == defined_public_names(module)


@pytest.mark.parametrize("name", all_modules())
def test_every_public_name_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no module docstring"
    for item in module.__all__:
        value = getattr(module, item)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"{name}.{item} has no docstring"


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
