"""Reader compatibility profiles (``validate --for``): one store that trips each rule, one
that passes, and our writers' outputs pass the profiles they claim (GeoZarr pyramids: GDAL
3.13 overviews; OME images: napari)."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import geozarr
import ngff
from geozarr.cli import cli as geozarr_cli
from geozarr.profiles import READERS as GEO_READERS
from geozarr.rules import REGISTRY as GEO_RULES
from ngff.cli import cli as ngff_cli
from ngff.profiles import READERS as OME_READERS
from ngff.rules import REGISTRY as OME_RULES
from ngff_geozarr.core.profiles import PROFILE_RULES, rules_for
from ngff_geozarr.core.profiles.readers import select_readers
from ngff_geozarr.core.report import Report, Severity

TRANSFORM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0)


def reader_rules(report: Report) -> list[tuple[str, str]]:
    """The reader issues of a report, as (rule, path)."""
    return [(i.rule, i.path) for i in report.issues if i.rule.startswith("reader.")]


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change one metadata document in place."""
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.fixture(scope="module")
def geo_pyramid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = np.linspace(0, 1, 128 * 96, dtype=np.float32).reshape(128, 96)
    out = tmp_path_factory.mktemp("geo") / "dem.zarr"
    geozarr.write(data, out, crs="EPSG:32632", transform=TRANSFORM, levels="auto", chunks=(32, 32))
    return out


@pytest.fixture
def geo_copy(geo_pyramid: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(geo_pyramid, tmp_path / "dem.zarr"))


def geo_check(store: Path, *readers: str) -> list[tuple[str, str]]:
    return reader_rules(geozarr.validate(store, readers=readers))


# -- the writers' outputs pass the profiles they claim ----------------------------------------


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_geozarr_pyramids_pass_every_geo_reader_they_can(tmp_path: Path, zarr_format: int) -> None:
    data = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(64, 48)
    out = tmp_path / "dem.zarr"
    geozarr.write(
        data, out, crs="EPSG:32632", transform=TRANSFORM, levels="auto", zarr_format=zarr_format
    )
    found = geo_check(out, "gdal-3.12", "gdal-3.13", "xarray")
    if zarr_format == 3:
        assert found == []
    else:  # GDAL 3.13 looks for overviews from Zarr v3 arrays only
        assert found == [("reader.gdal-3.13.overview-format", "")]


@pytest.mark.parametrize("version", ["0.4", "0.5", "0.6"])
def test_ome_images_pass_napari(tmp_path: Path, version: str) -> None:
    out = tmp_path / "image.ome.zarr"
    volume = np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64)
    ngff.write_image(volume, out, axes="cyx", version=version, levels=3)
    ngff.write_labels((volume[:1] % 3).astype(np.uint8), out, "cells")
    assert reader_rules(ngff.validate(out, readers=["napari"])) == []
    found = reader_rules(ngff.validate(out, readers=["ome-zarr-py"]))
    assert found == ([] if version != "0.6" else [("reader.ome-zarr-py.version", p) for p in
                     ("", "labels", "labels/cells")])  # fmt: skip


# -- GDAL 3.12 ---------------------------------------------------------------------------------


def test_gdal_312_sharding(tmp_path: Path) -> None:
    data = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    sharded = tmp_path / "sharded.zarr"
    geozarr.write(data, sharded, crs="EPSG:32632", transform=TRANSFORM, chunks=(16, 16),
                  shards=(32, 32))  # fmt: skip
    assert geo_check(sharded, "gdal-3.12") == [("reader.gdal-3.12.sharding", "data")]
    plain = tmp_path / "plain.zarr"
    geozarr.write(data, plain, crs="EPSG:32632", transform=TRANSFORM, chunks=(16, 16))
    assert geo_check(plain, "gdal-3.12") == []


