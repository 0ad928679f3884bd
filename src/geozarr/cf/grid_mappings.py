"""CF grid-mapping variables, discriminated on ``grid_mapping_name``.

CF-1.11 §5.6 and Appendix F: a grid-mapping variable names its projection in
``grid_mapping_name`` and holds the projection's parameters; it may also carry the CRS as
``crs_wkt`` (CF, WKT) and, as GDAL and rioxarray write it, ``spatial_ref`` (WKT) and
``GeoTransform`` (six numbers, GDAL order ``c a b f d e``, space-separated; GeoZarr v0.4
§Coordinate Reference System). Ellipsoid and prime-meridian parameters are shared by all
mappings. Other attributes are kept (writers add names such as ``projected_crs_name``).

Parameters that CF lists for a mapping are required here, except false easting / northing
(which default to 0). Where CF accepts one of two parameters (``standard_parallel`` or
``scale_factor_at_projection_origin``), rule ``geozarr.cf.grid-mapping-parameters`` requires one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    RootModel,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ngff_geozarr.core.models import ExtensibleModel

__all__ = [
    "GRID_MAPPING_NAMES",
    "AlbersConicalEqualArea",
    "AzimuthalEquidistant",
    "Geostationary",
    "GridMapping",
    "GridMappingBase",
    "GridMappingVariable",
    "LambertAzimuthalEqualArea",
    "LambertConformalConic",
    "LambertCylindricalEqualArea",
    "LatitudeLongitude",
    "Mercator",
    "ObliqueMercator",
    "Orthographic",
    "PolarStereographic",
    "RotatedLatitudeLongitude",
    "Sinusoidal",
    "Stereographic",
    "TransverseMercator",
    "VerticalPerspective",
    "grid_mapping_entries",
    "grid_mappings_of",
    "parse_geotransform",
]

_Num = StrictInt | StrictFloat
_Parallels = _Num | Annotated[list[_Num], Field(min_length=1, max_length=2)]


def _described(text: str) -> Any:
    """Declare an optional parameter described by ``text`` (in the JSON Schema)."""
    return Field(None, description=text)


class _CrsText(ExtensibleModel):
    """The CRS as text, beside the parameters: CF's ``crs_wkt``; GDAL's WKT and transform."""

    crs_wkt: StrictStr | None = _described("The CRS in OGC WKT (CF 5.6), datum included.")
    spatial_ref: StrictStr | None = _described("The CRS in WKT, as GDAL and rioxarray write it.")
    GeoTransform: StrictStr | None = _described(
        "The affine transform of pixel corners to the CRS: six numbers in GDAL order c a b f d e."
    )


class _Earth(_CrsText):
    """The figure of the Earth (CF Appendix F, Table F.1: the ellipsoid and prime meridian)."""

    semi_major_axis: _Num | None = _described("The ellipsoid's equatorial radius, in metres.")
    semi_minor_axis: _Num | None = _described("The ellipsoid's polar radius, in metres.")
    inverse_flattening: _Num | None = _described("1 / the ellipsoid's flattening (0: a sphere).")
    earth_radius: _Num | None = _described("The radius of a spherical Earth, in metres.")
    longitude_of_prime_meridian: _Num | None = _described(
        "The prime meridian's longitude east of Greenwich, in degrees."
    )


class GridMappingBase(_Earth):
    """Attributes every grid mapping may carry (CF Appendix F, Table F.1; GDAL).

    The false easting and northing here; the ellipsoid, the prime meridian and the CRS as
    text from its bases.
    """

    false_easting: _Num | None = _described("Added to every projected x, in the units of x.")
    false_northing: _Num | None = _described("Added to every projected y, in the units of y.")

    either: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Pairs of parameters of which CF Appendix F requires at least one."""

    @model_validator(mode="after")
    def _one_of_each_pair(self) -> GridMappingBase:
        """Rule geozarr.cf.grid-mapping-parameters (CF Appendix F): one of each pair."""
        for first, second in self.either:
            if getattr(self, first) is None and getattr(self, second) is None:
                raise PydanticCustomError(
                    "geozarr.cf.grid-mapping-parameters",
                    "Expected {a} or {b} (CF Appendix F). Got neither.",
                    {"a": first, "b": second},
                )
        return self


class _ParallelOrScale(GridMappingBase):
    """A mapping whose scale is set by ``standard_parallel`` or by a scale factor.

    CF Appendix F, Mercator, Lambert cylindrical equal area and polar stereographic:
    "Either standard_parallel ... or scale_factor_at_projection_origin".
    """

    standard_parallel: _Parallels | None = None
    scale_factor_at_projection_origin: _Num | None = None

    either: ClassVar[tuple[tuple[str, str], ...]] = (
        ("standard_parallel", "scale_factor_at_projection_origin"),
    )


