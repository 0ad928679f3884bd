"""The region I/O the engine writes through: StoreHandle.create_empty_array / open_array."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from ngff_geozarr.core.errors import NotZarrError, ReadOnlyError
from ngff_geozarr.core.store import COMPRESSIONS, open_store


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_round_trip_and_stored_blocks(tmp_path: Path, compression: str, zarr_format: int) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        array = store.create_empty_array(
            "a/0",
            shape=(5, 7),
            dtype="uint16",
            chunks=(2, 3),
            compression=compression,  # type: ignore[arg-type]
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
