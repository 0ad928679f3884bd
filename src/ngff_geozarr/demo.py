"""The ``make demo`` driver: the toolkit's main job on built-in data, nothing downloaded.

Run as ``python -m ngff_geozarr.demo [OUTDIR]`` (default ``demo-output``). It

- creates ``cells.ome.zarr``: an OME-Zarr 0.5 image of a deterministic synthetic 3-D cell
  volume (z, y, x) with every downsampled level, and the label image of its cells;
- creates ``elevation.zarr``: a synthetic elevation raster in UTM zone 32N (EPSG:32632) with
  its overview levels, described both the CF way (``grid_mapping`` -> ``spatial_ref`` with
  ``crs_wkt`` and ``GeoTransform``, 1-D ``x``/``y`` coordinates) and with the ``proj:`` /
  ``spatial:`` Zarr conventions;
- shows what each holds, validates both, and writes an HTML report of each.

:func:`build_samples` makes small versions of both, which the tests use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from geozarr.detection import detect as geo_detect
from geozarr.report import build_report as build_geo_report
from geozarr.write import write as geo_write
from ngff.create import write_image, write_labels
from ngff.detection import detect as ome_detect
from ngff.report import build_report as build_ome_report
from ngff_geozarr.core.cli import console_for_output
from ngff_geozarr.core.hierarchy import read_hierarchy
from ngff_geozarr.core.info import render_info_text
from ngff_geozarr.core.thumbnail import labels_rgba

__all__ = ["build_cells", "build_elevation", "build_samples", "main"]


def _cells(shape: tuple[int, int, int], seed: int = 7) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Blob-like cells: an intensity volume and the label of the cell each voxel lies in."""
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in shape), indexing="ij")
    image = np.zeros(shape, np.float32)
    labels = np.zeros(shape, np.uint32)
    for label in range(1, 13):
        size = shape[1] / 96  # the cells keep their proportions in larger volumes
        margin = 8 * size
        centre = rng.uniform(
            [4, margin, margin], [shape[0] - 4, shape[1] - margin, shape[2] - margin]
        )
        radius = rng.uniform(4, 9) * size
        d2 = ((zz - centre[0]) * 2) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2
        inside = d2 < radius**2
        labels[inside & (labels == 0)] = label
        image += 3000 * np.exp(-d2 / (2 * radius**2))
    image += rng.normal(200, 20, shape)
    return np.clip(image, 0, 65535).astype(np.uint16), labels


def build_cells(
    root: Path,
    shape: tuple[int, int, int] = (16, 96, 96),
    chunks: tuple[int, int, int] = (8, 48, 48),
) -> Path:
    """Write the sample OME-Zarr 0.5 image and its label image with :mod:`ngff`'s writers.

    The volume is 2 µm deep and 0.5 µm wide per voxel: y and x are halved until one chunk
    holds them (z is left alone while the xy pixels are finer than z's). The label image
    has the image's levels, made with the mode of each block, and its colours are the
    report's palette, so the metadata and the pictures agree.

    Parameters
    ----------
    root
        Folder to write ``cells.ome.zarr`` into.
    shape
        The volume's shape (z, y, x).
    chunks
        The chunk shape.

    Returns
    -------
    Path
        The store's path.
    """
    path = root / "cells.ome.zarr"
    image, labels = _cells(shape)
    write_image(
        image,
        path,
        axes="zyx",
        scale=[2.0, 0.5, 0.5],
        units="micrometer",
        name="cells",
        chunks=chunks,
        compression="zstd",
    )
    colors = {
        int(v): labels_rgba(np.array([[v]]))[0, 0].tolist() for v in np.unique(labels) if v != 0
    }
    write_labels(labels, path, "cells", colors=colors)
    return path


