"""Chunks copied as stored: a Zarr source into an array that encodes them the same way.

The pyramid engine (:mod:`ngff_geozarr.core.pyramid`) writes its level 0 this way.

When the source is a Zarr array whose chunks are encoded exactly as the output's level 0
encodes them (same Zarr format, data type, chunk shape and codecs), encoding them again
only spends CPU to produce the same bytes. A level-0 tile then reads the source's chunks
once, as stored, writes those bytes to the output unchanged and decodes them for the
reduction into the next level:

- unsharded output: each chunk object is copied under the output's key for it;
- sharded output (format 3, the default index: little-endian offsets and lengths with a
  CRC-32C, at the end): the shard is assembled from the source's chunks as the sharding
  codec lays it out (the inner chunks one after the other, then the index).

A source chunk that does not exist (the source's fill value) makes that tile fall back to
the ordinary path: the data is read through zarr and encoded, so every output chunk
exists (see :class:`~ngff_geozarr.core.store.ArrayIO`). A tile not aligned on the source's
chunks falls back the same way. The copy is exact: the values read back from the output
are the source's, and the output's bytes are the source's bytes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import google_crc32c
import numcodecs  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.core.buffer.cpu import Buffer
from zarr.core.sync import sync

from ngff_geozarr.core.store.arrays import ArrayIO

__all__ = ["EncodedChunks", "Fetched", "StoredLayout", "encoded_chunks", "stored_layout"]

_Region = tuple[slice, ...]
_EMPTY = 2**64 - 1
_DEFAULT_INDEX = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]
# Compressors whose frames numcodecs decodes without their configuration (it is in the frame).
_DECODERS: dict[str, type[Any]] = {
    "zstd": numcodecs.Zstd,
    "blosc": numcodecs.Blosc,
    "gzip": numcodecs.GZip,
    "zlib": numcodecs.Zlib,
}


def _plain(value: Any) -> Any:
    """Return a JSON-like value with tuples as lists, so two configurations compare equal."""
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class _Encoding:
    """How one chunk's bytes turn into values: the data type as stored and the decompressor."""

    dtype: np.dtype[Any]
    decompressor: str | None


@dataclass(frozen=True)
class _ChunkCodecs:
    """How an array encodes one (inner) chunk.

    ``chain`` compares two arrays (format 3: the codecs inside any sharding; format 2: the
    compressor, filters and order); ``compressors`` is the chain as an output repeats it
    (``None`` when it holds more than bytes and compressors); ``decoding`` is set when the
    chain is bytes and at most one compressor numcodecs decodes.
    """

    chain: Any
    compressors: tuple[dict[str, Any], ...] | None
    decoding: _Encoding | None


def _chunk_codecs(array: zarr.Array[Any]) -> _ChunkCodecs:
    """Read the codec chain of one chunk of an array."""
    meta = array.metadata
    dtype = np.dtype(array.dtype)
    chain: tuple[Any, ...]
    if meta.zarr_format == 2:
        config = None if meta.compressor is None else _plain(meta.compressor.get_config())
        chain = ("v2", config, _plain(meta.filters), meta.order)
        if meta.filters or meta.order != "C":
            return _ChunkCodecs(chain, None, None)
        name = None if config is None else str(config["id"])
        compressors = () if config is None else (config,)
    else:
        codecs = _plain([c.to_dict() for c in meta.codecs])
        if array.shards is not None:
            codecs = codecs[0]["configuration"]["codecs"]
        chain = ("v3", codecs)
        if not codecs or codecs[0]["name"] != "bytes":
            return _ChunkCodecs(chain, None, None)
        endian = (codecs[0].get("configuration") or {}).get("endian", "little")
        dtype = dtype.newbyteorder("<" if endian == "little" else ">")
        compressors = tuple(codecs[1:])
        name = codecs[1]["name"] if len(codecs) == 2 else None
        if len(codecs) > 2:
            return _ChunkCodecs(chain, compressors, None)
    decodable = name is None or name in _DECODERS
    return _ChunkCodecs(chain, compressors, _Encoding(dtype, name) if decodable else None)


def _zarr_array(source: Any) -> zarr.Array[Any] | None:
    """Return the zarr array behind a source (a zarr array or an ArrayIO), or ``None``."""
    array = source.zarr_array if isinstance(source, ArrayIO) else source
    return array if isinstance(array, zarr.Array) else None


