"""Convert a GeoZarr store between Zarr formats 2 and 3, every convention carried over.

The array metadata is transformed by :mod:`ngff_geozarr.core.zarr_format` (shared with
OME-Zarr's conversion); what is GeoZarr's is here:

- dimension names: ``_ARRAY_DIMENSIONS`` (v2) <-> ``dimension_names`` (v3), so CF variables,
  ``spatial:dimensions`` and xarray keep finding their dimensions;
- fill values, NaN included (the fill-value-0 pitfall): a v2 ``fill_value`` of ``null``
  becomes the ``_FillValue`` attribute when there is one, else NaN for floats (0 for
  integers); a data variable (one with ``grid_mapping``) converted to v3 gets
  ``_FillValue`` as an attribute (xarray's base64 encoding for floats), as xarray needs to
  mask it in v3, unless its v2 ``fill_value`` was ``null`` (no nodata declared); converted
  to v2, its ``fill_value`` is the ``_FillValue`` when the two disagree (a v3
  ``fill_value`` of 0 beside ``_FillValue`` NaN was a writer's mistake: unwritten chunks
  then read as nodata), and ``null`` when there is no ``_FillValue`` and the fill value is
  the one a ``null`` becomes (xarray masks a v2 ``fill_value``: a v3 raster without
  nodata must not gain one), so v2 -> v3 -> v2 and v3 -> v2 -> v3 give back the documents
  they started from;
- every other attribute (CF, ``zarr_conventions``, ``proj:``, ``spatial:``,
  ``multiscales``) is kept as it is.

The conversion is planned and applied by the engine both conventions share
(:mod:`ngff_geozarr.core.convert`). Into a new store, chunk bytes are copied exactly (renamed
when the chunk key encoding differs), then the metadata is written, arrays first and the
root last, so an interrupted conversion never looks complete; ``resume=True`` skips the
chunks already copied. In place (``dst=None``), only documents change, under a journal: a
run killed part way is completed by the next in-place conversion, and ``validate`` names the
command that does it.

Examples
--------
>>> import numpy as np
>>> from geozarr.write import write
>>> src, dst = {}, {}
>>> _ = write(np.zeros((4, 4), np.float32), src, crs="EPSG:4326", transform=(1, 0, 0, 0, -1, 4))
>>> convert(src, dst, zarr_format=2).copied > 0
True
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import ngff_geozarr.core.convert as engine
from geozarr.cf.variables import FILL_VALUE, decode_fill_value
from geozarr.detection import discover
from geozarr.write import encode_fill_value
from geozarr.writing.cf_variables import json_fill
from ngff_geozarr.core import errors
from ngff_geozarr.core.errors import NotZarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_to_convert
from ngff_geozarr.core.store import StoreHandle, StoreMode, ZarrFormat, open_store
from ngff_geozarr.core.zarr_format import (
    ARRAY_DIMENSIONS,
    ZarrFormatError,
    v2_to_v3_array,
    v3_to_v2_array,
)

__all__ = ["ConversionError", "ConvertProgress", "ConvertResult", "convert"]

_Target = str | os.PathLike[str] | MutableMapping[str, Any]


ConversionError = errors.ConversionError
"""The store cannot be converted (nothing written), or the conversion failed.

