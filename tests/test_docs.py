"""The documentation: generated reference pages are current; tutorials' code runs."""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
CODE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
TUTORIALS = sorted(p.name for p in (DOCS / "tutorials").glob("*.md"))


def run_tutorial(name: str, workdir: Path) -> str:
    """Run a tutorial's Python blocks in order, in ``workdir``; return what they printed."""
    blocks = CODE.findall((DOCS / "tutorials" / name).read_text())
    assert blocks, f"{name} has no Python blocks"
    namespace: dict[str, object] = {"__name__": "__tutorial__"}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(out):
            for block in blocks:
                exec(compile(block, name, "exec"), namespace)
    finally:
        os.chdir(cwd)
    return out.getvalue()


@pytest.mark.parametrize("page", ["reference/cli.md", "reference/rules.md"])
def test_generated_pages_are_current(page: str) -> None:
    pages = runpy.run_path(str(DOCS / "scripts" / "gen_reference.py"))["PAGES"]
    assert (DOCS / page).read_text() == pages[page](), (
        f"docs/{page} is stale: run python docs/scripts/gen_reference.py"
    )


def test_cli_page_names_each_command_once() -> None:
    """Regression: the page printed ``ngff ngff convert`` and ``geozarr geozarr validate``."""
    text = (DOCS / "reference" / "cli.md").read_text()
    assert "ngff ngff" not in text
    assert "geozarr geozarr" not in text
    assert re.search(r"^### `ngff convert`$", text, re.MULTILINE)
    assert re.search(r"^### `geozarr validate`$", text, re.MULTILINE)
    # each command's usage line names it once: "Usage: ngff convert [OPTIONS] ..."
    for usage in re.findall(r"^Usage: (.*)$", text, re.MULTILINE):
        words = usage.split()
        assert words[0] in {"ngff", "geozarr"}
        assert words[1] not in {"ngff", "geozarr"}, usage


@pytest.mark.parametrize("tutorial", TUTORIALS)
def test_tutorial_code_runs(tutorial: str, tmp_path: Path) -> None:
    assert run_tutorial(tutorial, tmp_path)


def test_validation_tutorial_shows_what_it_says(tmp_path: Path) -> None:
    out = run_tutorial("geozarr-validate.md", tmp_path).splitlines()
    assert "True dataset []" in out
    assert "geozarr.cf.fill-value-nan elevation /fill_value" in out


def test_web_map_tutorial_writes_a_valid_pyramid(tmp_path: Path) -> None:
    out = run_tutorial("geozarr-pyramid.md", tmp_path).splitlines()
    assert "1/temperature temperature [2.0, 2.0]" in out
    assert "2 EPSG:3857 [256, 384] 1000.0" in out
    assert "crs True" in out  # in place, the levels keep the source's grid mapping name
    assert "crs: x y crs_wgs84: lat lon (20, 32)" in out  # 2-D lat / lon at every level
    assert out[-1] == "True []"


def test_image_tutorial_shows_what_it_says(tmp_path: Path) -> None:
    out = run_tutorial("ome-zarr-image.md", tmp_path).splitlines()
    assert "('0', '1') [(32, 256, 256), (32, 128, 128)]" in out
    assert "('0', '1', '2') [[2.0, 0.5, 0.5], [2.0, 1.0, 1.0], [2.0, 2.0, 2.0]]" in out
    assert "(32, 128, 128) True" in out  # the label levels invent no label
    assert out[-1] == "True 0.5 image 0"


def test_dask_tutorial_writes_the_same_bytes_as_threads(tmp_path: Path) -> None:
    out = run_tutorial("dask-pyramid.md", tmp_path).splitlines()
    assert out[-1] == "42 chunks; identical"
