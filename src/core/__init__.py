"""Shared machinery that knows no convention: stores, hierarchies, reports.

Imported as ``ngff_geozarr.core``. The main entry points are re-exported here; those that
read or write stores (and so load zarr) are imported on first use (see
:mod:`ngff_geozarr.core.lazy`), so that importing a model, which needs only reports and keys,
stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ngff_geozarr.core.errors import NgffGeozarrError, TargetError, UnsafePathError
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_from_json
from ngff_geozarr.core.lazy import lazy_exports
from ngff_geozarr.core.report import Issue, Report, Severity

if TYPE_CHECKING:
    from ngff_geozarr.core.hierarchy import read_hierarchy
    from ngff_geozarr.core.store import StoreHandle, open_store

__all__ = [
    "Hierarchy",
    "Issue",
    "NgffGeozarrError",
    "Node",
    "Report",
    "Severity",
    "StoreHandle",
    "TargetError",
    "UnsafePathError",
    "hierarchy_from_json",
    "open_store",
    "read_hierarchy",
]

lazy_exports(
    __name__,
    {
        "StoreHandle": "ngff_geozarr.core.store",
        "open_store": "ngff_geozarr.core.store",
        "read_hierarchy": "ngff_geozarr.core.hierarchy",
    },
)
