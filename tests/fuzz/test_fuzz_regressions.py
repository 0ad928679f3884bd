"""What the fuzz suite found, each pinned by the smallest store that showed it.

Every test here failed before its fix: the validators raised (an internal error, a traceback
in the command line) or ``info --format json`` printed tokens that are not JSON.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from tests.fuzz.cases import Outcome, guarded

import geozarr
import ngff
from ngff.cli import cli as ngff_cli
from ngff_geozarr.core.hierarchy import read_hierarchy


def _copy(bases: dict[str, Path], name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bases[name], tmp_path / "store"))


def _edit(path: Path, **changes: object) -> None:
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


def _strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_v2_codec_id_of_another_type(bases: dict[str, Path], tmp_path: Path) -> None:
    """A v2 compressor whose ``id`` is an object is an unknown codec, not a TypeError."""
    store = _copy(bases, "geozarr-2", tmp_path)
    (store / ".zmetadata").unlink()
    zarray = store / "x" / ".zarray"
    document = json.loads(zarray.read_text())
    _edit(zarray, compressor={**document["compressor"], "id": {"not": "a string"}})
    for validate in (ngff.validate, geozarr.validate):
        report = validate(store)
        assert "zarr.array.codec-unknown" in {i.rule for i in report.issues}
        assert not report.valid


@pytest.mark.parametrize("data_type", [["uint16"], {"name": ["uint16"]}, {"name": {"a": 1}}])
def test_v3_data_type_of_another_type(
    bases: dict[str, Path], tmp_path: Path, data_type: object
) -> None:
    """A v3 ``data_type`` (or its name) that is a list or an object: invalid, no TypeError."""
    store = _copy(bases, "geozarr-3", tmp_path)
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    (store / "zarr.json").write_text(json.dumps(root))
    _edit(store / "x" / "zarr.json", data_type=data_type)
    for validate in (ngff.validate, geozarr.validate):
        report = validate(store)
        assert not report.valid
        assert any(i.path == "x" for i in report.errors), report.issues


@pytest.mark.parametrize("version", [["0.6"], {"a": 1}, 3])
def test_ome_version_of_another_type(
    bases: dict[str, Path], tmp_path: Path, version: object
) -> None:
    """An ``ome.version`` that is not a string: unsupported, and the report renders."""
    store = _copy(bases, "ngff-image-0.6", tmp_path)
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    root["attributes"]["ome"]["version"] = version
    (store / "zarr.json").write_text(json.dumps(root))
    report = ngff.validate(store)
    assert "ngff.version.unsupported" in {i.rule for i in report.issues}
    assert report.version is None or isinstance(report.version, str)
    report.render_text(Console(file=io.StringIO()))


def test_integer_of_5000_digits(bases: dict[str, Path], tmp_path: Path) -> None:
    """Valid JSON that Python will not parse (an integer over 4,300 digits): an issue."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    (store / "labels" / "zarr.json").write_text(
        '{"zarr_format": 3, "node_type": "group", "attributes": {"n": ' + "9" * 5000 + "}}"
    )
    report = ngff.validate(store)
    found = [i for i in report.issues if i.rule == "zarr.metadata.number-too-long"]
    assert [i.path for i in found] == ["labels"], report.issues
    assert read_hierarchy(str(store)).issues  # info reads it too, and says so


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_info_json_with_non_finite_numbers(
    bases: dict[str, Path], tmp_path: Path, value: float
) -> None:
    """A NaN or infinite scale: ``info --format json`` still prints JSON (no bare NaN)."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    (store / "zarr.json").unlink(missing_ok=False)
    shutil.copy(bases["ngff-image-0.5"] / "zarr.json", store / "zarr.json")
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    for dataset in root["attributes"]["ome"]["multiscales"][0]["datasets"]:
        dataset["coordinateTransformations"][0]["scale"] = [value] * 3
    (store / "zarr.json").write_text(json.dumps(root))
    result = CliRunner().invoke(ngff_cli, ["info", str(store), "--format", "json"])
    described = _strict_json(result.output)
    assert isinstance(described, dict)
    spelled = {"NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")}
    assert spelled <= set(json.dumps(described).replace('"', " ").split())


@pytest.mark.parametrize("fill", [-(2**70), "NaN", "Infinity", "-Infinity"])
def test_integer_fill_value_out_of_range_deep(
    bases: dict[str, Path], tmp_path: Path, fill: object
) -> None:
    """``--deep`` on an int array whose fill value is 2**70 or NaN: an error, no raise."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    _edit(store / "0" / "zarr.json", fill_value=fill)
    report = ngff.validate(store, deep=True)
    assert "zarr.array.fill-value" in {i.rule for i in report.issues}
    assert not report.valid


