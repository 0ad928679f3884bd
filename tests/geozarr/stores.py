"""What the GeoZarr tests read back from a written store: attributes and strict findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import xarray as xr

import geozarr


def attributes(store: Path, path: str) -> dict[str, Any]:
    """The attributes of the node at ``path`` (``""``: the root), in either Zarr format."""
    v3 = store / path / "zarr.json"
    if v3.exists():
        return dict(json.loads(v3.read_text())["attributes"])
    v2 = store / path / ".zattrs"
    return dict(json.loads(v2.read_text())) if v2.exists() else {}


def strict_issues(store: Path) -> list[str]:
    """Every issue ``validate --strict`` reports, as ``rule path: message``."""
    report = geozarr.validate(str(store), strict=True)
    return [f"{i.rule} {i.path}: {i.message}" for i in report.issues]


GEOZARR = str(Path(sys.executable).parent / "geozarr")
"""The ``geozarr`` command of this environment."""


def create_from_netcdf(
    source: xr.Dataset, folder: Path, *options: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Write ``source`` as a NetCDF file, then run ``geozarr create`` on it into ``out.zarr``."""
    pytest.importorskip("h5netcdf")
    nc = folder / "source.nc"
    source.to_netcdf(nc, engine="h5netcdf")
    out = folder / "out.zarr"
    done = subprocess.run(
        [GEOZARR, "create", str(nc), str(out), *options],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out, done
