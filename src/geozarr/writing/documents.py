"""The documents of a GeoZarr group, each built as its convention's model and dumped by alias.

The group attributes: ``zarr_conventions`` (:class:`ConventionMetadata` entries), ``proj:``
(:class:`ProjAttributes`), ``spatial:`` (:class:`SpatialAttributes`) and ``multiscales``
(:class:`Multiscales`); :func:`write_level_metadata` writes them with the group's CF
variables (:mod:`geozarr.writing.cf_variables`).

Building each document as the model that validates it means a writer cannot emit what the
validator rejects: a wrong type or a missing parameter fails here, as a
:class:`~geozarr.writing.grid.GeoWriteError`, not later in a user's store. Keys a model
leaves absent stay absent (never ``null``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pyproj import CRS

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
from geozarr.writing.build import build_model, dump_model
from geozarr.writing.cf_variables import (
    coordinate_attributes,
    dims_attribute,
    encode_fill_value,
    grid_mapping_attributes,
)
from geozarr.writing.grid import Grid
from geozarr.writing.xarray_source import CarriedArray
from ngff_geozarr.core.groups import write_group
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.pyramid import Level
from ngff_geozarr.core.store import StoreHandle, ZarrFormat, join_key

__all__ = [
    "CF_VERSION",
    "RESAMPLING_NAMES",
    "conventions_attribute",
    "crs_attributes",
    "group_attributes",
    "multiscales_layout",
    "name_grid_mapping",
    "write_carried",
    "write_level_metadata",
]

CF_VERSION = "CF-1.10"
"""The ``Conventions`` attribute written on every group."""

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
    return [dump_model(ConventionMetadata.model_validate(c.canonical())) for c in conventions]


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
        model = build_model("proj:code", ProjAttributes, code=f"{authority[0]}:{authority[1]}")
    else:
        model = build_model(
            "the proj: attributes",
            ProjAttributes,
            wkt2=crs.to_wkt(),
            projjson=json.loads(crs.to_json()),
        )
    return dump_model(model)


def _spatial(grid: Grid) -> SpatialAttributes:
    return build_model(  # type: ignore[no-any-return]
        "the spatial: attributes",
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
        **dump_model(_spatial(grid)),
    }
    if multiscales is not None:
        attrs["multiscales"] = dump_model(
            build_model("multiscales", Multiscales.model_validate, multiscales)
        )
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
        entry = build_model(
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
    return dump_model(
        build_model("multiscales", Multiscales, layout=entries, resampling_method=resampling)
    )


def write_carried(
    store: StoreHandle,
    group: str,
    carried: Sequence[CarriedArray],
    zarr_format: ZarrFormat,
    chunks: Mapping[str, int] | None = None,
) -> None:
    """Write the arrays carried to every level (``time``, bounds, ...) into ``group``.

    Each keeps its encoded values and attributes (CF time's ``units`` and ``calendar``); its
    Zarr ``fill_value`` is its ``_FillValue``, which Zarr v3 also gets as an attribute,
    encoded as xarray encodes it. Without one, floats get NaN in v3 and ``null`` in v2 (no
    nodata, as :mod:`geozarr.convert` reads it both ways).

    Parameters
    ----------
    store
        The store, writable.
    group
        The path of the group that receives them (``""`` for the root).
    carried
        The arrays.
    zarr_format
        The Zarr format.
    chunks
        The chunk length by dimension name (the rasters' spatial chunks: an auxiliary
        coordinate on the grid, 2-D ``lat`` / ``lon``, is as large as a raster); other
        dimensions are one chunk.
    """
    prefix = f"{group}/" if group else ""
    sizes = dict(chunks or {})
    for array in carried:
        values = np.asarray(array.values)
        if values.dtype.kind in "UO":
            # variable-length UTF-8 (the "string" data type of v3, vlen-utf8 in v2), as xarray
            # writes text; fixed-width unicode has no Zarr v3 specification
            values = values.astype(np.dtypes.StringDType())
        attrs = {**array.attributes, **dims_attribute(zarr_format, array.dims)}
        fill: Any = array.fill
        if fill is None and values.dtype.kind == "f" and zarr_format == 3:
            fill = math.nan  # in v2 a null fill value says "no nodata" (see geozarr.convert)
        elif fill is not None and zarr_format == 3 and values.dtype.kind in "iuf":
            attrs["_FillValue"] = encode_fill_value(fill, values.dtype)
        shape = tuple(
            max(1, min(n, sizes.get(d, n))) for n, d in zip(values.shape, array.dims, strict=False)
        )
        store.create_array(
            prefix + array.name,
            values,
            chunks=shape or None,
            attributes=attrs,
            dimension_names=array.dims if zarr_format == 3 else None,
            fill_value=fill,
            zarr_format=zarr_format,
        )


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

    Writes the ``x`` and ``y`` coordinates (when the transform has no rotation), the grid
    mapping variable (named :attr:`Grid.grid_mapping`, ``spatial_ref`` by default) and the
    group's attributes (CF ``Conventions``, ``zarr_conventions``, ``proj:`` and ``spatial:``).
    The group document is written as a document, never by re-creating the group, so the
    arrays below it are kept.

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
                attributes=coordinate_attributes(
                    grid.crs,
                    axis,  # type: ignore[arg-type]
                    zarr_format,
                    dim,
                    grid.bounds.get(dim),
                ),
                fill_value=math.nan if zarr_format == 3 else None,
                zarr_format=zarr_format,
            )
    store.create_array(
        prefix + grid.grid_mapping,
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
    write_group(store, group, attributes, zarr_format)


def name_grid_mapping(store: StoreHandle, node: Node, mapping: str) -> bool:
    """Name the grid mapping in an existing array's ``grid_mapping``, when it names none.

    CF §5.6: a data variable names its grid mapping variable in its ``grid_mapping``
    attribute; without it, readers that take the CRS from the variable (GDAL before 3.13)
    see none. Only the array's attribute document is rewritten; its chunks are not touched.

    Parameters
    ----------
    store
        The store, writable.
    node
        The array, as read before this call.
    mapping
        The grid mapping variable's name, beside the array.

    Returns
    -------
    bool
        Whether the attribute was added (``False``: the array already names a mapping).
    """
    if "grid_mapping" in node.attributes:
        return False
    name = "zarr.json" if node.zarr_format == 3 else ".zattrs"
    key = join_key(node.path, name)
    raw = store.run(store.read(key))
    document: dict[str, Any] = json.loads(raw) if raw is not None else {}
    if node.zarr_format == 3:
        document.setdefault("attributes", {})["grid_mapping"] = mapping
    else:
        document["grid_mapping"] = mapping
    store.write_bytes(key, json.dumps(document, indent=2, allow_nan=False).encode())
    return True