def test_gdal_312_crs(geo_copy: Path) -> None:
    assert geo_check(geo_copy, "gdal-3.12") == []
    edit(geo_copy / "data" / "zarr.json", lambda d: d["attributes"].pop("grid_mapping"))
    assert geo_check(geo_copy, "gdal-3.12") == [("reader.gdal-3.12.crs", "data")]


# -- GDAL 3.13 overview discovery --------------------------------------------------------------


def test_gdal_313_overview_format(tmp_path: Path) -> None:
    data = np.zeros((64, 64), dtype=np.float32)
    out = tmp_path / "v2.zarr"
    geozarr.write(data, out, crs="EPSG:32632", transform=TRANSFORM, levels=2, zarr_format=2)
    assert geo_check(out, "gdal-3.13") == [("reader.gdal-3.13.overview-format", "")]


def test_gdal_313_layout_needs_the_multiscales_uuid(geo_copy: Path) -> None:
    assert geo_check(geo_copy, "gdal-3.13") == []

    def drop(doc: dict[str, Any]) -> None:
        conventions = doc["attributes"]["zarr_conventions"]
        doc["attributes"]["zarr_conventions"] = [
            c for c in conventions if c["name"] != "multiscales"
        ]

    edit(geo_copy / "zarr.json", drop)
    assert ("reader.gdal-3.13.overview-layout", "") in geo_check(geo_copy, "gdal-3.13")


def test_gdal_313_layout_needs_the_base_array_name(geo_copy: Path) -> None:
    (geo_copy / "1" / "data").rename(geo_copy / "1" / "band")
    edit(geo_copy / "zarr.json", lambda d: d["attributes"]["multiscales"]["layout"][1].update(
        asset="1/band"))  # fmt: skip
    assert geo_check(geo_copy, "gdal-3.13") == [("reader.gdal-3.13.overview-layout", "")]


def _group(path: Path, attributes: dict[str, Any] | None = None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    doc = {"zarr_format": 3, "node_type": "group", "attributes": attributes or {}}
    (path / "zarr.json").write_text(json.dumps(doc))


def _array(path: Path, shape: list[int], dtype: str = "float32") -> None:
    path.mkdir(parents=True, exist_ok=True)
    doc = {
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shape}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0.0, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "dimension_names": ["y", "x"], "attributes": {},
    }  # fmt: skip
    (path / "zarr.json").write_text(json.dumps(doc))


def _multiscales(levels: list[str]) -> dict[str, Any]:
    layout: list[dict[str, Any]] = [{"asset": levels[0]}]
    for before, asset in itertools.pairwise(levels):
        layout.append({"asset": asset, "derived_from": before,
                       "transform": {"scale": [2.0, 2.0]}})  # fmt: skip
    return {
        "zarr_conventions": [{"uuid": "d35379db-88df-4056-af3a-620245f8e347",
                              "name": "multiscales"}],
        "multiscales": {"layout": layout},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("base", "expected"),
    [("0/data", []), ("a/0/data", [("reader.gdal-3.13.overview-layout", "")])],
    ids=["grandparent", "great-grandparent"],
)
def test_gdal_313_multiscales_group_is_parent_or_grandparent(
    tmp_path: Path, base: str, expected: list[tuple[str, str]]
) -> None:
    store = tmp_path / "deep.zarr"
    level = base.replace("0/", "1/")
    _group(store, _multiscales([base, level]))
    for folder in {str(Path(base).parent), str(Path(base).parent.parent), str(Path(level).parent)}:
        if folder != ".":
            _group(store / folder)
    _array(store / base, [64, 64])
    _array(store / level, [32, 32])
    assert geo_check(store, "gdal-3.13") == expected


def test_gdal_313_overview_dtype(geo_copy: Path) -> None:
    edit(geo_copy / "1" / "data" / "zarr.json", lambda d: d.update(data_type="float64"))
    assert geo_check(geo_copy, "gdal-3.13") == [("reader.gdal-3.13.overview-dtype", "")]


