"""``validate --deep``: checks that read chunk data, within a budget (convention-neutral).

A convention says where its pyramids are (:class:`LevelSet`: the level arrays, the declared
downsampling method, labels or not, nodata); this package reads what the store holds for
them and reports, with rule ids ``zarr.data.*``, the node path and the chunk key:

- chunk presence per level from listings, as coverage: a level with metadata but no chunk,
  a level whose stored chunks do not cover the region level 0 covers;
- shard integrity: index readable, offsets and lengths inside the shard, no overlap;
- cross-level consistency: sampled blocks of level k against the reduction of level k-1 by
  the declared or detected method (:mod:`~ngff_geozarr.core.deep.compare`), shifted levels
  and levels that are no reduction at all; label values invented at coarser levels; nodata
  leaked into means; stored chunks that decode to the fill value only;
- codec and data type drift across levels.

Its modules: :mod:`~ngff_geozarr.core.deep.budget` (what may be read),
:mod:`~ngff_geozarr.core.deep.levels` (pyramids and layouts),
:mod:`~ngff_geozarr.core.deep.chunks` (listings, shard indexes),
:mod:`~ngff_geozarr.core.deep.compare` (blocks against blocks),
:mod:`~ngff_geozarr.core.deep.engine` (the run), :mod:`~ngff_geozarr.core.deep.options`
(the command-line options and the validators' hook).
"""

from __future__ import annotations

from ngff_geozarr.core.deep.budget import DEFAULT_BUDGET, Budget, Spending, budget_of
from ngff_geozarr.core.deep.levels import LevelSet, kernel_of, level_paths
from ngff_geozarr.core.deep.options import DEEP_OPTIONS, Pyramids, with_deep

__all__ = [
    "DEEP_OPTIONS",
    "DEFAULT_BUDGET",
    "Budget",
    "LevelSet",
    "Pyramids",
    "Spending",
    "budget_of",
    "kernel_of",
    "level_paths",
    "with_deep",
]
