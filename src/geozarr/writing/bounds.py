"""The cells of a pyramid level's spatial coordinates: CF boundary variables recomputed.

CF §7.1 lets a coordinate give its cells: "To represent cells we add the attribute
``bounds`` to the appropriate coordinate variable(s). The value of ``bounds`` is the name of
the variable that contains the vertices of the cell boundaries." For ``x`` that is a
variable of shape ``(width, 2)``: the two edges of each column.

A pyramid level has larger cells than the base: its pixel ``i`` covers the base pixels
``f * i`` to ``f * i + f - 1`` (:meth:`geozarr.writing.grid.Grid.reduced`), the last one
past the raster's edge where the size does not divide. Its boundary variable holds the edges
of those cells; a base edge taken at the level's centres would say the level's cells are as
narrow as the base's.

:func:`level_bounds` finds where the base's two vertices lie around each cell centre, in
pixel steps (``-0.5`` and ``+0.5`` for edges in increasing order, or the other way round for
a producer that writes them so), and puts the level's vertices at the same place around
each of its own centres, in its own steps: the order the source chose is kept. Bounds that
are not at one place around every base centre (cells of their own extent) are carried as
the union of the base cells each level cell covers: the first vertex of its first base cell
and the last vertex of its last.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from geozarr.writing.grid import Grid

__all__ = ["boundary_axis", "level_bounds"]

_TOLERANCE = 1e-6
"""How far (in pixel steps) a base vertex may be from its place for the bounds to count as
regular."""


def boundary_axis(name: str, dims: tuple[str, ...], grid: Grid) -> int | None:
    """Tell whether a variable is the boundary variable of one of the grid's coordinates.

    Parameters
    ----------
    name, dims
        The variable's name and dimension names.
    grid
        The base grid, with the boundary variables its coordinates name
        (:attr:`~geozarr.writing.grid.Grid.bounds`).

    Returns
    -------
    int or None
        ``0`` for the rows' (``y``) coordinate, ``1`` for the columns' (``x``); ``None``
        when the variable is not a two-vertex boundary variable of either.

    Examples
    --------
    >>> from pyproj import CRS
    >>> grid = Grid(CRS.from_epsg(4326), (1, 0, 0, 0, -1, 0), 4, 4, bounds={"x": "x_bnds"})
    >>> boundary_axis("x_bnds", ("x", "nv"), grid), boundary_axis("time_bnds", ("time", "nv"), grid)
    (1, None)
    """
    if not grid.rectilinear or len(dims) != 2:
        return None
    for axis, dim in enumerate(grid.dims):
        if grid.bounds.get(dim) == name and dims[0] == dim:
            return axis
    return None


def level_bounds(
    values: npt.ArrayLike, grid: Grid, axis: int, factor: int
) -> npt.NDArray[np.float64]:
    """Return a boundary variable of the base grid for the cells of a level.

    Parameters
    ----------
    values
        The base's bounds, decoded: shape ``(n, 2)`` along ``axis``.
    grid
        The base grid.
    axis
        ``0`` for rows (``y``), ``1`` for columns (``x``).
    factor
        How many base pixels a level pixel covers along the axis.

    Returns
    -------
    numpy.ndarray
        Shape ``(m, 2)``, ``m`` the level's size along the axis.

    Examples
    --------
    >>> from pyproj import CRS
    >>> grid = Grid(CRS.from_epsg(32632), (30, 0, 500000, 0, -30, 0), 5, 5)
    >>> x = grid.x_centres()
    >>> level_bounds(np.stack([x - 15, x + 15], 1), grid, 1, 2).tolist()
    [[500000.0, 500060.0], [500060.0, 500120.0], [500120.0, 500180.0]]
    """
    base = np.asarray(values, dtype=np.float64)
    fy, fx = (factor, 1) if axis == 0 else (1, factor)
    level = grid.reduced(fy, fx)
    if axis == 0:
        centres, step, level_centres = grid.y_centres(), grid.transform[4], level.y_centres()
    else:
        centres, step, level_centres = grid.x_centres(), grid.transform[0], level.x_centres()
    places = (base - centres[:, None]) / step
    if np.all(np.abs(places - places[0]) <= _TOLERANCE):
        return np.asarray(level_centres[:, None] + places[0] * (step * factor), dtype=np.float64)
    first = np.arange(level_centres.size) * factor
    last = np.minimum(first + factor - 1, base.shape[0] - 1)
    return np.stack([base[first, 0], base[last, 1]], axis=1)
