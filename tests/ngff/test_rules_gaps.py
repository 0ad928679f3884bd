"""Rules that close the gaps of the spec coverage tables (docs/reference/coverage/ngff-*.md).

Each test builds a minimal document or store that breaks one spec sentence and its twin that
keeps it: the rule fires on the first and not on the second.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

import ngff
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import open_store

AXES = [
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def fired(report: Report, rule: str) -> list[str]:
    """The pointers of every issue of ``rule`` (``path#pointer``)."""
    return [f"{i.path}#{i.pointer}" for i in report.issues if i.rule == rule]


def attrs(tmp_path: Path, data: dict[str, Any], name: str = "attrs.json") -> Report:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return ngff.validate(path)


def multiscales_05(axes: list[dict[str, Any]], n: int = 1) -> dict[str, Any]:
    return {
        "name": "img",
        "axes": axes,
        "datasets": [
            {
                "path": str(i),
                "coordinateTransformations": [{"type": "scale", "scale": [2.0**i] * len(axes)}],
            }
            for i in range(n)
        ],
    }


def image_05(axes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ome": {"version": "0.5", "multiscales": [multiscales_05(axes)]}}


def image_06(transformation: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    t = {
        "type": "scale",
        "scale": [0.5, 0.5],
        "input": {"path": "0"},
        "output": {"name": "physical"},
    }
    t.update(transformation or {})
    ms: dict[str, Any] = {
        "name": "img",
        "coordinateSystems": [{"name": "physical", "axes": AXES}],
        "datasets": [{"path": "0", "coordinateTransformations": [t]}],
    }
    ms.update(extra)
    return {"ome": {"version": "0.6", "multiscales": [ms]}}


# -- axes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_axis_without_type_is_a_warning(tmp_path: Path, version: str) -> None:
    axes = [{"name": "c"}, *AXES]
    doc = image_05(axes)
    if version == "0.4":
        doc = {"multiscales": [{**doc["ome"]["multiscales"][0], "version": "0.4"}]}
    report = attrs(tmp_path, doc)
    assert fired(report, "ngff.axes.type") == [
        f"#/attributes{'' if version == '0.4' else '/ome'}/multiscales/0/axes/0"
    ]
    assert report.valid
    assert not ngff.validate(tmp_path / "attrs.json", strict=True).valid
    typed = image_05([{"name": "c", "type": "channel"}, *AXES])
    assert fired(attrs(tmp_path, typed, "typed.json"), "ngff.axes.type") == []


def test_three_space_axes_not_zyx_is_a_warning(tmp_path: Path) -> None:
    space = [{"name": n, "type": "space", "unit": "micrometer"} for n in "yxz"]
    report = attrs(tmp_path, image_05(space))
    assert fired(report, "ngff.axes.space-order") == ["#/attributes/ome/multiscales/0/axes/0"]
    assert report.valid
    zyx = [{"name": n, "type": "space", "unit": "micrometer"} for n in "zyx"]
    assert fired(attrs(tmp_path, image_05(zyx), "zyx.json"), "ngff.axes.space-order") == []
    # other names say nothing about which axis is the stacking one
    abc = [{"name": n, "type": "space", "unit": "micrometer"} for n in "abc"]
    assert fired(attrs(tmp_path, image_05(abc), "abc.json"), "ngff.axes.space-order") == []


# -- plate -----------------------------------------------------------------------------------


def plate_doc(**change: Any) -> dict[str, Any]:
    plate = {
        "name": "p",
        "field_count": 1,
        "rows": [{"name": "A"}, {"name": "B"}],
        "columns": [{"name": "1"}],
        "wells": [
            {"path": "A/1", "rowIndex": 0, "columnIndex": 0},
            {"path": "B/1", "rowIndex": 1, "columnIndex": 0},
        ],
    }
    plate.update(change)
    return {"ome": {"version": "0.5", "plate": plate}}


def test_plate_without_field_count_is_a_warning(tmp_path: Path) -> None:
    doc = plate_doc()
    del doc["ome"]["plate"]["field_count"]
    report = attrs(tmp_path, doc)
    assert fired(report, "ngff.plate.field-count") == ["#/attributes/ome/plate"]
    assert report.valid
    assert fired(attrs(tmp_path, plate_doc(), "ok.json"), "ngff.plate.field-count") == []


def test_row_names_equal_up_to_case_are_a_warning(tmp_path: Path) -> None:
    doc = plate_doc(
        rows=[{"name": "Aa"}, {"name": "aA"}],
        wells=[
            {"path": "Aa/1", "rowIndex": 0, "columnIndex": 0},
            {"path": "aA/1", "rowIndex": 1, "columnIndex": 0},
        ],
    )
    report = attrs(tmp_path, doc)
    assert fired(report, "ngff.plate.names-case") == ["#/attributes/ome/plate/rows/1/name"]
    assert fired(attrs(tmp_path, plate_doc(), "ok.json"), "ngff.plate.names-case") == []


def build_plate(root: Path, extra_groups: tuple[str, ...] = (), **change: Any) -> Path:
    with open_store(root, "w-") as store:
        store.create_group("", plate_doc(**change))
        for row in ("A", "B"):
            store.create_group(row)
            store.create_group(
                f"{row}/1", {"ome": {"version": "0.5", "well": {"images": [{"path": "0"}]}}}
            )
            store.create_group(
                f"{row}/1/0", {"ome": {"version": "0.5", "multiscales": [multiscales_05(AXES)]}}
            )
            store.create_array(
                f"{row}/1/0/0", np.zeros((4, 4), "uint8"), dimension_names=["y", "x"]
            )
        for group in extra_groups:
            store.create_group(group)
    return root


def test_plate_groups_the_plate_does_not_list_are_warnings(tmp_path: Path) -> None:
    clean = ngff.validate(build_plate(tmp_path / "ok.zarr"))
    assert clean.issues == (), clean.issues
    grid = {
        "rows": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
        "columns": [{"name": "1"}, {"name": "2"}],
    }
    # B/2: a well of the grid the plate does not list; C: a row without wells; extra: neither
    root = build_plate(tmp_path / "p.zarr", ("B/2", "C", "extra"), **grid)
    report = ngff.validate(root)
    assert sorted(fired(report, "ngff.plate.group-unlisted")) == ["B/2#", "C#"]
    assert report.valid


# -- labels ----------------------------------------------------------------------------------


def build_image(
    root: Path,
    *,
    listed: tuple[str, ...] = ("cells",),
    labels: tuple[str, ...] = ("cells",),
    image_label: bool = True,
    source: str | None = None,
    intermediate: dict[str, Any] | None = None,
) -> Path:
    with open_store(root, "w-") as store:
        store.create_group("", image_05(AXES))
        store.create_array("0", np.zeros((4, 4), "uint16"), dimension_names=["y", "x"])
        store.create_group("labels", {"ome": {"version": "0.5", "labels": list(listed)}})
        for name in labels:
            parts = name.split("/")
            for depth in range(1, len(parts)):
                store.create_group("labels/" + "/".join(parts[:depth]), intermediate or {})
            ome: dict[str, Any] = {"version": "0.5", "multiscales": [multiscales_05(AXES)]}
            if image_label:
                ome["image-label"] = {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]}
                if source is not None:
                    ome["image-label"]["source"] = {"image": source}
            store.create_group(f"labels/{name}", {"ome": ome})
            store.create_array(
                f"labels/{name}/0", np.zeros((4, 4), "uint8"), dimension_names=["y", "x"]
            )
    return root


def test_clean_image_with_labels(tmp_path: Path) -> None:
    report = ngff.validate(build_image(tmp_path / "i.zarr", source="../../"))
    assert report.issues == (), report.issues


def test_label_source_image_must_resolve(tmp_path: Path) -> None:
    report = ngff.validate(build_image(tmp_path / "i.zarr", source="../nowhere"))
    assert fired(report, "ngff.image-label.source") == [
        "labels/cells#/attributes/ome/image-label/source/image"
    ]
    assert not report.valid


def test_label_without_image_label_is_a_warning(tmp_path: Path) -> None:
    report = ngff.validate(build_image(tmp_path / "i.zarr", image_label=False))
    assert fired(report, "ngff.labels.image-label") == ["labels#/attributes/ome/labels/0"]
    assert report.valid


def test_unlisted_label_image_is_a_warning(tmp_path: Path) -> None:
    report = ngff.validate(build_image(tmp_path / "i.zarr", labels=("cells", "nuclei")))
    assert fired(report, "ngff.labels.unlisted") == ["labels#/attributes/ome/labels"]
    assert "nuclei" in next(i.message for i in report.issues if i.rule == "ngff.labels.unlisted")


def test_intermediate_label_group_must_not_carry_metadata(tmp_path: Path) -> None:
    kw: dict[str, Any] = {"listed": ("seg/cells",), "labels": ("seg/cells",)}
    plain = ngff.validate(build_image(tmp_path / "ok.zarr", **kw))
    assert fired(plain, "ngff.labels.intermediate-metadata") == []
    bad = build_image(tmp_path / "bad.zarr", intermediate={"ome": {"version": "0.5"}}, **kw)
    report = ngff.validate(bad)
    assert fired(report, "ngff.labels.intermediate-metadata") == ["labels/seg#/attributes/ome"]
    assert not report.valid


# -- bioformats2raw ---------------------------------------------------------------------------


def build_collection(root: Path, groups: tuple[str, ...]) -> Path:
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": {"version": "0.5", "bioformats2raw.layout": 3}})
        for g in groups:
            store.create_group(g, image_05(AXES))
            store.create_array(f"{g}/0", np.zeros((4, 4), "uint8"), dimension_names=["y", "x"])
    return root


@pytest.mark.parametrize(
    ("groups", "expected"),
    [(("0", "1"), 0), (("0", "2"), 1), (("0", "img"), 1), (("0", "01"), 1)],
)
def test_bioformats2raw_images_are_numbered_from_0(
    tmp_path: Path, groups: tuple[str, ...], expected: int
) -> None:
    report = ngff.validate(build_collection(tmp_path / "c.zarr", groups))
    assert len(fired(report, "ngff.bioformats2raw.numbering")) == expected
    assert report.valid is (expected == 0)


def build_series(root: Path, groups: tuple[str, ...], series: list[str], version: str) -> Path:
    """A bioformats2raw collection of images at ``groups`` whose OME group lists ``series``
    (0.4: Zarr v2, the metadata at the top of the attributes; else Zarr v3 under ``ome``)."""
    v04 = version == "0.4"
    fmt: Literal[2, 3] = 2 if v04 else 3

    def ome(**metadata: Any) -> dict[str, Any]:
        return metadata if v04 else {"ome": {"version": version, **metadata}}

    ms = {**multiscales_05(AXES), "version": version} if v04 else multiscales_05(AXES)
    with open_store(root, "w-") as store:
        store.create_group("", ome(**{"bioformats2raw.layout": 3}), zarr_format=fmt)
        store.create_group("OME", ome(series=series), zarr_format=fmt)
        for g in groups:
            store.create_group(g, {"multiscales": [ms]} if v04 else image_05(AXES), zarr_format=fmt)
            dims = None if v04 else ["y", "x"]
            store.create_array(
                f"{g}/0", np.zeros((4, 4), "uint8"), dimension_names=dims, zarr_format=fmt
            )
    return root


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_bioformats2raw_series_images_are_found_without_listings(
    tmp_path: Path, version: str
) -> None:
    """Over HTTP without directory listings, the root names only ``OME`` and ``0``: the
    images the ``OME`` group's ``series`` lists are found through it (spec,
    bioformats2raw.layout: readers "MAY use the 'series' attribute in the 'OME' group to
    determine a list of valid groups to display")."""
    from click.testing import CliRunner

    from ngff.cli import cli
    from ngff.detection import discover
    from ngff_geozarr.core.hierarchy import read_hierarchy
    from ngff_geozarr.core.testing import serve_directory

    root = build_series(tmp_path / "c.zarr", ("0", "1", "extra"), ["0", "extra", "1"], version)
    local = ngff.validate(root)
    assert local.valid, local.issues
    with serve_directory(tmp_path, listing=False) as (url, _):
        report = ngff.validate(f"{url}/c.zarr")
        h = read_hierarchy(f"{url}/c.zarr", discover=discover)
        info = CliRunner().invoke(cli, ["info", f"{url}/c.zarr", "--format", "json"])
    assert {"OME", "0", "0/0", "1", "1/0", "extra", "extra/0"} <= set(h)
    assert info.exit_code == 0, info.output
    shown = {n["path"]: n["conventions"] for n in json.loads(info.output)["nodes"]}
    assert shown["1"] == shown["extra"] == [f"OME-Zarr {version} image"]
    assert fired(report, "ngff.bioformats2raw.series-missing") == []
    assert report.valid, report.issues


@pytest.mark.parametrize("listing", [True, False])
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_bioformats2raw_series_that_does_not_exist_is_reported(
    tmp_path: Path, version: str, listing: bool
) -> None:
    """A series path that names no image: ``series`` entries are "a path to an image
    group"; with or without listings."""
    from ngff_geozarr.core.testing import serve_directory

    build_series(tmp_path / "c.zarr", ("0", "1"), ["0", "1", "2", "../x"], version)
    with serve_directory(tmp_path, listing=listing) as (url, _):
        report = ngff.validate(f"{url}/c.zarr")
    base = "" if version == "0.4" else "/ome"
    assert fired(report, "ngff.bioformats2raw.series-missing") == [
        f"OME#/attributes{base}/series/2",
        f"OME#/attributes{base}/series/3",
    ]
    assert not report.valid
    assert "'2'" in next(i.message for i in report.issues if i.pointer.endswith("series/2"))


def test_bioformats2raw_without_series_or_group_0_breaks_the_numbering(tmp_path: Path) -> None:
    report = ngff.validate(build_collection(tmp_path / "c.zarr", ("1",)))
    assert fired(report, "ngff.bioformats2raw.numbering") == ["#/attributes/ome"]
    assert fired(report, "ngff.bioformats2raw.series-missing") == []


def test_bioformats2raw_plate_without_series_is_a_warning(tmp_path: Path) -> None:
    root = build_plate(tmp_path / "p.zarr")
    path = root / "zarr.json"
    node = json.loads(path.read_text())
    node["attributes"]["ome"]["bioformats2raw.layout"] = 3
    path.write_text(json.dumps(node))
    report = ngff.validate(root)
    assert fired(report, "ngff.bioformats2raw.plate-series") == [
        "#/attributes/ome/bioformats2raw.layout"
    ]
    with open_store(root, "r+") as store:
        store.create_group("OME", {"ome": {"version": "0.5", "series": ["A/1/0", "B/1/0"]}})
    assert fired(ngff.validate(root), "ngff.bioformats2raw.plate-series") == []


# -- 0.6 coordinate transformations -----------------------------------------------------------


def test_06_clean_image(tmp_path: Path) -> None:
    report = attrs(tmp_path, image_06())
    assert [i.rule for i in report.issues] == ["ngff.arrays.not-checked"]


def test_06_zero_scale_is_a_warning(tmp_path: Path) -> None:
    report = attrs(tmp_path, image_06({"scale": [0.0, 0.5]}))
    assert fired(report, "ngff.transforms.scale-zero") == [
        "#/attributes/ome/multiscales/0/datasets/0/coordinateTransformations/0/scale/0"
    ]
    assert report.valid
    # a negative factor (a flip) is a number the spec allows
    flipped = attrs(tmp_path, image_06({"scale": [-0.5, 0.5]}), "flip.json")
    assert flipped.valid
    assert fired(flipped, "ngff.transforms.scale-zero") == []


def test_06_dataset_reference_extras_are_warnings(tmp_path: Path) -> None:
    t = {"input": {"path": "0", "name": "array"}, "output": {"name": "physical", "path": "."}}
    report = attrs(tmp_path, image_06(t))
    at = "#/attributes/ome/multiscales/0/datasets/0/coordinateTransformations/0"
    assert sorted(fired(report, "ngff.multiscales.dataset-reference")) == [
        f"{at}/input/name",
        f"{at}/output/path",
    ]
    assert report.valid


def _local(transformation: dict[str, Any], n_out: int = 2) -> dict[str, Any]:
    out_axes = [{"name": f"o{i}", "type": "space", "unit": "micrometer"} for i in range(n_out)]
    doc = image_06()
    ms = doc["ome"]["multiscales"][0]
    ms["coordinateSystems"] = [{"name": "world", "axes": out_axes}, *ms["coordinateSystems"]]
    ms["coordinateTransformations"] = [
        {"input": {"name": "physical"}, "output": {"name": "world"}, **transformation}
    ]
    return doc


LOCAL = "#/attributes/ome/multiscales/0/coordinateTransformations/0"


def test_06_affine_size_follows_the_coordinate_systems(tmp_path: Path) -> None:
    good = {"type": "affine", "affine": [[1, 0, 0], [0, 1, 0]]}
    assert fired(attrs(tmp_path, _local(good)), "ngff.transforms.matrix-size") == []
    bad = {"type": "affine", "affine": [[1, 0], [0, 1]]}
    report = attrs(tmp_path, _local(bad), "bad.json")
    assert fired(report, "ngff.transforms.matrix-size") == [f"{LOCAL}/affine"]
    assert not report.valid
    three = {"type": "affine", "affine": [[1, 0, 0], [0, 1, 0], [0, 0, 0]]}
    report = attrs(tmp_path, _local(three, 3), "three.json")
    assert fired(report, "ngff.transforms.matrix-size") == []


def test_06_rotation_is_square_keeps_dimensions_and_is_orthonormal(tmp_path: Path) -> None:
    c, s = np.cos(0.3), np.sin(0.3)
    good = {"type": "rotation", "rotation": [[c, -s], [s, c]]}
    report = attrs(tmp_path, _local(good))
    assert fired(report, "ngff.transforms.rotation") == []
    assert fired(report, "ngff.transforms.matrix-size") == []
    sheared = {"type": "rotation", "rotation": [[1, 0.5], [0, 1]]}
    report = attrs(tmp_path, _local(sheared), "shear.json")
    assert fired(report, "ngff.transforms.rotation") == [f"{LOCAL}/rotation"]
    reflection = {"type": "rotation", "rotation": [[0, 1], [1, 0]]}
    report = attrs(tmp_path, _local(reflection), "reflect.json")
    assert fired(report, "ngff.transforms.rotation") == [f"{LOCAL}/rotation"]
    report = attrs(tmp_path, _local(good, 3), "three.json")
    assert fired(report, "ngff.transforms.matrix-size") == [LOCAL]


def test_06_by_dimension_axes_match_the_child_parameters(tmp_path: Path) -> None:
    def by_dimension(axes: list[int]) -> dict[str, Any]:
        return {
            "type": "byDimension",
            "transformations": [
                {
                    "transformation": {"type": "scale", "scale": [2.0, 3.0]},
                    "inputAxes": axes,
                    "outputAxes": [0, 1],
                }
            ],
        }

    ok = attrs(tmp_path, _local(by_dimension([0, 1])))
    assert fired(ok, "ngff.transforms.by-dimension-length") == []
    report = attrs(tmp_path, _local(by_dimension([0])), "bad.json")
    assert fired(report, "ngff.transforms.by-dimension-length") == [
        f"{LOCAL}/transformations/0/inputAxes"
    ]


def test_06_reference_with_path_but_no_name(tmp_path: Path) -> None:
    doc = copy.deepcopy(_local({"type": "identity"}))
    doc["ome"]["multiscales"][0]["coordinateTransformations"][0]["output"] = {"path": "other"}
    report = attrs(tmp_path, doc)
    assert fired(report, "ngff.transforms.input-output") == [f"{LOCAL}/output"]
    assert not report.valid


@pytest.mark.parametrize(
    ("transformation", "fires"),
    [
        ({"type": "scale", "scale": [2.0, 2.0]}, False),
        (
            {
                "type": "sequence",
                "transformations": [
                    {"type": "scale", "scale": [2.0, 2.0]},
                    {"type": "translation", "translation": [1.0, 1.0]},
                ],
            },
            False,
        ),
        ({"type": "affine", "affine": [[2, 0, 0], [0, 2, 0]]}, True),
    ],
)
def test_06_transformation_into_a_labels_group_is_restricted(
    tmp_path: Path, transformation: dict[str, Any], fires: bool
) -> None:
    doc = _local(transformation)
    ms = doc["ome"]["multiscales"][0]
    ms["coordinateSystems"] = ms["coordinateSystems"][1:]
    ms["coordinateTransformations"][0]["output"] = {"path": "labels/cells", "name": "physical"}
    report = attrs(tmp_path, doc)
    expected = [f"{LOCAL}/type"] if fires else []
    assert fired(report, "ngff.transforms.labels-type") == expected
