"""The GDAL 3.12 profile against GDAL 3.12 itself (``<repo>/.venv-gdal``, in a subprocess):
each store the profile warns about is one that GDAL cannot open, or opens without a CRS, and
each store it passes GDAL opens with its CRS."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import geozarr

REPO = Path(__file__).resolve().parents[2]
GDAL_PYTHON = REPO / ".venv-gdal" / "bin" / "python"
TRANSFORM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0)

# Open ZARR:"STORE":/data with the rasterio (GDAL) of .venv-gdal; print what GDAL saw.
SCRIPT = r"""
import json, sys, warnings
import rasterio

warnings.simplefilter("ignore")
out = {"gdal": rasterio.__gdal_version__}
try:
    with rasterio.open(f'ZARR:"{sys.argv[1]}":/data') as ds:
        out["epsg"] = ds.crs.to_epsg() if ds.crs else None
        out["sum"] = float(ds.read(1).sum())
except rasterio.errors.RasterioIOError as exc:
    out["error"] = str(exc)
print("RESULT " + json.dumps(out))
"""


def gdal_open(store: Path) -> dict[str, Any]:
    if not GDAL_PYTHON.exists():
        pytest.skip("no .venv-gdal (make gdal; it needs a Python >= 3.12)")
    done = subprocess.run(
        [str(GDAL_PYTHON), "-c", SCRIPT, str(store)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    found: dict[str, Any] = json.loads(line[len("RESULT ") :])
    if not found["gdal"].startswith("3.12."):
        pytest.skip(f"the GDAL of .venv-gdal is {found['gdal']}, not 3.12")
    return found


def warned(store: Path) -> set[str]:
    report = geozarr.validate(store, readers=["gdal-3.12"])
    return {i.rule for i in report.issues if i.rule.startswith("reader.")}


@pytest.mark.parametrize("shards", [None, (32, 32)], ids=["plain", "sharded"])
def test_the_sharding_rule_is_what_gdal_312_does(tmp_path: Path, shards: Any) -> None:
    data = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    store = tmp_path / "dem.zarr"
    geozarr.write(data, store, crs="EPSG:32632", transform=TRANSFORM, chunks=(16, 16),
                  shards=shards)  # fmt: skip
    seen = gdal_open(store)
    if "reader.gdal-3.12.sharding" in warned(store):
        assert seen == {"gdal": seen["gdal"], "error": "Unsupported codec: sharding_indexed"}
    else:
        assert seen["epsg"] == 32632
        assert seen["sum"] == float(data.sum())
    assert ("reader.gdal-3.12.sharding" in warned(store)) == (shards is not None)


@pytest.mark.parametrize(
    "grid_mapping", ["spatial_ref", None, "spatial_ref: x y"], ids=["cf", "proj-only", "extended"]
)
def test_the_crs_rule_is_what_gdal_312_does(tmp_path: Path, grid_mapping: str | None) -> None:
    """GDAL 3.12 reads a CF grid_mapping that names one variable; not CF's extended form."""
    store = tmp_path / "dem.zarr"
    geozarr.write(np.ones((32, 32), np.float32), store, crs="EPSG:32632", transform=TRANSFORM,
                  consolidated=False)  # fmt: skip
    path = store / "data" / "zarr.json"
    doc = json.loads(path.read_text())
    doc["attributes"].pop("grid_mapping")
    if grid_mapping is not None:
        doc["attributes"]["grid_mapping"] = grid_mapping
    path.write_text(json.dumps(doc))
    seen = gdal_open(store)
    read = grid_mapping == "spatial_ref"
    assert ("reader.gdal-3.12.crs" in warned(store)) == (not read)
    assert seen["epsg"] == (32632 if read else None)
