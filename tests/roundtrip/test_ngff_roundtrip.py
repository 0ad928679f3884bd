"""The round-trip law for OME-Zarr: images, label images, added levels and plates.

Every store written validates under the strict profile (0 errors, 0 warnings) and reads back
equal to the request: level 0 holds the data, each level's shape follows its factors, the
metadata holds the axes, scales, name and version asked for, Zarr v3 arrays name their
dimensions after the axes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.roundtrip.conftest import (
    NGFF_VERSIONS,
    ROUNDTRIP,
    SPEC_AXES,
    assert_strictly_valid,
    documents,
    examples,
    ngff_images,
)

import ngff
from ngff.cli import cli as ngff_cli
from ngff_geozarr.core.store import open_store


def _multiscale(root: Path, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The group attributes and the first multiscale image, for any version."""
    if version == "0.4":
        attrs = json.loads((root / ".zattrs").read_text())
        return attrs, attrs["multiscales"][0]
    attrs = json.loads((root / "zarr.json").read_text())["attributes"]
    assert attrs["ome"]["version"] == version
    return attrs, attrs["ome"]["multiscales"][0]


def _axes(ms: dict[str, Any], version: str) -> list[str]:
    axes = ms["coordinateSystems"][0]["axes"] if version == "0.6" else ms["axes"]
    return [a["name"] for a in axes]


def _scales(ms: dict[str, Any], version: str) -> list[list[float]]:
    out = []
    for ds in ms["datasets"]:
        (first, *_) = ds["coordinateTransformations"]
        if first["type"] == "sequence":
            first = first["transformations"][0]
        out.append([float(v) for v in first["scale"]])
    return out


def _read(root: Path, path: str) -> np.ndarray[Any, Any]:
    with open_store(root, "r") as store:
        array = store.open_array(path)
        return np.asarray(array.read(tuple(slice(0, n) for n in array.shape)))


def _write(case: dict[str, Any], root: Path, **extra: Any) -> ngff.Image | None:
    """Write the image; ``None`` when the writer refuses the request (a clear answer)."""
    try:
        return ngff.write_image(
            case["data"],
            root,
            axes=case["axes"],
            scale=case["scale"],
            name=case["name"],
            levels=extra.pop("levels", case["levels"]),
            chunks=case["chunks"],
            version=case["version"],
            **extra,
        )
    except ngff.CreationError:
        return None


