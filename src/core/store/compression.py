"""Compression presets of the arrays the toolkit writes, as JSON codecs of either Zarr format.

Choosing codecs is metadata, not I/O: this module imports no zarr.
"""

from __future__ import annotations

from typing import Any

from ngff_geozarr.core.store.keys import ZarrFormat

__all__ = ["COMPRESSIONS", "Compression", "compressors_for"]

Compression = str
"""A compression preset for arrays written by the toolkit: ``NAME`` or ``NAME:LEVEL``.

- ``"blosc-zstd"``: Blosc with the zstd compressor, level 5, byte shuffle (the default: shuffle
  groups the bytes of multi-byte samples, which is what makes 16-bit microscopy data
  compress); levels 1-9;
- ``"blosc-lz4"``: Blosc with lz4, level 5, byte shuffle: faster, larger; levels 1-9;
- ``"zstd"``: plain zstd, level 3 (what zarr-python writes by default); levels 1-22;
- ``"none"``: no compression (takes no level).

``"zstd:1"`` or ``"blosc-zstd:3"`` trade size for speed; :func:`compressors_for` turns a preset
into the JSON codec objects of a Zarr format.
"""
COMPRESSIONS: tuple[str, ...] = ("blosc-zstd", "blosc-lz4", "zstd", "none")
"""The names of the compression presets, the default first."""

_LEVELS = {"blosc-zstd": (5, 1, 9), "blosc-lz4": (5, 1, 9), "zstd": (3, 1, 22)}
"""Default, lowest and highest level of each preset that takes one."""


def compressors_for(
    compression: Compression, zarr_format: ZarrFormat
) -> list[dict[str, Any]] | None:
    """Return the compressors of a preset, as JSON objects of the Zarr format.

    Parameters
    ----------
    compression
        A preset, ``NAME`` or ``NAME:LEVEL`` (see :data:`Compression`).
    zarr_format
        The Zarr format the objects are for: ``{"name": ..., "configuration": ...}`` codecs
        in format 3, numcodecs' ``{"id": ...}`` in format 2.

    Returns
    -------
    list of dict or None
        The compressors; None for ``"none"``.

    Raises
    ------
    ValueError
        When the name is not a preset's or the level is out of the preset's range.

    Examples
    --------
    >>> compressors_for("zstd:1", 3)
    [{'name': 'zstd', 'configuration': {'level': 1, 'checksum': False}}]
    >>> compressors_for("blosc-lz4", 2)
    [{'id': 'blosc', 'cname': 'lz4', 'clevel': 5, 'shuffle': 1, 'blocksize': 0}]
    """
    name, sep, level_text = str(compression).partition(":")
    if name not in COMPRESSIONS:
        raise ValueError(
            f"Expected a compression among {', '.join(COMPRESSIONS)} (NAME or NAME:LEVEL). "
            f"Got {compression!r}."
        )
    if name == "none":
        if sep:
            raise ValueError(f"Expected no level for compression 'none'. Got {compression!r}.")
        return None
    default, low, high = _LEVELS[name]
    level = default
    if sep:
        try:
            level = int(level_text)
        except ValueError:
            level = low - 1
        if not low <= level <= high:
            raise ValueError(
                f"Expected a level from {low} to {high} for {name!r}. Got {compression!r}."
            )
    if name == "zstd":
        if zarr_format == 3:
            return [{"name": "zstd", "configuration": {"level": level, "checksum": False}}]
        return [{"id": "zstd", "level": level}]
    cname = name.removeprefix("blosc-")
    if zarr_format == 3:
        config = {"cname": cname, "clevel": level, "shuffle": "shuffle"}
        return [{"name": "blosc", "configuration": config}]
    return [{"id": "blosc", "cname": cname, "clevel": level, "shuffle": 1, "blocksize": 0}]
