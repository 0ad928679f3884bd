"""xarray objects as inputs: a ``DataArray`` (or one variable of a ``Dataset``) as a Source.

An xarray object carries what a file carries, by other names: its dimension names are the
axes, a regular 1-D numeric coordinate along a dimension is that axis' sample size and
origin (``coord[1] - coord[0]`` and ``coord[0]``: xarray coordinates label sample centres,
as OME-Zarr's and CF's do), the coordinate's ``units`` attribute its unit, string labels
along a channel dimension the channel names, and the array's ``name`` the image's name.
:func:`open_labelled` turns it into a :class:`~ngff_geozarr.core.inputs.Source` without
reading its values: dask data is used as it is, anything else (numpy values, or a
variable xarray reads lazily from a file) is read region by region (:class:`LazyArray`).

xarray stays optional: objects are told by their attributes (:func:`labelled_kind`), and
nothing here imports xarray.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from ngff_geozarr.core.inputs.formats import InputError
from ngff_geozarr.core.inputs.metadata import Calibration, unit_name
from ngff_geozarr.core.inputs.opening import Source
from ngff_geozarr.core.inputs.regions import LazyArray

__all__ = [
    "LabelledKind",
    "axis_type_of",
    "is_dataarray",
    "is_dataset",
    "is_labelled",
    "labelled_kind",
    "open_labelled",
]

# Dimension names (lower case) and CF ``axis`` letters that say which kind of axis a
# dimension is, as OME-Zarr's axis types name them.
_TYPES = {
    "t": "time",
    "time": "time",
    "c": "channel",
    "ch": "channel",
    "channel": "channel",
    "channels": "channel",
    "band": "channel",
    "z": "space",
    "y": "space",
    "x": "space",
}
LabelledKind = Literal["dataarray", "dataset"]
"""The xarray objects :func:`labelled_kind` tells apart."""
_KINDS: dict[LabelledKind, tuple[str, ...]] = {  # what each has, in the order they are told
    "dataarray": ("dims", "coords", "variable"),
    "dataset": ("data_vars", "coords"),
}
_CF_AXIS = {"T": "time", "Z": "space", "Y": "space", "X": "space"}
_REGULAR = 1e-6  # relative tolerance on the steps of a regular coordinate


def labelled_kind(data: Any) -> LabelledKind | None:
    """Tell which xarray object ``data`` is, by its attributes, so that xarray stays optional.

    A DataArray has ``dims``, ``coords`` and ``variable``; a Dataset ``data_vars`` and
    ``coords``.

    Parameters
    ----------
    data
        Anything.

    Returns
    -------
    str or None
        ``"dataarray"`` or ``"dataset"``; ``None`` for anything else.

    Examples
    --------
    >>> labelled_kind([1, 2])  # nothing xarray
    """
    return next((kind for kind in _KINDS if _has_attributes(data, kind)), None)


def is_labelled(data: Any) -> bool:
    """Tell whether ``data`` is an xarray object, a DataArray or a Dataset (deprecated).

    .. deprecated::
       Use ``labelled_kind(data) is not None``.
    """
    warnings.warn(
        "is_labelled is deprecated; use labelled_kind(data) is not None",
        DeprecationWarning,
        stacklevel=2,
    )
    return labelled_kind(data) is not None


def is_dataset(data: Any) -> bool:
    """Tell whether ``data`` is an xarray Dataset (deprecated).

    .. deprecated::
       Use ``labelled_kind(data) == "dataset"``.
    """
    _deprecated("is_dataset", "dataset")
    return _has_attributes(data, "dataset")


def is_dataarray(data: Any) -> bool:
    """Tell whether ``data`` is an xarray DataArray (deprecated).

    .. deprecated::
       Use ``labelled_kind(data) == "dataarray"``.
    """
    _deprecated("is_dataarray", "dataarray")
    return _has_attributes(data, "dataarray")


def _has_attributes(data: Any, kind: LabelledKind) -> bool:
    return all(hasattr(data, name) for name in _KINDS[kind])


def _deprecated(name: str, kind: LabelledKind) -> None:
    warnings.warn(
        f"{name} is deprecated; use labelled_kind(data) == {kind!r}",
        DeprecationWarning,
        stacklevel=3,
    )


def axis_type_of(name: str, attrs: Mapping[str, Any]) -> str | None:
    """Say which OME-Zarr axis type a dimension is, from its coordinate's attributes or name.

    Parameters
    ----------
    name
        The dimension's name.
    attrs
        The attributes of its coordinate (empty when it has none): ``axis_type`` (as
        ``ngff.open(...).to_xarray()`` writes it) or CF's ``axis`` (``T``, ``Z``, ``Y``,
        ``X``) win over the name.

    Returns
    -------
    str or None
        ``"time"``, ``"channel"`` or ``"space"``; ``None`` when nothing says (a custom
        axis).
    """
    declared = attrs.get("axis_type")
    if isinstance(declared, str) and declared:
        return declared
    cf_axis = attrs.get("axis")
    if isinstance(cf_axis, str) and cf_axis.upper() in _CF_AXIS:
        return _CF_AXIS[cf_axis.upper()]
    return _TYPES.get(name.lower())


class _VariableReader:
    """Region reads of an xarray variable whose values are read lazily from its file."""

    def __init__(self, variable: Any) -> None:
        self.variable = variable
        self.shape = tuple(int(n) for n in variable.shape)
        self.dtype = np.dtype(variable.dtype)

    def read(self, region: tuple[slice, ...]) -> Any:
        return np.asarray(self.variable[region].values)


def _pixels(array: Any) -> Any:
    """Return the array's values without reading them: its dask array, or a lazy view."""
    if array.chunks is not None:
        return array.data
    return LazyArray(_VariableReader(array.variable))


