"""Shared machinery that knows no convention: stores, hierarchies, reports.

Imported as ``ngff_geozarr.core``. The main entry points are re-exported here.
"""

from __future__ import annotations

from ngff_geozarr.core.errors import NgffGeozarrError, TargetError, UnsafePathError
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_from_json, read_hierarchy
from ngff_geozarr.core.report import Issue, Report, Severity
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
