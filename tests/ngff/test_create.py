"""OME-Zarr creation: write_image, write_labels, add_levels, write_plate and Image.new."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff.create import CreationError, Image, default_chunks, make_axes
from ngff_geozarr.core.pyramid import downsample
from ngff_geozarr.core.store import open_store

VERSIONS = ["0.4", "0.5", "0.6"]


def volume(shape: tuple[int, ...], dtype: Any = np.uint16, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 5000, size=shape).astype(dtype)


def blobs(shape: tuple[int, ...], seed: int = 5) -> np.ndarray:
    """Labels 0..6 in blocky regions, so mode has something to preserve."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 7, size=tuple(-(-n // 5) for n in shape)).astype(np.uint32)
    for axis in range(len(shape)):
        coarse = np.repeat(coarse, 5, axis=axis)
    return coarse[tuple(slice(0, n) for n in shape)]


def group_attributes(root: Path, path: str = "") -> dict[str, Any]:
    folder = root / path if path else root
    if (folder / "zarr.json").exists():
        attrs: dict[str, Any] = json.loads((folder / "zarr.json").read_text())["attributes"]
        return attrs
    return dict(json.loads((folder / ".zattrs").read_text()))


def read_all(target: Path, path: str) -> np.ndarray:
    with open_store(target) as store:
        array = store.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


def errors_of(target: Any) -> list[tuple[str, str, str]]:
    report = ngff.validate(target)
    return [(i.rule, i.path, i.message) for i in report.issues if i.severity.value == "error"]


