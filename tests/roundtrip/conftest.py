"""The round-trip law (issue 11, point 2): strategies, the strict validator, reading back.

Everything our writers, converters and pyramid commands produce must validate with 0 errors
and 0 warnings under the strict profile (the specs' SHOULDs become errors), and read back
equal to what was asked for; a conversion there and back gives the same metadata documents
and the same chunk bytes.

The hypothesis profile ``roundtrip`` keeps the suite bounded and reproducible: few examples
per test, small arrays, ``derandomize=True`` (the same cases on every run and machine), no
deadline (a write takes what the disk gives it), no shrinking. ``ROUNDTRIP_EXAMPLES`` in the
environment scales the number of examples of every test (for a longer local run).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

import geozarr
import ngff
from ngff_geozarr.core.report import Severity

_SCALE = float(os.environ.get("ROUNDTRIP_EXAMPLES", "1"))

settings.register_profile(
    "roundtrip",
    max_examples=max(1, round(20 * _SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # no shrinking: a failing case is reported as generated (reproducible, derandomized),
    # and a failure costs seconds, not minutes of rewriting stores
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
ROUNDTRIP = settings.get_profile("roundtrip")
"""The suite's settings: apply with ``@ROUNDTRIP`` (``@settings(ROUNDTRIP, max_examples=n)``
for a test whose cases cost more or less)."""


def examples(n: int) -> int:
    """Return ``n`` examples, scaled by ``ROUNDTRIP_EXAMPLES``."""
    return max(1, round(n * _SCALE))


# ----------------------------------------------------------------------------------------
# the strict profile: nothing is tolerated

Convention = Literal["ngff", "geozarr"]


def validate_strict(path: str | os.PathLike[str], convention: Convention = "geozarr") -> Any:
    """Validate a store with the strict profile of its convention.

    ``geozarr.validate`` gains ``strict=`` on another branch: it is passed when the
    parameter exists.

    Parameters
    ----------
    path
        The store.
    convention
        ``"ngff"`` or ``"geozarr"``.

    Returns
    -------
    Report
        The validator's report.
    """
    if convention == "ngff":
        return ngff.validate(path, strict=True)
    return geozarr.validate(path, strict=True)


def assert_strictly_valid(
    path: str | os.PathLike[str], convention: Convention, case: Mapping[str, Any]
) -> None:
    """Assert 0 errors and 0 warnings under the strict profile: nothing is tolerated.

    Parameters
    ----------
    path
        The store.
    convention
        ``"ngff"`` or ``"geozarr"``.
    case
        What was written (``axes``, ``crs``, ...), shown when the assertion fails.
    """
    report = validate_strict(path, convention)
    found = [
        (i.rule, i.path, i.message)
        for i in report.issues
        if i.severity in (Severity.ERROR, Severity.WARNING)
    ]
    assert found == [], f"{path} ({dict(case)}): {found}"


# ----------------------------------------------------------------------------------------
# reading stores back


def documents(root: Path) -> dict[str, Any]:
    """Every metadata document of a directory store, parsed, by key.

    An empty ``storage_transformers`` list (Zarr v3's default, which zarr-python writes
    and the converters do not repeat) is left out, as is ``.zmetadata`` (consolidated
    metadata repeats the others).
    """
    out: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name in (".zarray", ".zattrs", ".zgroup", "zarr.json"):
            doc = json.loads(path.read_text())
            if isinstance(doc, dict):
                if doc.get("storage_transformers") == []:
                    del doc["storage_transformers"]
                doc.pop("consolidated_metadata", None)
            out[path.relative_to(root).as_posix()] = doc
    return out


def chunk_digests(root: Path) -> dict[str, str]:
    """Digests of every chunk file by array and chunk index (key encodings differ)."""
    arrays = [
        p.parent
        for p in [*root.rglob("zarr.json"), *root.rglob(".zarray")]
        if p.name == ".zarray" or json.loads(p.read_text()).get("node_type") == "array"
    ]
    out: dict[str, str] = {}
    for array in arrays:
        for path in array.rglob("*"):
            if not path.is_file() or path.name.startswith((".z", "zarr.json")):
                continue
            relative = path.relative_to(array).as_posix()
            index = relative.removeprefix("c/").replace("/", ".")
            if relative == "c":
                index = "0"  # a 0-d array's one chunk: "c" in v3, "0" in v2
            name = array.relative_to(root).as_posix()
            out[f"{name}:{index}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# ----------------------------------------------------------------------------------------
# strategies

NGFF_VERSIONS = ("0.4", "0.5", "0.6")
# axes orders the writers are asked for: the spec's t, c, z, y, x orders; RGB-last and 1-D
# ones too, which the spec does not allow (a writer must refuse them or write them validly)
SPEC_AXES = ("yx", "zyx", "cyx", "czyx", "tyx", "tcyx", "tczyx")
AXES_ORDERS = (*SPEC_AXES, "yxc", "x")
DTYPES = ("uint8", "uint16", "int16", "float32", "float64")

GEOGRAPHIC_CRS = ("EPSG:4326",)
POLAR_CRS = ("EPSG:3413", "EPSG:3031", "EPSG:3995")
PROJECTED_CRS = ("EPSG:32632", "EPSG:32733", "EPSG:3857", "EPSG:3035", *POLAR_CRS)
CRSS = GEOGRAPHIC_CRS + PROJECTED_CRS


def _values(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return rng.normal(100, 30, shape).astype(kind)
    info = np.iinfo(kind)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(
        kind
    )


@st.composite
def ngff_images(
    draw: st.DrawFn,
    versions: tuple[str, ...] = NGFF_VERSIONS,
    axes_orders: tuple[str, ...] = AXES_ORDERS,
) -> dict[str, Any]:
    """An OME-Zarr image request: data, axes, scale, levels, chunks, version."""
    version = draw(st.sampled_from(versions))
    axes = draw(st.sampled_from(axes_orders))
    shape = []
    for name in axes:
        if name in "yx":
            shape.append(draw(st.integers(4, 24)))
        elif name == "z":
            shape.append(draw(st.integers(1, 6)))
        elif name == "c":
            shape.append(
                draw(st.integers(1, 4)) if axes != "yxc" else draw(st.sampled_from([3, 4]))
            )
        else:
            shape.append(draw(st.integers(1, 3)))
    dtype = draw(st.sampled_from(DTYPES))
    levels = draw(st.integers(1, 3))
    scale = [draw(st.sampled_from([0.25, 0.5, 1.0, 2.0])) for _ in axes]
    chunks = [
        n if name not in "yx" else draw(st.integers(3, 16))
        for name, n in zip(axes, shape, strict=True)
    ]
    chunks = [1 if name in "tc" else c for name, c in zip(axes, chunks, strict=True)]
    return {
        "data": _values(dtype, tuple(shape), draw(st.integers(0, 2**16))),
        "axes": axes,
        "scale": scale,
        "levels": levels,
        "chunks": chunks,
        "version": version,
        "name": draw(st.sampled_from(["image", "cells", "scan 1"])),
    }


@st.composite
def geo_rasters(draw: st.DrawFn, crss: tuple[str, ...] = CRSS) -> dict[str, Any]:
    """A GeoZarr write request: variables, CRS, transform, nodata, time, Zarr format."""
    crs = draw(st.sampled_from(crss))
    height, width = draw(st.integers(4, 20)), draw(st.integers(4, 20))
    dtype = draw(st.sampled_from(DTYPES))
    time = draw(st.integers(0, 3))  # 0: no time axis
    count = draw(st.integers(1, 3))
    shape = (time, height, width) if time else (height, width)
    dims = ("time", "y", "x") if time else ("y", "x")
    geographic = crs in GEOGRAPHIC_CRS
    size = draw(st.sampled_from([0.01, 0.25]) if geographic else st.sampled_from([10.0, 30.0]))
    south_up = draw(st.booleans())
    x0 = draw(st.sampled_from([-10.0, 5.0])) if geographic else draw(st.sampled_from([4e5, 6e5]))
    y0 = (40.0 if not south_up else 20.0) if geographic else (5e6 if not south_up else 4.9e6)
    transform = (size, 0.0, x0, 0.0, size if south_up else -size, y0)
    kind = np.dtype(dtype).kind
    nodata: float | int | None
    if kind == "f":
        nodata = draw(st.sampled_from([None, float("nan"), -9999.0]))
    else:
        nodata = draw(st.sampled_from([None, 0, int(np.iinfo(np.dtype(dtype)).max)]))
    seed = draw(st.integers(0, 2**16))
    variables = {}
    for i in range(count):
        values = _values(dtype, shape, seed + i)
        if nodata is not None and values.size > 1:
            values.flat[i % values.size] = nodata  # the nodata value occurs in the data
        variables[f"v{i}"] = values
    return {
        "crs": crs,
        "transform": transform,
        "dims": dims,
        "variables": variables,
        "nodata": nodata,
        "dtype": dtype,
        "zarr_format": draw(st.sampled_from([2, 3])),
        "chunks": (draw(st.integers(3, 16)), draw(st.integers(3, 16))),
        "attributes": {"title": "round trip", "source": "tests/roundtrip"},
        "variable_attributes": {"units": "m", "long_name": "a quantity"},
        "south_up": south_up,
    }
