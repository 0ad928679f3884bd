"""Every GeoZarr document a writer emits, built as its convention's model and dumped by alias.

- the group attributes: ``zarr_conventions`` (:class:`ConventionMetadata` entries),
  ``proj:`` (:class:`ProjAttributes`), ``spatial:`` (:class:`SpatialAttributes`) and
  ``multiscales`` (:class:`Multiscales`);
- the CF variables: the ``x`` / ``y`` coordinates and the data variables
  (:class:`CFVariable`), and the grid-mapping variable (:class:`GridMappingVariable`,
  completed by :func:`geozarr.writing.grid_mapping.cf_grid_mapping`).

Building each document as the model that validates it means a writer cannot emit what the
validator rejects: a wrong type or a missing parameter fails here, as a
:class:`~geozarr.writing.grid.GeoWriteError`, not later in a user's store. Keys a model
leaves absent stay absent (never ``null``).
"""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pydantic
from pyproj import CRS

from geozarr.cf.grid_mappings import GridMappingBase, GridMappingVariable
from geozarr.cf.variables import FILL_VALUE, CFVariable
from geozarr.conventions.multiscales import LayoutEntry, Multiscales, Transform
from geozarr.conventions.proj import ProjAttributes
from geozarr.conventions.registry import (
    MULTISCALES,
    PROJ,
    SPATIAL,
    ConventionMetadata,
    KnownConvention,
)
from geozarr.conventions.spatial import SpatialAttributes
from geozarr.writing.grid import GeoWriteError, Grid
from geozarr.writing.grid_mapping import cf_grid_mapping
from ngff_geozarr.core.pyramid import Level, OutputOptions
from ngff_geozarr.core.store import Compression, StoreHandle, ZarrFormat

__all__ = [
    "CF_VERSION",
    "GRID_MAPPING",
    "RESAMPLING_NAMES",
    "conventions_attribute",
    "coordinate_attributes",
    "crs_attributes",
    "encode_fill_value",
    "grid_mapping_attributes",
    "group_attributes",
    "json_fill",
    "multiscales_layout",
    "variable_output",
    "write_level_metadata",
]

CF_VERSION = "CF-1.10"
"""The ``Conventions`` attribute written on every group."""
GRID_MAPPING = "spatial_ref"
"""The name of the grid mapping variable (as GDAL and rioxarray name it)."""

RESAMPLING_NAMES: dict[str, str] = {
    "mean": "average",
    "gaussian": "gauss",
    "nearest": "nearest",
    "mode": "mode",
    "min": "min",
    "max": "max",
    "sum": "sum",
}
"""The multiscales ``resampling_method`` written for each kernel (GDAL's names)."""

_Doc = dict[str, Any]


def _dump(model: pydantic.BaseModel) -> _Doc:
    return dict(model.model_dump(mode="json", by_alias=True))


def _build(what: str, build: Any, *args: Any, **kwargs: Any) -> Any:
    """Construct a model; a validation error becomes a :class:`GeoWriteError` naming ``what``."""
    try:
        return build(*args, **kwargs)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise GeoWriteError(f"Cannot write {what}: {where}: {first['msg']}.") from None


def encode_fill_value(value: float | int, dtype: np.dtype[Any]) -> float | int | str:
    """Encode a ``_FillValue`` attribute for Zarr v3 as xarray encodes it.

    Floats become base64 of their 8 little-endian bytes (NaN has no JSON number); integers
    stay numbers.

    Parameters
    ----------
    value
        The nodata value.
    dtype
        The variable's dtype.

    Returns
    -------
    int or str
        The attribute's value.

    Examples
    --------
    >>> encode_fill_value(float("nan"), np.dtype("float32"))
    'AAAAAAAA+H8='
    >>> encode_fill_value(-1, np.dtype("int16"))
    -1
    """
    if dtype.kind == "f":
        return base64.standard_b64encode(struct.pack("<d", float(value))).decode()
    return int(value)


def json_fill(value: float | int, dtype: np.dtype[Any]) -> float | int | str:
    """Spell a nodata value as a Zarr ``fill_value`` (``"NaN"`` and ``"Infinity"`` as strings).

    Parameters
    ----------
    value
        The nodata value.
    dtype
        The array's dtype.

    Returns
    -------
    float, int or str
        The JSON value.

    Examples
    --------
    >>> json_fill(float("nan"), np.dtype("float32")), json_fill(3, np.dtype("uint8"))
    ('NaN', 3)
    """
    if dtype.kind == "f":
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return int(value)