def chunk_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("zarr.json", ".zattrs", ".zgroup", ".zmetadata")
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_written_image_validates_and_holds_the_reference_pyramid(
    tmp_path: Path, version: str
) -> None:
    data = volume((12, 90, 70))
    target = tmp_path / "img.ome.zarr"
    image = ngff.write_image(
        data,
        str(target),
        scale=(2.0, 0.5, 0.5),
        units="micrometer",
        chunks=(4, 32, 32),
        version=version,
        workers=2,
    )
    report = ngff.validate(str(target))
    assert report.valid, [i.message for i in report.issues]
    assert report.version is not None
    assert report.version.startswith(version)
    assert [i for i in report.issues if i.severity.value == "warning"] == []
    expected = data
    for k, spec in enumerate(image.arrays):
        stored = read_all(target, str(k))
        if k:
            previous = image.arrays[k - 1].shape
            factors = tuple(-(-p // n) for p, n in zip(previous, spec.shape, strict=True))
            expected = downsample(expected, factors, "mean")
        np.testing.assert_array_equal(stored, expected)
    zarr_format = 2 if version == "0.4" else 3
    assert (target / ("0/.zarray" if zarr_format == 2 else "0/zarr.json")).exists()
    if zarr_format == 3:
        meta = json.loads((target / "0" / "zarr.json").read_text())
        assert meta["dimension_names"] == ["z", "y", "x"]
    else:
        meta = json.loads((target / "0" / ".zarray").read_text())
        assert meta["dimension_separator"] == "/"


def test_scales_and_translations_follow_pixel_centres(tmp_path: Path) -> None:
    target = tmp_path / "img.ome.zarr"
    ngff.write_image(
        volume((8, 64, 64)),
        str(target),
        scale=(3.0, 1.0, 1.0),
        translation=(10.0, 5.0, -2.0),
        chunks=(8, 16, 16),
        levels=3,
    )
    ms = group_attributes(target)["ome"]["multiscales"][0]
    got = [
        {t["type"]: t.get("scale", t.get("translation")) for t in d["coordinateTransformations"]}
        for d in ms["datasets"]
    ]
    # level k: scale = s0 * f, translation = t0 + (f - 1) / 2 * s0 (f = 1, 2, 4 along y, x)
    assert got == [
        {"scale": [3.0, 1.0, 1.0], "translation": [10.0, 5.0, -2.0]},
        {"scale": [3.0, 2.0, 2.0], "translation": [10.0, 5.5, -1.5]},
        {"scale": [3.0, 4.0, 4.0], "translation": [10.0, 6.5, -0.5]},
    ]
    assert ms["axes"] == [{"name": n, "type": "space"} for n in "zyx"]
    assert ms["type"] == "mean"


def test_anisotropic_z_is_kept_until_xy_reaches_it(tmp_path: Path) -> None:
    image = ngff.write_image(
        volume((40, 256, 256)),
        tmp_path / "a.ome.zarr",
        scale=(4.0, 1.0, 1.0),
        chunks=(16, 32, 32),
    )
    shapes = [a.shape for a in image.arrays]
    assert shapes[:4] == [(40, 256, 256), (40, 128, 128), (40, 64, 64), (20, 32, 32)]


def test_translation_without_offset_is_not_written(tmp_path: Path) -> None:
    target = tmp_path / "t.ome.zarr"
    ngff.write_image(volume((32, 32)), target, levels=1)
    ds = group_attributes(target)["ome"]["multiscales"][0]["datasets"]
    assert ds == [
        {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}
    ]


@pytest.mark.parametrize("kind", ["dask", "zarr", "memmap"])
def test_dask_zarr_and_memmap_sources_give_the_numpy_output(tmp_path: Path, kind: str) -> None:
    data = volume((10, 50, 60))
    reference = tmp_path / "numpy.ome.zarr"
    ngff.write_image(data, reference, chunks=(4, 16, 16), workers=2)
    if kind == "dask":
        import dask.array as da

        source: Any = da.from_array(data, chunks=(3, 20, 25))
    elif kind == "zarr":
        with open_store(tmp_path / "src.zarr", "w-") as store:
            store.create_array("", data, chunks=(5, 25, 30))
        source = open_store(tmp_path / "src.zarr").open_array("")
    else:
        np.save(tmp_path / "d.npy", data)
        source = np.load(tmp_path / "d.npy", mmap_mode="r")
    target = tmp_path / f"{kind}.ome.zarr"
    ngff.write_image(source, target, chunks=(4, 16, 16), workers=2)
    assert chunk_files(target) == chunk_files(reference)
    assert group_attributes(target) == group_attributes(reference)


def test_sharded_output(tmp_path: Path) -> None:
    target = tmp_path / "s.ome.zarr"
    ngff.write_image(volume((8, 96, 96)), target, chunks=(4, 16, 16), shards=(8, 32, 32))
    assert errors_of(str(target)) == []
    meta = json.loads((target / "0" / "zarr.json").read_text())
    assert meta["codecs"][0]["name"] == "sharding_indexed"
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [8, 32, 32]
    with pytest.raises(CreationError, match="shards"):
        ngff.write_image(volume((8, 96, 96)), tmp_path / "v2", shards=(8, 32, 32), version="0.4")


def test_a_non_empty_target_is_refused_unless_resuming(tmp_path: Path) -> None:
    target = tmp_path / "x.ome.zarr"
    ngff.write_image(volume((32, 32)), target)
    before = chunk_files(target)
    with pytest.raises(ngff.CreationError.__mro__[1], match="not empty"):
        ngff.write_image(volume((32, 32), seed=9), target)
    assert chunk_files(target) == before


def test_omero_window_comes_from_the_data(tmp_path: Path) -> None:
    data = np.zeros((2, 4, 64, 64), np.uint16)
    data[0] = np.arange(64 * 64).reshape(64, 64)  # 0 .. 4095
    data[1] = 7
    target = tmp_path / "o.ome.zarr"
    ngff.write_image(data, target, chunks=(1, 4, 16, 16), omero=True, channel_names=["a", "b"])
    omero = group_attributes(target)["ome"]["omero"]
    first, second = omero["channels"]
    assert [first["label"], second["label"]] == ["a", "b"]
    coarsest = read_all(target, str(len(list(target.glob("[0-9]"))) - 1))
    low, high = np.quantile(coarsest[0], [0.001, 0.999])
    assert (first["window"]["start"], first["window"]["end"]) == (low, high)
    assert 0 < low < high < 4095
    assert second["window"]["start"] == second["window"]["end"] == 7
    assert first["window"]["max"] == 65535
    assert errors_of(str(target)) == []


def test_mistakes_are_creation_errors(tmp_path: Path) -> None:
    data = volume((4, 16, 16))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"axes": "yx"}, "3 axes"),
        ({"scale": (1.0, 1.0)}, "scale with 3 values"),
        ({"version": "0.3"}, "version"),
        ({"method": "median"}, "method"),
        ({"units": {"q": "meter"}}, "known axes"),
        ({"compression": "zstd:99"}, "level from 1 to 22"),
        ({"compression": "gzip"}, "compression among"),
    ]
    for i, (options, message) in enumerate(cases):
        with pytest.raises(CreationError, match=message):
            ngff.write_image(data, tmp_path / f"e{i}", **options)
        assert not (tmp_path / f"e{i}").exists() or not any((tmp_path / f"e{i}").iterdir())
    with pytest.raises(CreationError, match="boolean, integer or float"):
        ngff.write_image(np.zeros((4, 4), complex), tmp_path / "c")


