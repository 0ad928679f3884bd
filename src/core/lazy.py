"""Re-export names from a package without importing their modules until first use.

A package ``__init__`` that re-exports its writers and readers would load zarr (and
everything the writers need) as soon as any of its model modules is imported, since Python
runs the package's ``__init__`` first. :func:`lazy_exports` makes such re-exports cost
nothing until a name is used: the package's module object gets a class (the documented way
to customise a module's attribute access) on which each exported name is a descriptor that
imports its module on first access and keeps the value.

The descriptor also solves what a PEP 562 ``__getattr__`` cannot: a package that exports a
function named like one of its submodules (``ngff.validate``, ``geozarr.write``). Importing
the submodule makes the import system bind the *module* on the package; a plain
``__getattr__`` would then never be asked again, and ``ngff.validate(...)`` would call a
module. Here the binding of that submodule is ignored, so the name stays the function, as it
was with eager imports.

For type checkers the package imports the same names under ``if TYPE_CHECKING:``; a test
checks that both lists agree (``tests/test_public_api.py``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

__all__ = ["lazy_exports"]


class _Export:
    """A module attribute imported from ``source`` on first access."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.value: Any = None
        self.loaded = False

    def __get__(self, module: ModuleType | None, owner: type | None = None) -> Any:
        if module is None:
            return self
        if not self.loaded:
            self.value = getattr(importlib.import_module(self.source), self.name)
            self.loaded = True
        return self.value

    def __set__(self, module: ModuleType, value: Any) -> None:
        if isinstance(value, ModuleType) and value.__name__ == f"{module.__name__}.{self.name}":
            return  # the import system binding the submodule of the same name: keep the export
        self.value, self.loaded = value, True

    def __delete__(self, module: ModuleType) -> None:
        self.value, self.loaded = None, False


def lazy_exports(package: str, exports: Mapping[str, str]) -> None:
    """Make each name of ``exports`` an attribute of ``package`` imported on first access.

    Call it at the end of a package's ``__init__``, after any eager imports.

    Parameters
    ----------
    package
        The package's module name (``__name__`` in its ``__init__``); it must be imported.
    exports
        The exported names, each with the module that defines it.

    Raises
    ------
    ValueError
        When a name is already bound eagerly in the package (it would be shadowed).

    Examples
    --------
    >>> import types, sys
    >>> pkg = types.ModuleType("demo_pkg")
    >>> sys.modules["demo_pkg"] = pkg
    >>> lazy_exports("demo_pkg", {"sqrt": "math"})
    >>> "math.sqrt" if pkg.sqrt(4.0) == 2.0 else "?"
    'math.sqrt'
    >>> del sys.modules["demo_pkg"]
    """
    module = sys.modules[package]
    bound = vars(module)
    clash = sorted(
        name
        for name in set(exports) & set(bound)
        if not (isinstance(bound[name], ModuleType) and bound[name].__name__ == f"{package}.{name}")
    )
    if clash:
        raise ValueError(f"Expected names not bound in {package}. Got {', '.join(clash)}.")
    namespace: dict[str, Any] = {name: _Export(name, src) for name, src in exports.items()}
    names = frozenset(exports)

    def __dir__(self: ModuleType) -> list[str]:
        return sorted(set(vars(self)) | names)

    namespace["__dir__"] = __dir__
    module.__class__ = type(f"LazyPackage({package})", (ModuleType,), namespace)
