"""Array metadata between Zarr formats 2 and 3: pure JSON transformations, no I/O.

Conventions (OME-Zarr, GeoZarr) convert their attributes themselves; what every conversion
shares is here:

- :func:`v2_to_v3_array` builds a ``zarr.json`` from a ``.zarray`` (and its ``.zattrs``):
  the ``v2`` chunk key encoding keeps the separator of the old array, so the existing chunk
  files are read as they are; ``_ARRAY_DIMENSIONS`` becomes ``dimension_names``;
- :func:`v3_to_v2_array` builds a ``.zarray`` from a ``zarr.json``, and tells which
  separator the chunk keys use in format 2; :func:`v2_chunk_key` renames a chunk key of the
  v3 ``default`` encoding (``c/0/1``) into it;
- compressors map both ways: Blosc, zstd, gzip. Sharding, transposition and filters have no
  equivalent in the other format and are refused with :class:`ZarrFormatError`.

Examples
--------
>>> zarray = {"shape": [4], "chunks": [2], "dtype": "<f4", "fill_value": "NaN",
...           "compressor": None, "filters": None, "order": "C", "zarr_format": 2}
>>> doc = v2_to_v3_array("a", zarray, {"_ARRAY_DIMENSIONS": ["x"]})
>>> doc["dimension_names"], doc["fill_value"], doc["attributes"]
(['x'], 'NaN', {})
>>> v3_to_v2_array("a", doc)[0]["fill_value"]
'NaN'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ngff_geozarr.core.errors import NgffGeozarrError

__all__ = [
    "ARRAY_DIMENSIONS",
    "V2_DOCUMENTS",
    "ZarrFormatError",
    "array_compressors",
    "is_metadata_key",
    "v2_chunk_key",
    "v2_to_v3_array",
    "v3_codec",
    "v3_to_v2_array",
]

ARRAY_DIMENSIONS = "_ARRAY_DIMENSIONS"
"""The attribute holding dimension names in Zarr format 2 (xarray's convention); the same
as :data:`ngff_geozarr.core.hierarchy.ARRAY_DIMENSIONS`, kept here so that this module
imports nothing of zarr."""
V2_DOCUMENTS = (".zgroup", ".zarray", ".zattrs", ".zmetadata")
"""The metadata documents of Zarr format 2."""

_SHUFFLE = {0: "noshuffle", 1: "shuffle", 2: "bitshuffle"}


class ZarrFormatError(NgffGeozarrError, ValueError):
    """Array metadata that has no equivalent in the other Zarr format."""


def _endian(dtype: np.dtype[Any]) -> str | None:
    if dtype.itemsize == 1:
        return None
    return "big" if dtype.byteorder == ">" else "little"


def v2_to_v3_array(
    path: str,
    meta: Mapping[str, Any],
    attributes: Mapping[str, Any],
    names: list[str] | None = None,
    *,
    fill_value: Any = None,
) -> dict[str, Any]:
    """Build the ``zarr.json`` of a format 2 array, keeping its chunk files readable.

    Parameters
    ----------
    path
        The array's path, for messages.
    meta
        Its ``.zarray``.
    attributes
        Its attributes; ``_ARRAY_DIMENSIONS`` is moved into ``dimension_names``.
    names
        Dimension names to use when the attributes hold none.
    fill_value
        The fill value to use when ``.zarray`` has ``null`` (format 2's "undefined"); the
        dtype's zero when omitted.

    Returns
    -------
    dict
        The new ``zarr.json`` document.

    Raises
    ------
    ZarrFormatError
        For an order-F array, filters, a structured dtype or a compressor without a v3 codec.
    """
    dtype = np.dtype(meta["dtype"])
    if dtype.kind not in "biufc":
        raise ZarrFormatError(f"{path}: dtype {meta['dtype']!r} has no plain Zarr v3 data type.")
    if meta.get("order", "C") != "C":
        raise ZarrFormatError(f"{path}: order {meta.get('order')!r} arrays are not converted.")
    if meta.get("filters"):
        raise ZarrFormatError(f"{path}: filters {meta['filters']} are not converted.")
    endian = _endian(dtype)
    codecs: list[dict[str, Any]] = [
        {"name": "bytes", **({"configuration": {"endian": endian}} if endian else {})}
    ]
    compressor = meta.get("compressor")
    if compressor is not None:
        codecs.append(v3_codec(path, compressor, dtype))
    fill = meta.get("fill_value")
    if fill is None:
        fill = fill_value if fill_value is not None else (False if dtype.kind == "b" else 0)
    attrs = dict(attributes)
    dims = attrs.pop(ARRAY_DIMENSIONS, None) or names
    doc: dict[str, Any] = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": list(meta["shape"]),
        "data_type": dtype.newbyteorder("=").name if dtype.kind != "b" else "bool",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(meta["chunks"])}},
        "chunk_key_encoding": {
            "name": "v2",
            "configuration": {"separator": meta.get("dimension_separator") or "."},
        },
        "fill_value": fill,
        "codecs": codecs,
        "attributes": attrs,
    }
    if dims is not None and len(dims) == len(meta["shape"]):
        doc["dimension_names"] = list(dims)
    return doc


def v3_codec(path: str, compressor: Mapping[str, Any], dtype: np.dtype[Any]) -> dict[str, Any]:
    """Map a format 2 compressor (numcodecs JSON) onto a format 3 codec.

    Parameters
    ----------
    path
        The array's path, for messages.
    compressor
        The ``.zarray`` compressor (``{"id": "blosc" | "zstd" | "gzip", ...}``).
    dtype
        The array's dtype (Blosc records its type size).

    Returns
    -------
    dict
        The codec (``{"name": ..., "configuration": ...}``).

    Raises
    ------
    ZarrFormatError
        For another compressor.

    Examples
    --------
    >>> v3_codec("a", {"id": "gzip", "level": 5}, np.dtype("u1"))
    {'name': 'gzip', 'configuration': {'level': 5}}
    """
    kind = compressor.get("id")
    if kind == "blosc":
        shuffle = compressor.get("shuffle", 1)
        if shuffle == -1:
            shuffle = 2 if dtype.itemsize == 1 else 1
        return {
            "name": "blosc",
            "configuration": {
                "cname": compressor.get("cname", "lz4"),
                "clevel": compressor.get("clevel", 5),
                "shuffle": _SHUFFLE[shuffle],
                "typesize": dtype.itemsize,
                "blocksize": compressor.get("blocksize", 0),
            },
        }
    if kind == "zstd":
        return {
            "name": "zstd",
            "configuration": {
                "level": compressor.get("level", 0),
                "checksum": compressor.get("checksum", False),
            },
        }
    if kind == "gzip":
        return {"name": "gzip", "configuration": {"level": compressor.get("level", 1)}}
    raise ZarrFormatError(f"{path}: compressor {kind!r} has no Zarr v3 codec here.")


def v3_to_v2_array(path: str, meta: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Build the ``.zarray`` of a format 3 array and the separator its chunk keys use in v2.

    Parameters
    ----------
    path
        The array's path, for messages.
    meta
        Its ``zarr.json`` (attributes are not used: the caller writes ``.zattrs``, adding
        ``_ARRAY_DIMENSIONS`` from ``dimension_names``).

    Returns
    -------
    tuple of (dict, str)
        The ``.zarray`` document and the chunk key separator (``"."`` or ``"/"``).

    Raises
    ------
    ZarrFormatError
        For sharding, transposition, several compressors or an unknown codec.
    """
    codecs = list(meta.get("codecs") or [])
    if not codecs or codecs[0].get("name") != "bytes" or len(codecs) > 2:
        raise ZarrFormatError(
            f"{path}: codecs {[c.get('name') for c in codecs]} (sharding, transpose or several "
            "compressors) have no Zarr v2 equivalent."
        )
    endian = (codecs[0].get("configuration") or {}).get("endian", "little")
    dtype = np.dtype(meta["data_type"]).newbyteorder("<" if endian == "little" else ">")
    compressor = None
    if len(codecs) == 2:
        codec, config = codecs[1].get("name"), dict(codecs[1].get("configuration") or {})
        if codec == "blosc":
            shuffles = {v: k for k, v in _SHUFFLE.items()}
            compressor = {
                "id": "blosc",
                "cname": config.get("cname", "lz4"),
                "clevel": config.get("clevel", 5),
                "shuffle": shuffles[config.get("shuffle", "shuffle")],
                "blocksize": config.get("blocksize", 0),
            }
        elif codec in ("zstd", "gzip"):
            compressor = {"id": codec, "level": config.get("level", 0 if codec == "zstd" else 1)}
            if codec == "zstd" and config.get("checksum"):
                compressor["checksum"] = True
        else:
            raise ZarrFormatError(f"{path}: codec {codec!r} has no Zarr v2 equivalent here.")
    encoding = meta.get("chunk_key_encoding") or {"name": "default"}
    separator = (encoding.get("configuration") or {}).get(
        "separator", "." if encoding.get("name") == "v2" else "/"
    )
    grid = meta.get("chunk_grid") or {}
    zarray = {
        "zarr_format": 2,
        "shape": list(meta["shape"]),
        "chunks": list((grid.get("configuration") or {}).get("chunk_shape", meta["shape"])),
        "dtype": dtype.str,
        "compressor": compressor,
        "fill_value": meta.get("fill_value"),
        "order": "C",
        "filters": None,
        "dimension_separator": separator,
    }
    return zarray, separator


def v2_chunk_key(array: str, key: str, separator: str) -> str:
    """Rename a chunk key of the v3 ``default`` encoding into the v2 form.

    Parameters
    ----------
    array
        The array's path.
    key
        A key below it (``<array>/c/0/1``); other keys are returned unchanged.
    separator
        The v2 separator.

    Returns
    -------
    str
        The v2 key (``<array>/0.1`` or ``<array>/0/1``).

    Examples
    --------
    >>> v2_chunk_key("a", "a/c/0/1", ".")
    'a/0.1'
    >>> v2_chunk_key("", "c", "/")
    '0'
    """
    rest = key[len(array) + 1 :] if array else key
    parts = rest.split("/")
    if parts[0] != "c":
        return key
    coords = parts[1:] or ["0"]
    name = separator.join(coords)
    return f"{array}/{name}" if array else name


def array_compressors(meta: Mapping[str, Any], zarr_format: int) -> tuple[dict[str, Any], ...]:
    """Return the compressors of an array's metadata, as JSON objects of its Zarr format.

    Format 2: its ``compressor`` (none: empty). Format 3: its codecs but the array-to-bytes
    and array-to-array ones (``bytes``, ``transpose``), looking inside ``sharding_indexed``.
    Given to :meth:`~ngff_geozarr.core.store.StoreHandle.create_empty_array` as
    ``compressors``, they make a new array compressed like this one.

    Parameters
    ----------
    meta
        The array's metadata document (``.zarray`` or ``zarr.json``).
    zarr_format
        Its Zarr format, 2 or 3.

    Returns
    -------
    tuple of dict
        The compressors, in order.

    Examples
    --------
    >>> array_compressors({"compressor": {"id": "zstd", "level": 3}}, 2)
    ({'id': 'zstd', 'level': 3},)
    >>> array_compressors({"codecs": [{"name": "bytes"}, {"name": "zstd"}]}, 3)
    ({'name': 'zstd'},)
    """
    if zarr_format == 2:
        compressor = meta.get("compressor")
        return (dict(compressor),) if isinstance(compressor, Mapping) else ()
    codecs = [c for c in meta.get("codecs") or [] if isinstance(c, Mapping)]
    if codecs and codecs[0].get("name") == "sharding_indexed":
        inner = (codecs[0].get("configuration") or {}).get("codecs") or []
        codecs = [c for c in inner if isinstance(c, Mapping)]
    return tuple(dict(c) for c in codecs if c.get("name") not in ("bytes", "transpose"))


def is_metadata_key(key: str) -> bool:
    """Tell whether a key names a metadata document (of either format).

    Parameters
    ----------
    key
        A store key.

    Returns
    -------
    bool
        Whether its last name is ``zarr.json`` or a format 2 document.

    Examples
    --------
    >>> is_metadata_key("0/.zarray"), is_metadata_key("0/c/0/0")
    (True, False)
    """
    return key.rpartition("/")[2] in ("zarr.json", *V2_DOCUMENTS)