# -- labels -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_labels_follow_the_image_levels_with_mode(tmp_path: Path, version: str) -> None:
    data = volume((2, 10, 70, 50))
    labels = blobs((1, 10, 70, 50))
    target = tmp_path / "img.ome.zarr"
    image = ngff.write_image(
        data, target, chunks=(1, 4, 16, 16), scale=(1, 2.0, 0.5, 0.5), version=version
    )
    label = ngff.write_labels(labels, target, "cells", properties=[{"label-value": 1, "x": 2}])
    assert errors_of(str(target)) == []
    assert ngff.validate(str(target)).valid
    assert label.paths == image.paths
    label_attrs = group_attributes(target, "labels/cells")
    ome = label_attrs if version == "0.4" else label_attrs["ome"]
    assert ome["image-label"]["source"] == {"image": "../../"}
    assert ome["image-label"]["properties"] == [{"label-value": 1, "x": 2}]
    colors = {c["label-value"] for c in ome["image-label"]["colors"]}
    image_ms = group_attributes(target)
    image_ms = image_ms if version == "0.4" else image_ms["ome"]
    label_ms = ome["multiscales"][0]
    assert label_ms["datasets"] == image_ms["multiscales"][0]["datasets"]
    listing = group_attributes(target, "labels")
    assert (listing if version == "0.4" else listing["ome"])["labels"] == ["cells"]
    present = set(np.unique(labels).tolist())
    expected = labels
    for k, spec in enumerate(image.arrays):
        stored = read_all(target, f"labels/cells/{k}")
        assert stored.shape == (1, *spec.shape[1:])
        if k:
            factors = tuple(
                -(-p // n) for p, n in zip(image.arrays[k - 1].shape, spec.shape, strict=True)
            )
            expected = downsample(expected, (1, *factors[1:]), "mode")
        np.testing.assert_array_equal(stored, expected)
        assert set(np.unique(stored).tolist()) <= present  # never an invented label
    assert colors == set(
        np.unique(read_all(target, f"labels/cells/{len(image.arrays) - 1}")).tolist()
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_second_label_image_is_appended(tmp_path: Path, version: str) -> None:
    def ome(path: str) -> dict[str, Any]:
        attrs = group_attributes(target, path)
        return attrs if version == "0.4" else attrs["ome"]

    target = tmp_path / "img.ome.zarr"
    ngff.write_image(volume((40, 40)), target, chunks=(16, 16), version=version)
    ngff.write_labels(blobs((40, 40)), target, "a", colors={1: [255, 0, 0, 255]})
    assert ome("labels/a")["image-label"]["colors"] == [
        {"label-value": 1, "rgba": [255, 0, 0, 255]}
    ]
    ngff.write_labels(blobs((40, 40), seed=8), target, "b", colors=None)
    ngff.write_labels(blobs((40, 40), seed=9), target, "a", resume=True)  # again: listed once
    assert ome("labels")["labels"] == ["a", "b"]
    assert ome("labels/a")["image-label"]["colors"][0] == {"label-value": 0, "rgba": [0, 0, 0, 0]}
    assert "colors" not in ome("labels/b")["image-label"]
    assert errors_of(str(target)) == []


@pytest.mark.parametrize(("version", "name"), [("0.5", "zarr.json"), ("0.4", ".zarray")])
def test_codec_level_reaches_image_and_labels(tmp_path: Path, version: str, name: str) -> None:
    target = tmp_path / "img.ome.zarr"
    data = volume((40, 40))
    image = ngff.write_image(data, target, chunks=(16, 16), compression="zstd:1", version=version)
    ngff.write_labels(blobs((40, 40)), target, "cells")
    ngff.write_labels(blobs((40, 40)).astype(np.uint32), target, "big")
    for path in [*image.paths, *(f"labels/{n}/{p}" for n in ("cells", "big") for p in image.paths)]:
        meta = json.loads((target / path / name).read_text())
        if version == "0.4":
            assert meta["compressor"] == {"id": "zstd", "level": 1}
        else:
            assert meta["codecs"][1] == {
                "name": "zstd",
                "configuration": {"level": 1, "checksum": False},
            }
    np.testing.assert_array_equal(read_all(target, "0"), data)
    np.testing.assert_array_equal(read_all(target, "labels/big/0"), blobs((40, 40)))
    assert errors_of(str(target)) == []


def test_labels_of_a_blosc_image_get_blosc_for_their_own_dtype(tmp_path: Path) -> None:
    target = tmp_path / "img.ome.zarr"
    ngff.write_image(volume((40, 40)), target, chunks=(16, 16), compression="blosc-lz4:3")
    ngff.write_labels(blobs((40, 40)).astype(np.uint32), target, "cells")
    image_codec = json.loads((target / "0" / "zarr.json").read_text())["codecs"][1]
    label_codec = json.loads((target / "labels/cells/0" / "zarr.json").read_text())["codecs"][1]
    assert image_codec["configuration"]["typesize"] == 2
    assert label_codec["configuration"] == {**image_codec["configuration"], "typesize": 4}
    assert label_codec["configuration"]["cname"] == "lz4"
    assert label_codec["configuration"]["clevel"] == 3


def test_label_mistakes(tmp_path: Path) -> None:
    target = tmp_path / "img.ome.zarr"
    ngff.write_image(volume((40, 40)), target, chunks=(16, 16))
    with pytest.raises(CreationError, match="integer labels"):
        ngff.write_labels(np.zeros((40, 40), np.float32), target, "f")
    with pytest.raises(CreationError, match="image's shape"):
        ngff.write_labels(np.zeros((40, 41), np.uint8), target, "s")
    with pytest.raises(CreationError, match="one path component"):
        ngff.write_labels(np.zeros((40, 40), np.uint8), target, "../x")
    with pytest.raises(CreationError, match="image group"):
        ngff.write_labels(np.zeros((40, 40), np.uint8), target / "0", "x")


# -- add_levels -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_add_levels_equals_writing_the_whole_pyramid(tmp_path: Path, version: str) -> None:
    data = volume((6, 80, 72))
    options: dict[str, Any] = {
        "chunks": (3, 16, 16),
        "scale": (2.0, 0.5, 0.5),
        "translation": (1.0, 2.0, 3.0),
        "units": "micrometer",
        "version": version,
        "name": "x",
        "workers": 2,
    }
    whole = tmp_path / "whole.ome.zarr"
    ngff.write_image(data, whole, **options)
    base_only = tmp_path / "base.ome.zarr"
    ngff.write_image(data, base_only, levels=1, **options)
    base_files = chunk_files(base_only)
    ngff.add_levels(str(base_only), workers=2)
    after = chunk_files(base_only)
    assert {k: after[k] for k in base_files} == base_files  # the base is left alone
    assert after == chunk_files(whole)
    assert group_attributes(base_only) == group_attributes(whole)
    assert errors_of(str(base_only)) == []
    with pytest.raises(CreationError, match="only level 0"):
        ngff.add_levels(str(base_only))


def test_add_levels_uses_mode_for_a_label_image(tmp_path: Path) -> None:
    target = tmp_path / "img.ome.zarr"
    ngff.write_image(volume((64, 64)), target, chunks=(16, 16))
    labels = blobs((64, 64))
    ngff.write_labels(labels, target, "l")
    # rebuild the label image with its base only, then add levels: mode, not mean
    label_group = target / "labels" / "l"
    attrs = group_attributes(target, "labels/l")
    attrs["ome"]["multiscales"][0]["datasets"] = attrs["ome"]["multiscales"][0]["datasets"][:1]
    doc = json.loads((label_group / "zarr.json").read_text())
    doc["attributes"] = attrs
    (label_group / "zarr.json").write_text(json.dumps(doc))
    for level in (label_group / "1", label_group / "2"):
        if level.exists():
            import shutil

            shutil.rmtree(level)
    image = ngff.add_levels(target, image_path="labels/l")
    assert image.multiscale["type"] == "mode"
    np.testing.assert_array_equal(
        read_all(target, "labels/l/1"), downsample(labels, (2, 2), "mode")
    )
    assert errors_of(str(target)) == []


# -- plates -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_plate_of_wells_and_fields_validates(tmp_path: Path, version: str) -> None:
    wells = {
        "A/1": [volume((2, 32, 32)), volume((2, 32, 32), seed=4)],
        "B/3": [volume((2, 32, 32), seed=5)],
    }
    target = tmp_path / "plate.ome.zarr"
    attrs = ngff.write_plate(
        target, wells, name="p", version=version, axes="cyx", chunks=(1, 16, 16)
    )
    report = ngff.validate(str(target))
    assert report.valid, [i.message for i in report.issues]
    plate = attrs["plate"] if version == "0.4" else attrs["ome"]["plate"]
    assert [w["path"] for w in plate["wells"]] == ["A/1", "B/3"]
    assert plate["rows"] == [{"name": "A"}, {"name": "B"}]
    assert plate["columns"] == [{"name": "1"}, {"name": "3"}]
    assert plate["field_count"] == 2
    np.testing.assert_array_equal(read_all(target, "A/1/1/0"), wells["A/1"][1])
    with pytest.raises(CreationError, match="ROW/COLUMN"):
        ngff.write_plate(tmp_path / "bad", {"A1": [volume((8, 8))]})


# -- the metadata builder ---------------------------------------------------------------


def test_image_new_renders_every_version_and_writes_empty_arrays(tmp_path: Path) -> None:
    specs = [
        ngff.ArraySpec((4, 64, 64), np.dtype("uint8"), (4, 32, 32)),
        ngff.ArraySpec((4, 32, 32), np.dtype("uint8"), (4, 32, 32)),
    ]
    for version in VERSIONS:
        image = Image.new(
            specs,
            ["s0", "s1"],
            "cyx",
            [[1, 0.2, 0.2], [1, 0.4, 0.4]],
            [None, [0, 0.1, 0.1]],
            "built",
            units={"y": "micrometer", "x": "micrometer"},
            version=version,  # type: ignore[arg-type]
        )
        target = tmp_path / f"built{version}.ome.zarr"
        image.to_store(str(target))
        assert errors_of(str(target)) == []
        assert not [p for p in target.rglob("*") if p.name[0].isdigit()]  # no chunk written
    assert image.attributes()["ome"]["version"] == "0.6"
    with pytest.raises(CreationError, match="as many paths"):
        Image.new(specs, ["0"], "cyx", [[1, 1, 1]])
    with pytest.raises(CreationError, match="inside the group"):
        Image.new(specs[:1], ["../0"], "cyx", [[1, 1, 1]])
    with pytest.raises(CreationError, match="positive scale"):
        Image.new(specs[:1], ["0"], "cyx", [[1, 0, 1]])


def test_axes_and_chunk_defaults() -> None:
    assert [a["name"] for a in make_axes(None, 5)] == list("tczyx")
    assert make_axes(["t", "q"], 2, ["second", None]) == [
        {"name": "t", "type": "time", "unit": "second"},
        {"name": "q"},
    ]
    assert default_chunks((1000, 1000), make_axes("yx", 2)) == (256, 256)
    assert default_chunks((5, 3, 100, 20, 20), make_axes(None, 5)) == (1, 1, 64, 20, 20)
    with pytest.raises(CreationError, match="2 to 5 dimensions"):
        make_axes(None, 6)


def test_five_dimensions_with_explicit_factors(tmp_path: Path) -> None:
    data = volume((2, 3, 4, 40, 40), np.float32)
    data[0, 0, 0, :2, :2] = np.nan
    target = tmp_path / "t.ome.zarr"
    image = ngff.write_image(
        data,
        target,
        chunks=(1, 1, 4, 16, 16),
        levels=[(1, 1, 1, 2, 2), (1, 1, 2, 2, 2)],
        units={"t": "second", "z": "micrometer", "y": "micrometer", "x": "micrometer"},
    )
    assert [a.shape for a in image.arrays] == [
        (2, 3, 4, 40, 40),
        (2, 3, 4, 20, 20),
        (2, 3, 2, 10, 10),
    ]
    assert image.axes[0] == {"name": "t", "type": "time", "unit": "second"}
    assert errors_of(str(target)) == []
    np.testing.assert_array_equal(read_all(target, "1"), downsample(data, (1, 1, 1, 2, 2), "mean"))


@pytest.mark.parametrize(
    ("shape", "axes", "expected"),
    [
        ((12,), "x", "Expected 2 to 5 axes"),
        ((4, 5, 3), "yyx", "unique axis names"),
        ((2, 3, 4, 5, 6, 7), "tczyxq", "Expected 2 to 5 axes"),
        ((2, 3, 4, 5), "cqyx", "at most one time axis and one channel or custom axis"),
        ((2, 3, 4, 5), "zzyx", "unique axis names"),
    ],
)
def test_axes_an_image_cannot_have_are_refused_before_writing(
    tmp_path: Path, shape: tuple[int, ...], axes: str, expected: str
) -> None:
    """Regression: one-axis images were written, then failed our own validator ('yxc' is
    now transposed: tests/ngff/test_channels.py)."""
    out = tmp_path / "image.ome.zarr"
    with pytest.raises(ngff.CreationError, match=expected):
        ngff.write_image(np.ones(shape, dtype="uint8"), out, axes=axes)
    assert not out.exists()
