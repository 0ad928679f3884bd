"""The GeoZarr and CF models sit on the strict core base: JSON types are taken literally.

Regression: ``geozarr validate`` accepted ``"spatial:shape": ["6", "8"]`` (strings where the
spatial convention says ``integer[2]``) because strict typing was set on the OME models only.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

import geozarr
from geozarr.cf.grid_mappings import GridMappingVariable
from geozarr.cf.variables import CFVariable
from geozarr.conventions.multiscales import Multiscales
from geozarr.conventions.spatial import SpatialAttributes
from geozarr.legacy.v04 import TileMatrixLimits
from ngff_geozarr.core.models import ExtensibleModel, SpecModel

MODEL_MODULES = (
    "geozarr.cf.grid_mappings",
    "geozarr.cf.variables",
    "geozarr.conventions.multiscales",
    "geozarr.conventions.proj",
    "geozarr.conventions.registry",
    "geozarr.conventions.spatial",
    "geozarr.legacy.v04",
)


def test_spatial_shape_as_strings_is_an_error(geo_store: Path) -> None:
    doc_path = geo_store / "zarr.json"
    doc = json.loads(doc_path.read_text())
    doc["attributes"]["spatial:shape"] = ["6", "8"]  # the right numbers, as strings
    doc_path.write_text(json.dumps(doc))
    issues = [
        (i.severity.value, i.rule, i.pointer)
        for i in geozarr.validate(geo_store).issues
        if i.severity.value == "error"
    ]
    assert ("error", "geozarr.spatial.schema", "/attributes/spatial:shape/0") in issues


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (SpatialAttributes, {"spatial:shape": ["6", "8"]}),
        (SpatialAttributes, {"spatial:transform": ["1", 0, 0, 0, -1, 0]}),
        (SpatialAttributes, {"spatial:bbox": [0, 0, "1", 1]}),
        (Multiscales, {"layout": [{"asset": "0", "transform": {"scale": ["2", "2"]}}]}),
        (Multiscales, {"layout": [{"asset": "0", "spatial:shape": ["4", "4"]}]}),
        (CFVariable, {"_ARRAY_DIMENSIONS": ["y", 1]}),
        (TileMatrixLimits, {"min_tile_col": "0"}),
        (
            GridMappingVariable,
            {"grid_mapping_name": "sinusoidal", "longitude_of_projection_origin": "0"},
        ),
    ],
)
def test_a_string_is_never_a_number(model: type[pydantic.BaseModel], data: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        model.model_validate(data)


def test_every_geozarr_model_is_strict_frozen_and_closed_unless_extensible() -> None:
    models = [
        cls
        for name in MODEL_MODULES
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass)
        if issubclass(cls, pydantic.BaseModel) and cls.__module__ == name
    ]
    assert len(models) > 20
    for cls in models:
        if issubclass(cls, pydantic.RootModel):
            continue
        assert issubclass(cls, SpecModel), cls
        config = cls.model_config
        assert config.get("strict") is True, cls
        assert config.get("frozen") is True, cls
        expected = "allow" if issubclass(cls, ExtensibleModel) else "forbid"
        assert config.get("extra") == expected, cls