class LatitudeLongitude(GridMappingBase):
    """``latitude_longitude``: geographic coordinates."""

    grid_mapping_name: Literal["latitude_longitude"]


class AlbersConicalEqualArea(GridMappingBase):
    """``albers_conical_equal_area``."""

    grid_mapping_name: Literal["albers_conical_equal_area"]
    standard_parallel: _Parallels
    longitude_of_central_meridian: _Num
    latitude_of_projection_origin: _Num


class AzimuthalEquidistant(GridMappingBase):
    """``azimuthal_equidistant``."""

    grid_mapping_name: Literal["azimuthal_equidistant"]
    longitude_of_projection_origin: _Num
    latitude_of_projection_origin: _Num


class Geostationary(GridMappingBase):
    """``geostationary``: one of ``sweep_angle_axis`` / ``fixed_angle_axis`` is required."""

    grid_mapping_name: Literal["geostationary"]
    longitude_of_projection_origin: _Num
    perspective_point_height: _Num
    latitude_of_projection_origin: _Num | None = None
    sweep_angle_axis: Literal["x", "y"] | None = None
    fixed_angle_axis: Literal["x", "y"] | None = None

    either = (("sweep_angle_axis", "fixed_angle_axis"),)


class LambertAzimuthalEqualArea(GridMappingBase):
    """``lambert_azimuthal_equal_area``."""

    grid_mapping_name: Literal["lambert_azimuthal_equal_area"]
    longitude_of_projection_origin: _Num
    latitude_of_projection_origin: _Num


class LambertConformalConic(GridMappingBase):
    """``lambert_conformal_conic``."""

    grid_mapping_name: Literal["lambert_conformal_conic"]
    standard_parallel: _Parallels
    longitude_of_central_meridian: _Num
    latitude_of_projection_origin: _Num


class LambertCylindricalEqualArea(_ParallelOrScale):
    """``lambert_cylindrical_equal_area``: ``standard_parallel`` or a scale factor."""

    grid_mapping_name: Literal["lambert_cylindrical_equal_area"]
    longitude_of_central_meridian: _Num


class Mercator(_ParallelOrScale):
    """``mercator``: ``standard_parallel`` (EPSG 9805) or a scale factor (EPSG 9804)."""

    grid_mapping_name: Literal["mercator"]
    longitude_of_projection_origin: _Num


class ObliqueMercator(GridMappingBase):
    """``oblique_mercator``."""

    grid_mapping_name: Literal["oblique_mercator"]
    azimuth_of_central_line: _Num
    latitude_of_projection_origin: _Num
    longitude_of_projection_origin: _Num
    scale_factor_at_projection_origin: _Num


class Orthographic(GridMappingBase):
    """``orthographic``."""

    grid_mapping_name: Literal["orthographic"]
    longitude_of_projection_origin: _Num
    latitude_of_projection_origin: _Num


class PolarStereographic(_ParallelOrScale):
    """``polar_stereographic``: ``standard_parallel`` or a scale factor."""

    grid_mapping_name: Literal["polar_stereographic"]
    latitude_of_projection_origin: _Num
    straight_vertical_longitude_from_pole: _Num | None = None
    longitude_of_projection_origin: _Num | None = None

    either = (
        *_ParallelOrScale.either,
        ("straight_vertical_longitude_from_pole", "longitude_of_projection_origin"),
    )


class RotatedLatitudeLongitude(GridMappingBase):
    """``rotated_latitude_longitude``."""

    grid_mapping_name: Literal["rotated_latitude_longitude"]
    grid_north_pole_latitude: _Num
    grid_north_pole_longitude: _Num
    north_pole_grid_longitude: _Num | None = None


class Sinusoidal(GridMappingBase):
    """``sinusoidal``."""

    grid_mapping_name: Literal["sinusoidal"]
    longitude_of_projection_origin: _Num


class Stereographic(GridMappingBase):
    """``stereographic``."""

    grid_mapping_name: Literal["stereographic"]
    longitude_of_projection_origin: _Num
    latitude_of_projection_origin: _Num
    scale_factor_at_projection_origin: _Num


class TransverseMercator(GridMappingBase):
    """``transverse_mercator`` (UTM zones among others)."""

    grid_mapping_name: Literal["transverse_mercator"]
    scale_factor_at_central_meridian: _Num
    longitude_of_central_meridian: _Num
    latitude_of_projection_origin: _Num


class VerticalPerspective(GridMappingBase):
    """``vertical_perspective``."""

    grid_mapping_name: Literal["vertical_perspective"]
    latitude_of_projection_origin: _Num
    longitude_of_projection_origin: _Num
    perspective_point_height: _Num


