"""The ``make demo`` driver: build sample stores on built-in data and show what they hold.

Run as ``python -m ngff_geozarr.demo [OUTDIR]`` (default ``demo-output``). It writes

- ``cells.ome.zarr``: an OME-Zarr 0.5 image, a deterministic synthetic 3-D cell volume
  (z, y, x) with two resolution levels, and a label image of the cells;
- ``elevation.zarr``: a synthetic elevation raster in UTM zone 32N (EPSG:32632), described
  both the CF way (``grid_mapping`` -> ``spatial_ref`` with ``crs_wkt`` and
  ``GeoTransform``, 1-D ``x``/``y`` coordinates) and with the ``proj:``/``spatial:`` Zarr
  conventions;

then prints ``ngff info`` and ``geozarr info`` of each. Nothing is downloaded.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from geozarr.detection import detect as geo_detect
from geozarr.write import write as geo_write
from ngff.detection import detect as ome_detect
from ngff_geozarr.core.cli import console_for_output
from ngff_geozarr.core.hierarchy import read_hierarchy
from ngff_geozarr.core.info import render_info_text
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.thumbnail import labels_rgba

__all__ = ["build_cells", "build_elevation", "build_samples", "main"]


def _cells(shape: tuple[int, int, int], seed: int = 7) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Blob-like cells: an intensity volume and the label of the cell each voxel lies in."""
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in shape), indexing="ij")
    image = np.zeros(shape, np.float32)
    labels = np.zeros(shape, np.uint32)
    for label in range(1, 13):
        centre = rng.uniform([4, 8, 8], [shape[0] - 4, shape[1] - 8, shape[2] - 8])
        radius = rng.uniform(4, 9)
        d2 = ((zz - centre[0]) * 2) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2
        inside = d2 < radius**2
        labels[inside & (labels == 0)] = label
        image += 3000 * np.exp(-d2 / (2 * radius**2))
    image += rng.normal(200, 20, shape)
    return np.clip(image, 0, 65535).astype(np.uint16), labels


def _halve_yx(data: npt.NDArray[Any], labels: bool) -> npt.NDArray[Any]:
    z, y, x = data.shape
    blocks = data[:, : y // 2 * 2, : x // 2 * 2].reshape(z, y // 2, 2, x // 2, 2)
    if labels:
        nearest: npt.NDArray[Any] = blocks[:, :, 0, :, 0]  # never invents a label
        return nearest
    mean: npt.NDArray[Any] = np.rint(blocks.mean(axis=(2, 4))).astype(data.dtype)
    return mean


def _multiscales(name: str, scale: list[float]) -> list[dict[str, Any]]:
    axes = [
        {"name": "z", "type": "space", "unit": "micrometer"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    datasets = [
        {
            "path": str(level),
            "coordinateTransformations": [
                {"type": "scale", "scale": [scale[0], scale[1] * 2**level, scale[2] * 2**level]}
            ],
        }
        for level in range(2)
    ]
    return [{"name": name, "axes": axes, "datasets": datasets}]


def build_cells(root: Path) -> Path:
    """Write the sample OME-Zarr 0.5 image with its label image.

    Parameters
    ----------
    root
        Folder to write ``cells.ome.zarr`` into.

    Returns
    -------
    Path
        The store's path.
    """
    path = root / "cells.ome.zarr"
    image, labels = _cells((16, 96, 96))
    scale = [2.0, 0.5, 0.5]
    dims = ("z", "y", "x")
    with open_store(path, "w-") as store:
        ome = {"version": "0.5", "multiscales": _multiscales("cells", scale)}
        store.create_group("", {"ome": ome})
        store.create_group("labels", {"ome": {"version": "0.5", "labels": ["cells"]}})
        label_meta = {
            "version": "0.5",
            "multiscales": _multiscales("cells", scale),
            "image-label": {
                "source": {"image": "../../"},
                # The report's palette, so that the metadata and the pictures agree.
                "colors": [
                    {"label-value": int(v), "rgba": labels_rgba(np.array([[v]]))[0, 0].tolist()}
                    for v in np.unique(labels)
                    if v != 0
                ],
            },
        }
        store.create_group("labels/cells", {"ome": label_meta})
        for level in range(2):
            store.create_array(str(level), image, chunks=(8, 48, 48), dimension_names=dims)
            store.create_array(
                f"labels/cells/{level}", labels, chunks=(8, 48, 48), dimension_names=dims
            )
            image, labels = _halve_yx(image, False), _halve_yx(labels, True)
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
    """Build the samples (replacing an earlier demo's) and show ``info`` of each.

    Parameters
    ----------
    argv
        ``[OUTDIR]``; ``demo-output`` when omitted.

    Returns
    -------
    int
        0.
    """
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "demo-output")
    console = console_for_output()
    if out.exists():
        _remove_demo_output(out)
    out.mkdir(parents=True)
    cells, elevation = build_samples(out)
    console.print(f"\n$ ngff info {cells}", style="bold")
    render_info_text(read_hierarchy(cells), ome_detect, console)
    console.print(f"\n$ geozarr info {elevation}", style="bold")
    render_info_text(read_hierarchy(elevation), geo_detect, console)
    console.print(f"\nWrote {cells} and {elevation}.")
    return 0


def _remove_demo_output(out: Path) -> None:
    """Remove a previous demo's output, refusing any folder the demo did not write."""
    import shutil

    expected = {"cells.ome.zarr", "elevation.zarr"}
    found = {p.name for p in out.iterdir()}
    if not found <= expected:
        raise SystemExit(f"{out} holds files the demo did not write; choose another folder.")
    shutil.rmtree(out)


if __name__ == "__main__":
    raise SystemExit(main())
