"""Array metadata the reference reader can open: codecs, chunk grid, data type, fill value.

A Zarr array document can be well-typed JSON and still be one that zarr-python 3 (the
reference reader) refuses to open: an unknown codec, a codec configuration out of range, a
codec chain of the wrong form, a chunk shape of the wrong rank, an unknown data type, a fill
value the data type cannot hold. Each is a rule of ``data/rules.toml`` quoting the Zarr spec
clause it enforces; the message says why the reader refuses. Only what the structural parse
(``zarr.metadata.invalid``) does not already report is checked here. No I/O happens here.

The tables name what zarr-python 3.1 with numcodecs 0.16 recognises; ``tests/core/
test_array_documents.py`` compares them with the installed reader's registries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from ngff_geozarr.core.report import Issue, json_pointer, short_json

__all__ = [
    "V2_CODEC_IDS",
    "V3_CODECS",
    "V3_DATA_TYPES",
    "CodecKind",
    "array_document_issues",
    "parse_dtype",
]

CodecKind = Literal["array-array", "array-bytes", "bytes-bytes"]
"""Where a Zarr v3 codec sits in the chain: array to array, array to bytes, bytes to bytes."""

_NUMCODECS_V3: dict[str, CodecKind] = {
    **dict.fromkeys(("astype", "bitround", "delta", "fixedscaleoffset"), "array-array"),
    **dict.fromkeys(("packbits", "quantize"), "array-array"),
    **dict.fromkeys(("pcodec", "zfpy"), "array-bytes"),
    **dict.fromkeys(
        ("adler32", "blosc", "bz2", "crc32", "crc32c", "fletcher32", "gzip"), "bytes-bytes"
    ),
    **dict.fromkeys(("jenkins_lookup3", "lz4", "lzma", "shuffle", "zlib", "zstd"), "bytes-bytes"),
}
V3_CODECS: Mapping[str, CodecKind] = {
    "transpose": "array-array",
    **dict.fromkeys(
        ("bytes", "endian", "sharding_indexed", "vlen-bytes", "vlen-utf8"), "array-bytes"
    ),
    **dict.fromkeys(("blosc", "crc32c", "gzip", "zstd"), "bytes-bytes"),
    **{f"numcodecs.{k}": v for k, v in _NUMCODECS_V3.items()},
}
"""Zarr v3 codec names the reference reader knows, with the kind of each (spec §Codecs)."""

V2_CODEC_IDS = frozenset(
    {*_NUMCODECS_V3, "base64", "categorize", "json2", "msgpack2", "pickle"}
    | {"vlen-array", "vlen-bytes", "vlen-utf8"}
)
"""Zarr v2 codec ids (``compressor`` / ``filters``) the reference reader knows (numcodecs)."""

V3_DATA_TYPES = frozenset(
    {"bool", "complex64", "complex128", "float16", "float32", "float64", "string", "bytes"}
    | {f"{s}int{n}" for s in ("", "u") for n in (8, 16, 32, 64)}
    | {"fixed_length_utf32", "null_terminated_bytes", "raw_bytes", "structured"}
    | {"variable_length_bytes", "numpy.datetime64", "numpy.timedelta64"}
)
"""Zarr v3 data type names the reference reader (or the spec, for ``r<bits>``) knows."""

_RAW_BITS = re.compile(r"r[1-9][0-9]*")
_NUMERIC = {"b", "i", "u", "f", "c"}

# Configuration keys each core codec accepts; any other key makes the reader refuse it.
_CONFIG_KEYS: Mapping[str, frozenset[str]] = {
    "bytes": frozenset({"endian"}),
    "endian": frozenset({"endian"}),
    "transpose": frozenset({"order"}),
    "gzip": frozenset({"level"}),
    "zstd": frozenset({"level", "checksum"}),
    "blosc": frozenset({"cname", "clevel", "shuffle", "typesize", "blocksize"}),
    "sharding_indexed": frozenset({"chunk_shape", "codecs", "index_codecs", "index_location"}),
}
_CHOICES: Mapping[tuple[str, str], tuple[Any, ...]] = {
    ("bytes", "endian"): ("big", "little"),
    ("endian", "endian"): ("big", "little"),
    ("blosc", "cname"): ("lz4", "lz4hc", "blosclz", "zstd", "snappy", "zlib"),
    ("blosc", "shuffle"): ("noshuffle", "shuffle", "bitshuffle"),
    ("sharding_indexed", "index_location"): ("start", "end"),
    ("zstd", "checksum"): (True, False),
}
_RANGES: Mapping[tuple[str, str], tuple[int, int]] = {
    ("gzip", "level"): (0, 9),
    ("zstd", "level"): (-131072, 22),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(value: Any) -> list[int] | None:
    if isinstance(value, list) and all(_is_int(v) for v in value):
        return value
    return None


class _Checker:
    """Collect the issues of one array document; every check tolerates any JSON."""

    def __init__(self, path: str, key: str, zarr_format: int) -> None:
        self.zarr_format = zarr_format
        self.path = path
        self.key = key
        self.issues: list[Issue] = []

    def add(self, rule: str, pointer: tuple[str | int, ...], message: str) -> None:
        where = "/".join(str(p) for p in pointer)
        self.issues.append(
            Issue.error(
                f"zarr.array.{rule}",
                self.path,
                json_pointer(*pointer),
                f"{self.key}: {where}: {message}; zarr-python refuses to open the array.",
            )
        )

    # -- chunk grid ----------------------------------------------------------------------

    def chunk_shape(self, chunks: Any, shape: Any, pointer: tuple[str | int, ...]) -> None:
        chunks, shape = _int_list(chunks), _int_list(shape)
        if chunks is None:
            return
        if shape is not None and len(chunks) != len(shape):
            self.add(
                "chunk-grid",
                pointer,
                f"{len(chunks)} chunk lengths for a {len(shape)}-dimensional shape",
            )
        if any(c <= 0 for c in chunks):
            self.add("chunk-grid", pointer, f"chunk lengths must be positive, got {chunks}")

    # -- codecs (v3) ---------------------------------------------------------------------

    def codec_chain(
        self, codecs: Any, rank: int | None, chunks: list[int] | None, at: tuple[str | int, ...]
    ) -> None:
        if not isinstance(codecs, list):
            return
        names = [_codec_name(c) for c in codecs]
        kinds = [V3_CODECS.get(n) if n is not None else None for n in names]
        if codecs and "array-bytes" not in kinds and None not in kinds:
            self.add("codec-order", at, "no array -> bytes codec")
        seen_array_bytes = False
        for i, (codec, name, kind) in enumerate(zip(codecs, names, kinds, strict=True)):
            where = (*at, i)
            if name is None:
                continue
            if kind is None:
                if not (isinstance(codec, dict) and codec.get("must_understand") is False):
                    self.add("codec-unknown", where, f"unknown codec {name!r}")
                continue
            if kind == "array-bytes" and seen_array_bytes:
                self.add("codec-order", where, "a second array -> bytes codec")
            elif kind == "array-array" and seen_array_bytes:
                self.add(
                    "codec-order", where, f"array -> array codec {name!r} after array -> bytes"
                )
            elif kind == "bytes-bytes" and not seen_array_bytes and "array-bytes" in kinds:
                self.add(
                    "codec-order", where, f"bytes -> bytes codec {name!r} before array -> bytes"
                )
            seen_array_bytes = seen_array_bytes or kind == "array-bytes"
            config = codec.get("configuration", {}) if isinstance(codec, dict) else {}
            if isinstance(config, dict):
                self.codec_configuration(name, config, rank, chunks, where)

    def codec_configuration(
        self,
        name: str,
        config: dict[str, Any],
        rank: int | None,
        chunks: list[int] | None,
        where: tuple[str | int, ...],
    ) -> None:
        allowed = _CONFIG_KEYS.get(name)
        if allowed is None:
            return
        at = (*where, "configuration")

        def bad(message: str) -> None:
            self.add("codec-configuration", at, f"{name}: {message}")

        for extra in sorted(set(config) - allowed):
            bad(f"unknown parameter {extra!r}")
        if name == "gzip" and "level" not in config:
            bad("'level' is required")
        for (codec, param), choices in _CHOICES.items():
            if codec == name and param in config and config[param] not in choices:
                bad(f"{param} must be one of {list(choices)}, got {short_json(config[param])}")
        for (codec, param), (low, high) in _RANGES.items():
            value = config.get(param)
            in_range = isinstance(value, int) and _is_int(value) and low <= value <= high
            if codec == name and param in config and not in_range:
                bad(f"{param} must be an integer from {low} to {high}, got {short_json(value)}")
        if name == "transpose":
            order = _int_list(config.get("order"))
            if order is None or (rank is not None and sorted(order) != list(range(rank))):
                size = "" if rank is None else f" of 0..{rank - 1}"
                bad(f"order must be a permutation{size}, got {short_json(config.get('order'))}")
        if name == "sharding_indexed":
            self.sharding(config, rank, chunks, at)

    def sharding(
        self,
        config: dict[str, Any],
        rank: int | None,
        chunks: list[int] | None,
        at: tuple[str | int, ...],
    ) -> None:
        inner = _int_list(config.get("chunk_shape"))
        where = (*at, "chunk_shape")
        if inner is not None and rank is not None and len(inner) != rank:
            self.add(
                "codec-configuration",
                where,
                f"{len(inner)} inner chunk lengths for {rank} dimensions",
            )
        elif (
            inner is not None
            and chunks is not None
            and len(inner) == len(chunks)
            and any(i <= 0 or c % i for i, c in zip(inner, chunks, strict=True))
        ):
            self.add(
                "codec-configuration",
                where,
                f"inner chunk shape {inner} must evenly divide the shard shape {chunks}",
            )
        self.codec_chain(config.get("codecs"), rank, inner, (*at, "codecs"))
        self.codec_chain(config.get("index_codecs"), rank, None, (*at, "index_codecs"))

    # -- codecs (v2) ---------------------------------------------------------------------

    def v2_codec(self, codec: Any, where: tuple[str | int, ...]) -> None:
        if not isinstance(codec, dict):
            return
        codec_id = codec.get("id")
        # an id of any JSON type (an object is not hashable: no set lookup before the check)
        if not (isinstance(codec_id, str) and codec_id in V2_CODEC_IDS):
            what = (
                "a codec with no 'id'"
                if codec_id is None
                else f"unknown codec id {short_json(codec_id)}"
            )
            self.add("codec-unknown", where, what)

    # -- data type and fill value ----------------------------------------------------------

    def fill_value(self, value: Any, dtype: np.dtype[Any], at: str) -> None:
        kind = dtype.kind
        if value is None or kind not in _NUMERIC or kind == "b":
            return
        if kind in "iu":
            number = _integer(value)
            if number is None:
                self.add(
                    "fill-value",
                    (at,),
                    f"{short_json(value)} is not an integer; {dtype.name} holds integers",
                )
                return
            info = np.iinfo(dtype)
            if not info.min <= number <= info.max:
                self.add(
                    "fill-value",
                    (at,),
                    f"{value} is outside the range of {dtype.name} ({info.min} to {info.max})",
                )
        elif kind == "f" and not _float_like(value):
            self.add("fill-value", (at,), f"{short_json(value)} is not a number of {dtype.name}")
        elif kind == "c" and not _complex_like(value, self.zarr_format):
            self.add("fill-value", (at,), f"{short_json(value)} is not a [real, imaginary] pair")


def _codec_name(codec: Any) -> str | None:
    """Name a codec given as an object or as a short-hand name (spec §Extensions)."""
    name = codec.get("name") if isinstance(codec, dict) else codec
    return name if isinstance(name, str) else None


def _integer(value: Any) -> int | None:
    """Read ``value`` as the reader does: an int, an integral float, an integer string."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _float_like(value: Any) -> bool:
    """Tell whether the reader takes ``value`` as a float: a number, a special or hex string."""
    if isinstance(value, int | float):
        return True
    if not isinstance(value, str):
        return False
    if value.startswith("0x"):
        return len(value) > 2 and all(c in "0123456789abcdefABCDEF" for c in value[2:])
    try:
        float(value)
    except ValueError:
        return False
    return True


