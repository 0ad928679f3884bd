"""Regenerate the report screenshots under docs/images/ (used by docs/tutorials/reports.md).

Builds five small stores with the public writers, writes each one's HTML report with the
``ngff``/``geozarr`` commands and photographs it in headless Chromium (Debian's
``chromium`` and ``chromium-driver``, driven by selenium, as tests/browser does)::

    python docs/scripts/screenshots.py [OUTPUT_DIR]

The stores: a 3-channel fluorescence image (omero colours), an RGB slide, a south-up
sea-surface temperature grid (row 0 is the southern edge), an RGB scene with a ``band``
dimension, and a DEM whose nodata is -9999.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import geozarr
import ngff

HERE = Path(__file__).resolve().parent
IMAGES = HERE.parent / "images"
BIN = Path(sys.executable).parent
RNG = np.random.default_rng(7)


def _blobs(shape: tuple[int, int], n: int, radius: float) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    out = np.zeros(shape)
    for cy, cx in RNG.uniform((0, 0), shape, size=(n, 2)):
        out += np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius**2))
    return out


def cells(root: Path) -> Path:
    """Write a DAPI/GFP/mCherry image with omero colours blue, green, magenta."""
    shape = (512, 768)
    nuclei = _blobs(shape, 40, 9.0)
    cytoplasm = _blobs(shape, 40, 26.0)
    spots = _blobs(shape, 120, 3.0)
    data = np.stack([nuclei, cytoplasm, spots])
    data = data / data.max(axis=(1, 2), keepdims=True) * 4000 + RNG.poisson(60, data.shape)
    ngff.write_image(
        data.astype(np.uint16),
        root,
        axes="cyx",
        scale=[1.0, 0.325, 0.325],
        units={"y": "micrometer", "x": "micrometer"},
        name="HeLa, fixed",
        omero=True,
        channel_names=["DAPI", "GFP", "mCherry"],
    )
    meta = json.loads((root / "zarr.json").read_text())
    for channel, colour in zip(
        meta["attributes"]["ome"]["omero"]["channels"], ("0000FF", "00FF00", "FF00FF"), strict=True
    ):
        channel["color"] = colour
    (root / "zarr.json").write_text(json.dumps(meta, indent=2))
    return root


def slide(root: Path) -> Path:
    """Write an RGB uint8 slide, pink stroma with purple nuclei, as a bright-field scanner gives."""
    shape = (480, 720)
    nuclei = np.clip(_blobs(shape, 160, 5.0), 0, 1)
    stroma = np.clip(_blobs(shape, 30, 40.0), 0, 1)
    background = np.array([245.0, 240.0, 245.0])[:, None, None]
    pink = np.array([-20.0, -110.0, -50.0])[:, None, None] * stroma
    purple = np.array([-150.0, -170.0, -60.0])[:, None, None] * nuclei
    rgb = np.clip(background + pink + purple, 0, 255).astype(np.uint8)
    ngff.write_image(rgb, root, axes="cyx", name="H&E slide")
    return root


def sst(root: Path) -> Path:
    """Write a GHRSST-like quarter-degree grid stored south up, land as NaN, in kelvin."""
    lat = np.arange(-89.875, 90, 0.25)
    lon = np.arange(-179.875, 180, 0.25)
    base = 273.15 + 28 * np.cos(np.radians(lat))[:, None] ** 2 + 0 * lon[None, :]
    eddies = 1.5 * np.sin(np.radians(lon * 3))[None, :] * np.cos(np.radians(lat * 4))[:, None]
    field = (base + eddies).astype("float32")
    land = _blobs(field.shape, 12, 60.0) > 0.5
    field[land] = np.nan
    geozarr.write(
        field,
        root,
        crs="EPSG:4326",
        transform=(0.25, 0.0, -180.0, 0.0, 0.25, -90.0),
        name="analysed_sst",
        variable_attributes={"units": "K", "standard_name": "sea_surface_temperature"},
        levels=2,
    )
    return root


def scene(root: Path) -> Path:
    """Write an RGB uint8 scene in Web Mercator with a ``band`` dimension."""
    shape = (400, 600)
    fields = _blobs(shape, 25, 35.0)
    water = _blobs(shape, 4, 60.0) > 0.6
    r = 90 + 80 * np.clip(fields, 0, 1)
    g = 120 + 90 * np.clip(1 - fields, 0, 1)
    b = 70 + 30 * np.clip(fields, 0, 1)
    rgb = np.stack([r, g, b])
    rgb[:, water] = np.array([30, 70, 120])[:, None]
    geozarr.write(
        rgb.astype(np.uint8),
        root,
        crs="EPSG:3857",
        transform=(10.0, 0.0, 1_000_000.0, 0.0, -10.0, 6_000_000.0),
        dims=["band", "y", "x"],
        name="rgb",
    )
    return root


def dem(root: Path) -> Path:
    """Write a UTM DEM in metres whose area outside the surveyed footprint is -9999."""
    shape = (600, 500)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    height = 400 + 1800 * _blobs(shape, 6, 90.0) / 2 + 30 * np.sin(x / 15) * np.cos(y / 20)
    outside = ((y - 300) / 280) ** 2 + ((x - 250) / 230) ** 2 > 1
    height[outside] = -9999.0
    geozarr.write(
        height.astype("float32"),
        root,
        crs="EPSG:32632",
        transform=(30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0),
        name="elevation",
        nodata=-9999.0,
        variable_attributes={"units": "m"},
    )
    return root


SHOTS = (
    ("ngff", "ngff-channels.png", cells, "cells.ome.zarr"),
    ("ngff", "ngff-rgb.png", slide, "slide.ome.zarr"),
    ("geozarr", "geozarr-sst-south-up.png", sst, "sst.zarr"),
    ("geozarr", "geozarr-rgb-scene.png", scene, "scene.zarr"),
    ("geozarr", "geozarr-dem-9999.png", dem, "dem.zarr"),
)


def _browser(profile: Path) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1100,1150",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver), options=options)


def main(out: Path = IMAGES) -> list[Path]:
    """Build the stores, write their reports and photograph them; return the PNG paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        browser = _browser(work / "profile")
        try:
            for command, png, build, name in SHOTS:
                store = build(work / name)
                page = work / f"{name}.html"
                subprocess.run(
                    [str(BIN / command), "report", str(store), "-o", str(page)],
                    check=False,
                    capture_output=True,
                )
                browser.get(page.as_uri())  # type: ignore[attr-defined]
                # Show the pictures and the metadata: start the shot at the "Levels" heading.
                browser.execute_script(  # type: ignore[attr-defined]
                    "document.getElementById('levels').previousElementSibling.scrollIntoView();"
                )
                browser.save_screenshot(str(out / png))  # type: ignore[attr-defined]
                written.append(out / png)
        finally:
            browser.quit()  # type: ignore[attr-defined]
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES):
        print(path)
