"""The HTML report of OME-Zarr stores: what it shows, and what it reads to show it."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ngff.report import build_report
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.testing import serve_directory

BIN = Path(sys.executable).parent


def images(page: str) -> list[Image.Image]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in found]


def test_demo_image_page_shows_the_image_with_its_labels(samples: tuple[Path, Path]) -> None:
    page, report = build_report(samples[0])
    assert report.valid
    # One picture per level. Level 0 (96 x 96) is the smallest reaching the requested size
    # as far as the image allows; it and the coarser level 1 (48 x 48) are read.
    thumbnail, coarse = images(page)
    assert thumbnail.mode == "RGBA"
    assert (thumbnail.size, coarse.size) == ((96, 96), (48, 48))
    assert page.count("labels: cells") == 2
    assert "level 0: (16, 96, 96) uint16, chunks (8, 48, 48)" in page
    assert "level 1: (16, 48, 48) uint16, chunks (8, 48, 48)" in page
    pixels = np.asarray(thumbnail)
    assert pixels[..., 3].min() == 255  # an intensity image: opaque everywhere
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) > 20


def test_report_command_writes_the_page_and_exits_with_the_verdict(
    samples: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = subprocess.run(
        [str(BIN / "ngff"), "report", str(samples[0]), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}: valid")
    assert out.read_text().startswith("<!DOCTYPE html>")
    missing = subprocess.run(
        [str(BIN / "ngff"), "report", str(tmp_path / "nope"), "-o", str(tmp_path / "x.html")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("ngff: error: ")  # one line, and no page (issue 13)
    assert not (tmp_path / "x.html").exists()


def _declared_image(root: Path) -> tuple[str, tuple[int, ...]]:
    """A 10 GiB-declared image whose only written chunks are those a thumbnail needs."""
    shapes = [(512, 4096 // 2**i, 2560 // 2**i) for i in range(5)]
    chunks = (8, 256, 256)
    axes = [{"name": n, "type": "space", "unit": "micrometer"} for n in ("z", "y", "x")]
    datasets = [
        {
            "path": str(i),
            "coordinateTransformations": [{"type": "scale", "scale": [1.0, 2.0**i, 2.0**i]}],
        }
        for i in range(len(shapes))
    ]
    ms = [{"name": "big", "axes": axes, "datasets": datasets}]
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": {"version": "0.5", "multiscales": ms}})
        arrays = [
            store.create_empty_array(
                str(i), shape=s, dtype="uint16", chunks=chunks, dimension_names=("z", "y", "x")
            )
            for i, s in enumerate(shapes)
        ]
        # Level 3, (512, 512, 320), is the smallest whose sides reach 256 px: write the
        # z-chunk through its middle plane, with smooth (compressible) content.
        level = arrays[3]
        y, x = np.mgrid[0 : shapes[3][1], 0 : shapes[3][2]]
        plane = (1000 + 500 * np.sin(y / 40) * np.cos(x / 30)).astype(np.uint16)
        level.write(
            (slice(256, 264), slice(None), slice(None)), np.broadcast_to(plane, (8, *plane.shape))
        )
    declared = sum(int(np.prod(s)) * 2 for s in shapes)
    assert declared > 10 * 2**30
    return "3", shapes[3]


def test_report_of_a_10_gib_store_reads_only_the_chunks_under_its_slice(tmp_path: Path) -> None:
    level, shape = _declared_image(tmp_path / "big.ome.zarr")
    with serve_directory(tmp_path) as (url, log):
        page, report = build_report(f"{url}/big.ome.zarr")
    assert report.readable
    pictures = images(page)
    # A card per level; levels 0-2 show level 3's picture, level 4 its own.
    assert [p.size for p in pictures] == [(shape[2], shape[1])] * 4 + [(160, 256)]
    assert page.count(f"shown from level {level}") == 3
    chunk_bytes: dict[str, Any] = {path: n for path, n in log.bytes_sent.items() if "/c/" in path}
    assert sum(chunk_bytes.values()) < 5 * 2**20
    # Only the z-chunk through the middle plane of the chosen level and the coarser one was
    # asked for: never a chunk of the large levels.
    requested = {path for _, path, _ in log.entries if "/c/" in path}
    assert {p.split("/")[2] for p in requested} == {level, "4"}
    assert all(p.split("/")[4] == "32" for p in requested), requested