# -- group attributes: zarr_conventions, proj:, spatial:, multiscales ----------------------


def conventions_attribute(*conventions: KnownConvention) -> list[_Doc]:
    """Return ``zarr_conventions``: the canonical declaration of each convention, as models.

    Parameters
    ----------
    *conventions
        The conventions the node follows.

    Returns
    -------
    list of dict
        Convention Metadata Objects (zarr-conventions §Convention Registration).

    Examples
    --------
    >>> [c["name"] for c in conventions_attribute(PROJ, SPATIAL)]
    ['proj', 'spatial']
    """
    return [_dump(ConventionMetadata.model_validate(c.canonical())) for c in conventions]


def crs_attributes(crs: CRS) -> _Doc:
    """Return the ``proj:`` properties of a CRS, built as :class:`ProjAttributes`.

    ``proj:code`` when the CRS is exactly an authority code (proj: §proj:code, pattern
    ``^[A-Z]+:[0-9]+$``), else ``proj:wkt2`` and ``proj:projjson``.

    Parameters
    ----------
    crs
        The CRS.

    Returns
    -------
    dict
        The ``proj:``-prefixed attributes.

    Examples
    --------
    >>> crs_attributes(CRS.from_epsg(3031))
    {'proj:code': 'EPSG:3031'}
    """
    authority = crs.to_authority(min_confidence=100)
    if authority is not None and authority[1].isdigit() and authority[0].isupper():
        model = _build("proj:code", ProjAttributes, code=f"{authority[0]}:{authority[1]}")
    else:
        model = _build(
            "proj:", ProjAttributes, wkt2=crs.to_wkt(), projjson=json.loads(crs.to_json())
        )
    return _dump(model)


def _spatial(grid: Grid) -> SpatialAttributes:
    return _build(  # type: ignore[no-any-return]
        "spatial:",
        SpatialAttributes,
        dimensions=list(grid.dims),
        transform=[float(v) for v in grid.transform],
        shape=[int(grid.height), int(grid.width)],
        bbox=[float(v) for v in grid.bbox()],
        registration="pixel",
    )


def group_attributes(grid: Grid, *, multiscales: Mapping[str, Any] | None = None) -> _Doc:
    """Return a GeoZarr group's attributes: CF ``Conventions`` and the Zarr conventions.

    Parameters
    ----------
    grid
        The group's georeferencing.
    multiscales
        A ``multiscales`` attribute (see :func:`multiscales_layout`): declared and written.

    Returns
    -------
    dict
        ``Conventions``, ``zarr_conventions``, ``proj:*``, ``spatial:*`` and, when given,
        ``multiscales``.
    """
    declared = (MULTISCALES, PROJ, SPATIAL) if multiscales is not None else (PROJ, SPATIAL)
    attrs: _Doc = {
        "Conventions": CF_VERSION,
        "zarr_conventions": conventions_attribute(*declared),
        **crs_attributes(grid.crs),
        **_dump(_spatial(grid)),
    }
    if multiscales is not None:
        attrs["multiscales"] = _dump(_build("multiscales", Multiscales.model_validate, multiscales))
    return attrs


def multiscales_layout(
    paths: Sequence[str], levels: Sequence[Level], grid: Grid, method: str
) -> _Doc:
    """Return the ``multiscales`` attribute of a pyramid, built as :class:`Multiscales`.

    Each level is derived from the one before with ``transform.scale`` (its factors) and
    ``transform.translation`` 0 (a level's first pixel covers the first block of the one
    before, so their corners coincide), and carries its ``spatial:transform`` and
    ``spatial:shape`` (spatial: §Usage with multiscales convention).

    Parameters
    ----------
    paths
        The asset of each level, base first.
    levels
        The planned levels.
    grid
        The base grid.
    method
        The kernel (a key of :data:`RESAMPLING_NAMES`).

    Returns
    -------
    dict
        ``layout`` and ``resampling_method``.
    """
    resampling = RESAMPLING_NAMES[method]
    entries = []
    for k, (path, level) in enumerate(zip(paths, levels, strict=True)):
        level_grid = grid.reduced(level.cumulative[-2], level.cumulative[-1])
        entry = _build(
            "multiscales",
            LayoutEntry,
            asset=path,
            transform=Transform(
                scale=[float(f) for f in level.factors],
                translation=[0.0] * len(level.factors),
            ),
            spatial_transform=[float(v) for v in level_grid.transform],
            spatial_shape=[int(level_grid.height), int(level_grid.width)],
            **({"derived_from": paths[k - 1], "resampling_method": resampling} if k else {}),
        )
        entries.append(entry)
    return _dump(_build("multiscales", Multiscales, layout=entries, resampling_method=resampling))