def test_fifo_in_place_of_a_level_document(bases: dict[str, Path], tmp_path: Path) -> None:
    """A FIFO is refused unopened (opening it blocks forever): that node is unreadable."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    (store / "zarr.json").write_text(json.dumps(root))
    (store / "0" / "zarr.json").unlink()
    os.mkfifo(store / "0" / "zarr.json")
    outcome = Outcome()
    with guarded(tmp_path, store, outcome, "ngff.validate"):
        report = ngff.validate(store)
    assert outcome.failures == []
    assert not report.valid
    assert any("is a FIFO" in i.message and i.path == "0" for i in report.issues), report.issues


def test_dtype_that_numpy_parses_as_python(bases: dict[str, Path], tmp_path: Path) -> None:
    """A v2 dtype string numpy reads with ``ast`` (``SyntaxError``): an invalid document."""
    store = _copy(bases, "ngff-plate-0.4", tmp_path)
    zarray = store / "A" / "1" / "0" / "0" / ".zarray"
    _edit(zarray, dtype="<u2,(")
    for validate in (ngff.validate, geozarr.validate):
        report = validate(store)
        assert "zarr.metadata.invalid" in {i.rule for i in report.issues}
    from ngff_geozarr.core.hierarchy.array_checks import parse_dtype

    assert parse_dtype("<u2,(") is None
    assert parse_dtype(["<u2"]) is None
    assert parse_dtype("<u2") == "uint16"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 5e-324])
def test_geozarr_level_scale_not_finite(
    bases: dict[str, Path], tmp_path: Path, value: float
) -> None:
    """A NaN, infinite or denormal level scale: ``geozarr.multiscales.scale``, no raise."""
    store = _copy(bases, "geozarr-3", tmp_path)
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    root["attributes"]["multiscales"]["layout"][1]["transform"]["scale"] = [value, value]
    (store / "zarr.json").write_text(json.dumps(root))
    report = geozarr.validate(store)
    assert "geozarr.multiscales.scale" in {i.rule for i in report.issues}


@pytest.mark.parametrize("value", [float("inf"), 1e308])
def test_ngff_level_scales_overflowing(
    bases: dict[str, Path], tmp_path: Path, value: float
) -> None:
    """Level scales of 1e308 or Infinity: the ratio of sample counts overflows; no raise."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    datasets = root["attributes"]["ome"]["multiscales"][0]["datasets"]
    datasets[0]["coordinateTransformations"][0]["scale"] = [value] * 3
    datasets[1]["coordinateTransformations"][0]["scale"] = [1e-300] * 3
    (store / "zarr.json").write_text(json.dumps(root))
    report = ngff.validate(store)
    assert report.readable


def test_geozarr_coordinates_against_an_infinite_transform(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    """Coordinates compared with a transform whose cells overflow to infinity: no warning."""
    store = _copy(bases, "geozarr-3", tmp_path)
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    transform = root["attributes"]["spatial:transform"]
    root["attributes"]["spatial:transform"] = [1e308, *transform[1:]]
    (store / "zarr.json").write_text(json.dumps(root))
    outcome = Outcome()
    with guarded(tmp_path, store, outcome, "geozarr.validate"):
        report = geozarr.validate(store)
    assert outcome.failures == []
    assert "geozarr.cf.coordinate-transform" in {i.rule for i in report.issues}


@pytest.mark.parametrize(
    "change",
    [
        {"codecs": {"name": "bytes"}},
        {"chunk_grid": {"name": "regular", "configuration": [8, 8]}},
        {"chunk_key_encoding": {"name": "default", "configuration": ["/"]}},
        {"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [float("inf"), 8]}}},
        {"data_type": "<u2,("},
    ],
)
def test_deep_layout_of_broken_array_documents(
    bases: dict[str, Path], tmp_path: Path, change: dict[str, object]
) -> None:
    """``--deep`` on an array whose document is broken: the array is reported, no raise."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    _edit(store / "0" / "zarr.json", **change)
    (store / "zarr.json").write_text(
        json.dumps(
            {
                k: v
                for k, v in json.loads((store / "zarr.json").read_text()).items()
                if k != "consolidated_metadata"
            }
        )
    )
    report = ngff.validate(store, deep=True)
    assert not report.valid
    assert any(i.path == "0" for i in report.errors), report.issues