def _step(values: Any) -> tuple[float, float] | None:
    """Return ``(origin, step)`` of a regular numeric 1-D coordinate, else ``None``."""
    points = np.asarray(values)
    if points.ndim != 1 or points.size < 1 or points.dtype.kind not in "iuf":
        return None
    numbers = points.astype(np.float64)
    if not np.all(np.isfinite(numbers)):
        return None
    if numbers.size == 1:
        return float(numbers[0]), 1.0
    steps = np.diff(numbers)
    step = float(steps[0])
    if step <= 0 or not np.allclose(steps, step, rtol=_REGULAR, atol=0.0):
        return None
    return float(numbers[0]), step


def _choose(data: Any, variable: str | None) -> Any:
    if labelled_kind(data) != "dataset":
        if variable is not None:
            raise InputError("variable= chooses a variable of a Dataset; got a DataArray.")
        return data
    names = [str(name) for name in data.data_vars]
    if variable is None:
        if len(names) != 1:
            raise InputError(
                f"The Dataset holds {len(names)} variables ({', '.join(names) or 'none'}): "
                "name the one to read with variable=."
            )
        variable = names[0]
    if variable not in names:
        raise InputError(f"The Dataset has no variable {variable!r}. It has: {', '.join(names)}.")
    return data[variable]


def open_labelled(data: Any, *, variable: str | None = None) -> Source:
    """Open an xarray ``DataArray``, or one variable of a ``Dataset``, as a Source.

    Parameters
    ----------
    data
        A DataArray or a Dataset.
    variable
        The Dataset's variable to read; may be omitted when it holds one.

    Returns
    -------
    Source
        Format ``"xarray"``; :attr:`~ngff_geozarr.core.inputs.Source.dims` the dimension
        names and :attr:`~ngff_geozarr.core.inputs.Source.dim_types` their axis types
        (:func:`axis_type_of`); the calibration (sample size, origin, unit) of every
        dimension with a regular numeric coordinate; channel names from string labels
        along a channel dimension; the array's name. Nothing is read.

    Raises
    ------
    InputError
        When ``data`` is not an xarray object, or the variable cannot be chosen.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((2, 3, 4)), dims=("c", "y", "x"),
    ...     coords={"c": ["DAPI", "GFP"], "y": ("y", [0.5, 1.0, 1.5], {"units": "micrometer"})},
    ...     name="cells")
    >>> source = open_labelled(da)
    >>> source.dims, source.channel_names, source.calibration.scale
    (('c', 'y', 'x'), ('DAPI', 'GFP'), {'y': 0.5})
    >>> source.calibration.origin, source.calibration.units
    ({'y': 0.5}, {'y': 'micrometer'})
    """
    if labelled_kind(data) is None:
        raise InputError(f"Expected an xarray DataArray or Dataset. Got {type(data).__name__}.")
    array = _choose(data, variable)
    dims = tuple(str(d) for d in array.dims)
    coords = array.coords
    types: list[str | None] = []
    scale: dict[str, float] = {}
    origin: dict[str, float] = {}
    units: dict[str, str] = {}
    channel_names: tuple[str, ...] = ()
    for dim in dims:
        coord = coords[dim] if dim in coords else None  # noqa: SIM401 (get() makes a range)
        attrs: Mapping[str, Any] = coord.attrs if coord is not None else {}
        kind = axis_type_of(dim, attrs)
        types.append(kind)
        if coord is None:
            continue
        values = np.asarray(coord.values)
        if kind == "channel":
            if values.dtype.kind in "UO" and all(isinstance(v, str) for v in values.tolist()):
                channel_names = tuple(values.tolist())
            continue
        found = _step(values)
        if found is None:
            continue
        origin[dim], scale[dim] = found
        given = attrs.get("units")
        unit = unit_name(given) or (given.strip() if isinstance(given, str) else None)
        if unit:
            units[dim] = unit
    name = array.name if isinstance(array.name, str) and array.name else None
    nodata = array.attrs.get("_FillValue", array.encoding.get("_FillValue"))
    return Source(
        _pixels(array),
        name or "xarray",
        "xarray",
        calibration=Calibration(scale, units, "xarray" if scale else "", origin),
        channel_names=channel_names,
        name=name,
        nodata=float(nodata) if _number(nodata) else None,
        dims=dims,
        dim_types=tuple(types),
    )


def _number(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
