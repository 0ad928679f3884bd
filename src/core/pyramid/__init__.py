"""Multiscale pyramids, for any convention: plan the levels, reduce blocks, stream the writes.

- :mod:`~ngff_geozarr.core.pyramid.plan`: :func:`plan` (pure: shapes, factors, chunking);
- :mod:`~ngff_geozarr.core.pyramid.kernels`: ``mean``, ``gaussian``, ``nearest``, ``mode``,
  ``min``, ``max``, ``sum``;
- :mod:`~ngff_geozarr.core.pyramid.engine`: :func:`write_pyramid`, which reads the source
  once and writes every level in bounded memory, on threads or a dask cluster, calling a
  convention's metadata writer last.

A convention (OME-Zarr, GeoZarr) renders its metadata from the
:class:`~ngff_geozarr.core.pyramid.plan.Level` list and passes it as ``write_metadata``.
"""

from __future__ import annotations

from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.pyramid.engine import (
    OutputOptions,
    Progress,
    PyramidResult,
    SourceArray,
    default_workers,
    write_pyramid,
)
from ngff_geozarr.core.pyramid.kernels import METHODS, Method, downsample
from ngff_geozarr.core.pyramid.plan import AxisKind, Level, plan

__all__ = [
    "METHODS",
    "AxisKind",
    "Level",
    "Method",
    "OutputOptions",
    "Progress",
    "PyramidError",
    "PyramidResult",
    "SourceArray",
    "default_workers",
    "downsample",
    "plan",
    "write_pyramid",
]