def _terrain(shape: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Return deterministic hills and a valley, with a corner of no data (NaN)."""
    ny, nx = shape
    gx, gy = np.meshgrid(np.linspace(-2, 2, nx), np.linspace(-1.5, 1.5, ny))
    hills = 800 * np.exp(-(gx**2 + gy**2)) + 300 * np.exp(-((gx - 1.2) ** 2 + (gy + 0.8) ** 2) * 4)
    relief = 1200 + hills + 150 * np.sin(3 * gx) * np.cos(2 * gy)
    terrain: npt.NDArray[np.float32] = relief.astype(np.float32)
    terrain[: ny // 10, : nx // 8] = np.nan  # a corner with no data
    return terrain


def build_elevation(
    root: Path,
    shape: tuple[int, int] = (120, 160),
    chunks: tuple[int, int] = (60, 80),
    levels: int | Literal["auto"] = 1,
) -> Path:
    """Write the sample elevation raster with :func:`geozarr.write` (UTM 32N, EPSG:32632).

    The raster is described both the CF way (``grid_mapping`` -> ``spatial_ref`` with
    ``crs_wkt`` and ``GeoTransform``, 1-D ``x``/``y`` coordinates) and with the ``proj:`` and
    ``spatial:`` Zarr conventions, so that every generation of reader finds its CRS.

    Parameters
    ----------
    root
        Folder to write ``elevation.zarr`` into.
    shape
        Rows and columns (30 m pixels).
    chunks
        The chunk shape.
    levels
        1 for the raster alone; ``"auto"`` for a pyramid down to one chunk.

    Returns
    -------
    Path
        The store's path.
    """
    path = root / "elevation.zarr"
    res, x0, y0 = 30.0, 500_000.0, 5_200_020.0
    geo_write(
        _terrain(shape),
        path,
        crs="EPSG:32632",
        transform=(res, 0.0, x0, 0.0, -res, y0),
        dims=("y", "x"),
        nodata=float("nan"),
        name="elevation",
        chunks=chunks,
        levels=levels,
        attributes={"title": "Synthetic elevation (ngff-geozarr demo)"},
        variable_attributes={"standard_name": "height_above_mean_sea_level", "units": "m"},
    )
    return path


def build_samples(root: Path) -> tuple[Path, Path]:
    """Write both sample stores into ``root``.

    Parameters
    ----------
    root
        An existing folder; the stores must not exist in it yet.

    Returns
    -------
    tuple of Path
        The OME-Zarr image and the elevation raster.
    """
    return build_cells(root), build_elevation(root)


def main(argv: list[str] | None = None) -> int:
    """Create, validate and report on an OME-Zarr image and a GeoZarr raster.

    The main job on built-in data, nothing downloaded: a 3-D cell volume (64 x 512 x 512)
    with its labels, as OME-Zarr 0.5 with every level; an elevation raster (2048 x 2048,
    EPSG:32632) with its overview levels, as GeoZarr; both validated, both reported as HTML.

    Parameters
    ----------
    argv
        ``[OUTDIR]``; ``demo-output`` when omitted. An earlier demo's output there is
        replaced; a folder holding anything else is refused.

    Returns
    -------
    int
        0 when both stores are valid, else 1.
    """
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "demo-output")
    console = console_for_output()
    if out.exists():
        _remove_demo_output(out)
    out.mkdir(parents=True)
    console.print("Creating the OME-Zarr image (cells and their labels) ...", style="bold")
    cells = build_cells(out, shape=(64, 512, 512), chunks=(32, 128, 128))
    console.print("Creating the GeoZarr elevation raster and its pyramid ...", style="bold")
    elevation = build_elevation(out, shape=(2048, 2048), chunks=(256, 256), levels="auto")
    status = 0
    for store, detect, report_of in (
        (cells, ome_detect, build_ome_report),
        (elevation, geo_detect, build_geo_report),
    ):
        console.print()
        render_info_text(read_hierarchy(store), detect, console)
        page, report = report_of(store)
        html = store.with_suffix(".html")
        html.write_text(page, encoding="utf-8")
        report.render_text(console)
        console.print(f"report: {html}")
        status = status or report.exit_code
    console.print(
        f"\nMade {cells} and {elevation}, with their reports {cells.with_suffix('.html')} "
        f"and {elevation.with_suffix('.html')} (open them in a browser; they work offline)."
    )
    return status


def _remove_demo_output(out: Path) -> None:
    """Remove a previous demo's output, refusing any folder the demo did not write."""
    import shutil

    expected = {"cells.ome.zarr", "elevation.zarr", "cells.ome.html", "elevation.html"}
    found = {p.name for p in out.iterdir()}
    if not found <= expected:
        raise SystemExit(f"{out} holds files the demo did not write; choose another folder.")
    shutil.rmtree(out)


if __name__ == "__main__":
    raise SystemExit(main())
