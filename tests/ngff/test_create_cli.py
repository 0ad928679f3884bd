"""The ``ngff create`` and ``ngff pyramid`` commands, and the dask cluster path of write_image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

import ngff
from ngff.cli import cli
from ngff.sources import open_source, to_ome_order
from ngff_geozarr.core.store import open_store


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def level(target: Path, path: str) -> np.ndarray:
    with open_store(target) as store:
        array = store.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


def chunk_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def cells() -> np.ndarray:
    rng = np.random.default_rng(4)
    return rng.integers(0, 9000, size=(2, 6, 60, 50)).astype(np.uint16)  # c z y x


def test_create_from_tiff_uses_the_files_axes(tmp_path: Path, cells: np.ndarray) -> None:
    tif = tmp_path / "cells.tif"
    tifffile.imwrite(tif, np.moveaxis(cells, 0, 1), metadata={"axes": "ZCYX"})  # z c y x
    labels = tmp_path / "nuclei.npy"
    np.save(labels, (cells[:1] > 8000).astype(np.uint16))
    out = tmp_path / "out.ome.zarr"
    code, stdout, stderr = invoke(
        "create",
        str(tif),
        str(out),
        "--scale",
        "1,2,0.5,0.5",
        "--units",
        "micrometer",
        "--chunks",
        "1,3,16,16",
        "--labels",
        str(labels),
        "--labels-axes",
        "czyx",
        "--omero",
    )
    assert code == 0, stderr
    assert "wrote" in stdout
    assert "tiles" in stderr  # the progress bar
    np.testing.assert_array_equal(level(out, "0"), cells)  # reordered to c z y x
    attrs = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]
    ms = attrs["multiscales"][0]
    assert [a["name"] for a in ms["axes"]] == ["c", "z", "y", "x"]
    assert ms["axes"][2] == {"name": "y", "type": "space", "unit": "micrometer"}
    assert ms["name"] == "cells"
    assert len(attrs["omero"]["channels"]) == 2
    assert ngff.validate(str(out)).valid
    assert (out / "labels" / "nuclei" / "zarr.json").exists()


@pytest.mark.parametrize("kind", ["ome", "imagej"])
def test_create_from_tiff_takes_the_files_calibration(tmp_path: Path, kind: str) -> None:
    data = np.arange(4 * 32 * 24, dtype=np.uint16).reshape(4, 32, 24)
    tif = tmp_path / f"{kind}.tif"
    if kind == "ome":
        tifffile.imwrite(
            tif,
            data,
            ome=True,
            metadata={
                "axes": "ZYX",
                "PhysicalSizeX": 0.25,
                "PhysicalSizeXUnit": "\u00b5m",
                "PhysicalSizeY": 0.25,
                "PhysicalSizeYUnit": "\u00b5m",
                "PhysicalSizeZ": 2000.0,
                "PhysicalSizeZUnit": "nm",
            },
        )
        units = ["nanometer", "micrometer", "micrometer"]
        z = 2000.0
    else:
        tifffile.imwrite(
            tif,
            data,
            imagej=True,
            resolution=(4.0, 4.0),  # pixels per unit: 0.25 um per pixel
            metadata={"axes": "ZYX", "spacing": 2.0, "unit": "micron"},
        )
        units = ["micrometer"] * 3
        z = 2.0
    out = tmp_path / "out.ome.zarr"
    code, stdout, stderr = invoke("create", str(tif), str(out), "--chunks", "4,16,16", "--quiet")
    assert code == 0, stderr
    assert "scale from the file's" in stdout
    ms = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    assert [a.get("unit") for a in ms["axes"]] == units
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == [z, 0.25, 0.25]
    # an explicit --scale wins over the file's (and brings no file units)
    plain = tmp_path / "plain.ome.zarr"
    code, stdout, stderr = invoke(
        "create", str(tif), str(plain), "--scale", "1,1,1", "--chunks", "4,16,16", "--quiet"
    )
    assert code == 0, stderr
    ms = json.loads((plain / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == [1.0, 1.0, 1.0]
    assert all("unit" not in a for a in ms["axes"])


def test_tiff_without_calibration_and_print_resolution_is_left_at_1(tmp_path: Path) -> None:
    from ngff.sources import tiff_calibration

    tif = tmp_path / "plain.tif"
    tifffile.imwrite(tif, np.zeros((16, 16), np.uint8), resolution=(72, 72))  # 72 dpi
    assert tiff_calibration(tif).scale == {}
    assert tiff_calibration(tif).for_axes(["y", "x"]) is None
    broken = tmp_path / "broken.tif"
    tifffile.imwrite(broken, np.zeros((16, 16), np.uint8), ome=True, metadata={"PhysicalSizeX": -1})
    assert tiff_calibration(broken).scale == {}


def test_create_from_compressed_tiff_npy_and_zarr_agree(tmp_path: Path, cells: np.ndarray) -> None:
    data = cells[0]
    tifffile.imwrite(tmp_path / "in.tif", data, compression="zlib", metadata={"axes": "ZYX"})
    np.save(tmp_path / "in.npy", data)
    with open_store(tmp_path / "in.zarr", "w-") as store:
        store.create_array("", data, chunks=(2, 20, 20))
    outputs = []
    for name in ("in.tif", "in.npy", "in.zarr"):
        out = tmp_path / f"{name}.ome.zarr"
        code, _, stderr = invoke(
            "create",
            str(tmp_path / name),
            str(out),
            "--chunks",
            "3,16,16",
            "--quiet",
            "--version",
            "0.4",
            "--name",
            "x",
            "--method",
            "max",
        )
        assert code == 0, stderr
        outputs.append(chunk_files(out))
    assert outputs[0] == outputs[1] == outputs[2]
    np.testing.assert_array_equal(
        level(tmp_path / "in.npy.ome.zarr", "1"),
        data.reshape(3, 2, 30, 2, 25, 2).max(axis=(1, 3, 5)),
    )


def test_pyramid_command_adds_levels(tmp_path: Path, cells: np.ndarray) -> None:
    np.save(tmp_path / "in.npy", cells)
    out = tmp_path / "base.ome.zarr"
    code, _, stderr = invoke(
        "create",
        str(tmp_path / "in.npy"),
        str(out),
        "--levels",
        "1",
        "--chunks",
        "1,2,16,16",
        "--quiet",
        "--shards",
        "1,6,32,32",
    )
    assert code == 0, stderr
    assert not (out / "1").exists()
    code, stdout, stderr = invoke("pyramid", str(out), "--levels", "3")
    assert code == 0, stderr
    assert "3 levels" in stdout
    meta = json.loads((out / "2" / "zarr.json").read_text())
    assert meta["codecs"][0]["name"] == "sharding_indexed"
    assert ngff.validate(str(out)).valid


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "missing.npy", "o.ome.zarr"], "Could not read"),
        (["create", "{npy}", "o.ome.zarr", "--scale", "1,x"], "comma-separated float"),
        (["create", "{npy}", "o.ome.zarr", "--axes", "zyq"], "has no OME-Zarr equivalent"),
        (["create", "{npy}", "o.ome.zarr", "--chunks", "4,4"], "chunks with 3 values"),
        (["create", "{npy}", "d", "--quiet"], "already exists"),
        (["create", "{npy}", "o.ome.zarr", "--compression", "zstd:0"], "level from 1 to 22"),
        (["pyramid", "nowhere.zarr"], "nowhere.zarr"),
        (["pyramid", "full.ome.zarr"], "only level 0"),
    ],
)
def test_mistakes_are_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "in.npy", np.zeros((4, 8, 8), np.uint8))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    ngff.write_image(np.zeros((32, 32), np.uint8), tmp_path / "full.ome.zarr", chunks=(8, 8))
    argv = [a.replace("{npy}", "in.npy") for a in args]
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "from ngff.cli import main; main()", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_to_ome_order_views_and_refusals() -> None:
    data = np.arange(24).reshape(2, 3, 4)
    view, axes = to_ome_order(data, "XYC")
    assert axes == ["c", "y", "x"]
    assert np.shares_memory(view, data)
    np.testing.assert_array_equal(view, data.transpose(2, 1, 0))
    assert to_ome_order(np.zeros((3, 4, 5)), "IYX")[1] == ["z", "y", "x"]
    with pytest.raises(ngff.CreationError, match="once"):
        to_ome_order(np.zeros((3, 4, 5)), "yyx")
    with pytest.raises(ngff.CreationError, match="3 axes"):
        to_ome_order(np.zeros((3, 4, 5)), "yx")


def test_open_source_memory_maps_uncompressed_files(tmp_path: Path) -> None:
    data = np.arange(2 * 32 * 32, dtype=np.uint16).reshape(2, 32, 32)
    tifffile.imwrite(tmp_path / "a.tif", data, metadata={"axes": "ZYX"})
    np.save(tmp_path / "a.npy", data)
    for name in ("a.tif", "a.npy"):
        source, _ = open_source(tmp_path / name)
        assert isinstance(source, np.memmap)
        np.testing.assert_array_equal(source, data)
    assert open_source(tmp_path / "a.tif")[1] == ["z", "y", "x"]
    assert open_source(tmp_path / "a.npy")[1] is None


def test_dask_cluster_output_equals_threads_byte_for_byte(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(6)
    data = rng.integers(0, 60000, size=(6, 70, 64)).astype(np.uint16)
    labels = (data // 10000).astype(np.uint32)
    options = {"chunks": (3, 16, 16), "scale": (2.0, 0.5, 0.5), "units": "micrometer"}
    threads = tmp_path / "threads.ome.zarr"
    ngff.write_image(data, threads, workers=2, **options)  # type: ignore[arg-type]
    ngff.write_labels(labels, threads, "l", workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        cluster_out = tmp_path / "dask.ome.zarr"
        ngff.write_image(data, cluster_out, client=client, **options)  # type: ignore[arg-type]
        ngff.write_labels(labels, cluster_out, "l", client=client)
    assert chunk_files(cluster_out) == chunk_files(threads)


@pytest.mark.parametrize(
    ("reader", "version", "chunks", "shards"),
    [
        # 512 KiB chunks in shards of up to 8 MiB (as many chunks as the extent needs)
        ("viewer", "0.5", (1, 512, 512), (1, 1024, 1024)),
        # 4 MiB chunks: one holds a whole plane, so a shard would hold one chunk
        ("archive", "0.5", (1, 700, 600), None),
        ("gdal", "0.5", (1, 512, 512), None),
        ("viewer", "0.4", (1, 512, 512), None),
    ],
)
def test_create_for_a_reader_chooses_chunks_and_shards(
    tmp_path: Path, reader: str, version: str, chunks: tuple[int, ...], shards: object
) -> None:
    data = np.arange(2 * 700 * 600, dtype=np.uint16).reshape(2, 700, 600)
    npy = tmp_path / "planes.npy"
    np.save(npy, data)
    out = tmp_path / "out.ome.zarr"
    code, _, stderr = invoke(
        "create",
        str(npy),
        str(out),
        "--axes",
        "cyx",
        "--for",
        reader,
        "--version",
        version,
        "--quiet",
    )
    assert code == 0, stderr
    with open_store(out) as store:
        base = store.open_array("0")
        assert base.chunks == chunks
        assert base.shards == shards
        np.testing.assert_array_equal(base.read((slice(0, 2), slice(0, 700), slice(0, 600))), data)
    report = ngff.validate(out, strict=True)
    assert report.valid
    assert not report.issues, report.issues


def test_create_for_a_reader_refuses_chunks_too(tmp_path: Path) -> None:
    npy = tmp_path / "plane.npy"
    np.save(npy, np.zeros((64, 64), np.uint8))
    out = tmp_path / "out.ome.zarr"
    code, _, stderr = invoke("create", str(npy), str(out), "--for", "viewer", "--chunks", "32,32")
    assert code == 2
    assert "either a layout for 'viewer' or chunks and shards" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_write_image_refuses_an_unknown_reader(tmp_path: Path) -> None:
    with pytest.raises(ngff.CreationError, match="layout among viewer, archive, gdal, source"):
        ngff.write_image(np.zeros((8, 8), np.uint8), tmp_path / "x.ome.zarr", layout_for="napari")
    assert not (tmp_path / "x.ome.zarr").exists()


@pytest.mark.parametrize("shards", [None, (1, 64, 64)], ids=["unsharded", "sharded"])
def test_create_for_source_copies_a_zarr_arrays_chunks_as_stored(
    tmp_path: Path, shards: tuple[int, ...] | None
) -> None:
    import numcodecs
    import zarr

    rng = np.random.default_rng(5)
    data = (rng.integers(0, 30, size=(3, 150, 130)) * 11).astype(np.uint16)
    src = tmp_path / "src.zarr"
    codec = {"name": "zstd", "configuration": {"level": 5, "checksum": False}}
    array = zarr.create_array(
        str(src), name="raw", shape=data.shape, dtype=data.dtype, chunks=(1, 32, 32),
        shards=shards, compressors=[codec],
    )  # fmt: skip
    array[...] = data
    if shards is None:  # one chunk at level 19: the same values, bytes no encoder here writes
        chunk = src / "raw" / "c/1/2/3"
        stored = numcodecs.Zstd(level=19).encode(numcodecs.Zstd().decode(chunk.read_bytes()))
        assert stored != chunk.read_bytes()
        chunk.write_bytes(stored)
    out = tmp_path / "out.ome.zarr"
    code, _, stderr = invoke("create", f"{src}::raw", str(out), "--for", "source", "--quiet")
    assert code == 0, stderr
    base = zarr.open_array(out / "0")
    assert (base.chunks, base.shards) == ((1, 32, 32), shards)
    assert [c.to_dict() for c in base.compressors] == [codec]
    np.testing.assert_array_equal(base[...], data)
    if shards is None:
        assert (out / "0" / "c/1/2/3").read_bytes() == stored
    report = ngff.validate(out, strict=True)
    assert report.valid
    assert not report.issues, report.issues


def test_create_for_source_refuses_an_input_that_is_not_zarr(tmp_path: Path) -> None:
    npy = tmp_path / "plane.npy"
    np.save(npy, np.zeros((64, 64), np.uint8))
    out = tmp_path / "out.ome.zarr"
    code, _, stderr = invoke("create", str(npy), str(out), "--for", "source")
    assert code == 2
    assert "Expected a Zarr array as input for the source's layout" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()
