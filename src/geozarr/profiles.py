"""The readers ``geozarr validate --for`` knows: GDAL 3.12, GDAL 3.13 and xarray.

GDAL 3.13 lists the levels of a ``multiscales`` layout as overviews of an array under precise
rules, read from its Zarr driver (``frmts/zarr/zarr_v3_array.cpp``,
``ZarrV3Array::LoadOverviews``): only Zarr v3 arrays look; the ``multiscales`` and
``zarr_conventions`` attributes (with the multiscales UUID) must be on the array's parent or
grandparent group; each layout asset resolves to an array of the base array's name and data
type, smaller in some dimension; a layout ``spatial:shape`` must be exactly that array's size
along the group's ``spatial:dimensions``; a non-zero ``transform.translation`` is ignored.
GDAL 3.12 reads no sharded array and takes the CRS from ``_CRS`` or a CF ``grid_mapping``
only. Every rule id is declared in ``ngff_geozarr/core/profiles/data/rules.toml``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.profiles.readers import (
    XARRAY,
    Finding,
    ReaderProfile,
    check_sharding,
)

__all__ = ["GDAL_312", "GDAL_313", "READERS", "check_gdal_crs", "check_gdal_overviews"]

_MULTISCALES_UUID = "d35379db-88df-4056-af3a-620245f8e347"
_SPATIAL_UUID = "689b58e2-cf7b-45e0-9fff-9cfc0883d6b4"
_PROJ_KEYS = ("proj:code", "proj:wkt2", "proj:projjson")


def _coordinates(hierarchy: Hierarchy) -> set[str]:
    """Return the paths of the arrays a sibling names as coordinates (2-D lat / lon)."""
    found: set[str] = set()
    for node in hierarchy.values():
        named = node.attributes.get("coordinates") if node.node_type == "array" else None
        if isinstance(named, str):
            parent = node.parent or ""
            found.update(_join(parent, name) for name in named.split())
    return found


def check_gdal_crs(hierarchy: Hierarchy) -> Iterator[Finding]:
    """GDAL 3.12: data arrays whose CRS it does not read (``proj:`` only, extended form).

    No ``_CRS`` and no ``grid_mapping`` naming one variable: GDAL 3.12 takes
    ``grid_mapping`` for the name of one variable, and CF's extended form
    (``"crs: x y crs_wgs84: lat lon"``) gives it no CRS (checked with GDAL 3.10.3 and
    3.12.2). Auxiliary coordinates (2-D ``lat`` / ``lon``, named by a sibling's
    ``coordinates``) are not rasters to georeference.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.gdal-3.12.crs`` finding
    per such array.
    """
    coordinates = _coordinates(hierarchy)
    for node in hierarchy.values():
        shape = node.array_shape
        if shape is None or len(shape) < 2 or node.path in coordinates:
            continue
        attrs = node.attributes
        mapping = attrs.get("grid_mapping")
        if "_CRS" in attrs or (mapping is not None and ":" not in str(mapping)):
            continue
        if mapping is not None:
            yield Finding(
                "reader.gdal-3.12.crs",
                node.path,
                "/attributes/grid_mapping",
                "GDAL 3.12 sees no CRS on this array: it reads `grid_mapping` as one "
                "variable's name, not CF's extended form "
                f"{mapping!r} (proj:/spatial: are read from GDAL 3.13). Fix, if GDAL 3.12 "
                "must see it: `_CRS`, or the plain form.",
            )
            continue
        parent = hierarchy.get(node.parent or "") if node.parent is not None else None
        where = [attrs, parent.attributes if parent is not None else {}]
        if any(key in scope for scope in where for key in _PROJ_KEYS):
            yield Finding(
                "reader.gdal-3.12.crs",
                node.path,
                "/attributes",
                "GDAL 3.12 sees no CRS on this array: it reads `_CRS` or a CF `grid_mapping`, "
                "not proj:/spatial: (read from GDAL 3.13). Fix: add a CF grid mapping variable "
                "and name it in `grid_mapping`.",
            )


def _join(group: str, relative: str) -> str:
    return f"{group}/{relative}" if group else relative


def _arrays_of(hierarchy: Hierarchy, path: str) -> list[Node]:
    """Return the arrays an asset names: itself, or a group's arrays of 2+ dimensions."""
    node = hierarchy.get(path)
    if node is None:
        return []
    if node.node_type == "array":
        return [node]
    return [c for c in hierarchy.children(path) if len(c.array_shape or ()) >= 2]


