"""geozarr.convert between Zarr v2 and v3: conventions carried over, chunks copied exactly."""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import geozarr
import ngff
from geozarr.cf.variables import decode_fill_value
from geozarr.convert import ConversionError
from ngff_geozarr.core.store import open_store

TRANSFORM = (25.0, 0.0, 600_000.0, 0.0, -25.0, 4_100_000.0)
GEOZARR = str(Path(sys.executable).parent / "geozarr")


def _chunks(store: Path) -> dict[str, str]:
    """Checksums of the chunk files, by array path and chunk index (key encodings differ)."""
    arrays = [
        p.parent
        for p in [*store.rglob("zarr.json"), *store.rglob(".zarray")]
        if p.name == ".zarray" or json.loads(p.read_text())["node_type"] == "array"
    ]
    out = {}
    for array in arrays:
        for path in array.rglob("*"):
            if path.is_file() and not path.name.startswith((".z", "zarr.json")):
                index = path.relative_to(array).as_posix().removeprefix("c/").replace("/", ".")
                name = array.relative_to(store).as_posix()
                out[f"{name}:{index}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _read(store: Path, path: str) -> np.ndarray:
    with open_store(store) as handle:
        array = handle.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


@pytest.fixture
def v3_store(tmp_path: Path) -> Path:
    data = np.linspace(-5, 5, 41 * 37, dtype=np.float32).reshape(41, 37)
    data[:7, :9] = np.nan
    out = tmp_path / "src3.zarr"
    geozarr.write(
        data,
        out,
        crs="EPSG:32630",
        transform=TRANSFORM,
        chunks=(16, 16),
        levels="auto",
        compression="zstd",
    )
    return out


def test_v3_to_v2_and_back_keeps_chunks_data_and_conventions(
    tmp_path: Path, v3_store: Path
) -> None:
    v2 = tmp_path / "v2.zarr"
    result = geozarr.convert(v3_store, v2, zarr_format=2)
    assert result.copied == len(_chunks(v3_store)) > 0
    assert _chunks(v2) == _chunks(v3_store)  # every chunk byte for byte
    zarray = json.loads((v2 / "data" / ".zarray").read_text())
    zattrs = json.loads((v2 / "data" / ".zattrs").read_text())
    assert zarray["fill_value"] == "NaN"
    assert zattrs["_ARRAY_DIMENSIONS"] == ["y", "x"]
    assert "_FillValue" not in zattrs  # v2: the fill value lives in .zarray
    assert json.loads((v2 / "1" / "x" / ".zattrs").read_text())["_ARRAY_DIMENSIONS"] == ["x"]
    root = json.loads((v2 / ".zattrs").read_text())
    assert (
        root["multiscales"]
        == json.loads((v3_store / "zarr.json").read_text())["attributes"]["multiscales"]
    )
    for path in ("data", "1/data", "2/data"):
        np.testing.assert_array_equal(_read(v2, path), _read(v3_store, path))
    assert list(geozarr.validate(v2).issues) == []
    # consolidated like its source: .zmetadata lists every node of the pyramid
    zmetadata = json.loads((v2 / ".zmetadata").read_text())["metadata"]
    assert {"1/data/.zarray", "2/data/.zattrs", ".zattrs"} <= set(zmetadata)

    back = tmp_path / "back.zarr"
    geozarr.convert(v2, back, zarr_format=3)
    assert _chunks(back) == _chunks(v3_store)
    meta = json.loads((back / "data" / "zarr.json").read_text())
    assert meta["dimension_names"] == ["y", "x"]
    assert meta["fill_value"] == "NaN"
    assert math.isnan(decode_fill_value(meta["attributes"]["_FillValue"]))  # type: ignore[arg-type]
    assert "_ARRAY_DIMENSIONS" not in meta["attributes"]
    assert list(geozarr.validate(back).issues) == []
    ds = xr.open_zarr(back, consolidated=False)
    np.testing.assert_array_equal(ds["data"].values, _read(v3_store, "data"))


def test_fill_value_zero_pitfall_is_repaired(tmp_path: Path) -> None:
    out = tmp_path / "pitfall.zarr"
    geozarr.write(np.ones((4, 4), np.float32), out, crs="EPSG:32630", transform=TRANSFORM)
    meta_path = out / "data" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    meta["fill_value"] = 0.0  # xarray's v3 pitfall: 0 beside _FillValue NaN
    meta_path.write_text(json.dumps(meta))
    v2 = tmp_path / "v2.zarr"
    geozarr.convert(out, v2, zarr_format=2)
    assert json.loads((v2 / "data" / ".zarray").read_text())["fill_value"] == "NaN"


def test_v2_null_fill_value_becomes_the_declared_one(tmp_path: Path) -> None:
    out = tmp_path / "v2.zarr"
    geozarr.write(
        np.ones((4, 4), np.int16),
        out,
        crs="EPSG:32630",
        transform=TRANSFORM,
        zarr_format=2,
        nodata=-1,
    )
    zarray_path = out / "data" / ".zarray"
    zarray = json.loads(zarray_path.read_text())
    zarray["fill_value"] = None
    zarray_path.write_text(json.dumps(zarray))
    zattrs_path = out / "data" / ".zattrs"
    zattrs_path.write_text(json.dumps({**json.loads(zattrs_path.read_text()), "_FillValue": -1}))
    v3 = tmp_path / "v3.zarr"
    geozarr.convert(out, v3, zarr_format=3)
    meta = json.loads((v3 / "data" / "zarr.json").read_text())
    assert (meta["fill_value"], meta["attributes"]["_FillValue"]) == (-1, -1)


def test_sharded_v3_cannot_become_v2_and_nothing_is_written(tmp_path: Path) -> None:
    src = tmp_path / "sharded.zarr"
    geozarr.write(
        np.ones((8, 8), np.float32),
        src,
        crs="EPSG:32630",
        transform=TRANSFORM,
        chunks=(2, 2),
        shards=(4, 4),
    )
    dst = tmp_path / "out.zarr"
    with pytest.raises(ConversionError, match="no Zarr v2 equivalent"):
        geozarr.convert(src, dst, zarr_format=2)
    assert not dst.exists()
    with pytest.raises(ConversionError, match="already Zarr v3"):
        geozarr.convert(src, dst, zarr_format=3)


def test_resume_keeps_copied_chunks(tmp_path: Path, v3_store: Path) -> None:
    dst = tmp_path / "partial.zarr"
    calls = []

    def stop(p: object) -> None:
        calls.append(p)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        geozarr.convert(v3_store, dst, zarr_format=2, progress=stop)
    assert not (dst / ".zattrs").exists()  # metadata is written last
    result = geozarr.convert(v3_store, dst, zarr_format=2, resume=True)
    assert result.skipped == 3
    assert _chunks(dst) == _chunks(v3_store)


def _convert_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEOZARR, "convert", *args, "--zarr-format", "2", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_convert(tmp_path: Path, v3_store: Path) -> None:
    dst = tmp_path / "cli.zarr"
    done = _convert_cli(str(v3_store), str(dst))
    assert done.returncode == 0, done.stderr
    assert "Zarr v2" in done.stdout
    again = _convert_cli(str(v3_store), str(dst))
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1
    assert "not empty" in again.stderr
    plain = tmp_path / "plain.zarr"
    done = _convert_cli(str(v3_store), str(plain), "--no-consolidated")
    assert done.returncode == 0, done.stderr
    assert (dst / ".zmetadata").exists()
    assert not (plain / ".zmetadata").exists()


def test_one_conversion_error_for_both_conventions() -> None:
    module = importlib.import_module("geozarr.convert")  # geozarr.convert is the function
    assert ConversionError is ngff.ConversionError
    assert issubclass(ConversionError, ValueError)  # geozarr's former class was one
    with pytest.warns(DeprecationWarning, match="use ConversionError"):
        old = module.ConvertError
    assert old is ConversionError
    with pytest.warns(DeprecationWarning, match="ConvertError is deprecated"):
        from geozarr.convert import ConvertError  # the former spelling still imports
    assert ConvertError is ConversionError
    with pytest.raises(AttributeError):
        _ = module.NoSuchName  # type: ignore[attr-defined]
    with pytest.raises(ngff.ConversionError, match="Expected zarr_format 2 or 3"):
        geozarr.convert({}, {}, zarr_format=4)  # type: ignore[arg-type]


def _documents(root: Path) -> dict[str, object]:
    names = (".zarray", ".zattrs", ".zgroup", "zarr.json")
    out: dict[str, object] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name in names:
            doc = json.loads(p.read_text())
            doc.pop("consolidated_metadata", None)
            if doc.get("storage_transformers") == []:
                del doc["storage_transformers"]
            out[p.relative_to(root).as_posix()] = doc
    return out


@pytest.mark.parametrize("fmt", [2, 3])
def test_no_nodata_stays_no_nodata_both_ways(tmp_path: Path, fmt: int) -> None:
    # an integer raster without nodata: zeros are data, in either format, there and back
    values = np.arange(16, dtype=np.uint8).reshape(4, 4)
    src, mid, back = tmp_path / "src.zarr", tmp_path / "mid.zarr", tmp_path / "back.zarr"
    geozarr.write(values, src, crs="EPSG:32630", transform=TRANSFORM, zarr_format=fmt)  # type: ignore[arg-type]
    geozarr.convert(src, mid, zarr_format=5 - fmt)  # type: ignore[arg-type]
    geozarr.convert(mid, back, zarr_format=fmt)  # type: ignore[arg-type]
    v2 = mid if fmt == 3 else src
    assert json.loads((v2 / "data" / ".zarray").read_text())["fill_value"] is None
    assert json.loads((v2 / "spatial_ref" / ".zattrs").read_text())["_ARRAY_DIMENSIONS"] == []
    v3 = src if fmt == 3 else mid
    assert "_FillValue" not in json.loads((v3 / "data" / "zarr.json").read_text())["attributes"]
    for store in (src, mid, back):
        data = xr.open_zarr(store, consolidated=False)["data"]
        np.testing.assert_array_equal(data.values, values)  # 0 is not masked
    before, after = _documents(src), _documents(back)
    if fmt == 3:  # v2 names chunks without "c/": renamed once, kept under the v2 encoding
        for doc in (*before.values(), *after.values()):
            assert isinstance(doc, dict)
            doc.pop("chunk_key_encoding", None)
    assert after == before
