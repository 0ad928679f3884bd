"""The round-trip law for conversions: there and back gives the same store.

``ngff convert`` between OME-Zarr versions and ``geozarr convert`` between Zarr formats:
the converted store validates under the strict profile and reads back equal; converted
back, it has the same metadata documents and the same chunk bytes as the original. The way
back runs through each command line's ``main`` entry point, in process.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.roundtrip.conftest import (
    CRSS,
    NGFF_VERSIONS,
    ROUNDTRIP,
    SPEC_AXES,
    assert_strictly_valid,
    chunk_digests,
    documents,
    examples,
    geo_rasters,
    ngff_images,
)
from tests.roundtrip.test_geozarr_roundtrip import check_reads_back, write

import geozarr
import ngff
from geozarr.cli import cli as geozarr_cli
from ngff.cli import cli as ngff_cli
from ngff_geozarr.core.store import open_store

PAIRS = [(a, b) for a in NGFF_VERSIONS for b in NGFF_VERSIONS if a != b]


def _arrays(root: Path) -> dict[str, np.ndarray[Any, Any]]:
    with open_store(root, "r") as store:
        keys = [k for k in store.list_keys() if k.endswith((".zarray", "zarr.json"))]
        out = {}
        for key in keys:
            path = key.rpartition("/")[0]
            try:
                array = store.open_array(path)
            except Exception:  # a group
                continue
            out[path] = np.asarray(array.read(tuple(slice(0, n) for n in array.shape)))
        return out


def _without_v2_encoding(docs: dict[str, Any]) -> dict[str, Any]:
    """The documents, chunk key encodings left out (the one thing v2 renames for good)."""
    return {
        k: {f: v for f, v in d.items() if f != "chunk_key_encoding"}
        if k.endswith("zarr.json")
        else d
        for k, d in docs.items()
    }


@pytest.mark.parametrize(("start", "middle"), PAIRS)
def test_ngff_convert_there_and_back(start: str, middle: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(5))
    @given(case=ngff_images((start,), axes_orders=SPEC_AXES), labels=st.booleans())
    def law(case: dict[str, Any], labels: bool) -> None:
        _ngff_there_and_back(case, labels, middle)

    law()


def _ngff_there_and_back(case: dict[str, Any], labels: bool, middle: str) -> None:
    start = case["version"]
    with tempfile.TemporaryDirectory() as tmp:
        src, mid, back = (Path(tmp) / n for n in ("src.zarr", "mid.zarr", "back.zarr"))
        ngff.write_image(
            case["data"],
            src,
            axes=case["axes"],
            scale=case["scale"],
            name=case["name"],
            levels=case["levels"],
            chunks=case["chunks"],
            version=start,
        )
        if labels:
            shape = tuple(
                1 if a == "c" else n for a, n in zip(case["axes"], case["data"].shape, strict=True)
            )
            ngff.write_labels(np.ones(shape, np.uint8), src, "mask")
        ngff.convert(src, middle, out=mid)  # type: ignore[arg-type]
        assert_strictly_valid(mid, "ngff", {**case, "version": middle})
        assert ngff.validate(mid).version == middle
        assert chunk_digests(mid) == chunk_digests(src)
        arrays = _arrays(src)
        assert arrays.keys() == _arrays(mid).keys()
        for path, values in _arrays(mid).items():
            np.testing.assert_array_equal(values, arrays[path])
        result = CliRunner().invoke(
            ngff_cli, ["convert", str(mid), "--to", start, "--out", str(back)]
        )
        assert result.exit_code == 0, result.output
        assert chunk_digests(back) == chunk_digests(src)
        if start != "0.4" and middle == "0.4":
            # Zarr v2 names chunks without the "c/" prefix: the keys are renamed once, and the
            # way back keeps them under the v2 key encoding; all else is as it was
            assert _without_v2_encoding(documents(back)) == _without_v2_encoding(documents(src))
        else:
            assert documents(back) == documents(src)


@pytest.mark.parametrize("crs", CRSS)
def test_geozarr_convert_there_and_back(crs: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(4))
    @given(case=geo_rasters((crs,)), levels=st.integers(1, 2))
    def law(case: dict[str, Any], levels: int) -> None:
        _geozarr_there_and_back(case, levels)

    law()


def _geozarr_there_and_back(case: dict[str, Any], levels: int) -> None:
    if levels > 1:  # a pyramid is written for one variable
        case = {**case, "variables": dict(list(case["variables"].items())[:1])}
    other = 5 - case["zarr_format"]
    with tempfile.TemporaryDirectory() as tmp:
        src, mid, back = (Path(tmp) / n for n in ("src.zarr", "mid.zarr", "back.zarr"))
        write(case, src, levels=levels, min_extent=1)
        geozarr.convert(src, mid, zarr_format=other)
        assert_strictly_valid(mid, "geozarr", case)
        assert chunk_digests(mid) == chunk_digests(src)
        check_reads_back(mid, case)
        result = CliRunner().invoke(
            geozarr_cli,
            ["convert", str(mid), str(back), "--zarr-format", str(case["zarr_format"]), "--quiet"],
        )
        assert result.exit_code == 0, result.output
        assert chunk_digests(back) == chunk_digests(src)
        if case["zarr_format"] == 3:
            assert _without_v2_encoding(documents(back)) == _without_v2_encoding(documents(src))
        else:
            assert documents(back) == documents(src)