def parse_dtype(value: Any) -> np.dtype[Any] | None:
    """Read a data type string of a metadata document as numpy does, or give ``None``.

    numpy raises ``TypeError``, ``ValueError`` or even ``SyntaxError`` (a v2 string with
    commas is parsed as Python literals) for what it does not understand; every one of them
    means "not a data type".

    Parameters
    ----------
    value
        The document's value (any JSON type).

    Returns
    -------
    numpy.dtype or None
        The data type; ``None`` when ``value`` is not a string numpy reads as one.
    """
    if not isinstance(value, str):
        return None
    try:
        return np.dtype(value)
    except (TypeError, ValueError, SyntaxError, OverflowError, RecursionError):
        return None


def _parses(value: str) -> bool:
    return parse_dtype(value) is not None


def _complex_like(value: Any, zarr_format: int) -> bool:
    """Tell whether the reader takes ``value`` as a complex fill value (v3: a pair)."""
    if isinstance(value, list):
        return len(value) == 2 and all(_float_like(v) for v in value)
    return zarr_format == 2


def _numeric_dtype(value: Any) -> np.dtype[Any] | None:
    dtype = parse_dtype(value)
    if dtype is None:
        return None
    return dtype if dtype.kind in _NUMERIC and dtype.fields is None and not dtype.shape else None


