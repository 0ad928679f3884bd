"""Array documents the reference reader refuses are errors naming the reason (issue 16 item 6).

Each broken document is first shown to be refused by zarr-python itself (opening it, or
reading it, raises); then the hierarchy reader must report it with the rule named.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

import ngff
from ngff.cli import cli
from ngff_geozarr.core.hierarchy import read_hierarchy
from ngff_geozarr.core.hierarchy.array_checks import V2_CODEC_IDS, V3_CODECS, V3_DATA_TYPES
from ngff_geozarr.core.report import Severity

V3: dict[str, Any] = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [4, 4],
    "data_type": "uint8",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    "attributes": {},
}
V2: dict[str, Any] = {
    "zarr_format": 2,
    "shape": [4, 4],
    "chunks": [2, 2],
    "dtype": "|u1",
    "compressor": None,
    "fill_value": 0,
    "order": "C",
    "filters": None,
}
BYTES = {"name": "bytes"}
SHARD = {"chunk_shape": [1, 1], "codecs": [BYTES], "index_codecs": [BYTES, {"name": "crc32c"}]}

# name -> (base document, changes, the rule reported, the pointer it names)
BROKEN: dict[str, tuple[dict[str, Any], dict[str, Any], str, str]] = {
    "unknown codec": (V3, {"codecs": [BYTES, {"name": "nosuch"}]}, "codec-unknown", "/codecs/1"),
    "unknown inner codec of a shard": (
        V3,
        {
            "codecs": [
                {"name": "sharding_indexed", "configuration": {**SHARD, "codecs": [BYTES, "zz"]}}
            ]
        },
        "codec-unknown",
        "/codecs/0/configuration/codecs/1",
    ),
    "no array -> bytes codec": (
        V3,
        {"codecs": [{"name": "gzip", "configuration": {"level": 1}}]},
        "codec-order",
        "/codecs",
    ),
    "two array -> bytes codecs": (V3, {"codecs": [BYTES, BYTES]}, "codec-order", "/codecs/1"),
    "transpose after bytes": (
        V3,
        {"codecs": [BYTES, {"name": "transpose", "configuration": {"order": [1, 0]}}]},
        "codec-order",
        "/codecs/1",
    ),
    "gzip level 99": (
        V3,
        {"codecs": [BYTES, {"name": "gzip", "configuration": {"level": 99}}]},
        "codec-configuration",
        "/codecs/1/configuration",
    ),
    "gzip without level": (
        V3,
        {"codecs": [BYTES, {"name": "gzip"}]},
        "codec-configuration",
        "/codecs/1/configuration",
    ),
    "gzip unknown parameter": (
        V3,
        {"codecs": [BYTES, {"name": "gzip", "configuration": {"level": 1, "x": 2}}]},
        "codec-configuration",
        "/codecs/1/configuration",
    ),
    "zstd level 99": (
        V3,
        {"codecs": [BYTES, {"name": "zstd", "configuration": {"level": 99, "checksum": False}}]},
        "codec-configuration",
        "/codecs/1/configuration",
    ),
    "blosc unknown cname": (
        V3,
        {
            "codecs": [
                BYTES,
                {
                    "name": "blosc",
                    "configuration": {
                        "cname": "nope",
                        "clevel": 5,
                        "shuffle": "shuffle",
                        "typesize": 1,
                        "blocksize": 0,
                    },
                },
            ]
        },
        "codec-configuration",
        "/codecs/1/configuration",
    ),
    "bytes endian middle": (
        V3,
        {"codecs": [{"name": "bytes", "configuration": {"endian": "middle"}}]},
        "codec-configuration",
        "/codecs/0/configuration",
    ),
    "transpose order of another rank": (
        V3,
        {"codecs": [{"name": "transpose", "configuration": {"order": [0, 1, 2]}}, BYTES]},
        "codec-configuration",
        "/codecs/0/configuration",
    ),
    "shard shape not dividing the chunk": (
        V3,
        {
            "codecs": [
                {"name": "sharding_indexed", "configuration": {**SHARD, "chunk_shape": [3, 3]}}
            ]
        },
        "codec-configuration",
        "/codecs/0/configuration/chunk_shape",
    ),
    "shard index_location middle": (
        V3,
        {
            "codecs": [
                {"name": "sharding_indexed", "configuration": {**SHARD, "index_location": "mid"}}
            ]
        },
        "codec-configuration",
        "/codecs/0/configuration",
    ),
    "chunk_shape of the wrong rank": (
        V3,
        {"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}}},
        "chunk-grid",
        "/chunk_grid/configuration/chunk_shape",
    ),
    "chunk length zero": (
        V3,
        {"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [0, 2]}}},
        "chunk-grid",
        "/chunk_grid/configuration/chunk_shape",
    ),
    "unknown data type": (V3, {"data_type": "uint7"}, "data-type-unknown", "/data_type"),
    "fill value out of range": (V3, {"fill_value": 300}, "fill-value", "/fill_value"),
    "negative fill value of an unsigned type": (
        V3,
        {"fill_value": -1},
        "fill-value",
        "/fill_value",
    ),
    "NaN fill value of an integer type": (V3, {"fill_value": "NaN"}, "fill-value", "/fill_value"),
    "fractional fill value of an integer type": (
        V3,
        {"fill_value": 1.5},
        "fill-value",
        "/fill_value",
    ),
    "int64 fill value past 2**63": (
        V3,
        {"data_type": "int64", "fill_value": 2**63},
        "fill-value",
        "/fill_value",
    ),
    "text fill value of a float type": (
        V3,
        {"data_type": "float32", "fill_value": "abc"},
        "fill-value",
        "/fill_value",
    ),
    "v2 unknown compressor": (V2, {"compressor": {"id": "nosuch"}}, "codec-unknown", "/compressor"),
    "v2 compressor without id": (V2, {"compressor": {"level": 1}}, "codec-unknown", "/compressor"),
    "v2 unknown filter": (V2, {"filters": [{"id": "nosuch"}]}, "codec-unknown", "/filters/0"),
    "v2 dtype without byte order": (V2, {"dtype": "u1"}, "data-type-unknown", "/dtype"),
    "v2 fill value out of range": (
        V2,
        {"dtype": "<i2", "fill_value": 70000},
        "fill-value",
        "/fill_value",
    ),
    "v2 NaN fill value of an integer type": (
        V2,
        {"fill_value": "NaN"},
        "fill-value",
        "/fill_value",
    ),
    "v2 chunk length zero": (V2, {"chunks": [0, 2]}, "chunk-grid", "/chunks"),
}

# Documents the structural parse already refuses (zarr.metadata.invalid); zarr-python too.
STRUCTURAL: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "unknown chunk key encoding": (V3, {"chunk_key_encoding": {"name": "weird"}}),
    "chunk key separator '-'": (
        V3,
        {"chunk_key_encoding": {"name": "default", "configuration": {"separator": "-"}}},
    ),
    "v2 order X": (V2, {"order": "X"}),
    "v2 dtype garbage": (V2, {"dtype": "garbage"}),
    "v2 chunks of the wrong rank": (V2, {"chunks": [2]}),
    "v2 dimension separator '-'": (V2, {"dimension_separator": "-"}),
}


def _write(root: Path, base: dict[str, Any], changes: dict[str, Any]) -> Path:
    doc = {**json.loads(json.dumps(base)), **changes}
    root.mkdir(parents=True)
    (root / ("zarr.json" if doc["zarr_format"] == 3 else ".zarray")).write_text(json.dumps(doc))
    return root


def _zarr_refuses(root: Path) -> None:
    """zarr-python fails to open the array, or to read it (a zero chunk length)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception):  # noqa: B017, PT011 -- any refusal of the reader
            zarr.open_array(str(root), mode="r")[...]