# -- CF variables --------------------------------------------------------------------------

_UNITS = {"metre": "m", "meter": "m", "US survey foot": "US_survey_foot", "foot": "ft"}


def _dims_attr(zarr_format: ZarrFormat, names: Sequence[str]) -> _Doc:
    return {"_ARRAY_DIMENSIONS": list(names)} if zarr_format == 2 else {}


def coordinate_attributes(
    crs: CRS, axis: Literal["x", "y"], zarr_format: ZarrFormat, dim: str
) -> _Doc:
    """Return the CF attributes of an ``x`` or ``y`` coordinate, built as :class:`CFVariable`.

    CF §4.1-4.2 for longitude / latitude (``degrees_east`` / ``degrees_north``), Appendix F
    "Map coordinates" (``projection_x_coordinate`` / ``projection_y_coordinate``) for
    projected CRSs; ``axis`` X or Y (CF §4).

    Parameters
    ----------
    crs
        The CRS.
    axis
        ``"x"`` or ``"y"``.
    zarr_format
        The Zarr format (v2 spells the dimension names as ``_ARRAY_DIMENSIONS``).
    dim
        The coordinate's dimension name.

    Returns
    -------
    dict
        The attributes.

    Examples
    --------
    >>> coordinate_attributes(CRS.from_epsg(4326), "y", 3, "lat")["units"]
    'degrees_north'
    """
    if crs.is_geographic:
        name = "longitude" if axis == "x" else "latitude"
        units = "degrees_east" if axis == "x" else "degrees_north"
        long_name = name
    else:
        unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
        name, units = f"projection_{axis}_coordinate", _UNITS.get(unit, unit)
        long_name = f"{axis} coordinate of projection"
    dims = {"array_dimensions": [dim]} if zarr_format == 2 else {}
    model = _build(
        f"the {axis} coordinate",
        CFVariable,
        standard_name=name,
        long_name=long_name,
        units=units,
        axis=axis.upper(),
        **dims,
    )
    return _dump(model)


def grid_mapping_attributes(grid: Grid, zarr_format: ZarrFormat = 3) -> _Doc:
    """Return the grid-mapping variable's attributes, built as :class:`GridMappingVariable`.

    CF §5.6: ``grid_mapping_name`` and the Appendix F parameters (see
    :func:`~geozarr.writing.grid_mapping.cf_grid_mapping`), ``crs_wkt`` (WKT2); as GDAL
    and rioxarray write them, ``spatial_ref`` (the same WKT) and ``GeoTransform`` (GDAL's
    ``c a b f d e``). A CRS CF names no mapping for is validated as the mapping attributes
    every grid mapping may carry.

    Parameters
    ----------
    grid
        The georeferencing.
    zarr_format
        The Zarr format (v2 adds ``_ARRAY_DIMENSIONS`` ``[]``).

    Returns
    -------
    dict
        The attributes.

    Raises
    ------
    GeoWriteError
        When the CRS gives a grid mapping CF Appendix F rejects.
    """
    wkt = grid.crs.to_wkt()
    attrs = {
        **cf_grid_mapping(grid.crs),
        "crs_wkt": wkt,
        "spatial_ref": wkt,
        "GeoTransform": grid.gdal_transform(),
    }
    what = f"the grid mapping of {grid.crs.name!r}"
    if "grid_mapping_name" in attrs:
        model: pydantic.BaseModel = _build(what, GridMappingVariable.model_validate, attrs)
    else:
        model = _build(what, GridMappingBase.model_validate, attrs)
    return {**_dump(model), **_dims_attr(zarr_format, ())}


