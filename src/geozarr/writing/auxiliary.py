"""Auxiliary coordinates on the grid (2-D ``lat`` / ``lon``) and CF's extended ``grid_mapping``.

CF §5 lets a producer give, besides the coordinate variables ``x`` and ``y``, auxiliary
coordinate variables on the grid, named by a data variable's ``coordinates`` attribute: "the
Cartesian coordinates of a map projection may be supplied as coordinate variables and, in
addition, two-dimensional latitude and longitude variables may be supplied via the
coordinates attribute" (CF §5). CF §5.6's extended ``grid_mapping`` form then says which
grid mapping each set of coordinates is in (``"crs: x y crs_wgs84: lat lon"``).

Level 0 carries them as they are. A pyramid level has its own grid: its pixel ``i`` covers
the block of ``f`` base pixels from ``f * i`` and its ``x`` / ``y`` are the block centres,
base pixel ``f * i + (f - 1) / 2`` (:meth:`geozarr.writing.grid.Grid.reduced`). An auxiliary
coordinate says where each grid point is, so a level's values are taken at the same block
centres: :func:`at_block_centres` interpolates them linearly between the two base pixels
either side of each centre, on each spatial axis the array has (bilinear on ``(y, x)``; the
last partial block's centre, past the last base pixel, is extrapolated from the last two).
Longitudes are interpolated the shorter way round (179 to -179 is 2 degrees east), so a
grid across the antimeridian keeps its values. Non-numeric values take the base pixel at or
before the centre.

The data variables' attributes are the same at every level, so whatever their
``coordinates`` and ``grid_mapping`` name must exist at every level:
:func:`extended_grid_mapping` keeps the source's extended form with the names that do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from geozarr.cf.grid_mappings import grid_mapping_entries
from geozarr.writing.lonlat import LONGITUDE_UNITS

__all__ = ["at_block_centres", "extended_grid_mapping", "is_longitude"]

_Array = npt.NDArray[Any]


def is_longitude(attributes: Mapping[str, Any]) -> bool:
    """Tell whether a coordinate holds longitudes in degrees (CF §4.2).

    Parameters
    ----------
    attributes
        The coordinate's attributes.

    Returns
    -------
    bool
        Whether its ``units`` are degrees east, or its ``standard_name`` is ``longitude``
        or ``grid_longitude`` with units in degrees.

    Examples
    --------
    >>> is_longitude({"units": "degrees_east"}), is_longitude({"units": "degrees_north"})
    (True, False)
    """
    units = attributes.get("units")
    if units in LONGITUDE_UNITS:
        return True
    named = attributes.get("standard_name") in ("longitude", "grid_longitude")
    return named and isinstance(units, str) and units.startswith("degree")


def _positions(length: int, factor: int, size: int) -> _Array:
    """Return the block centres of a level, in base pixel indices."""
    if length == 1:
        return np.zeros(size)
    return factor * np.arange(size, dtype=np.float64) + (factor - 1) / 2


def _along(values: _Array, axis: int, positions: _Array, period: float | None) -> _Array:
    length = values.shape[axis]
    if length == 1:
        return np.take(values, np.zeros(positions.size, dtype=np.intp), axis=axis)
    if values.dtype.kind not in "fc":
        index = np.clip(np.floor(positions).astype(np.intp), 0, length - 1)
        return np.take(values, index, axis=axis)
    left = np.clip(np.floor(positions).astype(np.intp), 0, length - 2)
    weight = positions - left
    shape = [1] * values.ndim
    shape[axis] = positions.size
    weight = weight.reshape(shape)
    below = np.take(values, left, axis=axis)
    step = np.take(values, left + 1, axis=axis) - below
    if period is not None:  # the shorter way round: 179 to -179 is 2 degrees east
        step = (step + period / 2) % period - period / 2
    out: _Array = below + step * weight
    return out


def at_block_centres(
    values: npt.ArrayLike,
    dims: Sequence[str],
    factors: Mapping[str, int],
    shape: Mapping[str, int],
    *,
    longitude: bool = False,
) -> _Array:
    """Return an auxiliary coordinate's values at the block centres of a pyramid level.

    Parameters
    ----------
    values
        The base values (decoded: floats with NaN where missing, or non-numeric).
    dims
        Their dimension names.
    factors
        The level's cumulative factor by spatial dimension (others are kept whole).
    shape
        The level's length by spatial dimension.
    longitude
        The values are longitudes in degrees: interpolated the shorter way round, in the
        source's range (``[-180, 180]``, or ``[0, 360]`` when it has values above 180 and
        none below 0).

    Returns
    -------
    numpy.ndarray
        The level's values (float64 for numbers).

    Examples
    --------
    >>> at_block_centres([0.0, 1.0, 2.0, 3.0, 4.0], ["x"], {"x": 2}, {"x": 3}).tolist()
    [0.5, 2.5, 4.5]
    >>> at_block_centres([178.0, -176.0], ["x"], {"x": 2}, {"x": 1}, longitude=True).round(6)
    array([-179.])
    """
    array = np.asarray(values)
    numeric = array.dtype.kind in "iuf"
    if numeric:
        array = array.astype(np.float64)
    period = 360.0 if numeric and longitude else None
    out = array
    for axis, dim in enumerate(dims):
        if dim not in factors:
            continue
        positions = _positions(array.shape[axis], factors[dim], shape[dim])
        out = _along(out, axis, positions, period)
        if period is not None:  # back into the source's range: [-180, 180] or [0, 360)
            finite = array[np.isfinite(array)]
            low = 0.0 if finite.size and finite.min() >= 0 and finite.max() > 180 else -180.0
            out = np.where(out < low, out + 360.0, np.where(out > low + 360.0, out - 360.0, out))
    return out


def extended_grid_mapping(value: Any, mapping: str, available: Collection[str]) -> str | None:
    """Return the source's extended ``grid_mapping`` form, naming only what is written.

    CF §5.6: the extended form "is required if one wants to store coordinate information
    for more than one coordinate reference system", and with one mapping it says that "all
    coordinates and auxiliary coordinates of the data variable not named in the
    grid_mapping attribute are unrelated to any grid mapping variable": either way it
    carries meaning the plain form does not, so it is kept. "All coordinate names listed in
    the grid_mapping attribute must be coordinate variables or auxiliary coordinates of the
    data variable": a name not written is left out, and a mapping left without coordinates
    with it.

    Parameters
    ----------
    value
        The source's ``grid_mapping`` attribute.
    mapping
        The name of the grid's own mapping variable (always written).
    available
        The variables written beside the data at every level (coordinates, auxiliary
        coordinates, the other mapping variables).

    Returns
    -------
    str or None
        The extended form, or ``None`` when the source's form is plain (or keeps nothing
        of the grid's mapping): then the plain ``mapping`` is written.

    Examples
    --------
    >>> extended_grid_mapping("crs: x y crs_wgs84: lat lon", "crs", {"x", "y", "crs_wgs84"})
    'crs: x y'
    >>> extended_grid_mapping("crs", "crs", {"x", "y"}) is None
    True
    """
    if not isinstance(value, str):
        return None
    entries = grid_mapping_entries(value)
    if not any(coords for _, coords in entries):
        return None
    known = {*available, mapping}
    kept = []
    for name, coords in entries:
        listed = [c for c in coords if c in known]
        if name in known and listed:
            kept.append(f"{name}: {' '.join(listed)}")
    if not any(entry.startswith(f"{mapping}:") for entry in kept):
        return None
    return " ".join(kept)
