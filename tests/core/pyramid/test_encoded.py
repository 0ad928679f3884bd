"""Level 0 copied as stored: a Zarr source whose chunks are encoded as the output encodes
them is not encoded again; its bytes reach the output unchanged, and the output is the one a
re-encoding run writes (byte for byte when the source was encoded by zarr with the same
codecs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr

from ngff_geozarr.core.pyramid import OutputOptions, plan, write_pyramid
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.store.encoded import encoded_chunks

ZSTD = ({"name": "zstd", "configuration": {"level": 3, "checksum": False}},)
CHUNKS = (1, 32, 32)


def volume(shape: tuple[int, ...] = (5, 70, 90)) -> np.ndarray:
    rng = np.random.default_rng(3)
    return (rng.integers(0, 40, size=shape) * 7).astype(np.uint16)


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("zarr.json", ".zarray", ".zattrs", ".zgroup")
    }


def make_source(root: Path, data: np.ndarray, **options: Any) -> Any:
    options.setdefault("compressors", list(ZSTD))
    array = zarr.create_array(str(root), shape=data.shape, dtype=data.dtype, **options)
    array[...] = data
    return array


def pyramid(source: Any, out: Path, copy: bool, **layout: Any) -> None:
    zarr_format = layout.pop("zarr_format", 3)
    compressors = layout.pop("compressors", ZSTD)
    levels = plan(source.shape, layout.pop("chunks", CHUNKS), **layout)
    output = OutputOptions(zarr_format=zarr_format, compressors=compressors, copy_encoded=copy)
    with open_store(out, "w-") as store:
        write_pyramid(source, store, levels, output=output, workers=2)


def recompress_one_chunk(source: Any, root: Path, key: str) -> bytes:
    """Store one chunk at zstd level 19 (the metadata still says 3): same values, other bytes."""
    path = root / key
    values = numcodecs.Zstd().decode(path.read_bytes())
    again = numcodecs.Zstd(level=19).encode(values)
    assert again != path.read_bytes()  # the data compresses differently at level 19
    path.write_bytes(again)
    return bytes(again)


@pytest.mark.parametrize("shards", [None, (1, 64, 64)], ids=["unsharded", "sharded"])
def test_the_output_is_the_bytes_a_re_encoding_run_writes(tmp_path: Path, shards: Any) -> None:
    data = volume()
    source = make_source(tmp_path / "src.zarr", data, chunks=CHUNKS)
    pyramid(source, tmp_path / "copied.zarr", True, shards=shards)
    pyramid(source, tmp_path / "encoded.zarr", False, shards=shards)
    assert files(tmp_path / "copied.zarr") == files(tmp_path / "encoded.zarr")
    assert np.array_equal(zarr.open_array(tmp_path / "copied.zarr" / "0")[...], data)


def test_unsharded_chunks_are_the_sources_bytes_not_encoded_again(tmp_path: Path) -> None:
    data = volume()
    root = tmp_path / "src.zarr"
    source = make_source(root, data, chunks=CHUNKS)
    stored = recompress_one_chunk(source, root, "c/2/1/1")
    pyramid(source, tmp_path / "copied.zarr", True)
    pyramid(source, tmp_path / "encoded.zarr", False)
    assert (tmp_path / "copied.zarr" / "0" / "c/2/1/1").read_bytes() == stored
    assert (tmp_path / "encoded.zarr" / "0" / "c/2/1/1").read_bytes() != stored
    for name in ("copied.zarr", "encoded.zarr"):  # the same values either way
        for k in range(len(list((tmp_path / name).glob("[0-9]*")))):
            a = zarr.open_array(tmp_path / name / str(k))[...]
            b = zarr.open_array(tmp_path / "encoded.zarr" / str(k))[...]
            assert np.array_equal(a, b)


def test_a_sharded_level_0_holds_the_sources_chunks_and_reads_back_equal(tmp_path: Path) -> None:
    data = volume()
    root = tmp_path / "src.zarr"
    source = make_source(root, data, chunks=CHUNKS)
    stored = recompress_one_chunk(source, root, "c/2/1/1")
    pyramid(source, tmp_path / "copied.zarr", True, shards=(1, 64, 64))
    shard = (tmp_path / "copied.zarr" / "0" / "c/2/0/0").read_bytes()
    assert stored in shard  # inner chunk (1, 1) of shard (2, 0, 0), as stored
    assert np.array_equal(zarr.open_array(tmp_path / "copied.zarr" / "0")[...], data)


def test_format_2_source_and_output(tmp_path: Path) -> None:
    data = volume()
    compressor = {"id": "zstd", "level": 3}
    source = make_source(
        tmp_path / "src.zarr", data, chunks=CHUNKS, zarr_format=2, compressors=compressor
    )
    layout: dict[str, Any] = {"zarr_format": 2, "compressors": (compressor,)}
    assert encoded_chunks(source, _level0(tmp_path / "probe.zarr", data, **layout)) is not None
    pyramid(source, tmp_path / "copied.zarr", True, **layout)
    pyramid(source, tmp_path / "encoded.zarr", False, **layout)
    assert files(tmp_path / "copied.zarr") == files(tmp_path / "encoded.zarr")


def test_a_chunk_missing_from_the_source_is_written_with_the_fill_value(tmp_path: Path) -> None:
    data = volume()
    data[1] = 0
    root = tmp_path / "src.zarr"
    source = make_source(root, data, chunks=CHUNKS, config={"write_empty_chunks": False})
    assert not (root / "c/1/0/0").exists()  # the source leaves its all-zero chunks out
    pyramid(source, tmp_path / "copied.zarr", True)
    pyramid(source, tmp_path / "encoded.zarr", False)
    out = files(tmp_path / "copied.zarr")
    assert "0/c/1/0/0" in out  # every output chunk exists (resume relies on it)
    assert out == files(tmp_path / "encoded.zarr")


def _level0(root: Path, data: np.ndarray, **layout: Any) -> Any:
    zarr_format = layout.get("zarr_format", 3)
    with open_store(root, "w-") as store:
        return store.create_empty_array(
            "0",
            shape=data.shape,
            dtype=data.dtype,
            chunks=layout.get("chunks", CHUNKS),
            shards=layout.get("shards"),
            compressors=layout.get("compressors", ZSTD),
            zarr_format=zarr_format,
        )


@pytest.mark.parametrize(
    ("source_options", "layout"),
    [
        pytest.param({"chunks": (1, 16, 16)}, {}, id="other-chunks"),
        pytest.param(
            {"chunks": CHUNKS},
            {"compressors": ({"name": "gzip", "configuration": {"level": 5}},)},
            id="other-codec",
        ),
        pytest.param(
            {"chunks": CHUNKS, "compressors": [{"name": "zstd", "configuration": {"level": 9}}]},
            {},
            id="other-level",
        ),
        pytest.param({"chunks": CHUNKS, "shards": (1, 64, 64)}, {}, id="sharded-source"),
        pytest.param({"chunks": CHUNKS}, {"zarr_format": 2}, id="other-format"),
        pytest.param(
            {
                "chunks": CHUNKS,
                "filters": [{"name": "transpose", "configuration": {"order": [2, 1, 0]}}],
            },
            {},
            id="array-to-array-codec",
        ),
    ],
)
def test_sources_not_stored_as_the_output_are_encoded(
    tmp_path: Path, source_options: dict[str, Any], layout: dict[str, Any]
) -> None:
    data = volume()
    source = make_source(tmp_path / "src.zarr", data, **source_options)
    if layout.get("zarr_format") == 2:
        layout["compressors"] = ({"id": "zstd", "level": 3},)
    assert encoded_chunks(source, _level0(tmp_path / "out.zarr", data, **layout)) is None
    pyramid(source, tmp_path / "pyramid.zarr", True, **layout)
    assert np.array_equal(zarr.open_array(tmp_path / "pyramid.zarr" / "0")[...], data)


def test_non_zarr_sources_are_not_copied(tmp_path: Path) -> None:
    data = volume()
    assert encoded_chunks(data, _level0(tmp_path / "out.zarr", data)) is None
