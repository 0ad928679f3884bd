"""xarray objects through the shared input layer, and into OME-Zarr with nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff.validate import validate
from ngff_geozarr.core.inputs import (
    InputError,
    LazyArray,
    axis_type_of,
    is_dataarray,
    is_dataset,
    is_labelled,
    labelled_kind,
    open_labelled,
)

xr = pytest.importorskip("xarray")
da_module = pytest.importorskip("dask.array")


def _cells() -> Any:
    data = np.random.default_rng(0).integers(0, 1000, (2, 3, 16, 20), dtype="uint16")
    um = {"units": "micrometer"}
    return xr.DataArray(
        data,
        dims=("c", "z", "y", "x"),
        coords={
            "c": ["DAPI", "GFP"],
            "z": ("z", [1.0, 3.0, 5.0], um),
            "y": ("y", np.arange(16) * 0.5 + 10, um),
            "x": ("x", np.arange(20) * 0.5, {"units": "µm"}),
        },
        name="cells",
    )


def test_a_dataarray_opens_with_its_dims_calibration_and_channel_names() -> None:
    source = open_labelled(_cells())
    assert source.format == "xarray"
    assert source.dims == ("c", "z", "y", "x")
    assert source.dim_types == ("channel", "space", "space", "space")
    assert source.calibration.scale == {"z": 2.0, "y": 0.5, "x": 0.5}
    assert source.calibration.origin == {"z": 1.0, "y": 10.0, "x": 0.0}
    # "µm" is spelled as OME-Zarr names it
    assert source.calibration.units == {"z": "micrometer", "y": "micrometer", "x": "micrometer"}
    assert source.channel_names == ("DAPI", "GFP")
    assert source.name == "cells"


def test_values_are_not_read_when_opened() -> None:
    backed = _cells().chunk({"z": 1})
    source = open_labelled(backed)
    assert source.data is backed.data  # the dask array itself, not computed
    plain = open_labelled(_cells())
    assert isinstance(plain.data, LazyArray)
    assert np.asarray(plain.data[1, 2, :2, :3]).tolist() == _cells().values[1, 2, :2, :3].tolist()


def test_irregular_and_non_numeric_coordinates_are_not_calibration() -> None:
    da = xr.DataArray(
        np.zeros((3, 4, 2)),
        dims=("t", "y", "x"),
        coords={
            "t": ("t", np.array(["2020-01-01", "2020-01-02", "2020-01-04"], "M8[ns]")),
            "y": [0.0, 1.0, 3.0, 4.0],
        },
    )
    source = open_labelled(da)
    assert source.calibration.scale == {}
    assert source.dim_types == ("time", "space", "space")


def test_axis_types_come_from_attributes_before_names() -> None:
    assert axis_type_of("depth", {"axis": "Z"}) == "space"
    assert axis_type_of("frame", {"axis_type": "time"}) == "time"
    assert axis_type_of("band", {}) == "channel"
    assert axis_type_of("angle", {}) is None


def test_a_dataset_needs_its_variable_named_when_it_holds_several() -> None:
    ds = xr.Dataset({"a": (("y", "x"), np.zeros((2, 2))), "b": (("y", "x"), np.ones((2, 2)))})
    with pytest.raises(InputError, match="2 variables"):
        open_labelled(ds)
    assert np.asarray(open_labelled(ds, variable="b").data).tolist() == [[1, 1], [1, 1]]
    with pytest.raises(InputError, match="no variable 'c'"):
        open_labelled(ds, variable="c")
    with pytest.raises(InputError, match="Expected an xarray"):
        open_labelled(np.zeros(3))


def test_a_dataarray_written_as_ome_zarr_reads_back_equal(tmp_path: Path) -> None:
    da = _cells()
    ngff.write_image(da, tmp_path / "a.ome.zarr", levels=2)
    assert validate(tmp_path / "a.ome.zarr", strict=True).issues == ()
    back = ngff.open(tmp_path / "a.ome.zarr").to_xarray()
    assert back.dims == da.dims
    assert back.name == "cells"
    assert np.array_equal(back.values, da.values)
    for dim in "zyx":
        assert np.allclose(back.coords[dim].values, da.coords[dim].values), dim
        assert back.coords[dim].attrs["units"] == "micrometer"
    assert back.coords["c"].values.tolist() == ["DAPI", "GFP"]
    # and what the reader gives is an input again: the second trip changes nothing
    ngff.write_image(back, tmp_path / "b.ome.zarr", levels=2)
    again = ngff.open(tmp_path / "b.ome.zarr").to_xarray()
    for dim in "zyx":
        assert np.allclose(again.coords[dim].values, da.coords[dim].values), dim
    assert again.coords["c"].values.tolist() == ["DAPI", "GFP"]


def test_named_time_dimension_becomes_a_time_axis_in_ome_order(tmp_path: Path) -> None:
    da = xr.DataArray(
        np.arange(3 * 4 * 5, dtype="float32").reshape(4, 3, 5),
        dims=("y", "time", "x"),
        coords={"time": ("time", [0.0, 2.0, 4.0], {"units": "s"})},
    )
    ngff.write_image(da, tmp_path / "t.ome.zarr")
    document = json.loads((tmp_path / "t.ome.zarr" / "zarr.json").read_text())
    multiscale = document["attributes"]["ome"]["multiscales"][0]
    assert multiscale["axes"][0] == {"name": "time", "type": "time", "unit": "second"}
    assert [a["name"] for a in multiscale["axes"]] == ["time", "y", "x"]
    scale = multiscale["datasets"][0]["coordinateTransformations"][0]["scale"]
    assert scale == [2.0, 1.0, 1.0]
    back = ngff.open(tmp_path / "t.ome.zarr").to_xarray()
    assert np.array_equal(back.transpose("y", "time", "x").values, da.values)
    assert validate(tmp_path / "t.ome.zarr", strict=True).issues == ()


def test_xarray_objects_are_told_apart_by_their_attributes() -> None:
    cells = _cells()
    dataset = cells.to_dataset()
    assert [labelled_kind(x) for x in (cells, dataset, cells.values, None)] == [
        "dataarray",
        "dataset",
        None,
        None,
    ]


def test_the_per_kind_predicates_still_answer_and_are_deprecated() -> None:
    cells = _cells()
    dataset = cells.to_dataset()
    with pytest.deprecated_call():
        assert [is_dataset(x) for x in (cells, dataset)] == [False, True]
    with pytest.deprecated_call():
        assert [is_dataarray(x) for x in (cells, dataset)] == [True, False]
    with pytest.deprecated_call():
        assert [is_labelled(x) for x in (cells, dataset, cells.values)] == [True, True, False]
