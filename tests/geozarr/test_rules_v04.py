"""GeoZarr v0.4 rules: one invalid store per rule, next to its valid twin.

The valid store follows the draft (spec/geozarr-spec-v0.4.md): Zarr v2, CF variables with
``_ARRAY_DIMENSIONS``, and tile-matrix-set multiscales whose zoom levels are child groups
(``0``: 4 x 4 pixels of 60 m, ``1``: 8 x 8 pixels of 30 m; 4 x 4 tiles = chunks). Each case
edits one metadata document of a fresh copy and must report exactly its rule, at its node and
pointer, under ``profile="v0.4"`` and ``"auto"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import CRS

import geozarr
from geozarr.conventions.registry import MULTISCALES
from ngff_geozarr.core.report import Report, Severity
from ngff_geozarr.core.store import open_store

Doc = dict[str, Any]
Edit = Callable[[Path, Callable[[Doc], None]], None]

X0, Y0 = 500_000.0, 5_200_020.0
TILE = 4
LEVELS = (("0", 60.0, 1), ("1", 30.0, 2))  # id, cell size, tiles per side
UTM32 = "http://www.opengis.net/def/crs/EPSG/0/32632"
UTM33 = "http://www.opengis.net/def/crs/EPSG/0/32633"


def tile_matrix_set(crs: Any = UTM32) -> Doc:
    """An OGC TMS 2.0 object for the two levels (``crs`` omitted when ``None``)."""
    return {
        "id": "UTM32Demo",
        **({} if crs is None else {"crs": crs}),
        "orderedAxes": ["E", "N"],
        "tileMatrices": [
            {"id": level, "cellSize": cell, "pointOfOrigin": [X0, Y0], "tileWidth": TILE,
             "tileHeight": TILE, "matrixWidth": tiles, "matrixHeight": tiles}
            for level, cell, tiles in LEVELS
        ],
    }  # fmt: skip


def build_v04(path: Path, tms: str | Doc | None = None, epsg: int = 32632) -> Path:
    """Write a valid v0.4 store: TMS multiscales at the root, one CF dataset per zoom level."""
    crs = CRS.from_epsg(epsg)
    multiscales = {
        "tile_matrix_set": tile_matrix_set() if tms is None else tms,
        "tile_matrix_limits": {level: {} for level, _, _ in LEVELS},
        "resampling_method": "average",
    }
    with open_store(path, "w-") as store:
        store.create_group("", {"multiscales": multiscales}, zarr_format=2)
        for level, cell, tiles in LEVELS:
            n = TILE * tiles
            store.create_group(level, {}, zarr_format=2)
            store.create_array(
                f"{level}/elevation",
                np.linspace(100, 200, n * n, dtype=np.float32).reshape(n, n),
                chunks=(TILE, TILE),
                fill_value=float("nan"),
                attributes={
                    "standard_name": "height_above_mean_sea_level",
                    "units": "m",
                    "grid_mapping": "spatial_ref",
                    "_FillValue": "NaN",
                    "_ARRAY_DIMENSIONS": ["y", "x"],
                },
                zarr_format=2,
            )
            centres = cell * (np.arange(n) + 0.5)
            for name, values, std in (
                ("x", X0 + centres, "projection_x_coordinate"),
                ("y", Y0 - centres, "projection_y_coordinate"),
            ):
                store.create_array(
                    f"{level}/{name}",
                    values,
                    attributes={
                        "standard_name": std,
                        "units": "m",
                        "axis": name.upper(),
                        "_ARRAY_DIMENSIONS": [name],
                    },
                    zarr_format=2,
                )
            store.create_array(
                f"{level}/spatial_ref",
                np.array(0, dtype=np.int64),
                attributes={
                    **crs.to_cf(),
                    "spatial_ref": crs.to_wkt(),
                    "GeoTransform": " ".join(str(v) for v in (X0, cell, 0.0, Y0, 0.0, -cell)),
                    "_ARRAY_DIMENSIONS": [],
                },
                zarr_format=2,
            )
    return path


def found(report: Report) -> list[tuple[str, Severity, str, str]]:
    return [(i.rule, i.severity, i.path, i.pointer) for i in report.issues]


def both_profiles(store: Path) -> list[Report]:
    return [geozarr.validate(store, profile=p) for p in ("v0.4", "auto")]


# -- the valid twins ---------------------------------------------------------------------

VALID_TMS: list[tuple[str, str | Doc]] = [
    ("object-crs-uri", tile_matrix_set()),
    ("crs-object-uri", tile_matrix_set({"uri": UTM32})),
    ("crs-object-projjson", tile_matrix_set({"wkt": CRS.from_epsg(32632).to_json_dict()})),
    ("crs-object-wkt", tile_matrix_set({"wkt": CRS.from_epsg(32632).to_wkt()})),
    ("tms-1.0-supported-crs",
     {**tile_matrix_set(None), "supportedCRS": "urn:ogc:def:crs:EPSG::32632"}),
    ("more-levels-than-included", {**tile_matrix_set(), "tileMatrices": [
        *tile_matrix_set()["tileMatrices"],
        {"id": "2", "cellSize": 15.0, "pointOfOrigin": [X0, Y0], "tileWidth": TILE,
         "tileHeight": TILE, "matrixWidth": 4, "matrixHeight": 4}]}),
    ("reference-system-not-checked", tile_matrix_set({"referenceSystem": {"name": "local"}})),
    ("unknown-name-not-checked", "MyOwnTiles"),
]  # fmt: skip


@pytest.mark.parametrize("tms", [pytest.param(t, id=i) for i, t in VALID_TMS])
def test_valid_v04_store_has_no_issue(tmp_path: Path, tms: str | Doc) -> None:
    store = build_v04(tmp_path / "v04.zarr", tms)
    for report in both_profiles(store):
        assert report.issues == (), report.issues
        assert report.version == "cf+v0.4"
        assert report.node_type == "multiscales"


@pytest.mark.parametrize(
    ("tms", "epsg"),
    [
        pytest.param("UTM31WGS84Quad", 32631, id="name"),
        pytest.param(
            "https://schemas.opengis.net/tms/2.0/json/examples/tilematrixset/"
            "EuropeanETRS89_LAEAQuad.json",
            3035,
            id="uri",
        ),
        pytest.param("WorldCRS84Quad", 4326, id="crs84-axis-order-ignored"),
        pytest.param(
            {**tile_matrix_set(None), "id": "EuropeanETRS89_LAEAQuad"}, 3035, id="object-id"
        ),
    ],
)
def test_well_known_tile_matrix_set_crs(tmp_path: Path, tms: str | Doc, epsg: int) -> None:
    """A well-known set is resolved offline: valid with its CRS, tms-crs with another."""
    twin = build_v04(tmp_path / "twin.zarr", tms, epsg)
    for report in both_profiles(twin):
        assert report.issues == (), report.issues
    broken = build_v04(tmp_path / "broken.zarr", tms, 32633)
    pointer = "/attributes/multiscales/tile_matrix_set" + ("/id" if isinstance(tms, dict) else "")
    for report in both_profiles(broken):
        assert found(report) == [("geozarr.v04.tms-crs", Severity.ERROR, "", pointer)]
        assert "'0/spatial_ref', '1/spatial_ref'" in report.issues[0].message


def test_web_mercator_quad_is_epsg_3857(tmp_path: Path) -> None:
    """The draft's own example. CF has no Pseudo-Mercator mapping: a warning, not an error."""
    twin = build_v04(tmp_path / "twin.zarr", "WebMercatorQuad", 3857)
    report = geozarr.validate(twin, profile="v0.4")
    assert report.valid
    assert {i.rule for i in report.warnings} == {"geozarr.cf.grid-mapping-name"}
    broken = build_v04(tmp_path / "broken.zarr", "WebMercatorQuad", 3395)
    rules = {i.rule for i in geozarr.validate(broken, profile="v0.4").issues}
    assert "geozarr.v04.tms-crs" in rules


