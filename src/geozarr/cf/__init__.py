"""CF conventions as GeoZarr data uses them: variable attributes, grid mappings, standard names.

Modules: :mod:`~geozarr.cf.variables` (attributes of data and coordinate variables),
:mod:`~geozarr.cf.grid_mappings` (grid-mapping variables, discriminated on
``grid_mapping_name``), :mod:`~geozarr.cf.standard_names` (the standard name table, shipped as
a compact list), :mod:`~geozarr.cf.units` (canonical-unit compatibility) and
:mod:`~geozarr.cf.checks` (the rules over a hierarchy).
"""

from __future__ import annotations

__all__: list[str] = []