@dataclass(frozen=True)
class Fetched:
    """A tile's source chunks as stored, and its values decoded from them.

    Parameters
    ----------
    region
        The tile's region of level 0.
    chunks
        The stored bytes of every source chunk the tile covers, by chunk grid index.
    values
        The tile's values.
    """

    region: _Region
    chunks: dict[tuple[int, ...], bytes]
    values: npt.NDArray[Any]


@dataclass(frozen=True)
class EncodedChunks:
    """Copies a Zarr source's chunks into level 0 and decodes them for the reduction.

    Build one with :func:`encoded_chunks`; it pickles (for dask workers) when both arrays'
    stores do.

    Parameters
    ----------
    source
        The source, a zarr array.
    target
        Level 0 of the output.
    encoding
        How a chunk's bytes decode.
    """

    source: Any
    target: ArrayIO
    encoding: _Encoding

    def fetch(self, region: _Region) -> Fetched | None:
        """Read a tile's chunks as stored and decode them.

        Parameters
        ----------
        region
            The tile's region of level 0.

        Returns
        -------
        Fetched or None
            The chunks and values; ``None`` when the tile is not made of whole source chunks
            (or chunks cut by the array's end) or a chunk does not exist in the source.
        """
        chunk = tuple(self.source.chunks)
        shape = tuple(self.source.shape)
        for s, b, n in zip(region, self.target.block_shape, shape, strict=True):
            if s.start % b or (s.stop % b and s.stop != n):
                return None  # not whole blocks of the output: only zarr can merge the rest
        grid = [range(s.start // c, -(-s.stop // c)) for s, c in zip(region, chunk, strict=True)]
        indices = list(itertools.product(*grid))
        store = self.source.store
        keys = [_key(self.source, index) for index in indices]

        async def get_all() -> list[Any]:  # at once: a remote source answers them in parallel
            prototype = default_buffer_prototype()
            return list(await asyncio.gather(*(store.get(k, prototype=prototype) for k in keys)))

        found = sync(get_all())
        if any(value is None for value in found):
            return None
        chunks = {index: value.to_bytes() for index, value in zip(indices, found, strict=True)}
        values = np.empty(tuple(s.stop - s.start for s in region), dtype=self.source.dtype)
        origin = tuple(s.start for s in region)
        for index, raw in chunks.items():
            first = tuple(i * c for i, c in zip(index, chunk, strict=True))
            size = tuple(min(c, n - f) for c, n, f in zip(chunk, shape, first, strict=True))
            at = tuple(f - o for f, o in zip(first, origin, strict=True))
            into = tuple(slice(a, a + k) for a, k in zip(at, size, strict=True))
            values[into] = self._decode(raw, chunk)[tuple(slice(0, k) for k in size)]
        return Fetched(region, chunks, values)

    def _decode(self, raw: bytes, chunk: tuple[int, ...]) -> npt.NDArray[Any]:
        name = self.encoding.decompressor
        data = raw if name is None else _DECODERS[name]().decode(raw)
        values = np.frombuffer(data, dtype=self.encoding.dtype, count=math.prod(chunk))
        return values.reshape(chunk)

    def store(self, fetched: Fetched) -> None:
        """Write a tile's chunks to level 0 as they were stored in the source.

        Parameters
        ----------
        fetched
            What :meth:`fetch` returned for the tile.
        """
        objects = dict(self._objects(fetched))
        store = self.target.zarr_array.store

        async def set_all() -> None:
            await asyncio.gather(*(store.set(k, Buffer.from_bytes(v)) for k, v in objects.items()))

        sync(set_all())

    def _objects(self, fetched: Fetched) -> Iterator[tuple[str, bytes]]:
        target = self.target.zarr_array
        if self.target.shards is None:
            for index, raw in fetched.chunks.items():
                yield _key(target, index), raw
            return
        per_shard = np.array(self.target.shards) // np.array(self.target.chunks)
        grid = -(-np.array(self.target.shape) // np.array(self.target.chunks))
        shards = sorted({tuple(int(i) for i in np.array(c) // per_shard) for c in fetched.chunks})
        for shard in shards:
            entries = np.full((*per_shard.tolist(), 2), _EMPTY, dtype="<u8")
            parts: list[bytes] = []
            offset = 0
            for inner in _morton(tuple(per_shard.tolist())):
                where = np.array(shard) * per_shard + np.array(inner)
                if (where >= grid).any():
                    continue  # beyond the array's end: no chunk
                raw = fetched.chunks[tuple(int(w) for w in where)]
                entries[inner] = (offset, len(raw))
                parts.append(raw)
                offset += len(raw)
            table = entries.tobytes()
            crc = np.array([google_crc32c.value(table)], dtype="<u4").tobytes()
            yield _key(target, shard), b"".join(parts) + table + crc


def _morton(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Return the indices of a grid in compressed Morton order, the order zarr lays out a shard.

    The code of an index takes, from the lowest bit up, one bit of each axis in turn, skipping
    the axes that have no bit left at that position; indices are sorted by their code. The
    order is not normative (a shard's index says where each chunk is): following zarr's
    makes a copied shard the same bytes as one zarr encodes.
    """
    bits = [(n - 1).bit_length() for n in shape]

    def code(index: tuple[int, ...]) -> int:
        value, out = 0, 0
        for bit in range(max(bits, default=0)):
            for axis, count in enumerate(bits):
                if bit < count:
                    value |= ((index[axis] >> bit) & 1) << out
                    out += 1
        return value

    return sorted(itertools.product(*(range(n) for n in shape)), key=code)


def _key(array: Any, index: tuple[int, ...]) -> str:
    """Return the store key of a chunk (or shard) of an array."""
    key = str(array.metadata.encode_chunk_key(index))
    return f"{array.path}/{key}" if array.path else key


def encoded_chunks(source: Any, target: ArrayIO) -> EncodedChunks | None:
    """Return the chunk copier from ``source`` to level 0, when the source's chunks fit as stored.

    Parameters
    ----------
    source
        The pyramid's source: a zarr array, an array of a store, anything else.
    target
        Level 0 of the output.

    Returns
    -------
    EncodedChunks or None
        The copier; ``None`` unless the source is a Zarr array of the same format, shape and
        data type as the target, its chunks are the target's (inner) chunks, both encode a
        chunk the same way with at most one compressor numcodecs decodes, and a sharded
        target uses the default shard index.
    """
    array = _zarr_array(source)
    out = target.zarr_array
    if array is None or array.shards is not None:  # a sharded source: not copied (yet)
        return None
    if array.metadata.zarr_format != out.metadata.zarr_format:
        return None
    if tuple(array.shape) != tuple(out.shape) or np.dtype(array.dtype) != np.dtype(out.dtype):
        return None
    if tuple(array.chunks) != tuple(target.chunks):
        return None
    if target.shards is not None:
        sharding = _plain(out.metadata.codecs[0].to_dict())["configuration"]
        if sharding["index_codecs"] != _DEFAULT_INDEX or sharding["index_location"] != "end":
            return None
    mine = _chunk_codecs(array)
    if mine.decoding is None or mine.chain != _chunk_codecs(out).chain:
        return None
    return EncodedChunks(array, target, mine.decoding)


@dataclass(frozen=True)
class StoredLayout:
    """How a Zarr array stores its chunks: what an output must repeat to copy them as stored.

    Parameters
    ----------
    zarr_format
        The array's Zarr format.
    chunks
        Its chunk shape (the inner chunks when sharded).
    shards
        Its shard shape, or ``None``.
    compressors
        Its compressors as JSON objects of its format (format 3: the codecs after ``bytes``;
        format 2: the compressor), empty for none; ``None`` when its chain holds other codecs
        (filters, array-to-array codecs), which an output does not repeat.
    """

    zarr_format: int
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    compressors: tuple[dict[str, Any], ...] | None


def stored_layout(source: Any) -> StoredLayout | None:
    """Return how a Zarr array (or an array of a store) stores its chunks.

    Parameters
    ----------
    source
        A zarr array, an :class:`~ngff_geozarr.core.store.ArrayIO`, anything else.

    Returns
    -------
    StoredLayout or None
        The layout; ``None`` when ``source`` is not a Zarr array.
    """
    array = _zarr_array(source)
    if array is None:
        return None
    shards = None if array.shards is None else tuple(array.shards)
    compressors = _chunk_codecs(array).compressors
    return StoredLayout(int(array.metadata.zarr_format), tuple(array.chunks), shards, compressors)
