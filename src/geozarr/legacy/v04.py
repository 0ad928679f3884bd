"""Models of the GeoZarr v0.4 draft's multiscales (spec/geozarr-spec-v0.4.md §Multiscales).

A DataArray's ``multiscales`` attribute holds a ``tile_matrix_set`` (a well-known name, a URI,
or an OGC Two Dimensional Tile Matrix Set 2.0 object, CamelCase), optional
``tile_matrix_limits`` (STAC tiled-assets form: zoom level id -> optional min/max tile rows and
columns) and a ``resampling_method`` that MUST be one of :data:`RESAMPLING_METHODS`.
The OGC objects allow more keys than the draft uses; those are kept.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, NonNegativeInt, PositiveInt, StrictFloat, StrictInt, StrictStr

from ngff_geozarr.core.models import ExtensibleModel, SpecModel

__all__ = [
    "RESAMPLING_METHODS",
    "WELL_KNOWN_TILE_MATRIX_SETS",
    "MultiscalesV04",
    "ResamplingMethod",
    "TileMatrix",
    "TileMatrixLimits",
    "TileMatrixSet",
]

ResamplingMethod = Literal[
    "nearest",
    "bilinear",
    "cubic",
    "cubic_spline",
    "lanczos",
    "average",
    "mode",
    "gauss",
    "max",
    "min",
    "med",
    "q1",
    "q3",
    "sum",
    "rms",
]
"""The resampling methods v0.4 §Resampling Method allows."""

RESAMPLING_METHODS = frozenset(get_args(ResamplingMethod))
"""The same, as a set."""

WELL_KNOWN_TILE_MATRIX_SETS: dict[str, str] = {
    "CDB1GlobalGrid": "EPSG:4326",
    "CanadianNAD83_LCC": "EPSG:3978",
    "EuropeanETRS89_LAEAQuad": "EPSG:3035",
    "GNOSISGlobalGrid": "EPSG:4326",
    "UPSAntarcticWGS84Quad": "EPSG:5042",
    "UPSArcticWGS84Quad": "EPSG:5041",
    "UTM31WGS84Quad": "EPSG:32631",
    "WGS1984Quad": "EPSG:4326",
    "WebMercatorQuad": "EPSG:3857",
    "WorldCRS84Quad": "OGC:CRS84",
    "WorldMercatorWGS84Quad": "EPSG:3395",
}
"""The well-known tile matrix sets v0.4 §Tile Matrix Set points to (OGC 17-083r4 Annex D, the
OGC TMS 2.0 examples), by identifier, with their CRS: a name or a URI ending in one of these
(``.../WebMercatorQuad`` or ``.../WebMercatorQuad.json``) is resolved here, never fetched."""

_Num = StrictInt | StrictFloat


class TileMatrix(ExtensibleModel):
    """One zoom level of a Tile Matrix Set (OGC 17-083r4 §TileMatrix)."""

    id: StrictStr
    scaleDenominator: _Num | None = None
    cellSize: _Num
    pointOfOrigin: Annotated[list[_Num], Field(min_length=2, max_length=2)]
    tileWidth: PositiveInt
    tileHeight: PositiveInt
    matrixWidth: PositiveInt
    matrixHeight: PositiveInt


class TileMatrixSet(ExtensibleModel):
    """A Tile Matrix Set object (OGC 17-083r4), as v0.4 embeds it."""

    id: StrictStr | None = None
    title: StrictStr | None = None
    uri: StrictStr | None = None
    crs: StrictStr | dict[str, object] | None = None
    supportedCRS: StrictStr | None = None
    orderedAxes: list[StrictStr] | None = None
    tileMatrices: Annotated[list[TileMatrix], Field(min_length=1)]


class TileMatrixLimits(SpecModel):
    """The limits of one zoom level (STAC tiled-assets form); every key optional."""

    min_tile_col: NonNegativeInt | None = None
    max_tile_col: NonNegativeInt | None = None
    min_tile_row: NonNegativeInt | None = None
    max_tile_row: NonNegativeInt | None = None


class MultiscalesV04(SpecModel):
    """The ``multiscales`` attribute of the v0.4 draft (§Multiscales Metadata)."""

    tile_matrix_set: StrictStr | TileMatrixSet
    tile_matrix_limits: dict[str, TileMatrixLimits] | None = None
    resampling_method: ResamplingMethod
