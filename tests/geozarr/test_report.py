"""The HTML report of GeoZarr stores: rasters pictured, nodata transparent, reads bounded."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
from PIL import Image

from geozarr.report import build_report
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.testing import serve_directory


def images(page: str) -> list[Image.Image]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in found]


def test_demo_raster_page_shows_nodata_as_transparent(samples: tuple[Path, Path]) -> None:
    page, report = build_report(samples[1])
    assert report.valid
    (thumbnail,) = images(page)
    assert thumbnail.size == (160, 120)
    alpha = np.asarray(thumbnail)[..., 3]
    # The demo's elevation has NaN in its first 12 rows x 20 columns, and only there.
    assert (alpha[:12, :20] == 0).all()
    assert (alpha[12:, :] == 255).all()
    assert "elevation: (120, 160) float32, chunks (60, 80)" in page


def test_raster_without_overviews_is_cropped_and_reads_few_chunks(tmp_path: Path) -> None:
    root = tmp_path / "wide.zarr"
    shape, chunks = (40_000, 60_000), (512, 512)
    with open_store(root, "w-") as store:
        store.create_group("", {})
        big = store.create_empty_array(
            "band",
            shape=shape,
            dtype="float32",
            chunks=chunks,
            fill_value=float("nan"),
            dimension_names=("y", "x"),
            attributes={"_FillValue": "NaN"},
        )
        centre = (slice(19_744, 20_256), slice(29_744, 30_256))
        big.write(centre, np.ones((512, 512), dtype=np.float32))
    with serve_directory(tmp_path) as (url, log):
        page, _ = build_report(f"{url}/wide.zarr")
    (thumbnail,) = images(page)
    assert thumbnail.size == (512, 512)
    assert "central crop" in page
    chunk_requests = [p for _, p, _ in log.entries if "/band/c/" in p]
    # The 512 x 512 centre straddles 2 x 2 chunks of the 78 x 118 the array declares.
    assert len(chunk_requests) == 4


def test_every_level_of_a_pyramid_gets_a_card_and_only_small_levels_are_read(
    tmp_path: Path,
) -> None:
    import geozarr

    terrain = np.add.outer(np.arange(2048.0), np.arange(2048.0)).astype("float32")
    geozarr.write(
        terrain,
        tmp_path / "dem.zarr",
        crs="EPSG:32632",
        transform=(30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0),
        name="dem",
        chunks=(256, 256),
        levels="auto",
    )
    with serve_directory(tmp_path) as (url, log):
        page, report = build_report(f"{url}/dem.zarr")
    assert report.valid
    sizes = [p.size for p in images(page)]
    # Levels 2048, 1024, 512, 256: the 256 px level is read; the finer ones show it.
    assert sizes == [(256, 256)] * 4
    assert page.count("not read: it looks the same") == 3
    # Raster chunks of the 256 px level only (the validator also reads the small 1-D x/y
    # coordinate arrays, which it checks against the transform).
    raster = {p for _, p, _ in log.entries if "/dem/c/" in p}
    assert raster
    assert all(p.startswith("/dem.zarr/3/dem/c/") for p in raster), raster