def _errors(root: Path) -> list[tuple[str, str]]:
    hierarchy = read_hierarchy(str(root))
    return [(i.rule, i.pointer) for i in hierarchy.issues if i.severity is Severity.ERROR]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_an_array_zarr_python_refuses_is_an_error_naming_why(tmp_path: Path, name: str) -> None:
    base, changes, rule, pointer = BROKEN[name]
    root = _write(tmp_path / "a.zarr", base, changes)
    _zarr_refuses(root)
    assert _errors(root) == [(f"zarr.array.{rule}", pointer)]


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_refusals_stay_reported_once(tmp_path: Path, name: str) -> None:
    base, changes = STRUCTURAL[name]
    root = _write(tmp_path / "a.zarr", base, changes)
    _zarr_refuses(root)
    errors = _errors(root)
    assert errors
    assert {rule for rule, _ in errors} == {"zarr.metadata.invalid"}


ACCEPTED: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "the plain v3 document": (V3, {}),
    "the plain v2 document": (V2, {}),
    "integral float fill value": (V3, {"fill_value": 3.0}),
    "integer string fill value": (V3, {"fill_value": "42"}),
    "largest uint64": (V3, {"data_type": "uint64", "fill_value": 2**64 - 1}),
    "NaN fill value of a float type": (V3, {"data_type": "float32", "fill_value": "NaN"}),
    "hex fill value of a float type": (V3, {"data_type": "float32", "fill_value": "0x7fc00000"}),
    "complex pair": (V3, {"data_type": "complex64", "fill_value": [0, "NaN"]}),
    "numcodecs codec": (
        V3,
        {"codecs": [BYTES, {"name": "numcodecs.zlib", "configuration": {"level": 1}}]},
    ),
    "transpose then bytes then zstd": (
        V3,
        {
            "codecs": [
                {"name": "transpose", "configuration": {"order": [1, 0]}},
                BYTES,
                {"name": "zstd", "configuration": {"level": 3, "checksum": False}},
            ]
        },
    ),
    "sharded": (V3, {"codecs": [{"name": "sharding_indexed", "configuration": SHARD}]}),
    "v2 blosc and delta": (
        V2,
        {
            "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1},
            "filters": [{"id": "delta", "dtype": "|u1"}],
        },
    ),
    "v2 null fill value": (V2, {"fill_value": None}),
    "v2 Infinity of a float type": (V2, {"dtype": "<f8", "fill_value": "Infinity"}),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_an_array_zarr_python_opens_is_not_reported(tmp_path: Path, name: str) -> None:
    base, changes = ACCEPTED[name]
    root = _write(tmp_path / "a.zarr", base, changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.open_array(str(root), mode="r")[...]
    assert _errors(root) == []


def test_the_tables_match_the_installed_reader() -> None:
    import numcodecs.registry
    import zarr.registry
    from zarr.abc.codec import ArrayArrayCodec, ArrayBytesCodec, BytesBytesCodec
    from zarr.core.dtype import data_type_registry

    data_type_registry._lazy_load()
    assert set(V3_DATA_TYPES) >= set(data_type_registry.contents)
    registries = vars(zarr.registry)["__codec_registries"].items()
    assert set(V3_CODECS) == {name for name, r in registries if r or r.lazy_load_list}
    bases = {
        "array-array": ArrayArrayCodec,
        "array-bytes": ArrayBytesCodec,
        "bytes-bytes": BytesBytesCodec,
    }
    for name, kind in V3_CODECS.items():
        assert issubclass(zarr.registry.get_codec_class(name), bases[kind]), name
    assert set(numcodecs.registry.codec_registry) <= V2_CODEC_IDS


def test_validate_names_the_level_zarr_cannot_open(tmp_path: Path) -> None:
    target = tmp_path / "img.zarr"
    ngff.write_image(np.zeros((8, 8), np.uint8), str(target), axes="yx")
    level = json.loads((target / "0" / "zarr.json").read_text())
    level["fill_value"] = 300
    (target / "0" / "zarr.json").write_text(json.dumps(level))
    result = CliRunner().invoke(cli, ["validate", str(target), "--format", "json"])
    assert result.exit_code == 1, result.output
    issues = json.loads(result.output)["issues"]
    assert {(i["rule"], i["path"], i["pointer"]) for i in issues if i["severity"] == "error"} == {
        ("zarr.array.fill-value", "0", "/fill_value")
    }
