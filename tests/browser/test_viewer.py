"""The viewer's page in headless Chromium, driven through chromedriver like a person would.

The server runs in this process, so that each test reads its request log: zooming in
requests a finer level, the z slider and the channel toggles change the tiles requested,
hovering reads a label id and a raster's value with its longitude and latitude. The
screenshots (``test-artifacts/viewer-*.png``) are those of the documentation
(``docs/images/viewer-*.png``, copied from a run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer
from tests.browser.conftest import ARTIFACTS, headless_chromium, needs_chromium

import ngff
from geozarr.viewing import open_scene as open_geo
from ngff.viewing import open_scene as open_ome
from ngff_geozarr.core.viewer import Viewer

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"), 1280, 800) as driver:
        yield driver


@pytest.fixture(scope="module")
def cells(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three channels (blobs of different sizes), six z planes, two labelled squares."""
    path = tmp_path_factory.mktemp("cells") / "cells.ome.zarr"
    c, z, y, x = np.indices((3, 6, 512, 640), dtype=np.float64)
    size = 40.0 + 30.0 * c
    image = 1000 * (1 + np.sin(x / size + z / 3) * np.cos(y / size)) + 200 * c
    labels = np.zeros((1, 6, 512, 640), dtype=np.uint32)
    labels[0, :, 100:200, 300:420] = 7
    labels[0, :, 400:480, 40:120] = 42
    ngff.write_image(
        image.astype(np.uint16),
        path,
        axes="czyx",
        scale=(1.0, 2.0, 0.5, 0.5),
        units=(None, "micrometer", "micrometer", "micrometer"),
        chunks=(1, 1, 128, 128),
        levels=3,
        omero=True,
        channel_names=["dapi", "actin", "tubulin"],
        compression="zstd",
    )
    ngff.write_labels(labels, path, "cells")
    return path


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single-channel image four times wider than the screen: it opens at a coarse level."""
    path = tmp_path_factory.mktemp("wide") / "wide.ome.zarr"
    y, x = np.indices((1024, 4096))
    ngff.write_image(
        ((x // 64 + y // 64) % 2 * 200 + 20).astype(np.uint8),
        path,
        axes="yx",
        chunks=(256, 256),
        levels=4,
        compression="zstd",
    )
    return path


@pytest.fixture(scope="module")
def elevation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ngff_geozarr.demo import build_elevation

    return build_elevation(
        tmp_path_factory.mktemp("geo"), shape=(300, 400), chunks=(100, 100), levels="auto"
    )


def open_page(browser: Any, viewer: Viewer) -> None:
    viewer.start()
    browser.get(viewer.url)
    wait(lambda: browser.execute_script("return document.body.dataset.ready === '1'"))
    settle(viewer)


def wait(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def settle(viewer: Viewer, quiet: float = 0.5) -> None:
    """Wait until the page has stopped asking for anything for ``quiet`` seconds."""
    count = -1
    while count != len(viewer.requests):
        count = len(viewer.requests)
        time.sleep(quiet)


def tiles(viewer: Viewer, since: int = 0) -> list[str]:
    return [r for r in list(viewer.requests)[since:] if r.startswith("/tile/")]


def hover(browser: Any, column: float, row: float) -> None:
    """Move the mouse over the pixel (column, row) of level 0."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = browser.find_element("id", "canvas")
    x, y = browser.execute_script(f"return viewer.toScreen({column}, {row});")
    rect = browser.execute_script(
        "return document.getElementById('canvas').getBoundingClientRect();"
    )
    dx = x - (rect["left"] + rect["width"] / 2)
    dy = y - (rect["top"] + rect["height"] / 2)
    ActionChains(browser).move_to_element_with_offset(canvas, int(dx), int(dy)).perform()


def text(browser: Any, element: str) -> str:
    return str(browser.find_element("id", element).text)


def test_zooming_in_requests_a_finer_level(browser: Any, wide: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains, ScrollOrigin

    with Viewer(open_ome(str(wide), {})) as viewer:
        open_page(browser, viewer)
        first = {t.split("/")[2] for t in tiles(viewer)}
        assert "0" not in first  # the whole image fits the screen: a coarse level
        canvas = browser.find_element("id", "canvas")
        for _ in range(30):
            ActionChains(browser).scroll_from_origin(
                ScrollOrigin.from_element(canvas), 0, -200
            ).perform()
            settle(viewer, 0.2)
            if any(t.startswith("/tile/0/") for t in tiles(viewer)):
                break
        finer = [t for t in tiles(viewer) if t.startswith("/tile/0/")]
        assert finer, sorted(set(tiles(viewer)))
        assert text(browser, "level").startswith("0 (1024 x 4096)")
        # only the visible part of level 0 is asked for: 4 x 16 tiles make the level
        assert len(set(finer)) < 64


def test_z_slider_channels_labels_and_the_id_under_the_cursor(browser: Any, cells: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    validate = lambda: ngff.validate(str(cells))  # noqa: E731
    with Viewer(open_ome(str(cells), {}), validate=validate) as viewer:
        open_page(browser, viewer)
        assert all("z=3" in t for t in tiles(viewer))
        slider = browser.find_element("id", "axis-z")
        slider.send_keys(Keys.ARROW_RIGHT)
        wait(lambda: text(browser, "axis-z-value") == "4")
        settle(viewer)
        assert any("z=4" in t for t in tiles(viewer))

        before = len(viewer.requests)
        browser.find_element("id", "channel-1").click()
        settle(viewer)
        toggled = tiles(viewer, before)
        assert toggled
        assert all("channels=0%2C2" in t or "channels=0,2" in t for t in toggled), toggled

        before = len(viewer.requests)
        high = browser.find_element("id", "window-0-max")
        high.clear()
        high.send_keys("1500", Keys.ENTER)
        settle(viewer)
        rewindowed = tiles(viewer, before)
        assert rewindowed
        assert all("%3A1500%2C" in t for t in rewindowed), rewindowed

        hover(browser, 80, 440)
        wait(lambda: "cells: 42" in text(browser, "label-ids"))
        assert "z=8 micrometer" in text(browser, "position")
        hover(browser, 350, 150)
        wait(lambda: "cells: 7" in text(browser, "label-ids"))
        assert any(r.startswith("/labels/cells/") for r in viewer.requests)
        wait(lambda: text(browser, "verdict") == "valid")
        assert text(browser, "issues") == "No issues."
        browser.find_element("id", "channel-1").click()
        settle(viewer)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "viewer-cells.png"))


