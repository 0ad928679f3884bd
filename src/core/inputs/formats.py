"""The input formats the reader layer knows, in one table, and the errors it raises.

:data:`SUPPORTED_FORMATS` is the one list: :func:`~ngff_geozarr.core.inputs.open_input`
dispatches on it, its error for an unknown file names its entries
(:func:`supported_formats_text`), and the API reference shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ngff_geozarr.core.errors import NgffGeozarrError

__all__ = [
    "SUPPORTED_FORMATS",
    "TIFF_SUFFIXES",
    "InputError",
    "InputFormat",
    "supported_formats_text",
]


class InputError(NgffGeozarrError, ValueError):
    """An input cannot be read (missing, unreadable, or not a format this layer knows)."""


@dataclass(frozen=True)
class InputFormat:
    """One input format the reader layer opens.

    Parameters
    ----------
    formats
        The :attr:`Source.format <ngff_geozarr.core.inputs.Source.format>` values it gives.
    label
        What a person calls it.
    suffixes
        The file name endings it is recognised by (empty: any path or URL).
    reads
        What is read from it, and how.
    extra
        The optional dependency group it needs (``pip install 'ngff-geozarr[EXTRA]'``), or
        ``None``.
    """

    formats: tuple[str, ...]
    label: str
    suffixes: tuple[str, ...]
    reads: str
    extra: str | None = None


TIFF_SUFFIXES = (".tif", ".tiff", ".gtiff")
"""File name endings read as TIFF."""

SUPPORTED_FORMATS: tuple[InputFormat, ...] = (
    InputFormat(
        ("tiff", "ome-tiff"),
        "TIFF, OME-TIFF, ImageJ TIFF",
        (".tif", ".tiff"),
        "one series (OME-TIFF: any of several; list_series lists them) with its axes, "
        "physical sizes, channel names, colours and display windows, image name, RGB flag "
        "and pyramid levels; uncompressed contiguous data memory-mapped, tiled or compressed "
        "data read tile by tile (tifffile's Zarr interface)",
        "tiff",
    ),
    InputFormat(
        ("geotiff",),
        "GeoTIFF",
        TIFF_SUFFIXES,
        "with georeferenced=True (geozarr create): bands, CRS (WKT), affine transform and "
        "nodata, through rasterio",
        "geo",
    ),
    InputFormat(("npy",), "NumPy array", (".npy",), "memory-mapped; no axis names"),
    InputFormat(
        ("zarr",),
        "Zarr array",
        (),
        "STORE (its root is an array) or STORE::PATH; a directory, .zip, file://, "
        "http(s):// or s3:// store, read region by region",
    ),
)
"""Every input format :func:`~ngff_geozarr.core.inputs.open_input` reads, in one place."""


def supported_formats_text() -> str:
    """Name the supported input formats in one line, for messages.

    Returns
    -------
    str
        E.g. ``"TIFF, OME-TIFF, ImageJ TIFF (.tif, .tiff); GeoTIFF (...); ..."``.
    """
    parts = []
    for entry in SUPPORTED_FORMATS:
        where = ", ".join(entry.suffixes) if entry.suffixes else "STORE or STORE::PATH"
        parts.append(f"{entry.label} ({where})")
    return "; ".join(parts)
