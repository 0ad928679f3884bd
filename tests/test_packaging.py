"""The distribution installs every package under the right import name, with its scripts."""

from __future__ import annotations

import importlib
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_package_folder_is_installed_under_its_import_name() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folder_to_name = {ROOT / folder: name for name, folder in config["package-dir"].items()}
    for init in (ROOT / "src").rglob("__init__.py"):
        folder = init.parent
        rest: list[str] = []
        while folder not in folder_to_name:
            rest.insert(0, folder.name)
            folder = folder.parent
        name = ".".join([folder_to_name[folder], *rest])
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert Path(module.__file__).read_bytes() == init.read_bytes(), name


def test_core_is_importable_only_under_the_distribution_name() -> None:
    assert importlib.import_module("ngff_geozarr.core").__name__ == "ngff_geozarr.core"
    assert importlib.util.find_spec("core") is None


def test_console_scripts() -> None:
    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts["ngff"] == "ngff.cli:main"
    assert scripts["geozarr"] == "geozarr.cli:main"
