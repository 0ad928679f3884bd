"""The target grid of a reprojection: the OGC WebMercatorQuad tile matrix set, or any CRS.

For EPSG:3857 the output follows the OGC Two Dimensional Tile Matrix Set standard's
WebMercatorQuad (OGC 17-083r4, Annex D.1): the tile matrix of zoom ``z`` starts at the
point of origin ``(-20037508.342789244, 20037508.342789244)``, has ``2**z`` x ``2**z`` tiles of
``tile_size`` pixels and a cell size of ``2 * 20037508.342789244 / (tile_size * 2**z)`` metres.
A pyramid from zoom ``z_min`` to ``z_max`` covers one extent at every level: the tiles of
``z_min`` that the source's footprint touches, so that each level is its finer neighbour
reduced by 2 (a pixel of zoom ``z - 1`` is exactly a block of 2 x 2 pixels of zoom ``z``) and
every chunk of every level is one tile of its zoom's matrix.

Any other CRS gets a grid at the source's resolution carried to the target (PROJ's
transformation of the source's centre pixel), snapped to whole multiples of that
resolution (``gdalwarp -tap``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer

from geozarr.writing.grid import GeoWriteError, Grid

__all__ = [
    "MAX_ZOOM",
    "WEB_MERCATOR_QUAD",
    "WEB_MERCATOR_QUAD_EXTENT",
    "TargetGrid",
    "footprint",
    "native_resolution",
    "plan_target",
    "zoom_for_resolution",
    "zoom_resolution",
]

WEB_MERCATOR_QUAD = "WebMercatorQuad"
"""The identifier of the OGC tile matrix set (OGC 17-083r4 Annex D.1)."""

WEB_MERCATOR_QUAD_EXTENT = 20037508.342789244
"""Half the side of the WebMercatorQuad square, in metres (``pi * 6378137``)."""

MAX_ZOOM = 30
"""The deepest zoom level planned (a cell of under 4 cm)."""


def zoom_resolution(zoom: int, tile_size: int = 256) -> float:
    """Return the cell size of a WebMercatorQuad zoom level, in metres.

    Parameters
    ----------
    zoom
        The zoom level (the tile matrix identifier).
    tile_size
        The tile side in pixels.

    Returns
    -------
    float
        ``2 * 20037508.342789244 / (tile_size * 2**zoom)``.

    Examples
    --------
    >>> round(zoom_resolution(0), 6)
    156543.033928
    """
    return 2 * WEB_MERCATOR_QUAD_EXTENT / (tile_size * (1 << zoom))


def zoom_for_resolution(resolution: float, tile_size: int = 256) -> int:
    """Return the coarsest zoom whose cells are at most ``resolution`` (no detail is lost).

    Parameters
    ----------
    resolution
        A cell size in metres.
    tile_size
        The tile side in pixels.

    Returns
    -------
    int
        The zoom, at most :data:`MAX_ZOOM`.

    Examples
    --------
    >>> zoom_for_resolution(zoom_resolution(12)), zoom_for_resolution(zoom_resolution(12) * 0.9)
    (12, 13)
    """
    for zoom in range(MAX_ZOOM + 1):
        if zoom_resolution(zoom, tile_size) <= resolution * (1 + 1e-9):
            return zoom
    return MAX_ZOOM


def footprint(grid: Grid, crs: CRS) -> tuple[float, float, float, float]:
    """Return the bounds of a grid's extent in another CRS (edges densified).

    Parameters
    ----------
    grid
        The source grid.
    crs
        The target CRS.

    Returns
    -------
    tuple of float
        ``(xmin, ymin, xmax, ymax)``; infinite where the target CRS cannot represent the
        source (latitudes beyond Web Mercator's).

    Raises
    ------
    GeoWriteError
        When PROJ cannot transform the extent at all, or the source crosses the target's
        seam (the antimeridian of EPSG:3857 or EPSG:4326) without holding a pole: its
        bounds would then span the whole world, or the wrong side of it.
    """
    transformer = Transformer.from_crs(grid.crs, crs, always_xy=True)
    cols = np.linspace(0, grid.width, 65)
    rows = np.linspace(0, grid.height, 65)
    edge_c = np.concatenate([cols, cols, np.zeros(65), np.full(65, grid.width)])
    edge_r = np.concatenate([np.zeros(65), np.full(65, grid.height), rows, rows])
    a, b, c, d, e, f = grid.transform
    xs, ys = transformer.transform(a * edge_c + b * edge_r + c, d * edge_c + e * edge_r + f)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    ok = ~(np.isnan(xs) | np.isnan(ys))
    if not ok.any():
        raise GeoWriteError(f"PROJ cannot transform the source's extent to {crs.name}.")
    if _crosses_seam(xs.reshape(4, 65), ok.reshape(4, 65)) and not _holds_a_pole(grid):
        raise GeoWriteError(
            f"The source crosses the antimeridian of {crs.name} (its edges jump from one side "
            "of the world to the other): split it at 180 degrees, or reproject to a CRS "
            "centred on it."
        )
    return (
        float(xs[ok].min()),
        float(ys[ok].min()),
        float(xs[ok].max()),
        float(ys[ok].max()),
    )


def _crosses_seam(xs: np.ndarray, ok: np.ndarray) -> bool:
    """Tell whether a continuous source edge jumps across the target's x range somewhere."""
    valid = xs[ok]
    width = float(valid.max() - valid.min()) if valid.size else 0.0
    for edge, good in zip(xs, ok, strict=True):
        steps = np.abs(np.diff(edge[good]))
        if steps.size and width > 0 and steps.max() > 0.5 * width:
            return True
    return False


def _holds_a_pole(grid: Grid) -> bool:
    """Tell whether a geographic pole lies within the source (its edges then go round it)."""
    to_source = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    a, b, c, d, e, f = grid.transform
    det = a * e - b * d
    for lat in (90.0, -90.0):
        x, y = to_source.transform(0.0, lat)
        if not (math.isfinite(x) and math.isfinite(y)) or det == 0:
            continue
        col = (e * (x - c) - b * (y - f)) / det
        row = (a * (y - f) - d * (x - c)) / det
        if -1e-6 <= col <= grid.width + 1e-6 and -1e-6 <= row <= grid.height + 1e-6:
            return True
    return False


def native_resolution(grid: Grid, crs: CRS) -> float:
    """Return the source's cell size carried to the target CRS.

    At each of 7 x 7 pixels spread over the source, the mean of the lengths in the target
    CRS of the pixel's two edges; the median of those PROJ can carry (a polar source's pole
    has no place in Web Mercator, for one).

    Parameters
    ----------
    grid
        The source grid, sampled at 7 x 7 pixels.
    crs
        The target CRS; the result is in its units.

    Returns
    -------
    float
        A length in the target CRS's units.

    Raises
    ------
    GeoWriteError
        When no pixel of the source can be carried over.
    """
    transformer = Transformer.from_crs(grid.crs, crs, always_xy=True)
    fractions = np.linspace(0.05, 0.95, 7)
    mesh_col, mesh_row = np.meshgrid(fractions * grid.width, fractions * grid.height)
    col, row = mesh_col.ravel(), mesh_row.ravel()
    a, b, c, d, e, f = grid.transform
    cols = np.concatenate([col, col + 1, col])
    rows = np.concatenate([row, row, row + 1])
    with np.errstate(invalid="ignore"):
        xs, ys = transformer.transform(a * cols + b * rows + c, d * cols + e * rows + f)
        xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
        n = len(col)
        edges = np.stack(
            [
                np.hypot(xs[n : 2 * n] - xs[:n], ys[n : 2 * n] - ys[:n]),
                np.hypot(xs[2 * n :] - xs[:n], ys[2 * n :] - ys[:n]),
            ]
        )
        lengths = edges.mean(axis=0)
        usable = np.isfinite(lengths) & (lengths > 0)
        if _is_web_mercator(crs):
            usable &= np.abs(ys[:n]) < WEB_MERCATOR_QUAD_EXTENT
    if not usable.any():
        raise GeoWriteError(f"PROJ cannot carry the source's resolution to {crs.name}.")
    return float(np.median(lengths[usable]))


@dataclass(frozen=True)
class TargetGrid:
    """The planned output: the finest level's grid and the pyramid above it.

    Parameters
    ----------
    grid
        The finest level's grid (chunks are ``tile_size`` squares of it).
    levels
        The number of levels, finest first; each halves the one before.
    tile_size
        The chunk (tile) side in pixels.
    tile_matrix_set
        :data:`WEB_MERCATOR_QUAD`, or ``None`` for a CRS without a tile matrix set.
    zooms
        The zoom of each level, finest first (WebMercatorQuad only; else empty).
    """

    grid: Grid
    levels: int
    tile_size: int
    tile_matrix_set: str | None = None
    zooms: tuple[int, ...] = ()


def _is_web_mercator(crs: CRS) -> bool:
    return crs.to_epsg(min_confidence=100) == 3857


def _quad(grid: Grid, crs: CRS, tile_size: int, zoom_levels: tuple[int, int] | None) -> TargetGrid:
    xmin, ymin, xmax, ymax = footprint(grid, crs)
    edge = WEB_MERCATOR_QUAD_EXTENT
    xmin, xmax = max(xmin, -edge), min(xmax, edge)
    ymin, ymax = max(ymin, -edge), min(ymax, edge)
    if not (xmin < xmax and ymin < ymax):
        raise GeoWriteError("The source lies outside the WebMercatorQuad extent.")
    if zoom_levels is None:
        z_max = zoom_for_resolution(native_resolution(grid, crs), tile_size)
        z_min = _fit(xmin, ymin, xmax, ymax, z_max, tile_size)
    else:
        z_min, z_max = zoom_levels
        if not (0 <= z_min <= z_max <= MAX_ZOOM):
            raise GeoWriteError(
                f"Expected zoom levels 0 <= min <= max <= {MAX_ZOOM}. Got {zoom_levels}."
            )
    cols, rows = _tile_span(xmin, ymin, xmax, ymax, z_min, tile_size)
    span = 2 * edge / 2**z_min  # one tile of z_min, in metres
    scale = 2 ** (z_max - z_min)
    res = zoom_resolution(z_max, tile_size)
    target = Grid(
        crs,
        (res, 0.0, -edge + cols.start * span, 0.0, -res, edge - rows.start * span),
        len(rows) * tile_size * scale,
        len(cols) * tile_size * scale,
        ("y", "x"),
        grid.grid_mapping,
        grid.mapping_attributes,
    )
    zooms = tuple(range(z_max, z_min - 1, -1))
    return TargetGrid(target, len(zooms), tile_size, WEB_MERCATOR_QUAD, zooms)


def _tile_span(
    xmin: float, ymin: float, xmax: float, ymax: float, zoom: int, tile_size: int
) -> tuple[range, range]:
    """Return the columns and rows of the zoom's tiles that the bounds touch."""
    del tile_size  # a tile spans the same metres whatever its pixel count
    n = 1 << zoom
    span = 2 * WEB_MERCATOR_QUAD_EXTENT / n
    edge = WEB_MERCATOR_QUAD_EXTENT

    def index(value: float) -> int:
        return min(max(math.floor(value / span + 1e-9), 0), n - 1)

    def last(value: float) -> int:
        return min(max(math.ceil(value / span - 1e-9) - 1, 0), n - 1)

    cols = range(index(xmin + edge), last(xmax + edge) + 1)
    rows = range(index(edge - ymax), last(edge - ymin) + 1)
    return cols, rows


def _fit(xmin: float, ymin: float, xmax: float, ymax: float, z_max: int, tile_size: int) -> int:
    """Return the finest zoom, ``z_max`` or less, at which the bounds touch <= 2 x 2 tiles."""
    zoom = z_max
    while zoom > 0:
        cols, rows = _tile_span(xmin, ymin, xmax, ymax, zoom, tile_size)
        if len(cols) <= 2 and len(rows) <= 2:
            break
        zoom -= 1
    return zoom


def _any_crs(
    grid: Grid, crs: CRS, tile_size: int, levels: int | None, resolution: float | None
) -> TargetGrid:
    res = resolution if resolution is not None else native_resolution(grid, crs)
    if not (math.isfinite(res) and res > 0):
        raise GeoWriteError(f"Expected a positive resolution. Got {res!r}.")
    xmin, ymin, xmax, ymax = footprint(grid, crs)
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise GeoWriteError(f"The source's extent is not finite in {crs.name}.")
    x0, y1 = math.floor(xmin / res) * res, math.ceil(ymax / res) * res
    width = max(1, math.ceil((xmax - x0) / res - 1e-9))
    height = max(1, math.ceil((y1 - ymin) / res - 1e-9))
    target = Grid(
        crs,
        (res, 0.0, x0, 0.0, -res, y1),
        height,
        width,
        ("y", "x"),
        grid.grid_mapping,
        grid.mapping_attributes,
    )
    if levels is None:
        levels, side = 1, max(width, height)
        while side > tile_size:
            side, levels = -(-side // 2), levels + 1
    return TargetGrid(target, levels, tile_size)


def plan_target(
    grid: Grid,
    crs: CRS,
    *,
    tile_size: int = 256,
    zoom_levels: tuple[int, int] | None = None,
    levels: int | None = None,
    resolution: float | None = None,
) -> TargetGrid:
    """Plan the output grid of a reprojection to ``crs``.

    Parameters
    ----------
    grid
        The source grid.
    crs
        The target CRS. EPSG:3857 gets the WebMercatorQuad tile matrix set.
    tile_size
        The tile (chunk) side in pixels.
    zoom_levels
        WebMercatorQuad: ``(z_min, z_max)``. By default ``z_max`` is the coarsest zoom whose
        cells are at most the source's resolution and ``z_min`` the finest (at most
        ``z_max``) at which the footprint touches at most 2 x 2 tiles.
    levels
        Other CRSs: the number of levels; by default until the larger side fits one tile.
    resolution
        Other CRSs: the finest level's cell size; by default the source's, carried over.

    Returns
    -------
    TargetGrid
        The plan. Its grid mapping has the source's name (CF's ``crs``, say); the source
        mapping's attributes go with it, written only where they declare ``crs``.

    Raises
    ------
    GeoWriteError
        When an argument is out of range or the source cannot be carried to ``crs``.

    Examples
    --------
    >>> from pyproj import CRS
    >>> src = Grid(CRS.from_epsg(4326), (0.01, 0, 5, 0, -0.01, 46), 100, 100)
    >>> plan = plan_target(src, CRS.from_epsg(3857))
    >>> plan.tile_matrix_set, plan.zooms, plan.grid.width % 256
    ('WebMercatorQuad', (7,), 0)
    """
    if not isinstance(tile_size, int) or isinstance(tile_size, bool) or tile_size < 16:
        raise GeoWriteError(f"Expected a tile size of 16 or more pixels. Got {tile_size!r}.")
    if _is_web_mercator(crs):
        if levels is not None or resolution is not None:
            raise GeoWriteError(
                "WebMercatorQuad levels are zoom levels: pass zoom_levels=(min, max), "
                "not levels= or resolution=."
            )
        return _quad(grid, crs, tile_size, zoom_levels)
    if zoom_levels is not None:
        raise GeoWriteError(
            f"zoom_levels applies to EPSG:3857 (WebMercatorQuad) only; {crs.name} has no "
            "tile matrix set here: pass levels= instead."
        )
    if levels is not None and (not isinstance(levels, int) or levels < 1):
        raise GeoWriteError(f"Expected levels >= 1. Got {levels!r}.")
    return _any_crs(grid, crs, tile_size, levels, resolution)