The same class as :class:`ngff.ConversionError`; ``ConvertError``, its former name here, still
works and warns that it is deprecated.
"""


def __getattr__(name: str) -> Any:
    if name == "ConvertError":
        warnings.warn(
            "geozarr.convert.ConvertError is deprecated; use ConversionError (the same class "
            "ngff.ConversionError is).",
            DeprecationWarning,
            stacklevel=2,
        )
        return ConversionError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ConvertProgress:
    """How far a conversion has come.

    Parameters
    ----------
    done
        Chunks copied or found copied.
    total
        Chunks to copy.
    """

    done: int
    total: int


@dataclass(frozen=True)
class ConvertResult:
    """What :func:`convert` did.

    Parameters
    ----------
    source, destination
        The stores as named.
    source_format, zarr_format
        The Zarr formats, before and after.
    copied
        Chunks copied by this run.
    skipped
        Chunks found already copied (``resume``).
    documents
        Metadata documents written.
    """

    source: str
    destination: str
    source_format: ZarrFormat
    zarr_format: ZarrFormat
    copied: int
    skipped: int
    documents: int


def _is_nan(value: Any) -> bool:
    decoded = decode_fill_value(value)
    return isinstance(decoded, float) and math.isnan(decoded)


def _array_to_v3(node: Node) -> dict[str, Any]:
    meta, attrs = node.metadata, dict(node.attributes)
    dtype = np.dtype(meta["dtype"])
    declared = decode_fill_value(attrs.get(FILL_VALUE)) if FILL_VALUE in attrs else None
    default: Any = None
    if meta.get("fill_value") is None:
        if declared is not None:
            default = json_fill(declared, dtype)
        elif dtype.kind == "f":
            default = "NaN"
    doc = v2_to_v3_array(node.path, meta, attrs, fill_value=default)
    fill = decode_fill_value(doc["fill_value"])
    # a null fill value declared no nodata: the v3 fill value it gets is not one either
    declares = meta.get("fill_value") is not None or declared is not None
    if "grid_mapping" in attrs and fill is not None and dtype.kind in "iuf" and declares:
        doc["attributes"][FILL_VALUE] = encode_fill_value(fill, dtype)
    return doc


def _null_default(fill: Any, dtype: np.dtype[Any]) -> bool:
    """Whether a v3 fill value is the one :func:`_array_to_v3` gives a v2 ``null``."""
    if dtype.kind == "f":
        return _is_nan(fill)
    if dtype.kind == "b":
        return fill is False
    return dtype.kind in "iu" and not isinstance(fill, bool) and fill == 0


def _array_to_v2(node: Node) -> tuple[dict[str, Any], dict[str, Any]]:
    zarray, _ = v3_to_v2_array(node.path, node.metadata)
    attrs = dict(node.attributes)
    dtype = np.dtype(zarray["dtype"])
    if FILL_VALUE in attrs:
        declared = decode_fill_value(attrs.pop(FILL_VALUE))
        if declared is not None and dtype.kind in "iuf":
            zarray["fill_value"] = json_fill(declared, dtype)
    elif _null_default(zarray["fill_value"], dtype):
        # no nodata declared: in v2, where xarray masks the fill value, it stays undeclared
        zarray["fill_value"] = None
    names = node.metadata.get("dimension_names")
    if names is None and not zarray["shape"]:
        names = []  # a 0-d array (a grid mapping) has no dimensions; xarray needs them said
    if isinstance(names, list):
        attrs[ARRAY_DIMENSIONS] = list(names)
    return zarray, attrs


def _plan(hierarchy: Hierarchy, zarr_format: ZarrFormat) -> engine.Plan:
    """Every new document (arrays, then groups deepest first, the root last) and renames."""
    attributes = {path: dict(node.attributes) for path, node in hierarchy.items()}
    return engine.format_change(
        hierarchy,
        zarr_format,
        attributes=attributes,
        array_to_v3=_array_to_v3,
        array_to_v2=_array_to_v2,
    )


def convert(
    src: _Target,
    dst: _Target | None,
    *,
    zarr_format: ZarrFormat,
    overwrite: bool = False,
    resume: bool = False,
    consolidated: bool = True,
    progress: Callable[[ConvertProgress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> ConvertResult:
    """Convert a GeoZarr store to the other Zarr format: into a new store, or in place.

    Parameters
    ----------
    src
        The source store (path, URL or mapping); only read unless ``dst`` is ``None``.
    dst
        The destination; it must not exist or be empty, unless ``overwrite`` or ``resume``,
        and must not be, hold or lie inside ``src``. ``None`` converts ``src`` in place:
        only metadata documents are written and removed, under a journal that any later
        in-place conversion uses to complete an interrupted one (chunks stay as they are, so
        a Zarr v3 array whose chunk keys Zarr v2 names differently is refused).
    zarr_format
        The destination's format, 2 or 3 (the other one than the source's).
    overwrite
        Replace an existing destination: the new store is written beside it and swapped in
        once complete (local targets; old and new content never mix).
    resume
        Continue an interrupted copy: chunks already in ``dst`` are kept.
    consolidated
        Write consolidated metadata at the destination's root last (``.zmetadata`` in
        format 2, inside the root ``zarr.json`` in format 3).
    progress
        Called after every chunk.
    storage_options
        Options for remote stores (both ends).

    Returns
    -------
    ConvertResult
        What was done.

    Raises
    ------
    ConversionError
        When the source's metadata cannot all be read, is already in that format, or holds
        arrays the other format cannot express (sharding, filters, ...); when the destination
        is refused; nothing is written then.
    """
    if zarr_format not in (2, 3):
        raise ConversionError(f"Expected zarr_format 2 or 3. Got {zarr_format!r}.")
    if dst is None:
        return _convert_in_place(src, zarr_format, consolidated, storage_options)
    engine.check_destination(src, dst, overwrite=overwrite, resume=resume)
    with open_store(src, "r", storage_options=storage_options) as source:
        engine.refuse_interrupted(source)
        hierarchy = hierarchy_to_convert(source, discover, source.target)
        plan = _planned(source, hierarchy, zarr_format)
        mode: StoreMode = "a" if resume else "w-"

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(ConvertProgress(done, total))

        with engine.replacing(dst, overwrite=overwrite) as where:
            try:
                out = open_store(where, mode, storage_options=storage_options)
            except NotZarrError as exc:
                hint = (
                    " --overwrite replaces local stores only (an object store has no rename "
                    "to swap a new store in): delete it first, or write to a new prefix."
                    if overwrite
                    else " Pass --overwrite to replace it."
                )
                raise ConversionError(f"{exc}{hint}") from exc
            with out:
                applied = engine.copy_converted(
                    source, out, plan, consolidated=consolidated, resume=resume, progress=report
                )
        return ConvertResult(
            source.target,
            _name(dst, out.target),
            source.zarr_format or 3,
            zarr_format,
            applied.copied,
            applied.skipped,
            applied.documents,
        )


def _name(dst: _Target, written: str) -> str:
    return written if isinstance(dst, MutableMapping) else os.fspath(dst)


def _planned(source: StoreHandle, hierarchy: Hierarchy, zarr_format: ZarrFormat) -> engine.Plan:
    if source.zarr_format == zarr_format:
        raise ConversionError(f"{source.target} is already Zarr v{zarr_format}; nothing to do.")
    try:
        return _plan(hierarchy, zarr_format)
    except ZarrFormatError as exc:
        raise ConversionError(f"{exc} Nothing converted.") from exc


def _convert_in_place(
    src: _Target,
    zarr_format: ZarrFormat,
    consolidated: bool,
    storage_options: dict[str, Any] | None,
) -> ConvertResult:
    with engine.converting_in_place(src, storage_options) as (handle, finished):
        name, source_format = handle.target, handle.zarr_format or 3
        if finished is not None and source_format == zarr_format:
            fmt: ZarrFormat = 2 if finished.versions[0] == "2" else 3
            return ConvertResult(name, name, fmt, zarr_format, 0, 0, len(finished.plan.writes))
        hierarchy = hierarchy_to_convert(handle, discover, name)
        applied = engine.apply_in_place(
            handle,
            _planned(handle, hierarchy, zarr_format),
            command=f"geozarr convert {name} --in-place --zarr-format {zarr_format}",
            description=f"Zarr v{source_format} -> v{zarr_format}",
            versions=(str(source_format), str(zarr_format)),
            consolidated=consolidated,
            instead="Convert into a new store (DST) instead.",
        )
    return ConvertResult(name, name, source_format, zarr_format, 0, 0, applied.documents)
