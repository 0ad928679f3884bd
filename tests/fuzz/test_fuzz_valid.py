"""No false positives: stores written from drawn requests validate clean, also ``--deep``.

The fuzz suite's other half: the validators must not cry wolf. Every store here is written
by the toolkit from a request drawn by the round-trip strategies (OME-Zarr images of every
version, axes order, dtype and level count; GeoZarr rasters of every CRS kind, Zarr format,
nodata and time axis) and validated by its convention, plain, strict and ``--deep``
(chunks read): 0 errors, 0 warnings. A writer that refuses a request is a clear answer,
not a case.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from tests.fuzz.conftest import FUZZ, examples
from tests.roundtrip.conftest import SPEC_AXES, geo_rasters, ngff_images

import geozarr
import ngff
from ngff_geozarr.core.report import Report, Severity


def _problems(report: Report) -> list[tuple[str, str, str]]:
    return [
        (i.rule, i.path, i.message)
        for i in report.issues
        if i.severity in (Severity.ERROR, Severity.WARNING)
    ]


@settings(FUZZ, max_examples=examples(5))
@given(case=ngff_images(axes_orders=SPEC_AXES))
def test_written_ome_zarr_validates_clean(case: dict[str, Any]) -> None:
    """An OME-Zarr image as drawn: valid, strictly and deep."""
    with tempfile.TemporaryDirectory(prefix="fuzz-valid-") as where:
        root = Path(where) / "image.ome.zarr"
        try:
            ngff.write_image(
                case["data"],
                root,
                axes=case["axes"],
                scale=case["scale"],
                name=case["name"],
                levels=case["levels"],
                chunks=case["chunks"],
                version=case["version"],
            )
        except ngff.CreationError:
            return
        for options in ({}, {"strict": True}, {"deep": True}):
            report = ngff.validate(root, **options)
            assert _problems(report) == [], (options, case["axes"], case["version"])
            assert report.valid


@settings(FUZZ, max_examples=examples(5))
@given(case=geo_rasters())
def test_written_geozarr_validates_clean(case: dict[str, Any]) -> None:
    """A GeoZarr raster as drawn: valid, strictly and deep."""
    with tempfile.TemporaryDirectory(prefix="fuzz-valid-") as where:
        root = Path(where) / "raster.zarr"
        (name, values), *_ = case["variables"].items()
        geozarr.write(
            values,
            root,
            dims=case["dims"],
            name=name,
            crs=case["crs"],
            transform=case["transform"],
            nodata=case["nodata"],
            zarr_format=case["zarr_format"],
            chunks=case["chunks"],
            attributes=case["attributes"],
            variable_attributes=case["variable_attributes"],
            levels=2,
        )
        for options in ({}, {"strict": True}, {"deep": True}):
            report = geozarr.validate(root, **options)
            assert _problems(report) == [], (options, case["crs"], case["zarr_format"])
            assert report.valid
