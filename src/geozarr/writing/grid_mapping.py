"""The CF grid-mapping attributes of a CRS, with every Appendix F parameter the mapping needs.

pyproj's :meth:`pyproj.CRS.to_cf` names the mapping and most parameters but leaves some out:
for Polar Stereographic variant B (EPSG:3413, 3031, 3995) it writes ``standard_parallel``
and no ``latitude_of_projection_origin``, which CF-1.11 Appendix F lists among the
mapping's parameters ("latitude_of_projection_origin - Either +90. or -90."), and for
Lambert conformal conic 1SP (EPSG:2062 and some 230 others) no origin latitude either ("For
the 1SP variant, latitude_of_projection_origin=standard_parallel"); the grid-mapping variable
is then invalid (rule ``geozarr.cf.grid-mapping``).

:data:`MAP_PARAMETERS` is Appendix F's list of map parameters per ``grid_mapping_name``
(the optional false easting / northing left out: "If false_easting is not provided it is
assumed to be 0"); each entry is a group of which one must be given ("Either
standard_parallel (EPSG 9829) or scale_factor_at_projection_origin (EPSG 9810)"), the
preferred name first. :func:`cf_grid_mapping` fills a group pyproj left empty from the
CRS's own EPSG conversion parameters, or from the rule Appendix F states for it, and never
changes a value pyproj wrote.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pyproj import CRS

__all__ = ["EPSG_PARAMETERS", "MAP_PARAMETERS", "cf_grid_mapping"]

_LAT0, _LON0 = "latitude_of_projection_origin", "longitude_of_projection_origin"
_CENTRAL = "longitude_of_central_meridian"
_PARALLEL, _SCALE = "standard_parallel", "scale_factor_at_projection_origin"
_SVLFP = "straight_vertical_longitude_from_pole"

MAP_PARAMETERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "albers_conical_equal_area": ((_PARALLEL,), (_CENTRAL,), (_LAT0,)),
    "azimuthal_equidistant": ((_LON0,), (_LAT0,)),
    "geostationary": (
        (_LON0,),
        ("perspective_point_height",),
        ("sweep_angle_axis", "fixed_angle_axis"),
    ),
    "lambert_azimuthal_equal_area": ((_LON0,), (_LAT0,)),
    "lambert_conformal_conic": ((_PARALLEL,), (_CENTRAL,), (_LAT0,)),
    "lambert_cylindrical_equal_area": ((_CENTRAL,), (_PARALLEL, _SCALE)),
    "latitude_longitude": (),
    "mercator": ((_LON0,), (_PARALLEL, _SCALE)),
    "oblique_mercator": (("azimuth_of_central_line",), (_LAT0,), (_LON0,), (_SCALE,)),
    "orthographic": ((_LON0,), (_LAT0,)),
    "polar_stereographic": ((_LON0, _SVLFP), (_LAT0,), (_PARALLEL, _SCALE)),
    "rotated_latitude_longitude": (("grid_north_pole_latitude",), ("grid_north_pole_longitude",)),
    "sinusoidal": ((_LON0,),),
    "stereographic": ((_LON0,), (_LAT0,), (_SCALE,)),
    "transverse_mercator": (("scale_factor_at_central_meridian",), (_CENTRAL,), (_LAT0,)),
    "vertical_perspective": ((_LAT0,), (_LON0,), ("perspective_point_height",)),
}
"""CF-1.11 Appendix F "Map parameters" of each mapping: groups of alternatives, preferred first.

Polar stereographic: "longitude_of_projection_origin or straight_vertical_longitude_from_pole
(deprecated)"; "Either standard_parallel (EPSG 9829) or scale_factor_at_projection_origin
(EPSG 9810)". Geostationary: ``latitude_of_projection_origin`` is listed but can only be 0
and the pair of axes may infer each other (Table F.1, ``fixed_angle_axis``).
"""

EPSG_PARAMETERS: dict[str, tuple[str, ...]] = {
    _LAT0: ("8801", "8821", "8811"),
    _LON0: ("8802", "8812", "8833", "8822"),
    _CENTRAL: ("8802", "8822"),
    _SVLFP: ("8833", "8802"),
    _SCALE: ("8805", "8815"),
    "scale_factor_at_central_meridian": ("8805",),
    "azimuth_of_central_line": ("8813",),
}
"""The EPSG parameter codes that carry each CF parameter (latitude / longitude of natural
origin, of false origin, of projection centre; longitude of origin; scale factor at natural
origin or on the initial line; azimuth of the initial line). ``standard_parallel`` is the
latitude of standard parallel (8832), or the first and second standard parallels (8823,
8824)."""


def _epsg_values(crs: CRS) -> dict[str, float]:
    """Return the CRS's conversion parameters by EPSG code, angles in degrees."""
    operation = crs.coordinate_operation
    if operation is None:
        return {}
    values: dict[str, float] = {}
    for param in operation.params:
        raw: Any = param.value  # typed as str by pyproj, a number for numeric parameters
        if param.auth_name != "EPSG" or not isinstance(raw, int | float):
            continue
        value = float(raw)
        if param.unit_category == "angular":
            value = math.degrees(value * param.unit_conversion_factor)
        elif param.unit_category == "scale":
            value = value * param.unit_conversion_factor
        values[str(param.code)] = value
    return values


