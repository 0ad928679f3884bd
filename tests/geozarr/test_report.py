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
