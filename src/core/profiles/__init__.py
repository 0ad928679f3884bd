"""Reader compatibility profiles: whether a store opens in GDAL, xarray, napari as meant.

A valid store can still be one a given reader will not read as its producer meant: GDAL 3.12
reads no sharded array, GDAL 3.13 finds multiscales overviews only under precise rules, xarray
needs dimension names. Each reader's requirements, as its documentation or its source shows
them, are rules declared once in this package's ``data/rules.toml`` (ids
``reader.<reader>.<what>``, level ADVICE: warnings that name the reader and the fix, under
``--strict`` too). A :class:`ReaderProfile` is one reader's checks over a hierarchy; a
convention offers the readers it supports (``validate --for gdal-3.13,xarray``) and
:func:`with_readers` adds their findings to its own checks.

The checks here need only Zarr metadata (sharding, dimension names); those that need a
convention's metadata (multiscales layouts, OME axes) live in the convention's ``profiles``
module.
"""

from __future__ import annotations

from ngff_geozarr.core.profiles.table import PROFILE_RULES, rules_for

__all__ = ["PROFILE_RULES", "rules_for"]