def _check_image(root: Path, case: dict[str, Any], levels: int) -> None:
    version, data = case["version"], case["data"]
    _, ms = _multiscale(root, version)
    assert _axes(ms, version) == list(case["axes"])
    assert ms.get("name") == case["name"]
    assert len(ms["datasets"]) == levels
    scales = _scales(ms, version)
    assert scales[0] == [float(s) for s in case["scale"]]
    np.testing.assert_array_equal(_read(root, ms["datasets"][0]["path"]), data)
    for ds, scale in zip(ms["datasets"], scales, strict=True):
        level = _read(root, ds["path"])
        assert level.dtype == data.dtype
        for n0, n, s0, s in zip(data.shape, level.shape, scales[0], scale, strict=True):
            factor = round(s / s0)
            assert n == -(-n0 // factor)  # ceil: a partial block makes a sample
        if version != "0.4":
            meta = json.loads((root / ds["path"] / "zarr.json").read_text())
            assert meta["dimension_names"] == list(case["axes"])


# every version is a case of its own: hypothesis's derandomized draws would favour some
@pytest.mark.parametrize("version", NGFF_VERSIONS)
def test_write_image_validates_strictly_and_reads_back(version: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(20))
    @given(case=ngff_images((version,)))
    def law(case: dict[str, Any]) -> None:
        _image_validates_and_reads_back(case)

    law()


def _image_validates_and_reads_back(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "image.ome.zarr"
        image = _write(case, root)
        if image is None:
            # only axes OME-Zarr cannot hold are refused ('x'), and before the first byte
            assert len(case["axes"]) < 2
            assert not root.exists()
            return
        if case["axes"] not in SPEC_AXES:  # 'yxc' is transposed to OME order: 'cyx'
            order = sorted(range(len(case["axes"])), key=lambda i: "tczyx".index(case["axes"][i]))
            case = {
                **case,
                "data": np.transpose(case["data"], order),
                "axes": "".join(case["axes"][i] for i in order),
                "scale": [case["scale"][i] for i in order],
                "chunks": [case["chunks"][i] for i in order],
            }
        assert case["axes"] in SPEC_AXES
        written = len(image.multiscale["datasets"])
        assert_strictly_valid(root, "ngff", case)
        _check_image(root, case, written)


@pytest.mark.parametrize("version", NGFF_VERSIONS)
def test_labels_validate_strictly_and_read_back(version: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(10))
    @given(
        case=ngff_images((version,), axes_orders=SPEC_AXES),
        colors=st.sampled_from(["auto", {1: (255, 0, 0, 255), 3: (0, 0, 255, 128)}]),
    )
    def law(case: dict[str, Any], colors: str | dict[int, tuple[int, ...]]) -> None:
        _labels_validate_and_read_back(case, colors)

    law()


def _labels_validate_and_read_back(
    case: dict[str, Any], colors: str | dict[int, tuple[int, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "image.ome.zarr"
        image = _write(case, root)
        if image is None:
            return
        axes = case["axes"]
        # labels vary along space and time, are 1 along channels
        shape = tuple(1 if a == "c" else n for a, n in zip(axes, case["data"].shape, strict=True))
        labels = (np.arange(int(np.prod(shape))) % 5).reshape(shape).astype(np.uint16)
        try:
            ngff.write_labels(labels, root, "cells", colors=colors)
        except ngff.CreationError:
            return
        written = len(image.multiscale["datasets"])
        assert_strictly_valid(root, "ngff", case)
        label_root = root / "labels" / "cells"
        attrs, ms = _multiscale(label_root, case["version"])
        section = attrs if case["version"] == "0.4" else attrs["ome"]
        written_colors = {c["label-value"]: c["rgba"] for c in section["image-label"]["colors"]}
        if isinstance(colors, dict):
            assert written_colors == {k: list(v) for k, v in colors.items()}
        else:  # "auto": one colour per label of the coarsest level, background transparent
            coarsest = _read(label_root, ms["datasets"][-1]["path"])
            assert set(written_colors) == {int(v) for v in np.unique(coarsest)}
            assert written_colors.get(0, [0, 0, 0, 0])[3] == 0
        assert len(ms["datasets"]) == written
        np.testing.assert_array_equal(_read(label_root, ms["datasets"][0]["path"]), labels)
        # mode downsampling: every label of a level is one of the base's
        for ds in ms["datasets"][1:]:
            assert set(np.unique(_read(label_root, ds["path"]))) <= set(np.unique(labels))


@pytest.mark.parametrize("version", NGFF_VERSIONS)
def test_add_levels_equals_writing_them_at_once(version: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(6))
    @given(
        case=ngff_images((version,), axes_orders=SPEC_AXES),
        levels=st.integers(2, 3),
        via_cli=st.booleans(),
    )
    def law(case: dict[str, Any], levels: int, via_cli: bool) -> None:
        _added_levels_equal_one_pass(case, levels, via_cli)

    law()


def _added_levels_equal_one_pass(case: dict[str, Any], levels: int, via_cli: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        once, later = Path(tmp) / "once.zarr", Path(tmp) / "later.zarr"
        if _write(case, once, levels=levels) is None:
            return
        assert _write(case, later, levels=1) is not None
        if via_cli:  # ngff pyramid, through the command line's main group
            args = ["pyramid", str(later), "--levels", str(levels), "--quiet"]
            result = CliRunner().invoke(ngff_cli, args)
            assert result.exit_code == 0, result.output
        else:
            ngff.add_levels(later, levels=levels)
        assert len(_multiscale(later, case["version"])[1]["datasets"]) == levels
        assert_strictly_valid(later, "ngff", case)
        # the same documents but for the recorded software version and arguments
        once_docs, later_docs = documents(once), documents(later)
        assert once_docs.keys() == later_docs.keys()
        _, ms = _multiscale(once, case["version"])
        for ds in ms["datasets"]:
            np.testing.assert_array_equal(_read(later, ds["path"]), _read(once, ds["path"]))
            for name in (".zarray", "zarr.json"):
                key = f"{ds['path']}/{name}"
                if key in once_docs:
                    assert later_docs[key] == once_docs[key]


@pytest.mark.parametrize("version", NGFF_VERSIONS)
def test_plates_validate_strictly_and_read_back(version: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(5))
    @given(
        wells=st.lists(
            st.tuples(st.sampled_from("ABC"), st.sampled_from(["1", "2", "10"])),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        fields=st.integers(1, 2),
        acquisitions=st.booleans(),
    )
    def law(wells: list[tuple[str, str]], fields: int, acquisitions: bool) -> None:
        _plate_validates_and_reads_back(version, wells, fields, acquisitions)

    law()


def _plate_validates_and_reads_back(
    version: str, wells: list[tuple[str, str]], fields: int, acquisitions: bool
) -> None:
    rng = np.random.default_rng(len(wells) * 10 + fields)
    data = {
        f"{r}/{c}": [rng.integers(0, 255, (12, 10), dtype=np.uint8) for _ in range(fields)]
        for r, c in wells
    }
    acqs = [{"id": 0, "name": "first"}] if acquisitions else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "plate.ome.zarr"
        plate_attrs = ngff.write_plate(
            root, data, name="plate", acquisitions=acqs, version=version, axes="yx"
        )
        assert_strictly_valid(root, "ngff", {"version": version})
        attrs = documents(root)[".zattrs" if version == "0.4" else "zarr.json"]
        attrs = attrs if version == "0.4" else attrs["attributes"]
        assert attrs == plate_attrs
        plate = attrs["plate"] if version == "0.4" else attrs["ome"]["plate"]
        assert plate["name"] == "plate"
        assert sorted(w["path"] for w in plate["wells"]) == sorted(data)
        for well in plate["wells"]:
            row, column = plate["rows"][well["rowIndex"]], plate["columns"][well["columnIndex"]]
            assert well["path"] == f"{row['name']}/{column['name']}"
            for i, field in enumerate(data[well["path"]]):
                _, ms = _multiscale(root / well["path"] / str(i), version)
                path = f"{well['path']}/{i}/{ms['datasets'][0]['path']}"
                np.testing.assert_array_equal(_read(root, path), field)
