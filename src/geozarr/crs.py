"""Parse and resolve CRS declarations with pyproj's bundled database, never the network.

Every CRS a GeoZarr node can declare — ``proj:code``, ``proj:wkt2``, ``proj:projjson``, CF
``crs_wkt`` and GDAL's ``spatial_ref`` — is turned into a :class:`pyproj.CRS` here, once per
distinct value (results are cached: a product declares the same CRS on hundreds of arrays).
PROJ's network access (grids fetched from the CDN) is switched off on import of this module
and never switched back on; nothing resolves a schema URL either.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Literal

import pyproj
from pyproj import CRS
from pyproj.exceptions import CRSError

__all__ = ["CrsKind", "ParsedCrs", "crs_agree", "parse_crs"]

pyproj.network.set_network_enabled(False)  # type: ignore[attr-defined]

CrsKind = Literal["code", "wkt", "wkt2", "projjson"]
"""How a CRS is written: an authority code, WKT (1 or 2), WKT2 only, or PROJJSON."""


@dataclass(frozen=True)
class ParsedCrs:
    """The outcome of parsing one CRS declaration.

    Parameters
    ----------
    crs
        The CRS, or ``None`` when it could not be parsed or resolved.
    problem
        Why it could not be used (one sentence), or ``None``.
    wkt1
        True when the text parsed but is WKT1 rather than WKT2.
    """

    crs: CRS | None
    problem: str | None = None
    wkt1: bool = False


_WKT2_KEYWORDS = (
    "PROJCRS",
    "GEOGCRS",
    "GEODCRS",
    "BASEGEOGCRS",
    "COMPOUNDCRS",
    "VERTCRS",
    "ENGCRS",
    "BOUNDCRS",
    "DERIVEDPROJCRS",
    "TIMECRS",
    "PARAMETRICCRS",
    "GEODETICCRS",
    "GEOGRAPHICCRS",
    "PROJECTEDCRS",
    "VERTICALCRS",
    "ENGINEERINGCRS",
)
_WKT1_KEYWORDS = ("PROJCS", "GEOGCS", "GEOCCS", "COMPD_CS", "VERT_CS", "LOCAL_CS")


def _first_keyword(text: str) -> str:
    return text.lstrip().split("[", 1)[0].strip().upper()


@functools.lru_cache(maxsize=1024)
def _parse_text(kind: str, text: str) -> ParsedCrs:
    if kind == "code":
        try:
            return ParsedCrs(CRS.from_user_input(text))
        except CRSError:
            return ParsedCrs(None, f"{text!r} does not resolve in the PROJ database.")
    keyword = _first_keyword(text)
    if keyword not in _WKT2_KEYWORDS + _WKT1_KEYWORDS:
        return ParsedCrs(None, f"not WKT (starts with {keyword[:20]!r}).")
    try:
        crs = CRS.from_wkt(text)
    except CRSError as exc:
        return ParsedCrs(None, f"WKT that PROJ cannot parse ({_reason(exc)}).")
    return ParsedCrs(crs, wkt1=keyword in _WKT1_KEYWORDS)


@functools.lru_cache(maxsize=256)
def _parse_json(text: str) -> ParsedCrs:
    try:
        crs = CRS.from_json(text)
    except CRSError as exc:
        return ParsedCrs(None, f"PROJJSON that PROJ cannot use as a CRS ({_reason(exc)}).")
    return ParsedCrs(crs)


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "proj_create:" in text:
        text = text.rsplit("proj_create:", 1)[1].strip().rstrip(")")
    return text[:120]


def parse_crs(kind: CrsKind, value: Any) -> ParsedCrs:
    """Parse one CRS declaration.

    Parameters
    ----------
    kind
        ``"code"`` (``AUTHORITY:CODE``), ``"wkt"`` / ``"wkt2"`` (text), ``"projjson"`` (an
        object).
    value
        The declared value.

    Returns
    -------
    ParsedCrs
        The CRS, or why there is none.

    Examples
    --------
    >>> parse_crs("code", "EPSG:32632").crs.name
    'WGS 84 / UTM zone 32N'
    >>> parse_crs("code", "EPSG:999999").problem
    "'EPSG:999999' does not resolve in the PROJ database."
    """
    if kind == "projjson":
        if not isinstance(value, dict):
            return ParsedCrs(None, "PROJJSON must be a JSON object.")
        return _parse_json(json.dumps(value, sort_keys=True))
    if not isinstance(value, str):
        return ParsedCrs(None, "expected a string.")
    return _parse_text("code" if kind == "code" else "wkt", value)


@functools.lru_cache(maxsize=1024)
def _agree(a: CRS, b: CRS) -> bool:
    if a.equals(b, ignore_axis_order=True):
        return True
    auth_a = a.to_authority(min_confidence=70)
    auth_b = b.to_authority(min_confidence=70)
    return auth_a is not None and auth_a == auth_b


def crs_agree(a: CRS, b: CRS) -> bool:
    """Tell whether two CRSs describe the same system.

    They agree when PROJ finds them equivalent (axis order ignored: WKT1 writers often leave
    it out) or when both identify, with confidence of at least 70 %, as the same
    authority code (WKT1 datum names differ from the EPSG database's).

    Parameters
    ----------
    a, b
        The two CRSs.

    Returns
    -------
    bool
        Whether they agree.

    Examples
    --------
    >>> crs_agree(CRS.from_epsg(4326), CRS.from_epsg(4326))
    True
    >>> crs_agree(CRS.from_epsg(32632), CRS.from_epsg(32633))
    False
    """
    return _agree(a, b)