def _resolve(hierarchy: Hierarchy, group: str, asset: str, base: Node) -> Node | None:
    """Return the array GDAL takes for ``asset`` as an overview of ``base``."""
    path = _join(group, asset)
    node = hierarchy.get(path)
    if node is None:
        return None
    if node.node_type == "group":
        return hierarchy.get(_join(path, base.name))
    if "/" in asset and node.name != base.name:
        return None
    return node


def _conventions(attrs: Mapping[str, Any]) -> set[str]:
    found = attrs.get("zarr_conventions")
    if not isinstance(found, list):
        return set()
    return {str(c.get("uuid")) for c in found if isinstance(c, Mapping)}


def _layout(node: Node) -> list[Mapping[str, Any]] | None:
    multiscales = node.attributes.get("multiscales")
    if not isinstance(multiscales, Mapping):
        return None
    layout = multiscales.get("layout")
    if not isinstance(layout, list):
        return None
    return [entry for entry in layout if isinstance(entry, Mapping)]


def check_gdal_overviews(hierarchy: Hierarchy) -> Iterator[Finding]:
    """GDAL 3.13: what keeps the levels of a multiscales layout from being overviews.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.gdal-3.13.overview-*``
    finding per multiscales group and level GDAL 3.13 will not list as an overview.
    """
    for group in hierarchy.values():
        layout = _layout(group) if group.node_type == "group" else None
        if not layout:
            continue
        if group.zarr_format == 2:
            yield Finding(
                "reader.gdal-3.13.overview-format",
                group.path,
                "/attributes/multiscales",
                "GDAL 3.13 finds no overviews here: it looks for multiscales from Zarr v3 "
                "arrays only. Fix: convert the store to Zarr v3 (geozarr convert).",
            )
            continue
        yield from _group_overviews(hierarchy, group, layout)


def _group_overviews(
    hierarchy: Hierarchy, group: Node, layout: Sequence[Mapping[str, Any]]
) -> Iterator[Finding]:
    uuids = _conventions(group.attributes)
    if _MULTISCALES_UUID not in uuids:
        yield Finding(
            "reader.gdal-3.13.overview-layout",
            group.path,
            "/attributes/zarr_conventions",
            "GDAL 3.13 finds no overviews here: zarr_conventions does not register the "
            f"multiscales convention (uuid {_MULTISCALES_UUID}). Fix: register it.",
        )
        return
    base_entry = next((e for e in layout if "derived_from" not in e), layout[0])
    base_asset = str(base_entry.get("asset", ""))
    for base in _arrays_of(hierarchy, _join(group.path, base_asset)):
        parents = {base.parent, (base.parent or "").rpartition("/")[0] if base.parent else None}
        if group.path not in parents:
            yield Finding(
                "reader.gdal-3.13.overview-layout",
                group.path,
                "/attributes/multiscales/layout",
                f"GDAL 3.13 finds no overviews for {base.path!r}: it looks for multiscales "
                "in the array's parent or grandparent group only, and this group is neither. "
                "Fix: put the multiscales group at most two levels above the level arrays.",
            )
            continue
        yield from _levels(hierarchy, group, layout, base)