def test_gdal_313_overview_smaller(geo_copy: Path) -> None:
    edit(geo_copy / "1" / "data" / "zarr.json", lambda d: d.update(shape=[128, 96]))
    edit(geo_copy / "zarr.json", lambda d: d["attributes"]["multiscales"]["layout"][1].update(
        {"spatial:shape": [128, 96]}))  # fmt: skip
    assert geo_check(geo_copy, "gdal-3.13") == [("reader.gdal-3.13.overview-smaller", "")]


def test_gdal_313_overview_spatial_shape(geo_copy: Path) -> None:
    edit(geo_copy / "zarr.json", lambda d: d["attributes"]["multiscales"]["layout"][1].update(
        {"spatial:shape": [65, 48]}))  # fmt: skip
    assert geo_check(geo_copy, "gdal-3.13") == [("reader.gdal-3.13.overview-spatial-shape", "")]


def test_gdal_313_overview_translation(geo_copy: Path) -> None:
    edit(geo_copy / "zarr.json", lambda d: d["attributes"]["multiscales"]["layout"][2][
        "transform"].update(translation=[0.5, 0.5]))  # fmt: skip
    assert geo_check(geo_copy, "gdal-3.13") == [("reader.gdal-3.13.overview-translation", "")]


# -- xarray ------------------------------------------------------------------------------------


def test_xarray_dimension_names(geo_copy: Path) -> None:
    assert geo_check(geo_copy, "xarray") == []
    edit(geo_copy / "1" / "data" / "zarr.json", lambda d: d.pop("dimension_names"))
    assert geo_check(geo_copy, "xarray") == [("reader.xarray.dimension-names", "1/data")]


def test_xarray_dimension_names_v2(tmp_path: Path) -> None:
    out = tmp_path / "v2.zarr"
    geozarr.write(np.zeros((32, 32), np.float32), out, crs="EPSG:32632", transform=TRANSFORM,
                  zarr_format=2)  # fmt: skip
    assert geo_check(out, "xarray") == []
    edit(out / "data" / ".zattrs", lambda d: d.pop("_ARRAY_DIMENSIONS"))
    assert geo_check(out, "xarray") == [("reader.xarray.dimension-names", "data")]


def test_xarray_dimension_sizes(geo_copy: Path) -> None:
    edit(geo_copy / "x" / "zarr.json", lambda d: d.update(shape=[95]))
    assert geo_check(geo_copy, "xarray") == [("reader.xarray.dimension-sizes", "x")]


# -- napari and ome-zarr-py --------------------------------------------------------------------


@pytest.fixture
def ome_image(tmp_path: Path) -> Path:
    out = tmp_path / "image.ome.zarr"
    ngff.write_image(np.zeros((2, 64, 64), np.uint8), out, axes="cyx", levels=3)
    return out


def ome_check(store: Path, *readers: str) -> list[tuple[str, str]]:
    return reader_rules(ngff.validate(store, readers=readers))


def _datasets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    datasets: list[dict[str, Any]] = doc["attributes"]["ome"]["multiscales"][0]["datasets"]
    return datasets


def test_napari_level_order(ome_image: Path) -> None:
    def swap(doc: dict[str, Any]) -> None:
        datasets = _datasets(doc)
        datasets[0]["path"], datasets[1]["path"] = datasets[1]["path"], datasets[0]["path"]

    edit(ome_image / "zarr.json", swap)
    assert ome_check(ome_image, "napari") == [("reader.napari.level-order", "")]


def test_napari_level_dtype(ome_image: Path) -> None:
    edit(ome_image / "2" / "zarr.json", lambda d: d.update(data_type="uint16"))
    assert ome_check(ome_image, "napari") == [("reader.napari.level-dtype", "")]


