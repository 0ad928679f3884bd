"""What the fuzz suite found, each pinned by the smallest store that showed it.

Every test here failed before its fix: the validators raised (an internal error, a traceback
in the command line) or ``info --format json`` printed tokens that are not JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

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


def test_integer_fill_value_out_of_range_deep(bases: dict[str, Path], tmp_path: Path) -> None:
    """``--deep`` on an int array whose fill value is 2**70: a fill-value error, no raise."""
    store = _copy(bases, "ngff-image-0.5", tmp_path)
    _edit(store / "0" / "zarr.json", fill_value=-(2**70))
    report = ngff.validate(store, deep=True)
    assert "zarr.array.fill-value" in {i.rule for i in report.issues}
    assert not report.valid
