"""NetCDF and HDF5 files as xarray Datasets, for :func:`geozarr.write.write`.

NetCDF-4 / HDF5 files are read with xarray's ``h5netcdf`` engine (the ``netcdf`` extra),
NetCDF-3 with ``scipy`` when it is installed; variables stay lazy (dask) and keep their CF
encoding, which the writer writes again (see :mod:`geozarr.writing.xarray_source`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geozarr.writing.grid import GeoWriteError
from geozarr.writing.inputs import grid_from_xarray

__all__ = ["is_netcdf_file", "open_xarray_file", "zarr_variable"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NETCDF3_SIGNATURE = b"CDF"


def is_netcdf_file(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` is a NetCDF-3 or HDF5 (NetCDF-4) file, by its first bytes.

    Parameters
    ----------
    path
        A path (anything else, a URL or ``STORE::PATH``, is not).

    Returns
    -------
    bool
        Whether the file starts with the HDF5 or NetCDF-3 signature.
    """
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return head.startswith((_HDF5_SIGNATURE, _NETCDF3_SIGNATURE))


@contextmanager
def open_xarray_file(path: str | os.PathLike[str]) -> Iterator[Any]:
    """Open a NetCDF or HDF5 file as a lazy xarray Dataset, closed on exit.

    Parameters
    ----------
    path
        The file.

    Yields
    ------
    xarray.Dataset
        Its variables, CF-decoded with their encodings kept.

    Raises
    ------
    GeoWriteError
        When the file does not exist, is neither NetCDF nor HDF5, or its reader is not
        installed (the message names the extra).
    """
    file = Path(path)
    if not file.is_file():
        raise GeoWriteError(f"Expected a NetCDF or HDF5 file. Got {str(path)!r}: no such file.")
    with file.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_HDF5_SIGNATURE):
        engine, needs = "h5netcdf", "h5netcdf (pip install 'ngff-geozarr[netcdf]')"
    elif head.startswith(_NETCDF3_SIGNATURE):
        engine, needs = "scipy", "scipy"
    else:
        raise GeoWriteError(
            f"Expected a NetCDF or HDF5 file. Got {str(path)!r}, which is neither (a Zarr store "
            "is written with geozarr convert or read with xarray first)."
        )
    try:
        import xarray as xr

        dataset = xr.open_dataset(file, engine=engine, chunks={})
    except ImportError as exc:
        raise GeoWriteError(f"Reading {str(path)!r} needs {needs}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise GeoWriteError(f"Could not read {str(path)!r} as NetCDF/HDF5: {exc}") from None
    try:
        yield dataset
    finally:
        dataset.close()


def zarr_variable(text: str, crs: Any = None, transform: Any = None) -> Any | None:
    """Open a Zarr array ``STORE::PATH`` as the xarray variable it is, when it is georeferenced.

    A variable of a CF / GeoZarr store keeps what a bare array would lose: its CF encoding
    (``dtype``, ``scale_factor``, ``add_offset``, ``_FillValue``: packed stays packed), its
    ``units`` and other attributes, its coordinates, and the CRS and transform of its grid
    mapping or coordinates (see :func:`~geozarr.writing.inputs.grid_from_xarray`).

    Parameters
    ----------
    text
        ``STORE::PATH`` (the path of the array in the store, through its groups).
    crs, transform
        The CRS and transform given instead (``None``: from the store).

    Returns
    -------
    xarray.DataArray or None
        The variable (lazy), with its grid mapping as a coordinate; ``None`` when ``text``
        is no ``STORE::PATH``, xarray cannot open it (no dimension names, say), or neither
        the store nor the arguments give a CRS and a transform: then the array is read
        bare.
    """
    store, sep, path = text.partition("::")
    group, _, name = path.strip("/").rpartition("/")
    if not sep or not name:
        return None
    try:
        import xarray as xr

        with warnings.catch_warnings():  # zarr's notes on consolidated metadata in v3
            warnings.simplefilter("ignore")
            dataset = xr.open_zarr(store, group=group or None, decode_coords="all")
    except (ImportError, OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None
    if name not in dataset.data_vars:
        return None
    variable = dataset[name]
    try:
        found_crs, found_transform = grid_from_xarray(variable)
    except GeoWriteError:
        found_crs, found_transform = None, None
    if (crs or found_crs) is None or (transform or found_transform) is None:
        return None
    return variable