def test_ome_zarr_py_axes(tmp_path: Path) -> None:
    out = tmp_path / "image.ome.zarr"
    ngff.write_image(np.zeros((2, 32, 32), np.uint8), out, axes="cyx", version="0.4")
    assert ome_check(out, "ome-zarr-py") == []

    def reorder(doc: dict[str, Any]) -> None:
        axes = doc["multiscales"][0]["axes"]
        axes[0], axes[1] = axes[1], axes[0]  # y, c, x: a channel after a space axis

    edit(out / ".zattrs", reorder)
    assert ome_check(out, "ome-zarr-py") == [("reader.ome-zarr-py.axes", "")]


@pytest.mark.parametrize(("second", "trips"), [((32, 32), False), ((32, 48), True)])
def test_ome_zarr_py_well_fields(tmp_path: Path, second: tuple[int, int], trips: bool) -> None:
    plate = tmp_path / "plate.ome.zarr"
    fields = [np.zeros((32, 32), np.uint8), np.zeros(second, np.uint8)]
    ngff.write_plate(plate, {"A/1": fields}, axes="yx")
    expected = [("reader.ome-zarr-py.well-fields", "A/1")] if trips else []
    assert ome_check(plate, "ome-zarr-py") == expected


# -- the registry, the option and the command line ---------------------------------------------


def test_each_convention_declares_the_rules_of_its_readers() -> None:
    for registry, readers in ((GEO_RULES, GEO_READERS), (OME_RULES, OME_READERS)):
        declared = {r.id for r in registry if r.id.startswith("reader.")}
        assert declared == {r.id for r in rules_for(*readers)}
        assert declared  # every supported reader has rules
        for name in readers:
            assert any(i.startswith(f"reader.{name}.") for i in declared), name
    assert {r.id for r in PROFILE_RULES} == {
        r.id for r in (*GEO_RULES, *OME_RULES) if r.id.startswith("reader.")
    }
    for rule in PROFILE_RULES:  # warnings, under --strict too; the source as the clause
        assert rule.level.severity(strict=True) is Severity.WARNING, rule.id
        assert rule.clause.section.split(" ")[0] in {"GDAL", "xarray", "napari", "ome-zarr-py"}


def test_select_readers_refuses_unknown_names() -> None:
    assert [p.name for p in select_readers(["xarray", " gdal-3.13", "xarray"], GEO_READERS)] == [
        "xarray",
        "gdal-3.13",
    ]
    with pytest.raises(ValueError, match=r"Expected readers among gdal-3\.12, gdal-3\.13"):
        select_readers(["napari"], GEO_READERS)


def test_json_documents_get_no_reader_findings(tmp_path: Path) -> None:
    doc = tmp_path / "attrs.json"
    doc.write_text(json.dumps({"multiscales": {"layout": [{"asset": "0"}]}}))
    assert reader_rules(geozarr.validate(doc, readers=["gdal-3.13"])) == []


def test_cli_for_option(geo_copy: Path, ome_image: Path) -> None:
    edit(geo_copy / "1" / "data" / "zarr.json", lambda d: d.update(data_type="float64"))
    runner = CliRunner()
    result = runner.invoke(
        geozarr_cli, ["validate", str(geo_copy), "--for", "gdal-3.13,xarray", "--format", "json",
                      "--strict"])  # fmt: skip
    assert result.exit_code == 0, result.output
    issues = json.loads(result.stdout)["issues"]
    found = [i for i in issues if i["rule"].startswith("reader.")]
    assert [(i["rule"], i["severity"]) for i in found] == [
        ("reader.gdal-3.13.overview-dtype", "warning")
    ]
    assert "GDAL 3.13" in found[0]["message"]
    assert "Fix:" in found[0]["message"]
    result = runner.invoke(ngff_cli, ["validate", str(ome_image), "--for", "napari"])
    assert result.exit_code == 0
    assert "0 warnings" in result.stdout


@pytest.mark.parametrize(("cli", "command"), [(geozarr_cli, "geozarr"), (ngff_cli, "ngff")])
def test_cli_unknown_reader_is_a_usage_error(cli: Any, command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path), "--for", "xarray,excel"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{command}: error: ")
    assert "excel" in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
