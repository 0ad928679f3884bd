"""Reading back: ``ngff.open`` on stores our writers made, local, zipped and remote.

Every store here is written by ``ngff.write_image`` / ``write_labels`` / ``write_plate`` (or
by hand, for the layouts they do not write), then opened and compared with what was written:
values, shapes, axes, coordinates at sample centres, channel names, labels, wells, fields.
Remote reads go through the project's HTTP server and the moto S3 server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff.reading import CollectionNode, ImageNode, LabelsNode, PlateNode, ReadError, WellNode
from ngff_geozarr.core.errors import NotZarrError, TargetNotFoundError
from ngff_geozarr.core.testing import serve_directory

VERSIONS = ["0.4", "0.5", "0.6"]
SCALE = (1.0, 2.0, 0.5, 0.25)
TRANSLATION = (0.0, 1.0, 10.0, 20.0)
CHANNELS = ["DAPI", "GFP", "mCherry"]


def volume() -> np.ndarray:
    rng = np.random.default_rng(12)
    return rng.integers(0, 4000, size=(3, 4, 64, 96), dtype=np.uint16)


def write(target: Path, version: str, **options: Any) -> Any:
    return ngff.write_image(
        volume(),
        target,
        axes="czyx",
        scale=SCALE,
        translation=TRANSLATION,
        units="micrometer",
        version=version,
        chunks=(1, 2, 32, 32),
        omero=True,
        channel_names=CHANNELS,
        name="cells-in-a-dish",
        **options,
    )


def stored(target: Path, path: str) -> np.ndarray:
    """The array at ``path`` read whole through the store layer (not through the reader)."""
    from ngff_geozarr.core.store import open_store

    with open_store(target) as store:
        array = store.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


def chunk_requests(entries: list[tuple[str, str, int]]) -> list[str]:
    """The requests of a server log that fetched something other than a metadata document."""
    documents = ("zarr.json", ".zattrs", ".zgroup", ".zarray", ".zmetadata")
    return [
        path
        for method, path, _ in entries
        if method == "GET" and not path.endswith("/") and not path.endswith(documents)
    ]


# -- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_an_image_reads_back_with_its_values_levels_and_metadata(
    tmp_path: Path, version: str
) -> None:
    target = tmp_path / "image.ome.zarr"
    written = write(target, version)
    with ngff.open(target) as image:
        assert isinstance(image, ImageNode)
        assert (image.kind, image.version, image.name) == ("image", version, "cells-in-a-dish")
        assert image.axis_names == ("c", "z", "y", "x")
        assert [a.unit for a in image.axes] == [None, "micrometer", "micrometer", "micrometer"]
        assert image.channel_names == tuple(CHANNELS)
        assert [lv.path for lv in image.levels] == list(written.paths)
        assert [lv.shape for lv in image.levels] == [a.shape for a in written.arrays]
        np.testing.assert_array_equal(image.levels[0].data.compute(), volume())
        for level in image.levels:
            np.testing.assert_array_equal(level.data.compute(), stored(target, level.path))
            assert level.dtype == np.uint16


@pytest.mark.parametrize("version", VERSIONS)
def test_coordinates_are_sample_centres_at_every_level(tmp_path: Path, version: str) -> None:
    """Level 0 from the arguments given to the writer; coarser levels at the centres of the
    blocks of level-0 samples they average (the writer's mean), independently computed."""
    target = tmp_path / "image.ome.zarr"
    write(target, version)
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    base = image.levels[0]
    assert len(image.levels) > 1
    for axis, (s, t) in enumerate(zip(SCALE, TRANSLATION, strict=True)):
        if axis == 0:
            continue
        expected0 = t + s * np.arange(base.shape[axis])
        np.testing.assert_allclose(base.coordinates(axis), expected0)
        for level in image.levels[1:]:
            factor = base.shape[axis] // level.shape[axis]
            blocks = expected0[: factor * level.shape[axis]].reshape(-1, factor).mean(axis=1)
            np.testing.assert_allclose(level.coordinates(axis), blocks)


@pytest.mark.parametrize("version", VERSIONS)
def test_to_xarray_has_dims_coordinates_units_channels_and_attributes(
    tmp_path: Path, version: str
) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, version)
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    arr = image.to_xarray()
    assert arr.dims == ("c", "z", "y", "x")
    assert list(arr.coords["c"].values) == CHANNELS
    np.testing.assert_allclose(arr.coords["x"].values, 20.0 + 0.25 * np.arange(96))
    np.testing.assert_allclose(arr.coords["z"].values, 1.0 + 2.0 * np.arange(4))
    assert arr.coords["y"].attrs["units"] == "micrometer"
    assert "units" not in arr.coords["c"].attrs
    assert arr.name == "cells-in-a-dish"
    assert arr.attrs["name"] == "cells-in-a-dish"
    assert arr.attrs["ome_version"] == version
    assert [c["label"] for c in arr.attrs["omero"]["channels"]] == CHANNELS
    np.testing.assert_array_equal(arr.sel(c="GFP").values, volume()[1])
    coarsest = image.to_xarray(level=-1)
    assert coarsest.shape == image.levels[-1].shape
    np.testing.assert_allclose(coarsest.coords["x"].values, image.levels[-1].coordinates(3))
    with pytest.raises(IndexError, match="level index"):
        image.to_xarray(level=len(image.levels))


