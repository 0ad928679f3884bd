"""ngff.validate on real stores: a valid image with labels and a valid plate, and for every
array-level rule an invalid twin mutated from them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff.common.context import Context
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.rules import RuleLevelError, UnregisteredRuleError
from ngff_geozarr.core.store import open_store

AXES = [
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def _multiscales(n: int, name: str = "img") -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "axes": AXES,
            "datasets": [
                {
                    "path": str(i),
                    "coordinateTransformations": [{"type": "scale", "scale": [2.0**i, 2.0**i]}],
                }
                for i in range(n)
            ],
        }
    ]


def build_image(root: Path, levels: int = 3) -> Path:
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": {"version": "0.5", "multiscales": _multiscales(levels)}})
        data = np.arange(32 * 32, dtype="uint16").reshape(32, 32)
        for i in range(levels):
            store.create_array(
                str(i), data[:: 2**i, :: 2**i], chunks=(8, 8), dimension_names=["y", "x"]
            )
        store.create_group("labels", {"ome": {"version": "0.5", "labels": ["cells"]}})
        store.create_group(
            "labels/cells",
            {
                "ome": {
                    "version": "0.5",
                    "multiscales": _multiscales(levels, "cells"),
                    "image-label": {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]},
                }
            },
        )
        mask = (data % 3).astype("uint8")
        for i in range(levels):
            store.create_array(
                f"labels/cells/{i}",
                mask[:: 2**i, :: 2**i],
                chunks=(8, 8),
                dimension_names=["y", "x"],
            )
    return root


def build_plate(root: Path) -> Path:
    with open_store(root, "w-") as store:
        store.create_group(
            "",
            {
                "ome": {
                    "version": "0.5",
                    "plate": {
                        "name": "p",
                        "field_count": 1,
                        "rows": [{"name": "A"}],
                        "columns": [{"name": "1"}, {"name": "2"}],
                        "wells": [
                            {"path": "A/1", "rowIndex": 0, "columnIndex": 0},
                            {"path": "A/2", "rowIndex": 0, "columnIndex": 1},
                        ],
                    },
                }
            },
        )
        store.create_group("A")
        for col in ("1", "2"):
            store.create_group(
                f"A/{col}", {"ome": {"version": "0.5", "well": {"images": [{"path": "0"}]}}}
            )
            store.create_group(
                f"A/{col}/0", {"ome": {"version": "0.5", "multiscales": _multiscales(2)}}
            )
            data = np.zeros((16, 16), dtype="uint8")
            for i in range(2):
                store.create_array(
                    f"A/{col}/0/{i}", data[:: 2**i, :: 2**i], dimension_names=["y", "x"]
                )
    return root


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def rules(report: Report, severity: str = "error") -> set[str]:
    return {i.rule for i in report.issues if i.severity.value == severity}


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return build_image(tmp_path / "image.ome.zarr")


@pytest.fixture
def plate(tmp_path: Path) -> Path:
    return build_plate(tmp_path / "plate.ome.zarr")


def test_valid_twins(image: Path, plate: Path) -> None:
    for store, kind in ((image, "image"), (plate, "plate")):
        report = ngff.validate(store)
        assert report.issues == (), report.issues
        assert (report.valid, report.convention, report.version, report.node_type) == (
            True,
            "ome-zarr",
            "0.5",
            kind,
        )


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc[key] = value

    return change


def _replace_with_group(path: Path) -> None:
    shutil.rmtree(path)
    path.mkdir()
    (path / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')


def _three_dimensional(doc: dict[str, Any]) -> None:
    doc.update(shape=[1, 16, 16], dimension_names=["z", "y", "x"])
    doc["chunk_grid"]["configuration"]["chunk_shape"] = [1, 8, 8]


def _ome(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: change(doc["attributes"]["ome"])


MUTATIONS: dict[str, tuple[Callable[[Path], None], str, str, str]] = {
    # rule: (mutation, node path, pointer, severity)
    "ngff.multiscales.dataset-missing": (
        lambda s: shutil.rmtree(s / "2"),
        "",
        "/attributes/ome/multiscales/0/datasets/2/path",
        "error",
    ),
    "ngff.multiscales.dataset-not-array": (
        lambda s: _replace_with_group(s / "2"),
        "",
        "/attributes/ome/multiscales/0/datasets/2/path",
        "error",
    ),
    "ngff.multiscales.ndim": (
        lambda s: edit(s / "1" / "zarr.json", _three_dimensional),
        "1",
        "/shape",
        "error",
    ),
    "ngff.multiscales.dimension-names": (
        lambda s: edit(s / "1" / "zarr.json", _set("dimension_names", ["x", "y"])),
        "1",
        "/dimension_names",
        "error",
    ),
    "ngff.multiscales.dtype": (
        lambda s: edit(s / "2" / "zarr.json", _set("data_type", "float32")),
        "2",
        "/data_type",
        "error",
    ),
    "ngff.multiscales.shape-order": (
        lambda s: edit(s / "2" / "zarr.json", _set("shape", [64, 8])),
        "2",
        "/shape",
        "error",
    ),
    "ngff.multiscales.scale-ratio": (
        lambda s: edit(s / "1" / "zarr.json", _set("shape", [10, 16])),
        "1",
        "/shape/0",
        "warning",
    ),
    "ngff.labels.dtype": (
        lambda s: (
            [
                edit(s / "labels" / "cells" / str(i) / "zarr.json", _set("data_type", "float32"))
                for i in range(3)
            ]
            and None
        ),
        "labels/cells/0",
        "/data_type",
        "error",
    ),
    "ngff.labels.levels": (
        lambda s: edit(
            s / "labels" / "cells" / "zarr.json",
            _ome(lambda ome: ome["multiscales"][0]["datasets"].pop()),
        ),
        "labels/cells",
        "/attributes/ome/multiscales/0/datasets",
        "error",
    ),
    "ngff.labels.shape": (
        lambda s: (
            [
                edit(s / "labels" / "cells" / str(i) / "zarr.json", _set("shape", [32 // 2**i, 3]))
                for i in range(3)
            ]
            and None
        ),
        "labels/cells/0",
        "/shape",
        "warning",
    ),
    "ngff.labels.label-missing": (
        lambda s: shutil.rmtree(s / "labels" / "cells"),
        "labels",
        "/attributes/ome/labels/0",
        "error",
    ),
}


@pytest.mark.parametrize("rule", list(MUTATIONS))
def test_each_array_rule_on_a_mutated_twin(tmp_path: Path, rule: str) -> None:
    store = build_image(tmp_path / "twin.ome.zarr")
    mutate, path, pointer, severity = MUTATIONS[rule]
    mutate(store)
    report = ngff.validate(store)
    found = [i for i in report.issues if i.rule == rule]
    assert found, report.issues
    assert (found[0].path, found[0].pointer, found[0].severity.value) == (path, pointer, severity)
    assert found[0].reference == "OME-Zarr 0.5 §" + (
        "labels" if "labels" in rule else "multiscales"
    )
    assert report.valid is (severity == "warning")


def test_label_shape_is_an_error_under_strict(image: Path) -> None:
    MUTATIONS["ngff.labels.shape"][0](image)
    assert "ngff.labels.shape" in rules(ngff.validate(image, strict=True))


def test_plate_wells_and_well_images_must_exist(plate: Path) -> None:
    shutil.rmtree(plate / "A" / "2")
    shutil.rmtree(plate / "A" / "1" / "0")
    report = ngff.validate(plate)
    by_rule = {i.rule: i for i in report.errors}
    assert by_rule["ngff.plate.well-missing"].pointer == "/attributes/ome/plate/wells/1/path"
    assert by_rule["ngff.well.image-missing"].path == "A/1"
    assert by_rule["ngff.well.image-missing"].pointer == "/attributes/ome/well/images/0/path"


def test_plate_well_path_must_be_row_then_column(plate: Path) -> None:
    edit(plate / "zarr.json", _ome(lambda ome: ome["plate"]["wells"][0].update(path="1/A")))
    report = ngff.validate(plate)
    assert "ngff.plate.well-path" in rules(report)
    assert "ngff.plate.well-missing" in rules(report)


def test_every_issue_in_one_pass(image: Path) -> None:
    for rule in ("ngff.multiscales.ndim", "ngff.multiscales.dtype", "ngff.labels.levels"):
        MUTATIONS[rule][0](image)
    edit(image / "zarr.json", _ome(lambda ome: ome.update(omero={"channels": "banana"})))
    report = ngff.validate(image)
    assert {
        "ngff.multiscales.ndim",
        "ngff.multiscales.dtype",
        "ngff.labels.levels",
        "ngff.schema",
    } <= rules(report)


def test_json_only_target_skips_array_checks_and_says_so(image: Path) -> None:
    shutil.rmtree(image / "2")
    report = ngff.validate(image / "zarr.json")
    assert report.valid
    assert rules(report, "warning") == {"ngff.arrays.not-checked"}


@pytest.mark.parametrize("path", ["../../x", "/abs", "a/../../b"])
def test_hostile_dataset_path(tmp_path: Path, path: str) -> None:
    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "zarr.json").write_text("not json at all")  # would be an issue if it were read
    store = build_image(tmp_path / "deep" / "er" / "image.ome.zarr")
    edit(
        store / "zarr.json",
        _ome(lambda ome: ome["multiscales"][0]["datasets"][0].update(path=path)),
    )
    report = ngff.validate(store)
    assert report.exit_code == 1
    assert "ngff.multiscales.dataset-path" in rules(report)
    assert not any("not valid JSON" in i.message for i in report.issues)


def test_truncated_json_huge_shape_and_nonsense_omero(image: Path) -> None:
    doc = (image / "1" / "zarr.json").read_text()
    (image / "1" / "zarr.json").write_text(doc[: len(doc) // 2])
    edit(image / "2" / "zarr.json", _set("shape", [10**8, 10**7]))
    edit(image / "zarr.json", _ome(lambda ome: ome.update(omero={"channels": [{"color": 7}]})))
    report = ngff.validate(image)
    assert report.exit_code == 1
    assert {
        "zarr.metadata.malformed-json",
        "ngff.multiscales.dataset-missing",
        "ngff.multiscales.shape-order",
        "ngff.schema",
    } <= rules(report)


def test_no_ome_metadata_is_an_error(tmp_path: Path) -> None:
    with open_store(tmp_path / "plain.zarr", "w-") as store:
        store.create_group("", {"title": "no OME here"})
    report = ngff.validate(tmp_path / "plain.zarr")
    assert report.exit_code == 1
    assert rules(report) == {"ngff.metadata.missing"}


def test_unreadable_target_exits_2(tmp_path: Path) -> None:
    assert ngff.validate(tmp_path / "missing.zarr").exit_code == 2


@pytest.mark.parametrize("text", ["0.6", "0.6rc0", "0.6.dev2"])
def test_06_version_strings_are_accepted_and_reported_as_seen(tmp_path: Path, text: str) -> None:
    doc = {"ome": {"version": text, "well": {"images": [{"path": "0"}]}}}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    report = ngff.validate(tmp_path / "a.json")
    assert report.valid
    assert report.version == text


def test_unsupported_version(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"ome": {"version": "0.7", "well": {}}}))
    assert rules(ngff.validate(tmp_path / "a.json")) == {"ngff.version.unsupported"}


def test_inconsistent_versions(image: Path) -> None:
    edit(image / "labels" / "zarr.json", _ome(lambda ome: ome.update(version="0.6")))
    assert "ngff.version.inconsistent" in rules(ngff.validate(image))


def test_over_http_without_listing(image: Path) -> None:
    from ngff_geozarr.core.testing import serve_directory

    with serve_directory(image.parent, listing=False) as (url, log):
        report = ngff.validate(f"{url}/{image.name}")
    assert report.valid, report.issues
    assert log.count > 0


def test_over_s3(image: Path, s3_upload: Callable[..., str], s3_options: dict[str, Any]) -> None:
    MUTATIONS["ngff.multiscales.dtype"][0](image)
    url = s3_upload(image, "ngff-image")
    report = ngff.validate(url, storage_options=s3_options)
    assert rules(report) == {"ngff.multiscales.dtype"}


# -- severities come from the rule registry ---------------------------------------------------


def test_context_severity_comes_from_the_rule_and_profile() -> None:
    for strict, expected in ((False, "warning"), (True, "error")):
        ctx = Context("", "0.5", strict)
        ctx.should("ngff.plate.name", [], "No name.", "plate")  # a SHOULD
        ctx.warn("ngff.omero.color", [], "No color.", "omero")  # advice: never an error
        assert [i.severity.value for i in ctx.issues] == [expected, "warning"]


def test_context_refuses_undeclared_ids_and_levels() -> None:
    ctx = Context("", "0.5")
    with pytest.raises(UnregisteredRuleError):
        ctx.error("ngff.no-such-rule", [], "x", "multiscales")
    with pytest.raises(RuleLevelError):
        ctx.should("ngff.axes.order", [], "a MUST reported as a SHOULD", "multiscales")
    with pytest.raises(RuleLevelError):
        ctx.warn("ngff.plate.name", [], "a SHOULD reported as advice", "plate")
    assert ctx.issues == []
