"""The region I/O the engine writes through: StoreHandle.create_empty_array / open_array."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from ngff_geozarr.core.errors import NotZarrError, ReadOnlyError
from ngff_geozarr.core.store import COMPRESSIONS, compressors_for, open_store


@pytest.mark.parametrize("compression", [*COMPRESSIONS, "zstd:1", "blosc-zstd:9", "blosc-lz4:1"])
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_round_trip_and_stored_blocks(tmp_path: Path, compression: str, zarr_format: int) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        array = store.create_empty_array(
            "a/0",
            shape=(5, 7),
            dtype="uint16",
            chunks=(2, 3),
            compression=compression,
            zarr_format=zarr_format,  # type: ignore[arg-type]
        )
        assert array.stored_blocks() == frozenset()
        # Blocks holding only the fill value are stored too: existence means "written".
        array.write((slice(0, 2), slice(0, 6)), np.zeros((2, 6), dtype=np.uint16))
        array.write((slice(4, 5), slice(6, 7)), np.full((1, 1), 9, dtype=np.uint16))
        assert array.stored_blocks() == {(0, 0), (0, 1), (2, 2)}
        values = array.read((slice(0, 5), slice(0, 7)))
    assert values[4, 6] == 9
    assert values.sum() == 9
    reopened = open_store(tmp_path / "s.zarr", "r").open_array("a/0")
    assert (reopened.shape, reopened.chunks, reopened.zarr_format) == ((5, 7), (2, 3), zarr_format)
    assert reopened.stored_blocks() == {(0, 0), (0, 1), (2, 2)}
    with pytest.raises(ReadOnlyError):
        open_store(tmp_path / "s.zarr", "r").create_empty_array(
            "b", shape=(1,), dtype="uint8", chunks=(1,)
        )


def test_sharded_blocks_are_shards(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        array = store.create_empty_array(
            "x", shape=(8, 8), dtype="float32", chunks=(2, 2), shards=(4, 8)
        )
        assert array.block_shape == (4, 8)
        array.write((slice(4, 8), slice(0, 8)), np.ones((4, 8), dtype=np.float32))
        assert array.stored_blocks() == {(1, 0)}
    meta = json.loads((tmp_path / "s.zarr" / "x" / "zarr.json").read_text())
    assert meta["codecs"][0]["name"] == "sharding_indexed"


def test_explicit_compressors_and_refusals(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        store.create_empty_array(
            "x",
            shape=(4,),
            dtype="int8",
            chunks=(2,),
            compressors=[{"name": "gzip", "configuration": {"level": 1}}],
        )
        with pytest.raises(ValueError, match="no shards for Zarr format 2"):
            store.create_empty_array(
                "y", shape=(4,), dtype="int8", chunks=(2,), shards=(4,), zarr_format=2
            )
        with pytest.raises(NotZarrError, match="no array at 'missing'"):
            store.open_array("missing")
    meta = json.loads((tmp_path / "s.zarr" / "x" / "zarr.json").read_text())
    assert meta["codecs"][-1]["name"] == "gzip"


def test_partial_writes_are_removed_and_arrays_pickle(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        array = store.create_empty_array("x", shape=(4,), dtype="uint8", chunks=(2,))
        array.write((slice(0, 2),), np.array([1, 2], dtype=np.uint8))
        torn = tmp_path / "s.zarr" / "x" / "c" / ("1." + "0f" * 16 + ".partial")
        torn.write_bytes(b"torn")
        keep = tmp_path / "s.zarr" / "x" / "c" / "notes.partial"
        keep.write_bytes(b"not ours")
        assert array.remove_partial_writes() == 1
        assert not torn.exists()
        assert keep.exists()
        clone = pickle.loads(pickle.dumps(array))
        np.testing.assert_array_equal(clone.read((slice(0, 4),)), [1, 2, 0, 0])


@pytest.mark.parametrize(
    ("compression", "zarr_format", "expected"),
    [
        ("zstd:1", 3, {"name": "zstd", "configuration": {"level": 1, "checksum": False}}),
        ("zstd", 2, {"id": "zstd", "level": 3}),
        (
            "blosc-zstd:2",
            3,
            {
                "name": "blosc",
                "configuration": {"cname": "zstd", "clevel": 2, "shuffle": "shuffle"},
            },
        ),
        (
            "blosc-lz4",
            2,
            {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
        ),
    ],
)
def test_preset_levels_reach_the_stored_codec(
    tmp_path: Path, compression: str, zarr_format: int, expected: dict[str, object]
) -> None:
    assert compressors_for(compression, zarr_format) == [expected]  # type: ignore[arg-type]
    with open_store(tmp_path / "s.zarr", "w-") as store:
        store.create_empty_array(
            "a",
            shape=(4,),
            dtype="uint16",
            chunks=(2,),
            compression=compression,
            zarr_format=zarr_format,  # type: ignore[arg-type]
        )
    if zarr_format == 3:
        codecs = json.loads((tmp_path / "s.zarr" / "a" / "zarr.json").read_text())["codecs"]
        stored = codecs[1]
        assert stored["name"] == expected["name"]
        assert expected["configuration"].items() <= stored["configuration"].items()  # type: ignore[attr-defined]
    else:
        meta = json.loads((tmp_path / "s.zarr" / "a" / ".zarray").read_text())
        assert meta["compressor"] == expected


@pytest.mark.parametrize(
    ("compression", "message"),
    [
        ("lz4", "Expected a compression among"),
        ("zstd:0", "Expected a level from 1 to 22"),
        ("zstd:fast", "Expected a level from 1 to 22"),
        ("blosc-zstd:10", "Expected a level from 1 to 9"),
        ("none:3", "Expected no level"),
    ],
)
def test_bad_presets_are_refused_before_anything_is_written(
    tmp_path: Path, compression: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compressors_for(compression, 3)
    with open_store(tmp_path / "s.zarr", "w-") as store, pytest.raises(ValueError, match=message):
        store.create_empty_array(
            "a", shape=(4,), dtype="uint8", chunks=(2,), compression=compression
        )
    assert not (tmp_path / "s.zarr" / "a").exists()