def _levels(
    hierarchy: Hierarchy, group: Node, layout: Sequence[Mapping[str, Any]], base: Node
) -> Iterator[Finding]:
    shape, dtype = base.array_shape or (), base.data_type
    spatial = group.attributes.get("spatial:dimensions")
    spatial_dims = (
        [str(d) for d in spatial]
        if _SPATIAL_UUID in _conventions(group.attributes) and isinstance(spatial, list)
        else None
    )
    pixel = group.attributes.get("spatial:registration") == "pixel"
    for index, entry in enumerate(layout):
        asset = str(entry.get("asset", ""))
        where = f"/attributes/multiscales/layout/{index}"
        level = _resolve(hierarchy, group.path, asset, base)
        if level is None:
            yield Finding(
                "reader.gdal-3.13.overview-layout",
                group.path,
                f"{where}/asset",
                f"GDAL 3.13 ignores level {asset!r} as an overview of {base.path!r}: it holds "
                f"no array named {base.name!r}. Fix: give every level's array the base "
                "array's name.",
            )
            continue
        if level.path == base.path:
            continue
        level_shape = level.array_shape or ()
        if len(level_shape) != len(shape) or level.data_type != dtype:
            yield Finding(
                "reader.gdal-3.13.overview-dtype",
                group.path,
                f"{where}/asset",
                f"GDAL 3.13 ignores {level.path!r} as an overview of {base.path!r}: expected "
                f"{len(shape)} dimensions of {dtype}. Got {len(level_shape)} of "
                f"{level.data_type}. Fix: write every level with the base array's type.",
            )
            continue
        if not any(a < b for a, b in zip(level_shape, shape, strict=True)):
            yield Finding(
                "reader.gdal-3.13.overview-smaller",
                group.path,
                f"{where}/asset",
                f"GDAL 3.13 does not list {level.path!r} as an overview of {base.path!r}: "
                f"its shape {list(level_shape)} is nowhere smaller than {list(shape)}. "
                "Fix: list only reduced levels after the base.",
            )
            continue
        if spatial_dims is not None:
            yield from _spatial_shape(group.path, entry, where, level, spatial_dims)
        translation = (entry.get("transform") or {}).get("translation")
        shifted = isinstance(translation, list) and any(
            isinstance(t, int | float) and t != 0 for t in translation
        )
        if pixel and "derived_from" in entry and shifted:
            yield Finding(
                "reader.gdal-3.13.overview-translation",
                group.path,
                f"{where}/transform/translation",
                f"GDAL 3.13 ignores the translation {translation} of {level.path!r} and "
                "places the overview at the base array's origin. Fix: align levels on "
                "the base array's origin (translation 0).",
            )


def _spatial_shape(
    group: str, entry: Mapping[str, Any], where: str, level: Node, spatial_dims: Sequence[str]
) -> Iterator[Finding]:
    value = entry.get("spatial:shape")
    names = level.dimension_names() or ()
    if value is None or not set(spatial_dims) <= {n for n in names if n is not None}:
        return
    sizes = dict(zip(names, level.array_shape or (), strict=False))
    expected = [sizes[d] for d in spatial_dims]
    if not isinstance(value, list) or value != expected:
        yield Finding(
            "reader.gdal-3.13.overview-spatial-shape",
            group,
            f"{where}/spatial:shape",
            f"GDAL 3.13 ignores {level.path!r} as an overview: its layout spatial:shape must "
            f"be exactly its size along {list(spatial_dims)}, {expected}. Got {value!r}. "
            "Fix: write the level's true shape.",
        )


GDAL_312 = ReaderProfile("gdal-3.12", "GDAL 3.12", (check_sharding, check_gdal_crs))
"""GDAL 3.12's Zarr driver."""
GDAL_313 = ReaderProfile("gdal-3.13", "GDAL 3.13", (check_gdal_overviews,))
"""GDAL 3.13's Zarr driver: multiscales overview discovery."""
READERS: Mapping[str, ReaderProfile] = {p.name: p for p in (GDAL_312, GDAL_313, XARRAY)}
"""The readers ``geozarr validate --for`` takes, by name."""
