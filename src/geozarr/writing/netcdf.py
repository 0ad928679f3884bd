"""NetCDF and HDF5 files as xarray Datasets, for :func:`geozarr.write.write`.

NetCDF-4 / HDF5 files are read with xarray's ``h5netcdf`` engine (the ``netcdf`` extra),
NetCDF-3 with ``scipy`` when it is installed; variables stay lazy (dask) and keep their CF
encoding, which the writer writes again (see :mod:`geozarr.writing.xarray_source`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geozarr.writing.grid import GeoWriteError

__all__ = ["is_netcdf_file", "open_xarray_file"]

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
