"""The demo's HTML reports in a real browser: headless Chromium, driven through chromedriver.

Chromium and chromedriver come from Debian's packages (``chromium``, ``chromium-driver``);
``.ci/run`` installs them when missing. Without them the tests are skipped, saying why.
Each test saves a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser.conftest import ARTIFACTS, headless_chromium, needs_chromium

BIN = Path(sys.executable).parent
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"), 1280, 1000) as driver:
        yield driver


@pytest.mark.parametrize(("command", "sample"), [("ngff", 0), ("geozarr", 1)])
def test_demo_report_opens_offline_with_every_thumbnail_decoded(
    browser: Any, samples: tuple[Path, Path], tmp_path: Path, command: str, sample: int
) -> None:
    page = tmp_path / f"{command}-report.html"
    result = subprocess.run(
        [str(BIN / command), "report", str(samples[sample]), "-o", str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    browser.get(page.as_uri())
    widths = browser.execute_script(
        "return Array.from(document.images, i => i.complete ? i.naturalWidth : -1);"
    )
    assert widths
    assert all(w > 0 for w in widths), widths
    assert browser.execute_script("return document.querySelectorAll('#tree li').length;") > 1
    has_issues = browser.execute_script(
        "return document.getElementById('issues') !== null"
        " || document.body.innerText.includes('No issues.');"
    )
    assert has_issues
    assert "VALID" in browser.find_element("tag name", "body").text
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / f"{command}-demo-report.png"))


def test_issue_links_lead_to_their_nodes(
    browser: Any,
    samples: tuple[Path, Path],
    copy_store: Any,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    broken = copy_store(samples[0])
    (broken / "labels" / "cells" / "1" / "zarr.json").unlink()
    page = tmp_path / "broken.html"
    result = subprocess.run(
        [str(BIN / "ngff"), "report", str(broken), "-o", str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    browser.get(page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#issues tr.issue")
    # the store is consolidated: its metadata still lists the removed level (a warning on a
    # node that is gone, so without a link), and the label image misses it (an error)
    assert any("zarr.consolidated.stale" in row.text for row in rows)
    (row,) = [row for row in rows if "ngff.multiscales.dataset-missing" in row.text]
    link = row.find_element(By.TAG_NAME, "a")
    target_id = link.get_attribute("href").rsplit("#", 1)[1]
    link.click()
    targeted = browser.execute_script("return document.querySelector(':target').id;")
    assert targeted == target_id
    path = browser.execute_script("return document.querySelector(':target').dataset.path;")
    assert path == "labels/cells"
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "ngff-broken-report.png"))


def _two_channel_image(root: Path) -> Path:
    """A 2-channel image whose omero metadata says green and magenta, and units micrometer."""
    import numpy as np

    from ngff_geozarr.core.store import open_store

    data = np.zeros((2, 96, 192), dtype=np.uint16)
    data[0, :, :64] = 1000
    data[1, :, 128:] = 1000
    axes = [
        {"name": "c", "type": "channel"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    window = {"start": 0, "end": 1000, "min": 0, "max": 65535}
    omero = {
        "channels": [
            {"label": "GFP", "color": "00FF00", "active": True, "window": window},
            {"label": "mCherry", "color": "FF00FF", "active": True, "window": window},
        ]
    }
    scale = [{"type": "scale", "scale": [1.0, 0.5, 0.5]}]
    ms = {
        "name": "cells",
        "axes": axes,
        "datasets": [{"path": "0", "coordinateTransformations": scale}],
    }
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": {"version": "0.5", "multiscales": [ms], "omero": omero}})
        store.create_array("0", data, chunks=data.shape, dimension_names=["c", "y", "x"])
    return root


def test_ngff_report_shows_the_channel_composite_and_the_axes_table(
    browser: Any, tmp_path: Path
) -> None:
    import io

    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By

    store = _two_channel_image(tmp_path / "cells.ome.zarr")
    page = tmp_path / "cells.html"
    result = subprocess.run(
        [str(BIN / "ngff"), "report", str(store), "-o", str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    browser.get(page.as_uri())
    image = browser.find_element(By.CSS_SELECTOR, "img.thumbnail")
    browser.execute_script("arguments[0].scrollIntoView();", image)
    shot = np.asarray(Image.open(io.BytesIO(image.screenshot_as_png)).convert("RGB"))
    height, width = shot.shape[:2]
    assert width / height == pytest.approx(2.0, rel=0.05)  # 96 x 192 pixels, as rendered
    left = shot[height // 2, width // 6].tolist()
    right = shot[height // 2, width - width // 6].tolist()
    middle = shot[height // 2, width // 2].tolist()
    assert left == [0, 255, 0]  # GFP, green
    assert right == [255, 0, 255]  # mCherry, magenta
    assert middle == [0, 0, 0]
    axes = browser.find_element(By.CSS_SELECTOR, 'table.facts[data-table="axes"]')
    rows = [row.text.split() for row in axes.find_elements(By.TAG_NAME, "tr")]
    assert rows == [
        ["name", "type", "unit"],
        ["c", "channel", "-"],
        ["y", "space", "micrometer"],
        ["x", "space", "micrometer"],
    ]
    levels = browser.find_element(By.CSS_SELECTOR, 'table.facts[data-table="levels"]').text
    assert "y 0.5 micrometer, x 0.5 micrometer" in levels
    channels = browser.find_element(By.CSS_SELECTOR, 'table.facts[data-table="channels"]').text
    assert "GFP" in channels
    assert "#FF00FF" in channels
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "ngff-channels-report.png"))