def _first(value: Any) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return float(value) if isinstance(value, int | float) else None


def _derive(name: str, param: str, cf: dict[str, Any], epsg: dict[str, float]) -> Any:
    """Return a parameter pyproj left out, or ``None`` when the CRS does not give one."""
    if param == _PARALLEL:
        parallels = [epsg[c] for c in ("8832", "8823", "8824") if c in epsg]
        return parallels[0] if len(parallels) == 1 else (parallels or None)
    if name == "polar_stereographic" and param == _LAT0 and "8801" not in epsg:
        # Appendix F: "Either +90. or -90."; variant B (EPSG 9829) and C name no origin
        # latitude: the pole is the one on the side of the standard parallel.
        parallel = _first(cf.get(_PARALLEL, epsg.get("8832")))
        return None if parallel is None or parallel == 0 else math.copysign(90.0, parallel)
    if name == "polar_stereographic" and param == _LON0 and _SVLFP in cf:
        return cf[_SVLFP]  # the same parameter under its current name
    for code in EPSG_PARAMETERS.get(param, ()):
        if code in epsg:
            return epsg[code]
    return None


def cf_grid_mapping(crs: CRS) -> dict[str, Any]:
    """Return a CRS's CF grid-mapping attributes, completed per CF Appendix F.

    Starts from :meth:`pyproj.CRS.to_cf` (names and parameters, ``crs_wkt`` in WKT2); for
    each group of :data:`MAP_PARAMETERS` of the mapping that pyproj left empty, adds the
    value the CRS defines. The preferred name of a polar stereographic's longitude
    (``longitude_of_projection_origin``) is added next to the deprecated one pyproj writes,
    which stays for older readers. Web Mercator (EPSG method 1024, which CF's list does not
    name) is written as the spherical ``mercator`` it computes with (see
    :func:`_pseudo_mercator`); another CRS CF defines no mapping for gets no
    ``grid_mapping_name``: ``crs_wkt`` alone describes it. The attributes are JSON-ready
    (lists, not tuples).

    Examples
    --------
    >>> attrs = cf_grid_mapping(CRS.from_epsg(3413))
    >>> attrs["grid_mapping_name"], attrs["latitude_of_projection_origin"]
    ('polar_stereographic', 90.0)
    >>> attrs["standard_parallel"], attrs["longitude_of_projection_origin"]
    (70.0, -45.0)
    """
    try:
        cf: dict[str, Any] = json.loads(json.dumps(crs.to_cf()))
    except Exception:  # pyproj raises several kinds for CRSs CF cannot express
        cf = {"crs_wkt": crs.to_wkt()}
    name = cf.get("grid_mapping_name")
    if name is None:
        cf.update(_pseudo_mercator(crs))
        name = cf.get("grid_mapping_name")
    groups = MAP_PARAMETERS.get(name, ()) if isinstance(name, str) else ()
    epsg = _epsg_values(crs) if groups else {}
    for group in groups:
        preferred = group[0]
        if preferred in cf:
            continue
        if any(p in cf for p in group) and not (preferred == _LON0 and _SVLFP in cf):
            continue
        for param in group:
            value = _derive(name, param, cf, epsg)  # type: ignore[arg-type]
            if value is not None:
                cf[param] = value
                break
    return cf


_PSEUDO_MERCATOR = "1024"  # EPSG method "Popular Visualisation Pseudo Mercator"


def _pseudo_mercator(crs: CRS) -> dict[str, Any]:
    """Return the CF mapping of a Web Mercator CRS, or nothing for any other CRS.

    EPSG:3857's method (EPSG 1024) applies the spherical Mercator formulas, with the
    ellipsoid's semi-major axis as the radius, to geodetic coordinates. CF's ``mercator`` on a
    sphere of that radius (``earth_radius``) maps the same latitude and longitude to the same
    x and y, so a reader that uses only the CF parameters places every pixel where the CRS
    does; ``crs_wkt``, written beside it, keeps the exact definition (the WGS 84 datum).
    CF-1.11 §5.6: "the grid mapping variable ... must have the attribute grid_mapping_name".
    """
    operation = crs.coordinate_operation
    if operation is None or operation.method_code != _PSEUDO_MERCATOR:
        return {}
    params = {p.code: float(p.value) for p in operation.params}
    return {
        "grid_mapping_name": "mercator",
        _LON0: params.get("8802", 0.0),
        _PARALLEL: params.get("8801", 0.0),
        "false_easting": params.get("8806", 0.0),
        "false_northing": params.get("8807", 0.0),
        "earth_radius": float(crs.ellipsoid.semi_major_metre) if crs.ellipsoid else 6378137.0,
    }
