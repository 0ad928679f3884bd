"""One invalid store per rule, next to its valid twin: the unchanged store validates clean."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import geozarr
from geozarr.context import CheckContext
from geozarr.conventions.registry import PROJ, SPATIAL
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.rules import RuleLevelError, UnregisteredRuleError
from ngff_geozarr.core.store import open_store

Doc = dict[str, Any]


def attrs(doc: Doc) -> Doc:
    return doc["attributes"]  # type: ignore[no-any-return]


def setter(key: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        attrs(doc)[key] = value

    return change


def deleter(key: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        del attrs(doc)[key]

    return change


def meta(key: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        doc[key] = value

    return change


def conventions(*entries: Doc) -> Callable[[Doc], None]:
    return setter("zarr_conventions", list(entries))


def layout(i: int, key: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        attrs(doc)["multiscales"]["layout"][i][key] = value

    return change


GEOTRANSFORM_AFFINE_ORDER = " ".join(str(v) for v in [30.0, 0.0, 500000.0, 0.0, -30.0, 5200020.0])
WKT1 = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
)

# (id, builder, node document edited, change, rule expected, severity)
CASES: list[tuple[str, str, str, Callable[[Doc], None], str, Severity]] = [
    ("cmo-no-identifier", "raster", "", conventions({"name": "proj:"}, SPATIAL.canonical()),
     "geozarr.conventions.identifier", Severity.ERROR),
    ("cmo-not-array", "raster", "", setter("zarr_conventions", {"uuid": PROJ.uuid}),
     "geozarr.conventions.schema", Severity.ERROR),
    ("cmo-noncanonical", "raster", "",
     conventions({**PROJ.canonical(), "name": "proj:"}, SPATIAL.canonical()),
     "geozarr.conventions.noncanonical", Severity.WARNING),
    ("cmo-identity-conflict", "raster", "",
     conventions({**PROJ.canonical(), "schema_url": SPATIAL.schema_url}, SPATIAL.canonical()),
     "geozarr.conventions.identity-conflict", Severity.ERROR),
    ("cmo-duplicate", "raster", "",
     conventions(PROJ.canonical(), SPATIAL.canonical(), PROJ.canonical()),
     "geozarr.conventions.duplicate", Severity.WARNING),
    ("undeclared", "raster", "", conventions(PROJ.canonical()),
     "geozarr.conventions.undeclared", Severity.WARNING),
    ("proj-code-pattern", "raster", "", setter("proj:code", "epsg:32632"),
     "geozarr.proj.schema", Severity.ERROR),
    ("proj-crs-required", "raster", "", deleter("proj:code"),
     "geozarr.proj.crs-required", Severity.ERROR),
    ("proj-unknown-key", "raster", "", setter("proj:epsg", 32632),
     "geozarr.proj.unknown-key", Severity.WARNING),
    ("crs-unresolvable", "raster", "", setter("proj:code", "EPSG:999999"),
     "geozarr.crs.unresolvable", Severity.ERROR),
    ("crs-unparseable-wkt2", "raster", "", setter("proj:wkt2", "PROJCRS[nonsense"),
     "geozarr.crs.unparseable", Severity.ERROR),
    ("crs-unparseable-projjson", "raster", "", setter("proj:projjson", {"type": "Nothing"}),
     "geozarr.crs.unparseable", Severity.ERROR),
    ("proj-wkt2-is-wkt1", "raster", "", setter("proj:wkt2", WKT1),
     "geozarr.proj.wkt2-version", Severity.ERROR),
    ("crs-disagree-on-node", "raster", "", setter("proj:wkt2", 'GEOGCRS["x",DATUM["WGS 84",'
     'ELLIPSOID["WGS 84",6378137,298.257223563]],CS[ellipsoidal,2],'
     'AXIS["lat",north],AXIS["lon",east],ANGLEUNIT["degree",0.0174532925199433]]'),
     "geozarr.crs.disagree", Severity.ERROR),
    ("crs-disagree-grid-mapping", "raster", "", setter("proj:code", "EPSG:32633"),
     "geozarr.crs.disagree", Severity.ERROR),
    ("spatial-schema", "raster", "", setter("spatial:transform", [1, 2, 3]),
     "geozarr.spatial.schema", Severity.ERROR),
    ("spatial-registration", "raster", "", setter("spatial:registration", "corner"),
     "geozarr.spatial.schema", Severity.ERROR),
    ("spatial-bbox-order", "raster", "", setter("spatial:bbox", [0, 0, 0, 0]),
     "geozarr.spatial.bbox-order", Severity.ERROR),
    ("spatial-bbox", "raster", "", setter("spatial:bbox", [5e5, 5e6, 6e5, 5200020.0]),
     "geozarr.spatial.bbox", Severity.ERROR),
    ("spatial-shape", "raster", "", setter("spatial:shape", [6, 9]),
     "geozarr.spatial.shape", Severity.ERROR),
    ("spatial-transform-type", "raster", "", setter("spatial:transform_type", "rpc"),
     "geozarr.spatial.transform-type", Severity.WARNING),
    ("spatial-dimensions", "raster", "elevation",
     lambda d: (attrs(d).update({"zarr_conventions": [SPATIAL.canonical()],
                                 "spatial:dimensions": ["lat", "x"]})),
     "geozarr.spatial.dimensions", Severity.ERROR),
    ("spatial-dimensions-required", "raster", "elevation",
     lambda d: (d.update({"dimension_names": ["row", "col"]}), attrs(d).update(
         {"zarr_conventions": [SPATIAL.canonical()], "spatial:transform": [1, 0, 0, 0, -1, 0]})),
     "geozarr.spatial.dimensions-required", Severity.ERROR),
    ("spatial-dimension-names", "raster", "elevation",
     lambda d: (d.pop("dimension_names"), attrs(d).update(
         {"zarr_conventions": [SPATIAL.canonical()], "spatial:dimensions": ["y", "x"]})),
     "geozarr.spatial.dimension-names", Severity.ERROR),
    ("spatial-transform-required", "raster", "elevation",
     lambda d: (d.update({"dimension_names": ["row", "col"]}), attrs(d).update(
         {"zarr_conventions": [SPATIAL.canonical()], "spatial:dimensions": ["row", "col"]})),
     "geozarr.spatial.transform-required", Severity.ERROR),
    ("cf-schema", "raster", "elevation", setter("units", 1),
     "geozarr.cf.schema", Severity.ERROR),
    ("cf-array-dimensions", "raster", "elevation", setter("_ARRAY_DIMENSIONS", ["x", "y"]),
     "geozarr.cf.array-dimensions", Severity.ERROR),
    ("cf-standard-name", "raster", "elevation", setter("standard_name", "elevation_of_hills"),
     "geozarr.cf.standard-name", Severity.ERROR),
    ("cf-standard-name-modifier", "raster", "elevation",
     setter("standard_name", "height_above_mean_sea_level roughly"),
     "geozarr.cf.standard-name", Severity.ERROR),
    ("cf-standard-name-alias", "raster", "elevation",
     setter("standard_name", "chlorophyll_concentration_in_sea_water"),
     "geozarr.cf.standard-name-alias", Severity.WARNING),
    ("cf-units", "raster", "elevation", setter("units", "K"),
     "geozarr.cf.units", Severity.ERROR),
    ("cf-fill-value-nan", "raster", "elevation", meta("fill_value", 0.0),
     "geozarr.cf.fill-value-nan", Severity.WARNING),
    ("cf-coordinates-missing", "raster", "elevation", setter("coordinates", "lat lon"),
     "geozarr.cf.coordinates-missing", Severity.ERROR),
    ("cf-grid-mapping-missing", "raster", "elevation", setter("grid_mapping", "crs"),
     "geozarr.cf.grid-mapping-missing", Severity.ERROR),
    ("cf-grid-mapping-not-a-mapping", "raster", "elevation", setter("grid_mapping", "x"),
     "geozarr.cf.grid-mapping-missing", Severity.ERROR),
    ("cf-grid-mapping-name-missing", "raster", "spatial_ref", deleter("grid_mapping_name"),
     "geozarr.cf.grid-mapping-name", Severity.ERROR),
    ("cf-grid-mapping-unknown", "raster", "spatial_ref", setter("grid_mapping_name", "utm"),
     "geozarr.cf.grid-mapping", Severity.ERROR),
    ("cf-grid-mapping-parameter", "raster", "spatial_ref",
     deleter("scale_factor_at_central_meridian"),
     "geozarr.cf.grid-mapping", Severity.ERROR),
    ("cf-grid-mapping-name-vs-wkt", "raster", "spatial_ref",
     lambda d: attrs(d).update({"grid_mapping_name": "latitude_longitude",
                                "crs_wkt": attrs(d)["spatial_ref"]}),
     "geozarr.crs.disagree", Severity.ERROR),
    ("cf-crs-wkt-unparseable", "raster", "spatial_ref", setter("spatial_ref", "PROJCS[oops"),
     "geozarr.crs.unparseable", Severity.ERROR),
    ("cf-geotransform", "raster", "spatial_ref", setter("GeoTransform", "1 2 3"),
     "geozarr.cf.geotransform", Severity.ERROR),
    ("cf-geotransform-agree", "raster", "spatial_ref",
     setter("GeoTransform", GEOTRANSFORM_AFFINE_ORDER),
     "geozarr.cf.geotransform-agree", Severity.ERROR),
    ("cf-coordinate-1d", "raster", "x", meta("dimension_names", ["y"]),
     "geozarr.cf.coordinate-1d", Severity.ERROR),
    ("multiscales-schema", "pyramid", "", layout(1, "asset", "../up"),
     "geozarr.multiscales.schema", Severity.ERROR),
    ("multiscales-transform-required", "pyramid", "",
     lambda d: attrs(d)["multiscales"]["layout"][1].pop("transform"),
     "geozarr.multiscales.transform-required", Severity.ERROR),
    ("multiscales-asset-missing", "pyramid", "", layout(1, "asset", "2"),
     "geozarr.multiscales.asset-missing", Severity.ERROR),
    ("multiscales-derived-from", "pyramid", "", layout(1, "derived_from", "base"),
     "geozarr.multiscales.derived-from", Severity.ERROR),
    ("multiscales-derived-from-cycle", "pyramid", "",
     lambda d: attrs(d)["multiscales"]["layout"][0].update(
         {"derived_from": "1", "transform": {"scale": [0.5, 0.5]}}),
     "geozarr.multiscales.derived-from", Severity.ERROR),
    ("multiscales-scale", "pyramid", "", layout(1, "transform", {"scale": [4.0, 4.0]}),
     "geozarr.multiscales.scale", Severity.ERROR),
    ("multiscales-level-shape", "pyramid", "", layout(1, "spatial:shape", [5, 4]),
     "geozarr.spatial.shape", Severity.ERROR),
    ("multiscales-resampling", "pyramid", "", layout(1, "resampling_method", "smudge"),
     "geozarr.multiscales.resampling-method", Severity.WARNING),
    ("multiscales-duplicate-asset", "pyramid", "", layout(1, "asset", "0"),
     "geozarr.multiscales.duplicate-asset", Severity.ERROR),
]  # fmt: skip


@pytest.mark.parametrize(
    ("builder", "node", "change", "rule", "severity"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_each_rule_breaks_on_its_case_and_holds_on_the_twin(
    tmp_path: Path,
    builders: dict[str, Callable[..., Path]],
    edit: Callable[[Path, Callable[[Doc], None]], None],
    builder: str,
    node: str,
    change: Callable[[Doc], None],
    rule: str,
    severity: Severity,
) -> None:
    twin = builders[builder](tmp_path / "twin.zarr")
    assert geozarr.validate(twin).issues == ()
    broken = builders[builder](tmp_path / "broken.zarr")
    edit(broken / node / "zarr.json", change)
    report = geozarr.validate(broken)
    found = {(i.rule, i.severity) for i in report.issues}
    assert (rule, severity) in found, report.issues
    assert report.valid is (severity is Severity.WARNING and not report.errors)
    hit = next(i for i in report.issues if i.rule == rule)
    assert hit.reference, "every issue names its convention and clause"


def write_coordinate(store: Path, name: str, values: Any) -> None:
    with open_store(store, "r+") as handle:
        old = json.loads((store / name / "zarr.json").read_text())
        handle.create_array(
            name, np.asarray(values, dtype=np.float64), dimension_names=(name,),
            attributes=old["attributes"],
        )  # fmt: skip


def test_coordinate_not_monotonic(geo_store: Path) -> None:
    xs = 500_000.0 + 30.0 * (np.arange(8) + 0.5)
    xs[[3, 4]] = xs[[4, 3]]
    write_coordinate(geo_store, "x", xs)
    report = geozarr.validate(geo_store)
    # both findings of the one coordinate are reported: out of order, and off the transform
    assert [(i.rule, i.path) for i in report.errors] == [
        ("geozarr.cf.coordinate-monotonic", "x"),
        ("geozarr.cf.coordinate-transform", "x"),
    ]


def test_coordinate_off_by_more_than_the_tolerance(geo_store: Path) -> None:
    ys = 5_200_020.0 - 30.0 * np.arange(6)  # corners, not centres: 15 m = half a pixel off
    write_coordinate(geo_store, "y", ys)
    report = geozarr.validate(geo_store)
    assert [(i.rule, i.path) for i in report.errors] == [("geozarr.cf.coordinate-transform", "y")]
    write_coordinate(geo_store, "y", 5_200_020.0 - 30.0 * (np.arange(6) + 0.5) + 0.29)
    assert geozarr.validate(geo_store).issues == ()  # within 1 % of the 30 m resolution


def test_too_large_coordinates_are_reported_not_checked(
    geo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("geozarr.coordinates.MAX_COORDINATE_VALUES", 4)
    report = geozarr.validate(geo_store)
    assert report.valid
    assert {(i.rule, i.path) for i in report.warnings} == {
        ("geozarr.cf.coordinate-not-checked", "x"),
        ("geozarr.cf.coordinate-not-checked", "y"),
    }


def test_all_issues_collected_in_one_pass(geo_store: Path, edit: Any) -> None:
    edit(geo_store / "zarr.json", setter("proj:code", "EPSG:999999"))
    edit(geo_store / "elevation" / "zarr.json", setter("standard_name", "nope"))
    edit(geo_store / "spatial_ref" / "zarr.json", setter("GeoTransform", "x"))
    rules = {i.rule for i in geozarr.validate(geo_store).errors}
    assert {
        "geozarr.crs.unresolvable",
        "geozarr.cf.standard-name",
        "geozarr.cf.geotransform",
    } <= rules


def test_nothing_geospatial_is_not_geozarr(tmp_path: Path) -> None:
    with open_store(tmp_path / "plain.zarr", "w-") as store:
        store.create_group("", {"title": "just data"})
        store.create_array("a", np.zeros((2, 2)), dimension_names=("i", "j"))
    report = geozarr.validate(tmp_path / "plain.zarr")
    assert [i.rule for i in report.issues] == ["geozarr.none"]
    assert report.exit_code == 1


def test_zarr_v2_store_validates_like_v3(tmp_path: Path, builders: Any, edit: Any) -> None:
    store = builders["raster"](tmp_path / "v2.zarr", 2)
    assert geozarr.validate(store).issues == ()
    edit_v2 = json.loads((store / "elevation" / ".zattrs").read_text())
    edit_v2["_ARRAY_DIMENSIONS"] = ["y"]
    (store / "elevation" / ".zattrs").write_text(json.dumps(edit_v2))
    assert "geozarr.cf.array-dimensions" in {i.rule for i in geozarr.validate(store).errors}


def test_check_context_takes_severity_from_the_registry() -> None:
    node = Node(path="", node_type="group", zarr_format=3, metadata={}, attributes={})
    hierarchy = Hierarchy(target="t", source="json", nodes={"": node})
    for strict, expected in ((False, Severity.WARNING), (True, Severity.ERROR)):
        ctx = CheckContext(hierarchy, strict=strict)
        ctx.add(Severity.WARNING, "geozarr.conventions.undeclared", node, (), "m", "r")  # SHOULD
        ctx.add(Severity.WARNING, "geozarr.cf.fill-value-nan", node, (), "m", "r")  # ADVICE
        ctx.add(Severity.WARNING, "geozarr.cf.grid-mapping-name", node, (), "m", "r")  # tolerated
        assert [i.severity for i in ctx.issues] == [expected, Severity.WARNING, Severity.WARNING]
    ctx = CheckContext(hierarchy, strict=True)
    with pytest.raises(UnregisteredRuleError):
        ctx.add(Severity.ERROR, "geozarr.no-such-rule", node, (), "m", "r")
    with pytest.raises(RuleLevelError):
        ctx.add(Severity.WARNING, "geozarr.spatial.bbox", node, (), "m", "r")  # a MUST
