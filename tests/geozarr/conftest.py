"""Small valid GeoZarr stores (CF + Zarr conventions) that tests break one rule at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import CRS

from geozarr.conventions.registry import MULTISCALES, PROJ, SPATIAL
from ngff_geozarr.core.store import open_store

NY, NX, RES = 6, 8, 30.0
X0, Y0 = 500_000.0, 5_200_020.0
TRANSFORM = [RES, 0.0, X0, 0.0, -RES, Y0]
BBOX = [X0, Y0 - RES * NY, X0 + RES * NX, Y0]


def build_store(path: Path, zarr_format: int = 3) -> Path:
    """Write a valid raster store: CF grid mapping + proj:/spatial: at the root."""
    crs = CRS.from_epsg(32632)
    xs = X0 + RES * (np.arange(NX) + 0.5)
    ys = Y0 - RES * (np.arange(NY) + 0.5)
    v2 = zarr_format == 2

    def dims(names: tuple[str, ...]) -> dict[str, Any]:
        return {"_ARRAY_DIMENSIONS": list(names)} if v2 else {}

    with open_store(path, "w-") as store:
        store.create_group(
            "",
            {
                "Conventions": "CF-1.11",
                "zarr_conventions": [PROJ.canonical(), SPATIAL.canonical()],
                "proj:code": "EPSG:32632",
                "spatial:dimensions": ["y", "x"],
                "spatial:transform": TRANSFORM,
                "spatial:shape": [NY, NX],
                "spatial:bbox": BBOX,
            },
            zarr_format=zarr_format,  # type: ignore[arg-type]
        )
        store.create_array(
            "elevation",
            np.linspace(100, 200, NY * NX, dtype=np.float32).reshape(NY, NX),
            dimension_names=None if v2 else ("y", "x"),
            fill_value=float("nan"),
            attributes={
                "standard_name": "height_above_mean_sea_level",
                "units": "m",
                "grid_mapping": "spatial_ref",
                "_FillValue": "NaN",
                **dims(("y", "x")),
            },
            zarr_format=zarr_format,  # type: ignore[arg-type]
        )
        for name, values, std in (
            ("x", xs, "projection_x_coordinate"),
            ("y", ys, "projection_y_coordinate"),
        ):
            store.create_array(
                name,
                values,
                dimension_names=None if v2 else (name,),
                attributes={
                    "standard_name": std,
                    "units": "m",
                    "axis": name.upper(),
                    **dims((name,)),
                },
                zarr_format=zarr_format,  # type: ignore[arg-type]
            )
        gdal = [X0, RES, 0.0, Y0, 0.0, -RES]
        store.create_array(
            "spatial_ref",
            np.array(0, dtype=np.int64),
            attributes={
                **crs.to_cf(),
                "spatial_ref": crs.to_wkt(),
                "GeoTransform": " ".join(str(v) for v in gdal),
                **dims(()),
            },
            zarr_format=zarr_format,  # type: ignore[arg-type]
        )
    return path


def build_pyramid(path: Path) -> Path:
    """Write a valid two-level multiscales group (levels '0' and '1', 8x8 and 4x4)."""
    with open_store(path, "w-") as store:
        layout = [
            {"asset": "0", "transform": {"scale": [1.0, 1.0]}, "spatial:shape": [8, 8]},
            {
                "asset": "1",
                "derived_from": "0",
                "transform": {"scale": [2.0, 2.0], "translation": [0.0, 0.0]},
                "spatial:shape": [4, 4],
                "resampling_method": "average",
            },
        ]
        store.create_group(
            "",
            {
                "zarr_conventions": [
                    MULTISCALES.canonical(),
                    PROJ.canonical(),
                    SPATIAL.canonical(),
                ],
                "multiscales": {"layout": layout, "resampling_method": "average"},
                "proj:code": "EPSG:4326",
                "spatial:dimensions": ["lat", "lon"],
            },
        )
        for level, n in (("0", 8), ("1", 4)):
            store.create_group(level, {})
            store.create_array(
                f"{level}/data",
                np.zeros((n, n), np.float32),
                dimension_names=("lat", "lon"),
                fill_value=float("nan"),
            )
    return path


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the JSON document at ``path``."""
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.fixture
def geo_store(tmp_path: Path) -> Path:
    """A fresh valid Zarr v3 GeoZarr raster store in the test's folder."""
    return build_store(tmp_path / "raster.zarr")


@pytest.fixture
def pyramid_store(tmp_path: Path) -> Path:
    """A fresh valid multiscales store in the test's folder."""
    return build_pyramid(tmp_path / "pyramid.zarr")


@pytest.fixture
def edit() -> Callable[[Path, Callable[[dict[str, Any]], None]], None]:
    """Edit a JSON metadata document in place."""
    return edit_json


@pytest.fixture
def builders() -> dict[str, Callable[..., Path]]:
    """The store builders, for tests that need another format or several stores."""
    return {"raster": build_store, "pyramid": build_pyramid}
