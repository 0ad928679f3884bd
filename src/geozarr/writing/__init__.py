"""The GeoZarr writers' parts, one module per job.

- :mod:`geozarr.writing.grid`: where a raster lies (:class:`~geozarr.writing.grid.Grid`: CRS,
  affine transform, size) and the parsing of user input into one;
- :mod:`geozarr.writing.grid_mapping`: the CF grid-mapping attributes of a CRS, completed
  with the Appendix F parameters pyproj leaves out;
- :mod:`geozarr.writing.build`: the one way a document is made: built as its model, dumped
  by alias (a model's refusal is a ``GeoWriteError``);
- :mod:`geozarr.writing.cf_variables`: the CF variables (``x`` / ``y``, data variables, the
  grid mapping) and the nodata encodings;
- :mod:`geozarr.writing.documents`: the group attributes (``zarr_conventions``, ``proj:``,
  ``spatial:``, ``multiscales``) and :func:`~geozarr.writing.documents.write_level_metadata`,
  which makes a group a self-describing GeoZarr level;
- :mod:`geozarr.writing.inputs`: the variables to write, read from numpy, dask, zarr or
  xarray input;
- :mod:`geozarr.writing.levels`: one variable and its pyramid levels through the shared
  engine, nodata read as NaN.

The public entry points are :func:`geozarr.write.write` and :func:`geozarr.pyramid.pyramid`;
both build on these modules and neither imports the other.
"""

from __future__ import annotations

__all__: list[str] = []
