"""Lazy re-exports: nothing imported before first use, then exactly the eager behaviour."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ngff_geozarr.core.lazy import lazy_exports


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package ``lazypkg`` exporting ``run`` from its submodule ``lazypkg.run`` and
    ``VALUE`` from ``lazypkg.values``; each submodule records that it was imported."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from ngff_geozarr.core.lazy import lazy_exports\n"
        "lazy_exports(__name__, {'run': 'lazypkg.run', 'VALUE': 'lazypkg.values'})\n"
    )
    (root / "run.py").write_text(
        "import sys\nsys.modules['lazypkg'].LOADED = True\ndef run(): return 42\n"
    )
    (root / "values.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazypkg"
    for name in [m for m in sys.modules if m == "lazypkg" or m.startswith("lazypkg.")]:
        del sys.modules[name]


def test_nothing_is_imported_before_first_use(package: str) -> None:
    import lazypkg  # type: ignore[import-not-found]

    assert "lazypkg.run" not in sys.modules
    assert "lazypkg.values" not in sys.modules
    assert {"run", "VALUE"} <= set(dir(lazypkg))
    assert lazypkg.VALUE == 7
    assert "lazypkg.run" not in sys.modules
    assert lazypkg.run() == 42
    assert lazypkg.LOADED


def test_a_submodule_of_the_same_name_does_not_shadow_the_export(package: str) -> None:
    import lazypkg
    import lazypkg.run  # binds the module on the package, as every import does

    assert callable(lazypkg.run)
    assert lazypkg.run() == 42
    from lazypkg import run

    assert run() == 42


def test_exports_can_be_patched_and_restored(package: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import lazypkg

    original = lazypkg.run
    with monkeypatch.context() as patch:
        patch.setattr(lazypkg, "run", lambda: 0)
        assert lazypkg.run() == 0
    assert lazypkg.run is original


def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    import lazypkg

    with pytest.raises(AttributeError):
        _ = lazypkg.nothing


def test_a_name_bound_eagerly_cannot_also_be_lazy(package: str) -> None:
    import lazypkg

    lazypkg.__dict__["eager"] = 1
    with pytest.raises(ValueError, match="eager"):
        lazy_exports("lazypkg", {"eager": "lazypkg.values"})