GridMapping = Annotated[
    LatitudeLongitude
    | AlbersConicalEqualArea
    | AzimuthalEquidistant
    | Geostationary
    | LambertAzimuthalEqualArea
    | LambertConformalConic
    | LambertCylindricalEqualArea
    | Mercator
    | ObliqueMercator
    | Orthographic
    | PolarStereographic
    | RotatedLatitudeLongitude
    | Sinusoidal
    | Stereographic
    | TransverseMercator
    | VerticalPerspective,
    Field(discriminator="grid_mapping_name"),
]
"""Any CF grid mapping, told apart by ``grid_mapping_name``."""

GRID_MAPPING_NAMES = frozenset(
    {
        "latitude_longitude",
        "albers_conical_equal_area",
        "azimuthal_equidistant",
        "geostationary",
        "lambert_azimuthal_equal_area",
        "lambert_conformal_conic",
        "lambert_cylindrical_equal_area",
        "mercator",
        "oblique_mercator",
        "orthographic",
        "polar_stereographic",
        "rotated_latitude_longitude",
        "sinusoidal",
        "stereographic",
        "transverse_mercator",
        "vertical_perspective",
    }
)
"""The ``grid_mapping_name`` values CF-1.11 Appendix F defines."""


class GridMappingVariable(RootModel[GridMapping]):
    """The attributes of a grid-mapping variable: one :data:`GridMapping`."""


def parse_geotransform(value: str) -> list[float] | None:
    """Parse a GDAL ``GeoTransform`` string into its six numbers (GDAL order).

    Parameters
    ----------
    value
        ``"c a b f d e"``: origin x, pixel width, row rotation, origin y, column rotation,
        pixel height (negative for north-up).

    Returns
    -------
    list of float or None
        The six numbers, or ``None`` when the string is not six finite numbers.

    Examples
    --------
    >>> parse_geotransform("500000.0 30.0 0.0 5200020.0 0.0 -30.0")
    [500000.0, 30.0, 0.0, 5200020.0, 0.0, -30.0]
    >>> parse_geotransform("1 2 3") is None
    True
    """
    parts = value.split()
    if len(parts) != 6:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
        return None
    return numbers


def grid_mapping_entries(value: str) -> list[tuple[str, tuple[str, ...]]]:
    """Split a ``grid_mapping`` attribute into its grid mappings and their coordinates.

    CF §5.6: the attribute is "a single word, which names a grid mapping variable", or "a
    blank-separated list of words ``<gridMappingVariable>: <coordinatesVariable>
    [<coordinatesVariable> ...] [<gridMappingVariable>: <coordinatesVariable>...]``".
    The single word applies to every coordinate (no coordinates listed).

    Parameters
    ----------
    value
        The attribute.

    Returns
    -------
    list of tuple
        ``(mapping, coordinates)`` in the attribute's order; empty for an empty value.

    Examples
    --------
    >>> grid_mapping_entries("crs")
    [('crs', ())]
    >>> grid_mapping_entries("crs: x y crs_wgs84: lat lon")
    [('crs', ('x', 'y')), ('crs_wgs84', ('lat', 'lon'))]
    """
    tokens = value.split()
    if not any(t.endswith(":") for t in tokens):
        return [(tokens[0], ())] if tokens else []
    entries: list[tuple[str, list[str]]] = []
    for token in tokens:
        if token.endswith(":"):
            entries.append((token[:-1], []))
        elif entries:
            entries[-1][1].append(token)
    return [(name, tuple(coords)) for name, coords in entries]


def grid_mappings_of(value: str, dims: Sequence[str]) -> list[str]:
    """Return the grid mappings a ``grid_mapping`` attribute applies to the given dimensions.

    The plain form's mapping applies to every coordinate. In the extended form, CF §5.6:
    "each coordinate or auxiliary coordinate is defined explicitly with respect to no more
    than one grid_mapping variable" and "all coordinates and auxiliary coordinates of the
    data variable not named in the grid_mapping attribute are unrelated to any grid mapping
    variable": a mapping listed with auxiliary coordinates only (``crs_wgs84: lat lon``)
    says nothing of the grid of ``dims`` (the coordinate variables ``x`` and ``y``).

    Parameters
    ----------
    value
        The attribute.
    dims
        The dimension names of the grid (their coordinate variables have the same names).

    Returns
    -------
    list of str
        The mappings, in the attribute's order.

    Examples
    --------
    >>> grid_mappings_of("crs: x y crs_wgs84: lat lon", ("y", "x"))
    ['crs']
    >>> grid_mappings_of("spatial_ref", ("y", "x"))
    ['spatial_ref']
    """
    entries = grid_mapping_entries(value)
    return [name for name, coords in entries if not coords or set(coords) & set(dims)]