def _check_v3(check: _Checker, doc: dict[str, Any]) -> None:
    shape = _int_list(doc.get("shape"))
    rank = None if shape is None else len(shape)
    grid = doc.get("chunk_grid")
    config = grid.get("configuration") if isinstance(grid, dict) else None
    chunks = config.get("chunk_shape") if isinstance(config, dict) else None
    if isinstance(grid, dict) and isinstance(config, dict) and grid.get("name") == "regular":
        check.chunk_shape(chunks, shape, ("chunk_grid", "configuration", "chunk_shape"))
    check.codec_chain(doc.get("codecs"), rank, _int_list(chunks), ("codecs",))
    data_type = doc.get("data_type")
    name = data_type.get("name") if isinstance(data_type, dict) else data_type
    if isinstance(name, str) and name not in V3_DATA_TYPES and not _RAW_BITS.fullmatch(name):
        check.add("data-type-unknown", ("data_type",), f"unknown data type {name!r}")
    dtype = _numeric_dtype(name) if isinstance(name, str) and name in V3_DATA_TYPES else None
    if dtype is not None:
        check.fill_value(doc.get("fill_value"), dtype, "fill_value")


def _check_v2(check: _Checker, doc: dict[str, Any]) -> None:
    chunks = _int_list(doc.get("chunks"))
    if chunks is not None and any(c <= 0 for c in chunks):
        check.chunk_shape(chunks, None, ("chunks",))
    check.v2_codec(doc.get("compressor"), ("compressor",))
    filters = doc.get("filters")
    for i, codec in enumerate(filters if isinstance(filters, list) else []):
        check.v2_codec(codec, ("filters", i))
    dtype_string = doc.get("dtype")
    dtype = _numeric_dtype(dtype_string)
    if (
        isinstance(dtype_string, str)
        and dtype_string[:1] not in ("<", ">", "|")
        and _parses(dtype_string)
    ):
        check.add(
            "data-type-unknown",
            ("dtype",),
            f"{dtype_string!r} names no byte order (start with '<', '>' or '|')",
        )
    if dtype is not None:
        check.fill_value(doc.get("fill_value"), dtype, "fill_value")


_CHECKS: Mapping[int, Callable[[_Checker, dict[str, Any]], None]] = {3: _check_v3, 2: _check_v2}


def array_document_issues(
    zarr_format: int, metadata: Mapping[str, Any], path: str, key: str
) -> list[Issue]:
    """Check an array document against what the reference reader (zarr-python 3) opens.

    Parameters
    ----------
    zarr_format
        2 (a ``.zarray``) or 3 (an array's ``zarr.json``).
    metadata
        The parsed document, attributes excluded; any JSON is tolerated.
    path
        The array's path, which issues are reported on.
    key
        How to name the document in messages.

    Returns
    -------
    list of Issue
        One error per refusal (rules ``zarr.array.*``), pointing into the document.
    """
    check = _Checker(path, key, zarr_format)
    run = _CHECKS.get(zarr_format)
    if run is not None:
        run(check, dict(metadata))
    return check.issues