# -- one broken twin per rule ------------------------------------------------------------


def multiscales(change: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def apply(attrs: Doc) -> None:
        change(attrs["multiscales"])

    return apply


def tms_key(key: str, value: Any, drop: str | None = None) -> Callable[[Doc], None]:
    def change(ms: Doc) -> None:
        ms["tile_matrix_set"][key] = value
        if drop is not None:
            del ms["tile_matrix_set"][drop]

    return multiscales(change)


def rename_level(limits: bool) -> Callable[[Doc], None]:
    def change(ms: Doc) -> None:
        ms["tile_matrix_set"]["tileMatrices"][1]["id"] = "2"
        if limits:
            ms["tile_matrix_limits"] = {"0": {}, "2": {}}
        else:
            del ms["tile_matrix_limits"]

    return multiscales(change)


def regrid(epsg: int) -> Callable[[Doc], None]:
    """Re-describe a grid-mapping variable as another CRS (consistently: CF, WKT, GDAL)."""

    def change(attrs: Doc) -> None:
        crs = CRS.from_epsg(epsg)
        for key in [k for k in attrs if k not in ("GeoTransform", "_ARRAY_DIMENSIONS")]:
            del attrs[key]
        attrs.update({**crs.to_cf(), "spatial_ref": crs.to_wkt()})

    return change


MS = "/attributes/multiscales"
_E, _W = Severity.ERROR, Severity.WARNING

# (id, node, document, change, rule, severity, pointer)
CASES: list[tuple[str, str, str, Callable[[Doc], None], str, Severity, str]] = [
    ("schema-resampling", "", ".zattrs",
     multiscales(lambda ms: ms.update(resampling_method="bicubic")),
     "geozarr.v04.schema", _E, f"{MS}/resampling_method"),
    ("schema-tile-size", "", ".zattrs",
     multiscales(lambda ms: ms["tile_matrix_set"]["tileMatrices"][0].update(tileWidth=0)),
     "geozarr.v04.schema", _E, f"{MS}/tile_matrix_set/tileMatrices/0/tileWidth"),
    ("schema-unknown-key", "", ".zattrs", multiscales(lambda ms: ms.update(resampling="mode")),
     "geozarr.v04.unknown-key", _W, f"{MS}/resampling"),
    ("zoom-order", "", ".zattrs",
     multiscales(lambda ms: ms["tile_matrix_set"]["tileMatrices"].reverse()),
     "geozarr.v04.zoom-order", _E, f"{MS}/tile_matrix_set/tileMatrices"),
    ("limits-level-missing", "", ".zattrs",
     multiscales(lambda ms: ms["tile_matrix_limits"].pop("1")),
     "geozarr.v04.limits", _E, f"{MS}/tile_matrix_limits"),
    ("limits-not-a-tile-matrix", "", ".zattrs",
     multiscales(lambda ms: ms["tile_matrix_limits"].update({"7": {}})),
     "geozarr.v04.limits", _E, f"{MS}/tile_matrix_limits/7"),
    ("limits-outside-the-matrix", "", ".zattrs",
     multiscales(lambda ms: ms["tile_matrix_limits"].update({"1": {"max_tile_col": 2}})),
     "geozarr.v04.limits", _E, f"{MS}/tile_matrix_limits/1/max_tile_col"),
    ("limits-min-above-max", "", ".zattrs",
     multiscales(lambda ms: ms["tile_matrix_limits"].update(
         {"1": {"min_tile_row": 1, "max_tile_row": 0}})),
     "geozarr.v04.limits", _E, f"{MS}/tile_matrix_limits/1/max_tile_row"),
    ("tile-matrix-path", "", ".zattrs", rename_level(limits=False),
     "geozarr.v04.tile-matrix-path", _E, f"{MS}/tile_matrix_set/tileMatrices/1/id"),
    ("tile-matrix-path-from-limits", "", ".zattrs", rename_level(limits=True),
     "geozarr.v04.tile-matrix-path", _E, f"{MS}/tile_matrix_limits/2"),
    ("tile-chunks", "1/elevation", ".zarray", lambda d: d.update(chunks=[8, 4]),
     "geozarr.v04.tile-chunks", _E, "/chunks"),
    ("grid-mapping", "1/elevation", ".zattrs", lambda d: d.pop("grid_mapping"),
     "geozarr.v04.grid-mapping", _E, "/attributes"),
    ("standard-name", "1/x", ".zattrs", lambda d: d.pop("standard_name"),
     "geozarr.v04.standard-name", _E, "/attributes"),
    ("array-dimensions-data", "1/elevation", ".zattrs", lambda d: d.pop("_ARRAY_DIMENSIONS"),
     "geozarr.v04.array-dimensions", _E, "/attributes"),
    ("array-dimensions-coordinate", "0/y", ".zattrs", lambda d: d.pop("_ARRAY_DIMENSIONS"),
     "geozarr.v04.array-dimensions", _E, "/attributes"),
    ("array-dimensions-auxiliary", "0/spatial_ref", ".zattrs",
     lambda d: d.pop("_ARRAY_DIMENSIONS"),
     "geozarr.v04.array-dimensions", _E, "/attributes"),
    ("tms-crs-uri", "", ".zattrs", tms_key("crs", UTM33),
     "geozarr.v04.tms-crs", _E, f"{MS}/tile_matrix_set/crs"),
    ("tms-crs-object-uri", "", ".zattrs", tms_key("crs", {"uri": UTM33}),
     "geozarr.v04.tms-crs", _E, f"{MS}/tile_matrix_set/crs/uri"),
    ("tms-crs-projjson", "", ".zattrs",
     tms_key("crs", {"wkt": CRS.from_epsg(32633).to_json_dict()}),
     "geozarr.v04.tms-crs", _E, f"{MS}/tile_matrix_set/crs/wkt"),
    ("tms-crs-supported-crs", "", ".zattrs",
     tms_key("supportedCRS", "urn:ogc:def:crs:EPSG::32633", drop="crs"),
     "geozarr.v04.tms-crs", _E, f"{MS}/tile_matrix_set/supportedCRS"),
    ("tms-crs-one-level-differs", "1/spatial_ref", ".zattrs", regrid(32633),
     "geozarr.v04.tms-crs", _E, f"{MS}/tile_matrix_set/crs"),
    ("tms-crs-unresolvable", "", ".zattrs",
     tms_key("crs", "http://www.opengis.net/def/crs/EPSG/0/999999"),
     "geozarr.crs.unresolvable", _E, f"{MS}/tile_matrix_set/crs"),
    ("tms-crs-unparseable", "", ".zattrs", tms_key("crs", {"wkt": "PROJCRS[oops"}),
     "geozarr.crs.unparseable", _E, f"{MS}/tile_matrix_set/crs/wkt"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("node", "document", "change", "rule", "severity", "pointer"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_each_v04_rule_breaks_on_its_case_and_holds_on_the_twin(
    tmp_path: Path,
    edit: Edit,
    node: str,
    document: str,
    change: Callable[[Doc], None],
    rule: str,
    severity: Severity,
    pointer: str,
) -> None:
    twin = build_v04(tmp_path / "twin.zarr")
    for report in both_profiles(twin):
        assert report.issues == ()
    broken = build_v04(tmp_path / "broken.zarr")
    edit(broken / node / document, change)
    path = "" if pointer.startswith(MS) else node  # multiscales rules report on their group
    for report in both_profiles(broken):
        assert found(report) == [(rule, severity, path, pointer)], report.issues
        assert report.valid is (severity is Severity.WARNING)
        assert report.issues[0].reference.startswith("GeoZarr v0.4 §")


def test_tms_crs_names_the_grid_mapping_that_differs(tmp_path: Path, edit: Edit) -> None:
    store = build_v04(tmp_path / "v04.zarr")
    edit(store / "1" / "spatial_ref" / ".zattrs", regrid(32633))
    (issue,) = geozarr.validate(store).issues
    assert "'1/spatial_ref'" in issue.message
    assert "'0/spatial_ref'" not in issue.message
    assert "WGS 84 / UTM zone 33N" in issue.message


def test_v04_rules_need_the_whole_hierarchy_for_paths_not_for_the_schema(
    tmp_path: Path,
) -> None:
    """A lone ``.zattrs`` document: level paths cannot be checked, the metadata still is."""
    store = build_v04(tmp_path / "v04.zarr")
    attrs = json.loads((store / ".zattrs").read_text())
    ms = attrs["multiscales"]
    ms["tile_matrix_set"]["tileMatrices"][1]["id"] = "9"
    ms["tile_matrix_limits"] = {"0": {}, "9": {"max_tile_row": 5}}
    doc = tmp_path / "attrs.json"
    doc.write_text(json.dumps(attrs))
    report = geozarr.validate(doc, profile="v0.4")
    assert found(report) == [
        ("geozarr.v04.limits", Severity.ERROR, "", f"{MS}/tile_matrix_limits/9/max_tile_row")
    ]


def test_v04_multiscales_on_a_data_array_resolve_from_its_group(tmp_path: Path, edit: Edit) -> None:
    """§Multiscales Metadata words it as a DataArray attribute: levels are its group's children."""
    store = build_v04(tmp_path / "v04.zarr")
    with open_store(store, "r+") as handle:
        handle.create_array(
            "overview",
            np.zeros((4, 4), np.float32),
            fill_value=float("nan"),
            attributes={
                "standard_name": "height_above_mean_sea_level",
                "units": "m",
                "grid_mapping": "0/spatial_ref",
                "_ARRAY_DIMENSIONS": ["y", "x"],
                "_FillValue": "NaN",
            },
            zarr_format=2,
        )
    moved = json.loads((store / ".zattrs").read_text())
    (store / ".zattrs").write_text("{}")
    (store / "overview" / ".zattrs").write_text(
        json.dumps({**json.loads((store / "overview" / ".zattrs").read_text()), **moved})
    )
    assert found(geozarr.validate(store, profile="v0.4")) == []
    edit(store / "overview" / ".zattrs", tms_key("crs", UTM33))
    assert found(geozarr.validate(store, profile="v0.4")) == [
        ("geozarr.v04.tms-crs", Severity.ERROR, "overview", f"{MS}/tile_matrix_set/crs")
    ]


def test_group_only(tmp_path: Path, builders: dict[str, Callable[..., Path]], edit: Edit) -> None:
    """multiscales §Configuration: a layout on an array is one error, its assets unchecked."""
    twin = builders["pyramid"](tmp_path / "twin.zarr")
    assert geozarr.validate(twin).issues == ()
    broken = builders["pyramid"](tmp_path / "broken.zarr")

    def add_layout(doc: Doc) -> None:
        doc["attributes"].update(
            zarr_conventions=[MULTISCALES.canonical()],
            multiscales={"layout": [{"asset": "0"}, {"asset": "1"}]},
        )

    edit(broken / "0" / "data" / "zarr.json", add_layout)
    report = geozarr.validate(broken)
    assert found(report) == [
        ("geozarr.multiscales.group-only", Severity.ERROR, "0/data", "/attributes/multiscales")
    ]
    assert report.issues[0].reference == "multiscales: v0.1 §Configuration"


def test_coordinate_variable_dimension_is_its_own_name(tmp_path: Path) -> None:
    """§GeoZarr Coordinates: _ARRAY_DIMENSIONS "equal to the Zarr array name"."""
    store = build_v04(tmp_path / "v04.zarr")
    level = LEVELS[0][0]
    path = store / level / "x" / ".zattrs"
    attrs = json.loads(path.read_text())
    attrs["_ARRAY_DIMENSIONS"] = ["col"]
    path.write_text(json.dumps(attrs))
    for report in both_profiles(store):
        hits = [f for f in found(report) if f[0] == "geozarr.v04.coordinate-dimensions"]
        assert hits == [
            (
                "geozarr.v04.coordinate-dimensions",
                Severity.ERROR,
                f"{level}/x",
                "/attributes/_ARRAY_DIMENSIONS",
            )
        ]


def test_auxiliary_variable_dimensions_are_an_empty_list(tmp_path: Path) -> None:
    """§GeoZarr Auxiliary Data: _ARRAY_DIMENSIONS "set as an empty array" (0-d variables)."""
    store = build_v04(tmp_path / "v04.zarr")
    path = store / "0" / "spatial_ref" / ".zattrs"
    attrs = json.loads(path.read_text())
    attrs["_ARRAY_DIMENSIONS"] = ["x"]
    path.write_text(json.dumps(attrs))
    report = geozarr.validate(store, profile="v0.4")
    assert ("geozarr.cf.array-dimensions", "0/spatial_ref") in {
        (i.rule, i.path) for i in report.errors
    }