def variable_output(
    dims: Sequence[str],
    attributes: Mapping[str, Any],
    nodata: float | int | None,
    dtype: np.dtype[Any],
    zarr_format: ZarrFormat,
    compression: Compression,
) -> OutputOptions:
    """Return how the engine writes a data variable: its CF attributes and fill value.

    The attributes are built as :class:`CFVariable`: ``grid_mapping`` (CF §5.6) and
    ``coordinates`` naming the grid mapping (xarray then keeps it as a coordinate, which
    rioxarray needs), ``_FillValue`` (CF §2.5.1; base64 in Zarr v3, as xarray encodes it)
    and the dimension names. Float data without nodata gets NaN.

    Parameters
    ----------
    dims
        The dimension names.
    attributes
        The variable's own attributes (``standard_name``, ``units``, ...).
    nodata
        The nodata value, or ``None``.
    dtype
        The stored dtype.
    zarr_format
        The Zarr format.
    compression
        The codec preset.

    Returns
    -------
    OutputOptions
        For :func:`ngff_geozarr.core.pyramid.write_pyramid`.

    Raises
    ------
    GeoWriteError
        When an attribute has a type CF does not allow (``units`` a number, say).
    """
    attrs = dict(attributes)
    attrs["grid_mapping"] = GRID_MAPPING
    attrs["coordinates"] = GRID_MAPPING
    if nodata is None and dtype.kind == "f":
        nodata = math.nan
    fill: Any = None
    if nodata is not None:
        fill = json_fill(nodata, dtype)
        if zarr_format == 3:
            attrs[FILL_VALUE] = encode_fill_value(nodata, dtype)
    attrs.update(_dims_attr(zarr_format, dims))
    model = _build("the variable's attributes", CFVariable.model_validate, attrs)
    return OutputOptions(
        zarr_format=zarr_format,
        compression=compression,
        fill_value=float(fill) if isinstance(fill, str) else fill,
        dimension_names=tuple(dims) if zarr_format == 3 else None,
        attributes=_dump(model),
    )


def _group_document(zarr_format: ZarrFormat, attributes: _Doc) -> list[tuple[str, bytes]]:
    if zarr_format == 3:
        doc = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
        return [("zarr.json", json.dumps(doc, indent=2).encode())]
    return [
        (".zgroup", json.dumps({"zarr_format": 2}).encode()),
        (".zattrs", json.dumps(attributes, indent=2).encode()),
    ]


def write_level_metadata(
    store: StoreHandle,
    group: str,
    grid: Grid,
    zarr_format: ZarrFormat,
    *,
    extra: Mapping[str, Any] | None = None,
    multiscales: Mapping[str, Any] | bool | None = None,
) -> None:
    """Make ``group`` a self-describing GeoZarr group: its CF variables and its attributes.

    Writes the ``x`` and ``y`` coordinates (when the transform has no rotation), the
    ``spatial_ref`` grid mapping variable and the group's attributes (CF ``Conventions``,
    ``zarr_conventions``, ``proj:`` and ``spatial:``). The group document is written as a
    document, never by re-creating the group, so the arrays below it are kept.

    Parameters
    ----------
    store
        The store, writable.
    group
        The group's path (``""`` for the root).
    grid
        Its georeferencing.
    zarr_format
        The Zarr format of the documents.
    extra
        More group attributes (a title, ...), written over the rendered ones; a
        ``multiscales`` among them is taken as the ``multiscales`` argument.
    multiscales
        The ``multiscales`` attribute (see :func:`multiscales_layout`), validated and
        declared in ``zarr_conventions``. A ``multiscales`` in ``extra`` is the same (the
        boolean this argument was before is accepted and changes nothing).
    """
    prefix = f"{group}/" if group else ""
    if grid.rectilinear:
        for axis, values, dim in (
            ("x", grid.x_centres(), grid.dims[1]),
            ("y", grid.y_centres(), grid.dims[0]),
        ):
            store.create_array(
                prefix + dim,
                values,
                chunks=values.shape,
                dimension_names=(dim,) if zarr_format == 3 else None,
                attributes=coordinate_attributes(grid.crs, axis, zarr_format, dim),  # type: ignore[arg-type]
                zarr_format=zarr_format,
            )
    store.create_array(
        prefix + GRID_MAPPING,
        np.array(0, dtype=np.int64),
        attributes=grid_mapping_attributes(grid, zarr_format),
        dimension_names=() if zarr_format == 3 else None,
        zarr_format=zarr_format,
    )
    rest = dict(extra or {})
    layout = rest.pop("multiscales", None)
    if isinstance(multiscales, Mapping):
        layout = multiscales
    attributes = {**group_attributes(grid, multiscales=layout), **rest}
    for name, value in _group_document(zarr_format, attributes):
        store.write_bytes(prefix + name, value)
