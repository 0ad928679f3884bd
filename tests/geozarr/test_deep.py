"""``geozarr validate --deep``: our pyramids raise nothing (formats 2 and 3, methods,
nodata); a level rewritten with other data is found; the command's options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.core.test_deep import read, rewrite, smooth

import geozarr

TRANSFORM = (10.0, 0.0, 5e5, 0.0, -10.0, 4e6)


def deep_rules(target: Path, **options: Any) -> set[str]:
    report = geozarr.validate(str(target), deep=True, sample=8, **options)
    return {i.rule for i in report.issues if i.rule.startswith("zarr.data.")}


@pytest.mark.parametrize(
    ("fmt", "method", "dtype", "nodata"),
    [
        (3, None, "float32", None),
        (2, None, "float32", -9999.0),
        (3, "nearest", "uint16", None),
        (3, "mode", "uint8", None),
        (3, "max", "int16", -1.0),
    ],
    ids=["v3-mean-nan", "v2-mean-nodata", "v3-nearest", "v3-mode", "v3-max-nodata"],
)
def test_our_pyramids_raise_nothing(
    tmp_path: Path, fmt: int, method: str | None, dtype: str, nodata: float | None
) -> None:
    data = smooth((90, 100), top=200).astype(dtype)
    if dtype == "float32":
        data[7:30:4, 3:70:6] = np.nan if nodata is None else nodata
    elif nodata is not None:
        data[7:30:4, 3:70:6] = nodata
    out = tmp_path / "raster.zarr"
    geozarr.write(
        data,
        out,
        crs="EPSG:32633",
        transform=TRANSFORM,
        nodata=nodata,
        zarr_format=fmt,
        chunks=(32, 32),
    )
    geozarr.pyramid(out, levels=3, **({"method": method} if method else {}))
    assert deep_rules(out) == set()


def two_levels(folder: Path) -> Path:
    out = folder / "raster.zarr"
    data = smooth((64, 64)).astype(np.float32)
    geozarr.write(data, out, crs="EPSG:32633", transform=TRANSFORM, chunks=(16, 16))
    geozarr.pyramid(out, levels=2)
    return out


def test_a_level_of_other_data_is_found(tmp_path: Path) -> None:
    out = two_levels(tmp_path)
    rewrite(out, "1/data", read(out, "1/data")[::-1, ::-1])
    assert "zarr.data.level-not-derived" in deep_rules(out)


def test_the_command(tmp_path: Path) -> None:
    out = two_levels(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from geozarr.cli import main; main()", "validate", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run(str(out), "--deep", "--sample", "3").returncode == 0
    refused = run(str(out), "--max-bytes", "10")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "geozarr: error: --max-bytes needs --deep."
