"""Our writers' output passes our own validator under the strict profile (issue 11).

Regression tests for the self-contradictions: every image the writers produced (0.4, 0.5,
0.6; one level or many; labels; plate fields) lacked the multiscale ``type`` and
``metadata`` the spec recommends, and a plate written with acquisitions lacked
``maximumfieldcount``, so ``ngff validate --strict`` failed on our own output. Plus the
guarantees of the model-built documents (:mod:`ngff.create.documents`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import ngff
from ngff.cli import cli
from ngff.convert import convert_attributes
from ngff.create import CreationError, Image
from ngff.create.image import library_version
from ngff.create.rendering import render

VERSIONS = ("0.4", "0.5", "0.6")
LEVELS = (1, 3)
KINDS = ("image", "labels", "plate")


def image_data() -> np.ndarray:
    rng = np.random.default_rng(11)
    return rng.integers(0, 250, (64, 64)).astype(np.uint8)


def label_data() -> np.ndarray:
    labels = np.zeros((64, 64), np.uint16)
    labels[8:40, 8:40] = 1
    labels[40:60, 30:60] = 2
    return labels


def write_api(kind: str, version: str, levels: int, out: Path) -> None:
    if kind == "plate":
        field = image_data()
        ngff.write_plate(
            str(out),
            {"A/1": [field, field], "B/2": [field]},
            name="screen",
            acquisitions=[{"id": 0, "name": "first pass"}],
            version=version,
            levels=levels,
            chunks=(16, 16),
        )
        return
    ngff.write_image(image_data(), str(out), version=version, levels=levels, chunks=(16, 16))
    if kind == "labels":
        ngff.write_labels(label_data(), str(out), "cells")


def write_cli(kind: str, version: str, levels: int, out: Path) -> None:
    source = out.parent / "image.npy"
    np.save(source, image_data())
    args = ["create", str(source), str(out), "--version", version, "--levels", str(levels)]
    args += ["--chunks", "16,16", "--quiet"]
    if kind == "labels":
        labels = out.parent / "cells.npy"
        np.save(labels, label_data())
        args += ["--labels", str(labels)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def strict_issues_api(out: Path) -> list[Any]:
    report = ngff.validate(str(out), strict=True)
    return [(i.severity.name, i.rule, i.path, i.message) for i in report.issues]


def strict_issues_cli(out: Path) -> list[Any]:
    result = CliRunner().invoke(cli, ["validate", "--strict", "--format", "json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["valid"] is True
    return list(report["issues"])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("levels", LEVELS)
@pytest.mark.parametrize("version", VERSIONS)
def test_api_output_is_strictly_valid(tmp_path: Path, version: str, levels: int, kind: str) -> None:
    out = tmp_path / "out.ome.zarr"
    write_api(kind, version, levels, out)
    assert strict_issues_api(out) == []
    assert strict_issues_cli(out) == []


@pytest.mark.parametrize("kind", ["image", "labels"])  # `ngff create` writes no plates
@pytest.mark.parametrize("levels", LEVELS)
@pytest.mark.parametrize("version", VERSIONS)
def test_cli_output_is_strictly_valid(tmp_path: Path, version: str, levels: int, kind: str) -> None:
    out = tmp_path / "out.ome.zarr"
    write_cli(kind, version, levels, out)
    assert strict_issues_cli(out) == []
    assert strict_issues_api(out) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_pyramid_command_output_is_strictly_valid(tmp_path: Path, version: str) -> None:
    out = tmp_path / "out.ome.zarr"
    ngff.write_image(image_data(), str(out), version=version, levels=1, chunks=(16, 16))
    result = CliRunner().invoke(cli, ["pyramid", str(out), "--levels", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    assert strict_issues_cli(out) == []


def first_multiscale(out: Path, path: str = "") -> dict[str, Any]:
    group = out / path
    if (group / "zarr.json").exists():
        attrs = json.loads((group / "zarr.json").read_text())["attributes"]["ome"]
    else:
        attrs = json.loads((group / ".zattrs").read_text())
    multiscale: dict[str, Any] = attrs["multiscales"][0]
    return multiscale


@pytest.mark.parametrize("levels", LEVELS)
def test_type_and_metadata_say_how_the_pyramid_was_made(tmp_path: Path, levels: int) -> None:
    out = tmp_path / "out.ome.zarr"
    ngff.write_image(image_data(), str(out), levels=levels, chunks=(16, 16), method="max")
    ngff.write_labels(label_data(), str(out), "cells")
    ms = first_multiscale(out)
    assert ms["type"] == "max"
    assert ms["metadata"]["method"] == "ngff_geozarr.core.pyramid.max"
    assert ms["metadata"]["version"] == library_version()
    assert "maximum" in ms["metadata"]["description"]
    assert ms["metadata"]["kwargs"] == {"factors": [[2, 2]] * (levels - 1)}
    label = first_multiscale(out, "labels/cells")
    assert label["type"] == "mode"
    assert label["metadata"]["kwargs"] == ms["metadata"]["kwargs"]


def plate_acquisitions(out: Path) -> list[dict[str, Any]]:
    plate = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]["plate"]
    acquisitions: list[dict[str, Any]] = plate["acquisitions"]
    return acquisitions


def test_plate_fills_maximumfieldcount_of_its_acquisition(tmp_path: Path) -> None:
    field = image_data()[:32, :32]
    wells = {"A/1": [field], "A/2": [field, field, field], "B/1": [field, field]}
    out = tmp_path / "one.ome.zarr"
    ngff.write_plate(str(out), wells, acquisitions=[{"id": 3}], levels=1)
    assert plate_acquisitions(out) == [{"id": 3, "maximumfieldcount": 3}]
    given = tmp_path / "given.ome.zarr"
    ngff.write_plate(str(given), wells, acquisitions=[{"id": 0, "maximumfieldcount": 5}])
    assert plate_acquisitions(given) == [{"id": 0, "maximumfieldcount": 5}]


@pytest.mark.parametrize("version", VERSIONS)
def test_plate_of_several_acquisitions_names_each_fields_acquisition(
    tmp_path: Path, version: str
) -> None:
    field = image_data()[:32, :32]
    wells = {"A/1": [field, field, field], "B/2": [field, field]}
    out = tmp_path / "several.ome.zarr"
    ngff.write_plate(
        str(out),
        wells,
        name="screen",
        acquisitions=[{"id": 0, "name": "day 1"}, {"id": 7, "name": "day 2"}],
        field_acquisitions={"A/1": [0, 7, 7], "B/2": [0, 0]},
        version=version,
        levels=1,
    )
    assert strict_issues_api(out) == []
    attrs = json.loads((out / (".zattrs" if version == "0.4" else "zarr.json")).read_text())
    plate = attrs["plate"] if version == "0.4" else attrs["attributes"]["ome"]["plate"]
    assert [a["maximumfieldcount"] for a in plate["acquisitions"]] == [2, 2]
    well = json.loads(
        (out / "A" / "1" / (".zattrs" if version == "0.4" else "zarr.json")).read_text()
    )
    images = (
        well["well"]["images"] if version == "0.4" else well["attributes"]["ome"]["well"]["images"]
    )
    assert [i["acquisition"] for i in images] == [0, 7, 7]


@pytest.mark.parametrize(
    ("acquisitions", "assignment", "message"),
    [
        ([{"id": 0}, {"id": 1}], None, "Expected field_acquisitions"),
        (None, {"A/1": [0]}, "Expected acquisitions for field_acquisitions"),
        ([{"id": 0}], {"A/1": [0], "C/3": [0]}, r"of the plate's wells\. Got \['C/3'\]"),
        ([{"id": 0}], {"A/1": [1]}, r"among \[0\] per field of well A/1 \(1 fields\)"),
        ([{"id": 0}], {"A/1": [0, 0]}, "per field of well A/1"),
        ([{"id": 0}], {"A/1": ["0"]}, "per field of well A/1"),
    ],
)
def test_plate_acquisition_mistakes_are_creation_errors(
    tmp_path: Path, acquisitions: Any, assignment: Any, message: str
) -> None:
    field = image_data()[:32, :32]
    out = tmp_path / "bad.ome.zarr"
    with pytest.raises(CreationError, match=message):
        ngff.write_plate(
            str(out), {"A/1": [field]}, acquisitions=acquisitions, field_acquisitions=assignment
        )
    assert not out.exists()  # refused before anything is written


def test_label_values_stay_integers(tmp_path: Path) -> None:
    out = tmp_path / "out.ome.zarr"
    ngff.write_image(image_data(), str(out), levels=1)
    ngff.write_labels(label_data(), str(out), "cells")
    document = json.loads((out / "labels" / "cells" / "zarr.json").read_text())
    colors = document["attributes"]["ome"]["image-label"]["colors"]
    assert [c["label-value"] for c in colors] == [0, 1, 2]
    assert all(isinstance(c["label-value"], int) for c in colors)


def test_documents_the_models_refuse_are_never_written() -> None:
    image = Image.new([np.zeros((4, 4), np.uint8)], ["0"], "yx", [[1.0, 1.0]])
    broken = {**image.multiscale, "datasets": [{"path": "0", "coordinateTransformations": []}]}
    refused = r"0\.5 models accept\. At datasets\.0\.coordinateTransformations"
    with pytest.raises(CreationError, match=refused):
        render({"multiscales": [broken]}, "0.5")
    with pytest.raises(CreationError, match=r"At images\.0\.path"):
        render({"well": {"images": [{"path": "not/one/key"}]}}, "0.4")
    with pytest.raises(CreationError, match="coordinateTransformations"):
        replace(image, multiscale=broken).attributes()


def test_an_axis_the_model_refuses_is_a_creation_error() -> None:
    with pytest.raises(CreationError, match=r"axes OME-Zarr 0\.5 accepts\. At 1\.name"):
        Image.new([np.zeros((4, 4), np.uint8)], ["0"], [{"name": "y"}, {"name": ""}], [[1, 1]])


def test_keys_the_models_do_not_know_are_carried_over(tmp_path: Path) -> None:
    out = tmp_path / "out.ome.zarr"
    ngff.write_image(image_data(), str(out), levels=1, chunks=(16, 16))
    document = json.loads((out / "zarr.json").read_text())
    document["attributes"]["ome"]["multiscales"][0]["acquired-by"] = "scope 2"
    document["attributes"]["lab"] = {"owner": "x"}
    (out / "zarr.json").write_text(json.dumps(document))
    ngff.add_levels(str(out), levels=2)
    written = json.loads((out / "zarr.json").read_text())["attributes"]
    assert written["lab"] == {"owner": "x"}
    ms = written["ome"]["multiscales"][0]
    assert ms["acquired-by"] == "scope 2"
    assert [d["path"] for d in ms["datasets"]] == ["0", "1"]
    assert ms["metadata"]["kwargs"] == {"factors": [[2, 2]]}


@pytest.mark.parametrize("version", ["0.4", "0.6"])
def test_typed_rendering_keeps_the_converted_document_as_it_is(version: str) -> None:
    image = Image.new(
        [np.zeros((8, 8), np.uint8), np.zeros((4, 4), np.uint8)],
        ["0", "1"],
        "yx",
        [[1.0, 1.0], [2.0, 2.0]],
        [None, [0.5, 0.5]],
        "demo",
        units="micrometer",
        type="mean",
        metadata={"method": "mean"},
    )
    converted = convert_attributes(image.attributes(), "0.5", version)  # type: ignore[arg-type]
    rendered = replace(image, version=version).attributes()  # type: ignore[arg-type]
    assert json.dumps(rendered) == json.dumps(converted)  # same values, same key order


def test_axes_keys_only_0_6_has_are_written_for_0_6_and_refused_before(tmp_path: Path) -> None:
    axes = [{"name": "y", "type": "space", "longName": "rows"}, {"name": "x", "type": "space"}]
    out = tmp_path / "out.ome.zarr"
    ngff.write_image(image_data(), str(out), axes=axes, version="0.6", levels=1)
    document = json.loads((out / "zarr.json").read_text())
    system = document["attributes"]["ome"]["multiscales"][0]["coordinateSystems"][0]
    assert system["axes"][0] == {"name": "y", "type": "space", "longName": "rows"}
    assert strict_issues_api(out) == []
    old = tmp_path / "old.ome.zarr"
    with pytest.raises(CreationError, match=r"axes OME-Zarr 0\.5 accepts\. At 0\.longName"):
        ngff.write_image(image_data(), str(old), axes=axes, version="0.5")
    assert not old.exists()  # refused before anything is written
    with pytest.raises(CreationError, match="discrete"):
        Image.new(
            [np.zeros((4, 4), np.uint8)],
            ["0"],
            [{"name": "y", "discrete": "yes"}, {"name": "x"}],
            [[1, 1]],
            version="0.6",
        )


@pytest.mark.parametrize("version", VERSIONS)
def test_a_plate_written_without_a_name_is_named_after_its_target(
    tmp_path: Path, version: str
) -> None:
    """The spec recommends a plate name: a writer given none still writes one, so that its
    output passes ``--strict`` with no issue at all."""
    out = tmp_path / "screen-7.ome.zarr"
    ngff.write_plate(str(out), {"A/1": [image_data()]}, version=version, chunks=(16, 16))
    assert strict_issues_api(out) == []
    assert ngff.open(str(out)).name == "screen-7"
    memory: dict[str, Any] = {}
    ngff.write_plate(memory, {"A/1": [image_data()]}, version=version, chunks=(16, 16))
    document = json.loads(memory["zarr.json" if version != "0.4" else ".zattrs"].to_bytes())
    attributes = document.get("attributes", document)
    plate = attributes.get("ome", attributes)["plate"]
    assert plate["name"] == "plate"
