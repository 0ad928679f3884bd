"""The reports tutorial shows what it says, and shows the screenshots the script makes."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
CODE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def run_tutorial(name: str, workdir: Path) -> str:
    """Run a tutorial's Python blocks in order, in ``workdir`` (as tests/test_docs.py does)."""
    namespace: dict[str, object] = {"__name__": "__tutorial__"}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(out):
            for block in CODE.findall((DOCS / "tutorials" / name).read_text()):
                exec(compile(block, name, "exec"), namespace)
    finally:
        os.chdir(cwd)
    return out.getvalue()


SHOTS = (
    "ngff-channels.png",
    "ngff-rgb.png",
    "geozarr-sst-south-up.png",
    "geozarr-rgb-scene.png",
    "geozarr-dem-9999.png",
)


def test_reports_tutorial_shows_what_it_says(tmp_path: Path) -> None:
    out = run_tutorial("reports.md", tmp_path).splitlines()
    assert out[0] == "True True"
    assert out[1] == "image 'cells' [None, 'micrometer', 'micrometer']"
    assert out[2] == "['GFP', 'mCherry'] [1.0, 0.5, 0.5]"
    # Zarr v3 and v2: the same CRS, orientation and footprint; both drawn north up.
    assert out[3] == "3 True True 4326 False [-180.0, -90.0, 180.0, 90.0]"
    assert out[4] == "2 True True 4326 False [-180.0, -90.0, 180.0, 90.0]"
    assert out[5] == "-9999.0 [500000.0, 5195500.0, 506000.0, 5200000.0]"
    assert out[6] == "True False"


def test_reports_tutorial_shows_every_screenshot() -> None:
    text = (DOCS / "tutorials" / "reports.md").read_text()
    shown = re.findall(r"!\[[^\]]+\]\(\.\./images/([^)]+)\)", text)
    assert sorted(shown) == sorted(SHOTS)
    script = (DOCS / "scripts" / "screenshots.py").read_text()
    for name in SHOTS:
        assert f'"{name}"' in script
        with Image.open(DOCS / "images" / name) as image:
            assert image.format == "PNG"
            assert image.size[0] >= 800


PNGS = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.png"))


def test_the_reports_screenshots_are_committed() -> None:
    assert {f"images/{name}" for name in SHOTS} <= set(PNGS)


@pytest.mark.parametrize("name", PNGS)
def test_a_committed_screenshot_is_a_picture_not_a_blank_page(name: str) -> None:
    """A screenshot taken before the page drew (one flat colour), of a page whose pictures
    failed (text only: greys), or of an empty canvas shows nothing; each must show pictures."""
    with Image.open(DOCS / name) as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colours) > 256, f"{name}: {len(colours)} distinct colours"
    assert counts.max() / counts.sum() < 0.97, f"{name}: one colour covers nearly all of it"
    # the pictures: coloured pixels (text and page chrome are grey), in many colours
    spread = pixels.max(axis=1).astype(int) - pixels.min(axis=1)
    coloured = pixels[spread > 40]
    assert len(coloured) / len(pixels) > 0.02, f"{name}: almost no coloured pixel"
    assert len(np.unique(coloured, axis=0)) > 100, f"{name}: a few flat colours only"


@pytest.mark.parametrize("name", PNGS)
def test_a_committed_screenshot_is_shown_by_a_page(name: str) -> None:
    shown = {
        (page.parent / target).resolve()
        for page in DOCS.rglob("*.md")
        for target in re.findall(r"!\[[^\]]+\]\(([^)\s]+\.png)\)", page.read_text())
    }
    assert (DOCS / name).resolve() in shown


@pytest.mark.parametrize(
    "page", sorted(p.relative_to(DOCS).as_posix() for p in (DOCS / "tutorials").glob("*.md"))
)
def test_every_tutorial_is_in_the_site_navigation(page: str) -> None:
    """A page left out of the nav is built but linked from nowhere: its screenshots unseen."""
    assert f": {page}" in (ROOT / "mkdocs.yml").read_text()
