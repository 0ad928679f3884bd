"""Where a raster lies: :class:`Grid` (CRS, affine transform, size), parsed from user input.

The affine transform is in rasterio's order ``(a, b, c, d, e, f)``: ``x = a * col + b * row
+ c``, ``y = d * col + e * row + f`` for pixel corners (pixel-is-area).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pyproj import CRS
from pyproj.exceptions import CRSError

from ngff_geozarr.core.errors import NgffGeozarrError

__all__ = ["GeoWriteError", "Grid", "parse_crs_input", "parse_transform"]


class GeoWriteError(NgffGeozarrError, ValueError):
    """The data or its georeferencing cannot be written as asked (the message says why)."""


def parse_transform(value: Any) -> tuple[float, float, float, float, float, float]:
    """Turn an affine transform into six floats in rasterio's order ``(a, b, c, d, e, f)``.

    Parameters
    ----------
    value
        An :class:`affine.Affine`, six numbers ``a, b, c, d, e, f``, nine (a 3x3 matrix in
        row order whose last row is ``0, 0, 1``), or a string of six numbers separated by
        commas or spaces.

    Returns
    -------
    tuple of float
        ``(a, b, c, d, e, f)``.

    Raises
    ------
    GeoWriteError
        When the value is not an invertible affine transform.

    Examples
    --------
    >>> parse_transform("30,0,500000,0,-30,5200000")
    (30.0, 0.0, 500000.0, 0.0, -30.0, 5200000.0)
    """
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise GeoWriteError(f"Expected an affine transform of 6 numbers. Got {value!r}.") from exc
    if len(numbers) == 9:
        if numbers[6:] != [0.0, 0.0, 1.0]:
            raise GeoWriteError(f"Expected the last row of the matrix 0, 0, 1. Got {numbers[6:]}.")
        numbers = numbers[:6]
    if len(numbers) != 6 or not all(math.isfinite(v) for v in numbers):
        raise GeoWriteError(f"Expected an affine transform of 6 finite numbers. Got {numbers}.")
    a, b, c, d, e, f = numbers
    if a * e - b * d == 0:
        raise GeoWriteError(f"Expected an invertible transform. Got {numbers}.")
    return a, b, c, d, e, f


def parse_crs_input(value: Any) -> CRS:
    """Turn a user's CRS (a code, WKT, PROJJSON text, a :class:`pyproj.CRS`) into a CRS.

    Parameters
    ----------
    value
        Anything :meth:`pyproj.CRS.from_user_input` takes.

    Returns
    -------
    pyproj.CRS
        The CRS.

    Raises
    ------
    GeoWriteError
        When PROJ does not understand it.

    Examples
    --------
    >>> parse_crs_input("EPSG:3031").name
    'WGS 84 / Antarctic Polar Stereographic'
    """
    try:
        return value if isinstance(value, CRS) else CRS.from_user_input(value)
    except CRSError as exc:
        raise GeoWriteError(f"Expected a CRS PROJ understands. Got {value!r} ({exc}).") from exc


@dataclass(frozen=True)
class Grid:
    """Where a raster lies: its CRS, affine transform, size and spatial dimension names.

    Parameters
    ----------
    crs
        The coordinate reference system.
    transform
        ``(a, b, c, d, e, f)`` in rasterio's order, for pixel corners.
    height, width
        The raster's size in pixels.
    dims
        The names of the (row, column) dimensions.
    grid_mapping
        The name of the CF grid mapping variable that carries the CRS (CF §5.6): what the
        data variables' ``grid_mapping`` attribute names; a source's own name is kept
        (rioxarray may name it ``crs``).
    mapping_attributes
        The source's grid mapping attributes, written again at every level where they
        describe :attr:`crs` (see
        :func:`~geozarr.writing.cf_variables.grid_mapping_attributes`); empty without a
        source mapping. Not compared.
    bounds
        The CF boundary variables of the spatial coordinates, by dimension name (CF §7.1: a
        coordinate's ``bounds`` names the variable holding its cells' vertices); each level
        names them from its ``x`` / ``y`` and holds them for its own cells
        (:mod:`geozarr.writing.bounds`). Not compared.
    """

    crs: CRS
    transform: tuple[float, float, float, float, float, float]
    height: int
    width: int
    dims: tuple[str, str] = ("y", "x")
    grid_mapping: str = "spatial_ref"
    mapping_attributes: Mapping[str, Any] = field(default_factory=dict, compare=False)
    bounds: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def rectilinear(self) -> bool:
        """Whether the transform has no rotation (1-D coordinates can describe it)."""
        return self.transform[1] == 0 and self.transform[3] == 0

    def gdal_transform(self) -> str:
        """Return GDAL's ``GeoTransform`` attribute: ``"c a b f d e"``.

        Returns
        -------
        str
            Six numbers separated by spaces.
        """
        a, b, c, d, e, f = self.transform
        return " ".join(repr(float(v)) for v in (c, a, b, f, d, e))

    def bbox(self) -> list[float]:
        """Return ``[xmin, ymin, xmax, ymax]`` of the raster's outer corners.

        Returns
        -------
        list of float
            The bounding box in CRS units.
        """
        a, b, c, d, e, f = self.transform
        corners = [(col, row) for col in (0, self.width) for row in (0, self.height)]
        xs = [a * col + b * row + c for col, row in corners]
        ys = [d * col + e * row + f for col, row in corners]
        return [min(xs), min(ys), max(xs), max(ys)]

    def x_centres(self) -> npt.NDArray[np.float64]:
        """Return the x coordinate of each column's centre.

        Returns
        -------
        numpy.ndarray
            ``width`` values.
        """
        a, _, c, *_ = self.transform
        return c + a * (np.arange(self.width, dtype=np.float64) + 0.5)

    def y_centres(self) -> npt.NDArray[np.float64]:
        """Return the y coordinate of each row's centre.

        Returns
        -------
        numpy.ndarray
            ``height`` values.
        """
        *_, e, f = self.transform
        return f + e * (np.arange(self.height, dtype=np.float64) + 0.5)

    def reduced(self, fy: int, fx: int) -> Grid:
        """Return the grid of a level reduced by ``fy`` rows and ``fx`` columns per pixel.

        The level's first pixel covers the first ``fy`` x ``fx`` block, so its corner is the
        same; the last pixel covers a partial block where the size does not divide.

        Parameters
        ----------
        fy, fx
            The factors.

        Returns
        -------
        Grid
            The level's grid.
        """
        a, b, c, d, e, f = self.transform
        return Grid(
            self.crs,
            (a * fx, b * fy, c, d * fx, e * fy, f),
            -(-self.height // fy),
            -(-self.width // fx),
            self.dims,
            self.grid_mapping,
            self.mapping_attributes,
            self.bounds,
        )