def test_a_geo_pixel_shows_its_value_and_lon_lat(browser: Any, elevation: Path) -> None:
    import zarr

    import geozarr

    validate = lambda: geozarr.validate(str(elevation))  # noqa: E731
    with Viewer(open_geo(str(elevation), {}), validate=validate) as viewer:
        open_page(browser, viewer)
        hover(browser, 123.5, 45.5)
        wait(lambda: "lon" in text(browser, "lonlat"))
        value = float(zarr.open_group(str(elevation), mode="r")["elevation"][45, 123])
        shown = text(browser, "value")
        assert float(shown) == pytest.approx(value, rel=1e-5)
        x, y = 500000 + 30 * 123.5, 5200020 - 30 * 45.5
        lon, lat = Transformer.from_crs(32632, 4326, always_xy=True).transform(x, y)
        assert f"lon {lon:.5f}, lat {lat:.5f}" in text(browser, "lonlat")
        assert "EPSG:32632" in text(browser, "crs")
        assert browser.find_element("id", "scalebar").text.endswith(" metre")
        wait(lambda: text(browser, "verdict") in ("valid", "invalid"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "viewer-geo.png"))


@pytest.fixture(scope="module")
def plate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two wells of two fields each, every field its own level of grey."""
    path = tmp_path_factory.mktemp("plate") / "plate.ome.zarr"
    wells = {
        w: [np.full((300, 400), 40 + 50 * i + 20 * f, dtype=np.uint8) for f in range(2)]
        for i, w in enumerate(("A/1", "B/2"))
    }
    ngff.write_plate(path, wells, axes="yx", chunks=(128, 128), levels=2, compression="zstd")
    return path


def ready_at(browser: Any, image: str) -> None:
    """Wait until the page shows ``image`` (after the picker or a link reloaded it)."""
    wait(
        lambda: browser.execute_script(
            "return document.body.dataset.ready === '1' && viewer.scene.path === arguments[0];",
            image,
        )
    )


def test_the_picker_and_the_report_open_every_field_of_a_plate(browser: Any, plate: Path) -> None:
    from selenium.webdriver.support.ui import Select

    from ngff.report import build_report
    from ngff.viewing import open_images

    report = lambda: build_report(str(plate))[0]  # noqa: E731
    with Viewer(open_images(str(plate), {}), report=report) as viewer:
        open_page(browser, viewer)
        picker = Select(browser.find_element("id", "picker"))
        assert [o.text for o in picker.options] == [
            "A/1, field 0",
            "A/1, field 1",
            "B/2, field 0",
            "B/2, field 1",
        ]
        assert picker.first_selected_option.text == "A/1, field 0"
        before = len(viewer.requests)
        picker.select_by_visible_text("B/2, field 1")
        ready_at(browser, "B/2/1")
        settle(viewer)
        assert "image=B%2F2%2F1" in browser.current_url
        shown = tiles(viewer, before)
        assert shown
        assert all("image=B%2F2%2F1" in t for t in shown), shown
        hover(browser, 200, 150)
        wait(lambda: text(browser, "value") == str(40 + 50 + 20))
        # the report, as the viewer serves it: each picture links to its image
        assert browser.find_element("id", "report-link").is_displayed()
        browser.get(viewer.url + "report")
        link = browser.find_element("css selector", 'figure[data-image="A/1/1/0"] a.view-link')
        link.click()
        ready_at(browser, "A/1/1")
        hover(browser, 200, 150)
        wait(lambda: text(browser, "value") == str(40 + 20))


def test_the_picker_lists_every_geo_variable(browser: Any, tmp_path: Path) -> None:
    import xarray as xr
    from selenium.webdriver.support.ui import Select

    import geozarr
    from geozarr.viewing import open_images

    y, x = np.indices((300, 400), dtype=np.float32)
    ds = xr.Dataset({"a": (("y", "x"), x + y), "b": (("y", "x"), 1000 - x)})
    path = tmp_path / "two.zarr"
    transform = (30.0, 0.0, 500000.0, 0.0, -30.0, 5200000.0)
    geozarr.write(ds, path, crs="EPSG:32633", transform=transform, chunks=(100, 100), levels=2)
    with Viewer(open_images(str(path), {})) as viewer:
        open_page(browser, viewer)
        picker = Select(browser.find_element("id", "picker"))
        assert [o.text for o in picker.options] == ["a", "b"]
        picker.select_by_visible_text("b")
        ready_at(browser, "b")
        hover(browser, 123.5, 45.5)
        wait(lambda: "lon" in text(browser, "lonlat"))
        assert float(text(browser, "value")) == 1000 - 123
