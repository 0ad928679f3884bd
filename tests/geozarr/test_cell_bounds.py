"""CF §7.1 boundary variables of ``x`` / ``y`` hold each level's own cells.

A coordinate's ``bounds`` attribute names the variable with the vertices of its cells. A
pyramid level's pixel covers ``f`` base pixels, so its bounds are ``f`` base pixels wide,
meet their neighbours, and hold its coordinate at their middle; the order of the two
vertices is the source's (a producer writing ``y`` bounds top first keeps them so). The
coordinate keeps its ``bounds`` attribute at every level, and bounds of anything else
(``time_bnds``) are carried as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS
from tests.geozarr.stores import attributes, strict_issues

import geozarr
from geozarr.writing.bounds import level_bounds
from geozarr.writing.grid import Grid

pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]

STEP = 30.0
UTM = CRS.from_epsg(32632)


def with_bounds(height: int = 50, width: int = 70, *, top_first: bool = True) -> xr.Dataset:
    """A projected raster whose x / y name their cells, and a time axis with its own bounds."""
    x = 500_000.0 + STEP * (np.arange(width) + 0.5)
    y = 5_200_000.0 - STEP * (np.arange(height) + 0.5)
    y_edges = [y + STEP / 2, y - STEP / 2] if top_first else [y - STEP / 2, y + STEP / 2]
    data = np.random.default_rng(3).random((2, height, width)).astype(np.float32)
    days = np.array([0.0, 1.0])
    return xr.Dataset(
        {
            "t2m": (("time", "y", "x"), data, {"units": "K", "grid_mapping": "crs"}),
            "x_bnds": (("x", "nv"), np.stack([x - STEP / 2, x + STEP / 2], 1)),
            "y_bnds": (("y", "nv"), np.stack(y_edges, 1)),
            "time_bnds": (("time", "nv"), np.stack([days, days + 1], 1)),
        },
        coords={
            "time": ("time", days, {"units": "days since 2020-01-01", "bounds": "time_bnds"}),
            "y": ("y", y, {"standard_name": "projection_y_coordinate", "bounds": "y_bnds"}),
            "x": ("x", x, {"standard_name": "projection_x_coordinate", "bounds": "x_bnds"}),
            "crs": ((), 0, {"crs_wkt": UTM.to_wkt(), **UTM.to_cf()}),
        },
    )


def assert_cells_of_the_level(store: Path, group: str, factor: int, *, top_first: bool) -> None:
    """Each level cell is ``factor`` base pixels wide, meets the next, and has its centre."""
    with xr.open_zarr(store, group=group or None, decode_times=False) as level:
        for dim, sign in (("x", 1.0), ("y", -1.0 if top_first else 1.0)):
            centres = level[dim].values
            cells = level[f"{dim}_bnds"].values
            assert cells.shape == (centres.size, 2), (group, dim)
            np.testing.assert_allclose(cells[:, 1] - cells[:, 0], sign * STEP * factor)
            np.testing.assert_allclose(cells.mean(axis=1), centres)
            low, high = cells.min(axis=1), cells.max(axis=1)
            if centres[1] > centres[0]:  # each cell meets the next
                np.testing.assert_allclose(low[1:], high[:-1])
            else:
                np.testing.assert_allclose(high[1:], low[:-1])
        np.testing.assert_array_equal(level["time_bnds"].values, [[0.0, 1.0], [1.0, 2.0]])
    for dim in ("x", "y"):
        path = f"{group}/{dim}" if group else dim
        assert attributes(store, path)["bounds"] == f"{dim}_bnds", path


@pytest.mark.parametrize("fmt", [2, 3])
@pytest.mark.parametrize("top_first", [True, False])
def test_write_gives_every_level_its_own_cells(tmp_path: Path, fmt: int, top_first: bool) -> None:
    source = with_bounds(top_first=top_first)
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, zarr_format=fmt, levels=3, chunks=(16, 16))
    with xr.open_zarr(out, decode_times=False) as base:  # level 0: the source's, unchanged
        for name in ("x_bnds", "y_bnds", "time_bnds"):
            np.testing.assert_array_equal(base[name].values, source[name].values)
        assert base["x"].attrs["bounds"] == "x_bnds"
    for group, factor in (("", 1), ("1", 2), ("2", 4)):  # 70 / 4: a partial last cell
        assert_cells_of_the_level(out, group, factor, top_first=top_first)
    assert strict_issues(out) == []


@pytest.mark.parametrize("fmt", [2, 3])
def test_pyramid_in_place_gives_every_level_its_own_cells(tmp_path: Path, fmt: int) -> None:
    """A store xarray wrote: the root keeps its bounds, each new level gets its own."""
    store = tmp_path / "xr.zarr"
    with_bounds().to_zarr(store, zarr_format=fmt, consolidated=fmt == 2)
    geozarr.pyramid(store, levels=3)
    for group, factor in (("", 1), ("1", 2), ("2", 4)):
        assert_cells_of_the_level(store, group, factor, top_first=True)
    assert strict_issues(store) == []


def test_cells_of_their_own_extent_become_the_union_of_the_cells_covered() -> None:
    """Bounds not at one place around every centre: each level cell spans the base cells
    it covers, from the first one's first vertex to the last one's last."""
    grid = Grid(UTM, (STEP, 0, 0, 0, -STEP, 0), 4, 5)
    x = grid.x_centres()
    lower = x - np.array([15.0, 10.0, 12.0, 5.0, 15.0])
    base = np.stack([lower, x + 15.0], 1)
    cells = level_bounds(base, grid, 1, 2)
    np.testing.assert_array_equal(cells, [[0.0, 60.0], [63.0, 120.0], [120.0, 150.0]])


def test_an_unlisted_bounds_variable_on_a_spatial_dimension_is_not_taken_for_cells(
    tmp_path: Path,
) -> None:
    """Only what a coordinate's ``bounds`` names is recomputed as cells."""
    source = with_bounds()
    del source["x"].attrs["bounds"]
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, levels=2, chunks=(16, 16))
    assert "bounds" not in attributes(out, "1/x")
    with xr.open_zarr(out, group="1") as level:
        widths = level["x_bnds"].values[:, 1] - level["x_bnds"].values[:, 0]
        np.testing.assert_allclose(widths, STEP)  # carried at the centres, as any array