def test_channel_names_are_left_out_when_omero_does_not_name_every_channel(
    tmp_path: Path,
) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    doc = json.loads((target / "zarr.json").read_text())
    del doc["attributes"]["ome"]["omero"]["channels"][1]["label"]
    (target / "zarr.json").write_text(json.dumps(doc))
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert image.omero is not None
    assert image.channel_names is None
    arr = image.to_xarray()
    assert "c" not in arr.coords
    assert arr.sizes["c"] == 3


def test_a_sharded_image_reads_chunk_by_chunk(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5", shards=(1, 4, 64, 64))
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    data = image.levels[0].data
    assert data.chunksize == (1, 2, 32, 32)  # the inner chunks, not the shards
    np.testing.assert_array_equal(data[2, 3, 40:50, 60:70].compute(), volume()[2, 3, 40:50, 60:70])


def test_every_multiscale_image_of_a_group_is_reachable(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    doc = json.loads((target / "zarr.json").read_text())
    multiscales = doc["attributes"]["ome"]["multiscales"]
    multiscales.append(
        {**multiscales[0], "name": "base only", "datasets": multiscales[0]["datasets"][:1]}
    )
    (target / "zarr.json").write_text(json.dumps(doc))
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert (image.index, image.count, len(image.levels)) == (0, 2, 3)
    other = image.select(1)
    assert (other.index, other.name, len(other.levels)) == (1, "base only", 1)
    np.testing.assert_array_equal(other.to_xarray().values, volume())
    with pytest.raises(ReadError, match="index below 2"):
        image.select(2)


def test_the_multiscale_transformations_apply_after_the_datasets(tmp_path: Path) -> None:
    """0.4/0.5: the image's own coordinateTransformations follow each dataset's."""
    target = tmp_path / "image.ome.zarr"
    ngff.write_image(volume()[0], target, axes="zyx", scale=(2, 0.5, 0.25), version="0.4")
    attrs = json.loads((target / ".zattrs").read_text())
    attrs["multiscales"][0]["coordinateTransformations"] = [
        {"type": "scale", "scale": [1.0, 10.0, 10.0]},
        {"type": "translation", "translation": [0.0, -5.0, 7.0]},
    ]
    (target / ".zattrs").write_text(json.dumps(attrs))
    (target / ".zmetadata").unlink(missing_ok=True)
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert image.levels[0].scale == (2.0, 5.0, 2.5)
    np.testing.assert_allclose(image.levels[0].coordinates(1), -5.0 + 5.0 * np.arange(64))
    np.testing.assert_allclose(image.levels[0].coordinates(2), 7.0 + 2.5 * np.arange(96))


def test_0_6_levels_map_to_the_intrinsic_system_their_transformations_name(
    tmp_path: Path,
) -> None:
    """A 0.6 image with a second coordinate system listed first: the axes and coordinates
    are those of the system the datasets' transformations output to."""
    target = tmp_path / "image.ome.zarr"
    ngff.write_image(volume()[0, 0], target, axes="yx", scale=(0.5, 0.25), version="0.6")
    doc = json.loads((target / "zarr.json").read_text())
    ms = doc["attributes"]["ome"]["multiscales"][0]
    intrinsic = ms["coordinateSystems"][-1]["name"]
    ms["coordinateSystems"].insert(
        0,
        {
            "name": "stage",
            "axes": [
                {"name": "b", "type": "space", "unit": "millimeter"},
                {"name": "a", "type": "space", "unit": "millimeter"},
            ],
        },
    )
    ms["coordinateTransformations"] = [
        {
            "type": "scale",
            "scale": [0.001, 0.001],
            "input": {"name": intrinsic},
            "output": {"name": "stage"},
        }
    ]
    (target / "zarr.json").write_text(json.dumps(doc))
    assert ngff.validate(str(target)).valid
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert image.coordinate_system == intrinsic
    assert image.axis_names == ("y", "x")
    assert image.levels[0].scale == (0.5, 0.25)
    arr = image.to_xarray()
    assert arr.attrs["coordinate_system"] == intrinsic


# -- laziness, remote and zipped stores -------------------------------------------------------


def test_no_chunk_is_read_until_a_level_is_computed(tmp_path: Path) -> None:
    folder = tmp_path / "served"
    folder.mkdir()
    write(folder / "image.ome.zarr", "0.5")
    with serve_directory(folder) as (url, log):
        image = ngff.open(f"{url}/image.ome.zarr")
        assert isinstance(image, ImageNode)
        arr = image.to_xarray(level=0)
        lazy = image.levels[-1].data + 1
        assert chunk_requests(log.entries) == []
        values = arr.isel(c=1, z=slice(0, 2)).values  # one channel, two planes
        fetched = chunk_requests(log.entries)
        assert fetched
        assert all("/image.ome.zarr/0/c/1/0/" in path for path in fetched), fetched
        np.testing.assert_array_equal(values, volume()[1, :2])
        log.clear()
        np.testing.assert_array_equal(
            lazy.compute(), stored(folder / "image.ome.zarr", image.levels[-1].path) + 1
        )
        assert chunk_requests(log.entries)


@pytest.mark.parametrize("listing", [True, False])
def test_an_image_with_labels_reads_over_http(tmp_path: Path, listing: bool) -> None:
    folder = tmp_path / "served"
    folder.mkdir()
    target = folder / "image.ome.zarr"
    write(target, "0.4")
    labels = np.zeros((1, 4, 64, 96), np.uint16)
    labels[..., 10:30, 40:90] = 7
    ngff.write_labels(labels, target, "cells")
    (target / ".zmetadata").unlink(missing_ok=True)  # explored, not read from the copy
    with serve_directory(folder, listing=listing) as (url, _):
        image = ngff.open(f"{url}/image.ome.zarr")
        assert isinstance(image, ImageNode)
        np.testing.assert_array_equal(image.levels[0].data.compute(), volume())
        label = image.labels["cells"]
        np.testing.assert_array_equal(label.levels[0].data.compute(), labels)


def test_an_image_reads_from_s3(
    tmp_path: Path, s3_upload: Callable[..., str], s3_options: dict[str, Any]
) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    url = s3_upload(target, "reading/image.ome.zarr")
    image = ngff.open(url, storage_options=s3_options)
    assert isinstance(image, ImageNode)
    assert image.channel_names == tuple(CHANNELS)
    arr = image.to_xarray(level=1)
    np.testing.assert_array_equal(arr.values, stored(target, image.levels[1].path))
    np.testing.assert_allclose(arr.coords["x"].values, image.levels[1].coordinates(3))


def test_a_zipped_image_reads_while_open(
    tmp_path: Path, zip_store: Callable[[Path, Path], Path]
) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.4")
    packed = zip_store(target, tmp_path / "image.ome.zarr.zip")
    with ngff.open(packed) as image:
        assert isinstance(image, ImageNode)
        np.testing.assert_array_equal(image.to_xarray().values, volume())


# -- labels, plates, wells, collections ------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_labels_are_images_reachable_from_their_image(tmp_path: Path, version: str) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, version)
    nuclei = np.zeros((1, 4, 64, 96), np.uint32)
    nuclei[:, :, 5:20, 5:20] = 3
    ngff.write_labels(nuclei, target, "nuclei")
    ngff.write_labels((nuclei > 0).astype(np.uint8) * 2, target, "mask")
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert isinstance(image.labels, LabelsNode)
    assert sorted(image.labels) == ["mask", "nuclei"]
    label = image.labels["nuclei"]
    assert isinstance(label, ImageNode)
    assert label.image_label is not None
    assert label.version == version
    np.testing.assert_array_equal(label.levels[0].data.compute(), nuclei)
    assert [lv.shape[1:] for lv in label.levels] == [lv.shape[1:] for lv in image.levels]
    assert label.levels[1].scale == image.levels[1].scale
    assert "image-label" in label.to_xarray().attrs
    with pytest.raises(KeyError):
        image.labels["absent"]
    opened = ngff.open(target / "labels")
    assert isinstance(opened, LabelsNode)
    np.testing.assert_array_equal(opened["mask"].levels[0].data.compute(), nuclei.astype(bool) * 2)


def test_an_image_without_labels_has_an_empty_mapping(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert len(image.labels) == 0
    assert "cells" not in image.labels


def test_membership_opens_no_child_and_a_broken_child_fails_when_opened(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    ngff.write_labels(np.zeros((1, 4, 64, 96), np.uint8), target, "cells")
    document = target / "labels" / "cells" / "zarr.json"
    meta = json.loads(document.read_text())
    del meta["attributes"]["ome"]["multiscales"]
    document.write_text(json.dumps(meta))
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert "cells" in image.labels  # listed by the labels group; not opened to answer
    assert list(image.labels) == ["cells"]
    with pytest.raises(ReadError, match="'multiscales' is missing"):
        image.labels["cells"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_plate_reads_to_wells_and_fields(tmp_path: Path, version: str) -> None:
    rng = np.random.default_rng(5)
    fields = {
        "A/1": [rng.integers(0, 255, (2, 40, 40), dtype=np.uint8) for _ in range(2)],
        "B/3": [rng.integers(0, 255, (2, 40, 40), dtype=np.uint8)],
    }
    target = tmp_path / "plate.ome.zarr"
    ngff.write_plate(target, fields, name="screen", version=version, axes="cyx", chunks=(1, 16, 16))
    plate = ngff.open(target)
    assert isinstance(plate, PlateNode)
    assert (plate.kind, plate.name, plate.version) == ("plate", "screen", version)
    assert list(plate) == ["A/1", "B/3"]
    assert "A" in plate.rows
    assert "3" in plate.columns
    for path, data in fields.items():
        well = plate[path]
        assert isinstance(well, WellNode)
        assert len(well.fields) == len(data)
        for image, expected in zip(well.fields, data, strict=True):
            np.testing.assert_array_equal(image.levels[0].data.compute(), expected)
    assert plate.well("B", "3").fields[0].axis_names == ("c", "y", "x")
    with pytest.raises(KeyError):
        plate.well("C", "1")
    well = ngff.open(target / "A" / "1")
    assert isinstance(well, WellNode)
    np.testing.assert_array_equal(well.fields[1].to_xarray().values, fields["A/1"][1])


def _collection(root: Path, version: str, series: list[str] | None) -> list[np.ndarray]:
    """A bioformats2raw layout: images at 0 and 1, written by write_image, and the groups
    around them written by hand (our writers do not make this layout)."""
    rng = np.random.default_rng(9)
    images = [rng.integers(0, 99, (2, 32, 32), dtype=np.uint8) for _ in range(2)]
    for i, data in enumerate(images):
        ngff.write_image(data, root / str(i), axes="cyx", version=version, name=f"series {i}")
    if version == "0.4":
        (root / ".zgroup").write_text('{"zarr_format": 2}')
        (root / ".zattrs").write_text('{"bioformats2raw.layout": 3}')
        (root / "OME").mkdir()
        (root / "OME" / ".zgroup").write_text('{"zarr_format": 2}')
        if series is not None:
            (root / "OME" / ".zattrs").write_text(json.dumps({"series": series}))
    else:
        group = {"zarr_format": 3, "node_type": "group"}
        ome = {"version": version, "bioformats2raw.layout": 3}
        (root / "zarr.json").write_text(json.dumps({**group, "attributes": {"ome": ome}}))
        (root / "OME").mkdir()
        ome_group: dict[str, Any] = {"version": version}
        if series is not None:
            ome_group["series"] = series
        (root / "OME" / "zarr.json").write_text(
            json.dumps({**group, "attributes": {"ome": ome_group}})
        )
    return images


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("series", [["0", "1"], None])
def test_a_bioformats2raw_collection_reads_to_its_images(
    tmp_path: Path, version: str, series: list[str] | None
) -> None:
    root = tmp_path / "collection.ome.zarr"
    images = _collection(root, version, series)
    collection = ngff.open(root)
    assert isinstance(collection, CollectionNode)
    assert list(collection) == ["0", "1"]
    for image, data in zip(collection.images, images, strict=True):
        assert image.version == version
        np.testing.assert_array_equal(image.levels[0].data.compute(), data)
    assert collection["1"].name == "series 1"


def test_a_collection_over_http_without_listings_finds_every_series(tmp_path: Path) -> None:
    """The root names only OME and 0: the series list read from OME brings in the others."""
    root = tmp_path / "collection.ome.zarr"
    images = _collection(root, "0.5", ["0", "1"])
    with serve_directory(tmp_path, listing=False) as (url, _):
        collection = ngff.open(f"{url}/collection.ome.zarr")
        assert isinstance(collection, CollectionNode)
        np.testing.assert_array_equal(collection["1"].levels[0].data.compute(), images[1])


# -- what cannot be read ---------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message
    return message


def test_a_missing_target_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError) as info:
        ngff.open(tmp_path / "nothing.zarr")
    assert "nothing.zarr" in _one_line(info.value)


def test_a_folder_without_zarr_is_a_target_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotZarrError):
        ngff.open(tmp_path / "empty")


def test_a_zarr_group_without_ome_metadata_is_a_read_error(tmp_path: Path) -> None:
    (tmp_path / "plain.zarr").mkdir()
    (tmp_path / "plain.zarr" / "zarr.json").write_text(
        '{"zarr_format": 3, "node_type": "group", "attributes": {"title": "x"}}'
    )
    with pytest.raises(ReadError, match="Got no OME-Zarr metadata") as info:
        ngff.open(tmp_path / "plain.zarr")
    assert "plain.zarr" in _one_line(info.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda ms: ms.pop("axes"), r"multiscales/0.*axes"),
        (lambda ms: ms["datasets"][0].update(path="../outside"), "leaves the store"),
        (lambda ms: ms["datasets"].append({**ms["datasets"][0], "path": "9"}), "level 3"),
        (lambda ms: ms["axes"].pop(), "expected 3 dimensions"),
        (lambda ms: ms["datasets"][1].update(path="labels"), "level 1; found a group"),
    ],
)
def test_broken_image_metadata_is_a_one_line_read_error(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    ngff.write_labels(np.zeros((1, 4, 64, 96), np.uint8), target, "empty")
    doc = json.loads((target / "zarr.json").read_text())
    doc.pop("consolidated_metadata", None)
    ms = doc["attributes"]["ome"]["multiscales"][0]
    if expected == "expected 3 dimensions":
        for ds in ms["datasets"]:
            for t in ds["coordinateTransformations"]:
                t[t["type"]] = t[t["type"]][:-1]
    change(ms)
    (target / "zarr.json").write_text(json.dumps(doc))
    with pytest.raises(ReadError, match=expected) as info:
        ngff.open(target)
    assert str(target) in _one_line(info.value)


def test_a_root_document_that_is_not_json_is_a_read_error(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    (target / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attr')
    with pytest.raises(ReadError, match="the root cannot be read") as info:
        ngff.open(target)
    assert str(target) in _one_line(info.value)


def test_an_unsupported_version_is_a_read_error(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    doc = json.loads((target / "zarr.json").read_text())
    doc["attributes"]["ome"]["version"] = "0.3"
    (target / "zarr.json").write_text(json.dumps(doc))
    with pytest.raises(ReadError, match=r"Got '0\.3'"):
        ngff.open(target)


def test_a_json_document_is_refused_with_the_reason(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    with pytest.raises(ReadError, match="open the store instead"):
        ngff.open(target / "zarr.json")


def test_without_dask_a_level_says_what_to_install(tmp_path: Path) -> None:
    """In a fresh interpreter where dask cannot be imported: open works, data says why not."""
    target = tmp_path / "image.ome.zarr"
    write(target, "0.5")
    script = (
        "import sys; sys.modules['dask'] = None\n"
        "import ngff\n"
        f"image = ngff.open({str(target)!r})\n"
        "print(image.levels[0].shape)\n"
        "try:\n"
        "    image.levels[0].data\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "(3, 4, 64, 96)"
    assert lines[1].startswith("ImportError: Reading OME-Zarr levels as lazy arrays needs dask")


# -- the tutorial ----------------------------------------------------------------------------


def test_the_reading_tutorial_shows_what_it_says(tmp_path: Path, monkeypatch: Any) -> None:
    """docs/tutorials/ome-zarr-read.md: its blocks run in order and print what it explains."""
    import contextlib
    import io
    import re

    page = Path(__file__).parents[2] / "docs" / "tutorials" / "ome-zarr-read.md"
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), re.MULTILINE | re.DOTALL)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__tutorial__"}
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, page.name, "exec"), namespace)
    lines = out.getvalue().splitlines()
    assert "image 0.5 cells ('c', 'z', 'y', 'x') ('DAPI', 'GFP')" in lines
    assert "1 (2, 8, 64, 64) (1.0, 2.0, 1.0, 1.0) (0.0, 0.0, 100.25, 200.25)" in lines
    assert "('c', 'z', 'y', 'x') ['DAPI', 'GFP']" in lines
    assert "[200.  200.5 201. ] micrometer" in lines
    assert "plate screen ['A/1', 'B/2'] 2" in lines
    assert lines.count("True") == 2
    assert lines[-1].startswith("plain.zarr: expected an OME-Zarr image")
