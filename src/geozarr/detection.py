"""Recognise geospatial metadata on nodes, and the children their metadata refers to.

Three families of markers are seen in the wild: the Zarr conventions GeoZarr now builds on
(a ``zarr_conventions`` list declaring ``proj:``, ``spatial:``, ``multiscales``, with the
matching attribute keys), CF (``Conventions``, ``grid_mapping``, ``grid_mapping_name``,
``crs_wkt``/``spatial_ref``, ``GeoTransform``, ``_ARRAY_DIMENSIONS``), and the GeoZarr v0.4
draft (``multiscales`` with a ``tile_matrix_set``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geozarr.conventions.registry import PROJ
from geozarr.conventions.registry import REGISTRY as CONVENTIONS
from ngff_geozarr.core.hierarchy import Hierarchy, Node

__all__ = ["detect", "discover"]

_CRS_KEYS = ("crs_wkt", "spatial_ref")


def detect(node: Node, hierarchy: Hierarchy) -> list[str]:
    """Label the geospatial conventions a node's metadata shows.

    GeoZarr's :data:`~ngff_geozarr.core.info.Detect`. A group is labelled a CF dataset when
    one of its arrays (in ``hierarchy``) names a grid mapping. The labels read
    ``"conventions: proj:, spatial:"``, ``"proj EPSG:32632"``, ``"CF grid mapping
    (transverse_mercator)"``, ``"GeoZarr v0.4 multiscales"``.
    """
    attrs = node.attributes
    labels: list[str] = []
    declared = attrs.get("zarr_conventions")
    if isinstance(declared, list):
        names = [str(c.get("name", "?")) for c in declared if isinstance(c, Mapping)]
        labels.append("conventions: " + ", ".join(names))
    labels += _namespace_labels(attrs)
    multiscales = attrs.get("multiscales")
    if isinstance(multiscales, Mapping):
        if "tile_matrix_set" in multiscales:
            labels.append("GeoZarr v0.4 multiscales")
        elif isinstance(multiscales.get("layout"), list):
            labels.append(f"multiscales ({len(multiscales['layout'])} levels)")
    labels += _cf_labels(node, hierarchy)
    return labels


def _namespace_labels(attrs: Mapping[str, Any]) -> list[str]:
    """Label each known convention whose attribute namespace (``proj:``, ...) the node uses.

    The conventions come from the one registry, so a new namespaced convention is labelled
    without a change here; ``proj`` also shows its CRS code.
    """
    labels = []
    for known in CONVENTIONS.values():
        if not known.prefix.endswith(":"):
            continue  # multiscales is one key, labelled with its layout by detect
        keys = [k for k in attrs if isinstance(k, str) and k.startswith(known.prefix)]
        if not keys:
            continue
        if known is PROJ:
            code = attrs.get(f"{PROJ.prefix}code")
            labels.append(f"proj {code}" if isinstance(code, str) else f"proj ({', '.join(keys)})")
        else:
            labels.append(known.key)
    return labels


def _cf_labels(node: Node, hierarchy: Hierarchy) -> list[str]:
    attrs = node.attributes
    labels: list[str] = []
    conventions = attrs.get("Conventions")
    if isinstance(conventions, str) and "CF" in conventions:
        labels.append(f"CF ({conventions})")
    if isinstance(attrs.get("grid_mapping_name"), str):
        labels.append(f"CF grid mapping ({attrs['grid_mapping_name']})")
    elif any(isinstance(attrs.get(k), str) for k in _CRS_KEYS):
        labels.append("CF grid mapping (WKT)")
    if isinstance(attrs.get("grid_mapping"), str):
        labels.append(f"CF grid_mapping -> {attrs['grid_mapping']}")
    if isinstance(attrs.get("standard_name"), str):
        labels.append(f"CF {attrs['standard_name']}")
    children = hierarchy.children(node.path) if node.node_type == "group" else ()
    if not labels and any(isinstance(c.attributes.get("grid_mapping"), str) for c in children):
        labels.append("CF dataset")
    return labels


def discover(node: Node) -> list[str]:
    """Name the children a geospatial group refers to, relative to it.

    Used for stores that cannot be listed: the assets of a ``multiscales`` layout, and the
    tile-matrix levels of a GeoZarr v0.4 multiscales. CF groups name no children (their
    variables are found by listing or from consolidated metadata). GeoZarr's
    :data:`~ngff_geozarr.core.hierarchy.Discover`: relative paths, as written (the reader
    refuses unsafe ones).
    """
    multiscales = node.attributes.get("multiscales")
    if not isinstance(multiscales, Mapping):
        return []
    refs: list[str] = []
    layout = multiscales.get("layout")
    if isinstance(layout, list):
        refs += [
            e["asset"] for e in layout if isinstance(e, Mapping) and isinstance(e.get("asset"), str)
        ]
    tms = multiscales.get("tile_matrix_set")
    if isinstance(tms, Mapping):
        refs += _ids(tms.get("tileMatrices"))
    limits = multiscales.get("tile_matrix_limits")
    if isinstance(limits, Mapping):
        refs += [k for k in limits if isinstance(k, str)]
    return list(dict.fromkeys(refs))


def _ids(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return []
    return [e["id"] for e in entries if isinstance(e, Mapping) and isinstance(e.get("id"), str)]
