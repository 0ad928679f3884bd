"""Pyramids as conventions declare them, and level arrays' chunk layouts (no zarr here).

The layout is read from the metadata documents.

A :class:`LevelSet` is one multiscale pyramid as its convention declares it: the arrays of
its levels, finest first, the downsampling method it declares (or none), whether it holds
labels, and its nodata value. :class:`Layout` is the part of one level's array metadata the
deep check needs: its grid of stored objects, how their keys are spelled, its fill value and
its encoding.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ngff_geozarr.core.errors import UnsafePathError
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.hierarchy.array_checks import parse_dtype
from ngff_geozarr.core.pyramid.kernels import METHODS, Method
from ngff_geozarr.core.store import join_key

__all__ = [
    "Layout",
    "LevelSet",
    "grid_indices",
    "kernel_of",
    "layout_of",
    "level_paths",
    "spread",
]

_ALIASES: Mapping[str, Method] = {
    "average": "mean",
    "avg": "mean",
    "mean": "mean",
    "local_mean": "mean",
    "nearest": "nearest",
    "mode": "mode",
    "gaussian": "gaussian",
    "min": "min",
    "max": "max",
    "sum": "sum",
}


def kernel_of(declared: str | None) -> Method | None:
    """Return the project's kernel a declared downsampling method names, if any.

    Parameters
    ----------
    declared
        What the metadata declares (``"average"``, ``"nearest"``, ``"itkwasm_gaussian"``,
        a function's dotted name, ...).

    Returns
    -------
    str or None
        A name of :data:`~ngff_geozarr.core.pyramid.kernels.METHODS`; ``None`` when the
        declaration names none (the deep check then tries each kernel).

    Examples
    --------
    >>> kernel_of("average"), kernel_of("ome_zarr.scale.Scaler.nearest"), kernel_of("bicubic")
    ('mean', 'nearest', None)
    """
    if not declared:
        return None
    text = declared.lower()
    if text in _ALIASES:
        return _ALIASES[text]
    last = text.replace("-", "_").rsplit(".", 1)[-1]
    for word, method in (("gauss", "gaussian"), ("nearest", "nearest"), ("mode", "mode")):
        if word in last:
            return method  # type: ignore[return-value]
    return _ALIASES.get(last) if last in _ALIASES else None


@dataclass(frozen=True, slots=True)
class LevelSet:
    """One pyramid, as its convention declares it.

    Parameters
    ----------
    path
        The node that declares the pyramid (an OME image, a GeoZarr multiscales group).
    levels
        The array paths of its levels, finest first.
    method
        The kernel the metadata declares (see :func:`kernel_of`); ``None``: not declared.
    labels
        Whether the values are labels (then coarser values must be values of the finer
        level, and only ``mode`` and ``nearest`` reduce them).
    nodata
        The nodata value (NaN for floating-point data whose missing values are NaN);
        ``None`` when there is none.
    nodata_aware
        Whether reductions must ignore nodata (GeoZarr: a mean never mixes nodata in).
    """

    path: str
    levels: tuple[str, ...]
    method: Method | None = None
    labels: bool = False
    nodata: float | int | None = None
    nodata_aware: bool = False

    def __post_init__(self) -> None:
        if self.method is not None and self.method not in METHODS:
            raise ValueError(f"Expected a method among {METHODS}. Got {self.method!r}.")


@dataclass(frozen=True, slots=True)
class Layout:
    """One level array's chunk layout and encoding, from its metadata.

    Parameters
    ----------
    path
        The path of the level's array in the store.
    shape
        Its shape.
    block
        The shape of one stored object (the shard when sharded, else the chunk).
    inner
        The chunk shape inside a shard (equal to ``block`` when not sharded).
    dtype
        The data type.
    fill
        The fill value, as a scalar of ``dtype``.
    encoding
        The codecs (or compressor and filters), as canonical JSON, shard shapes left out.
    prefix, separator
        How a block's key is spelled: ``prefix`` then the indices joined by ``separator``.
    index_at_end
        For a sharded array, whether the shard index follows the chunks.
    index_checksum
        For a sharded array, whether the index ends with a 4-byte checksum.
    """

    path: str
    shape: tuple[int, ...]
    block: tuple[int, ...]
    inner: tuple[int, ...]
    dtype: np.dtype[Any]
    fill: Any
    encoding: str
    prefix: str
    separator: str
    index_at_end: bool = True
    index_checksum: bool = True

    @property
    def sharded(self) -> bool:
        """Whether the array is sharded."""
        return self.block != self.inner

    @property
    def grid(self) -> tuple[int, ...]:
        """The number of blocks along each axis."""
        return tuple(-(-n // b) for n, b in zip(self.shape, self.block, strict=True))

    def key(self, index: Sequence[int]) -> str:
        """Return a block's key relative to the array (``c/0/1``, ``0.1``)."""
        if not index:
            return self.prefix.rstrip(self.separator) or "0"
        return self.prefix + self.separator.join(str(i) for i in index)

    def index_of(self, key: str) -> tuple[int, ...] | None:
        """Return the grid index a key relative to the array names, or ``None``."""
        if not key.startswith(self.prefix):
            return None
        parts = key[len(self.prefix) :].split(self.separator)
        if len(parts) != len(self.shape) or not all(p.isdigit() for p in parts):
            return None
        index = tuple(int(p) for p in parts)
        if any(i >= g for i, g in zip(index, self.grid, strict=True)):
            return None
        return index

    def region(self, index: Sequence[int], shape: Sequence[int] | None = None) -> tuple[slice, ...]:
        """Return the region of a block (of ``shape``, default :attr:`block`), clipped."""
        size = self.block if shape is None else tuple(shape)
        return tuple(
            slice(i * b, min((i + 1) * b, n))
            for i, b, n in zip(index, size, self.shape, strict=True)
        )

    def cost(self, region: Sequence[slice]) -> tuple[int, int]:
        """Return the requests and decoded bytes a region read costs at most."""
        objects = math.prod(
            (r.stop - 1) // b - r.start // b + 1 for r, b in zip(region, self.block, strict=True)
        )
        chunks = math.prod(
            (r.stop - 1) // c - r.start // c + 1 for r, c in zip(region, self.inner, strict=True)
        )
        requests = objects + chunks if self.sharded else objects
        return requests, chunks * math.prod(self.inner) * self.dtype.itemsize


def _fill(raw: Any, dtype: np.dtype[Any]) -> Any:
    if raw is None:
        return dtype.type(0)
    try:
        if isinstance(raw, str) and raw in ("NaN", "Infinity", "-Infinity"):
            return dtype.type(float(raw.replace("Infinity", "inf")))  # no integer is NaN
        return dtype.type(raw)
    except (TypeError, ValueError, OverflowError):  # OverflowError: 2**70 for an int64
        return dtype.type(0)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _grid(meta: Mapping[str, Any], zarr_format: int | None) -> tuple[Any, ...] | None:
    """Return the shape, chunk shape, shard shape (or ``None``) and dtype of array metadata."""
    shape = meta.get("shape")
    if zarr_format == 2:
        chunks, shards, dtype = meta.get("chunks"), None, meta.get("dtype")
    else:
        config = _mapping(_mapping(meta.get("chunk_grid")).get("configuration"))
        chunks, shards, dtype = config.get("chunk_shape"), None, meta.get("data_type")
        codecs = meta.get("codecs")
        first = _mapping(codecs[0]) if isinstance(codecs, list) and codecs else {}
        if first.get("name") == "sharding_indexed":
            shards, chunks = chunks, _mapping(first.get("configuration")).get("chunk_shape")
    parsed = parse_dtype(dtype)
    try:
        values: list[Any] = [shape, chunks, shards or chunks]
        numbers = [tuple(int(n) for n in v) for v in values]
    except (TypeError, ValueError, OverflowError):  # not lists of finite numbers
        return None
    if parsed is None:
        return None
    return numbers[0], numbers[1], numbers[2] if shards else None, parsed


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return the value when it is a JSON object, else an empty one (metadata holds anything)."""
    return value if isinstance(value, Mapping) else {}


def layout_of(node: Node) -> Layout | None:
    """Read an array's chunk layout from its node metadata.

    Parameters
    ----------
    node
        The array's node.

    Returns
    -------
    Layout or None
        The layout; ``None`` when the metadata does not give a regular chunk grid of a
        numeric data type with at least one sample (the metadata checks report it), or
        for an array of no dimension.
    """
    found = _grid(node.metadata, node.zarr_format)
    if found is None:
        return None
    shape, chunks, shards, dtype = found
    if not shape or len(chunks) != len(shape) or 0 in shape or 0 in chunks:
        return None
    if dtype.kind not in "biuf" or (shards is not None and len(shards) != len(shape)):
        return None
    meta = node.metadata
    block = tuple(shards) if shards is not None else tuple(chunks)
    at_end, checksum = True, True
    if node.zarr_format == 2:
        separator = str(meta.get("dimension_separator") or ".")
        prefix = ""
        encoding = _canonical(
            {"compressor": meta.get("compressor"), "filters": meta.get("filters")}
        )
    else:
        raw = _mapping(meta.get("chunk_key_encoding"))
        config = _mapping(raw.get("configuration"))
        name = raw.get("name", "default")
        separator = str(config.get("separator") or ("/" if name == "default" else "."))
        prefix = f"c{separator}" if name == "default" else ""
        codecs = list(meta.get("codecs") or []) if isinstance(meta.get("codecs"), list) else []
        if shards is not None and codecs and isinstance(codecs[0], dict):
            shard = dict(_mapping(codecs[0].get("configuration")))
            at_end = shard.get("index_location", "end") == "end"
            checksum = any(
                isinstance(c, dict) and c.get("name") == "crc32c"
                for c in shard.get("index_codecs") or []
            )
            shard.pop("chunk_shape", None)
            codecs = [{**codecs[0], "configuration": shard}, *codecs[1:]]
        encoding = _canonical(codecs)
    return Layout(
        path=node.path,
        shape=tuple(shape),
        block=block,
        inner=tuple(chunks),
        dtype=dtype,
        fill=_fill(meta.get("fill_value"), dtype),
        encoding=encoding,
        prefix=prefix,
        separator=separator,
        index_at_end=at_end,
        index_checksum=checksum,
    )


def spread(items: Sequence[Any], count: int) -> list[Any]:
    """Pick up to ``count`` items spread evenly over a sequence, first and last included.

    Examples
    --------
    >>> spread(list(range(10)), 3)
    [0, 4, 9]
    """
    if count >= len(items):
        return list(items)
    if count == 1:
        return [items[len(items) // 2]]
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def grid_indices(grid: Sequence[int], limit: int) -> list[tuple[int, ...]]:
    """Return up to ``limit`` grid indices spread evenly over a grid (row-major order)."""
    total = math.prod(grid)
    if total <= limit:
        return list(itertools.product(*(range(g) for g in grid)))
    picks = spread(range(total), limit)
    return [tuple(int(i) for i in np.unravel_index(p, tuple(grid))) for p in picks]


def level_paths(base: str, relative: Sequence[Any]) -> tuple[str, ...] | None:
    """Resolve the level paths a pyramid's metadata names relative to its node.

    Parameters
    ----------
    base
        The node's path.
    relative
        The paths the metadata names.

    Returns
    -------
    tuple of str or None
        The store paths; ``None`` when one is not a non-empty string or would leave the
        store (the metadata checks report those).

    Examples
    --------
    >>> level_paths("img", ["0", "1"]), level_paths("", ["../x"])
    (('img/0', 'img/1'), None)
    """
    if not relative or not all(isinstance(p, str) and p for p in relative):
        return None
    try:
        return tuple(join_key(base, p) for p in relative)
    except UnsafePathError:
        return None
