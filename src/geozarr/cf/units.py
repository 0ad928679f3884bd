"""Physical dimensions of UDUNITS-2 unit strings, enough to compare units with canonical units.

CF-1.11 §3.1: ``units`` must be physically equivalent to the canonical units of the variable's
standard name. This module understands the common subset of UDUNITS-2 syntax: products of unit
symbols or names with SI prefixes and integer exponents (``kg m-2 s-1``, ``m.s-1``, ``m^2``,
``W/m2``), scale factors (``1e-3``), time units with a reference (``days since 2000-01-01``)
and the dimensionless forms (``1``, ``%``, ``degree``, ``degrees_north``). Anything else
(parentheses, logarithmic units, unknown names) gives ``None``: not checkable, never an error.
Angles are dimensionless, as in UDUNITS-2.
"""

from __future__ import annotations

import re

__all__ = ["Dimensions", "compatible", "dimensions"]

Dimensions = tuple[int, int, int, int, int, int, int]
"""Exponents of length, mass, time, temperature, current, amount, luminous intensity."""

_ZERO: Dimensions = (0, 0, 0, 0, 0, 0, 0)


def _d(m: int = 0, kg: int = 0, s: int = 0, k: int = 0, a: int = 0, mol: int = 0) -> Dimensions:
    return (m, kg, s, k, a, mol, 0)


_UNITS: dict[str, Dimensions] = {}
for _names, _dims in (
    (("m", "meter", "metre", "meters", "metres"), _d(m=1)),
    (("g", "gram", "grams", "t", "tonne", "tonnes"), _d(kg=1)),
    (
        (
            "s",
            "sec",
            "second",
            "seconds",
            "min",
            "minute",
            "minutes",
            "h",
            "hr",
            "hour",
            "hours",
            "d",
            "day",
            "days",
            "week",
            "weeks",
            "yr",
            "year",
            "years",
            "common_year",
        ),
        _d(s=1),
    ),
    (
        (
            "K",
            "kelvin",
            "degC",
            "degree_C",
            "degree_Celsius",
            "celsius",
            "Celsius",
            "degF",
            "degree_F",
            "fahrenheit",
        ),
        _d(k=1),
    ),
    (("A", "ampere", "amperes"), _d(a=1)),
    (("mol", "mole", "moles"), _d(mol=1)),
    (("cd", "candela"), (0, 0, 0, 0, 0, 0, 1)),
    (
        (
            "1",
            "rad",
            "radian",
            "radians",
            "sr",
            "steradian",
            "degree",
            "degrees",
            "arc_degree",
            "degree_north",
            "degrees_north",
            "degree_N",
            "degreeN",
            "degree_east",
            "degrees_east",
            "degree_E",
            "degreeE",
            "degree_true",
            "degrees_true",
            "%",
            "percent",
            "ppm",
            "ppb",
            "dB",
            "psu",
            "PSU",
            "count",
        ),
        _ZERO,
    ),
    (("Pa", "pascal", "bar", "atm"), _d(m=-1, kg=1, s=-2)),
    (("N", "newton"), _d(m=1, kg=1, s=-2)),
    (("J", "joule"), _d(m=2, kg=1, s=-2)),
    (("W", "watt", "watts"), _d(m=2, kg=1, s=-3)),
    (("Hz", "hertz", "Bq", "becquerel"), _d(s=-1)),
    (("C", "coulomb"), _d(s=1, a=1)),
    (("V", "volt"), _d(m=2, kg=1, s=-3, a=-1)),
    (("ohm",), _d(m=2, kg=1, s=-3, a=-2)),
    (("S", "siemens"), _d(m=-2, kg=-1, s=3, a=2)),
    (("T", "tesla"), _d(kg=1, s=-2, a=-1)),
    (("Gy", "gray", "Sv", "sievert"), _d(m=2, s=-2)),
    (("L", "l", "liter", "litre", "liters", "litres"), _d(m=3)),
):
    for _name in _names:
        _UNITS[_name] = _dims

_PREFIXES = (
    "yotta", "zetta", "exa", "peta", "tera", "giga", "mega", "kilo", "hecto", "deka", "deca",
    "deci", "centi", "milli", "micro", "nano", "pico", "femto", "atto", "zepto", "yocto",
    "da", "Y", "Z", "E", "P", "T", "G", "M", "k", "h", "d", "c", "m", "u", "µ", "n", "p",
    "f", "a", "z", "y",
)  # fmt: skip

_TOKEN = re.compile(r"^([A-Za-z_%µ]+|1)(?:\^|\*\*)?(-?\d+)?$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _lookup(name: str) -> Dimensions | None:
    if name in _UNITS:
        return _UNITS[name]
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            base = name[len(prefix) :]
            if base in _UNITS and base not in ("1", "%"):
                return _UNITS[base]
    return None


def _product(text: str) -> Dimensions | None:
    total = list(_ZERO)
    for token in re.split(r"\s+|·|(?<!\*)\*(?!\*)|\.(?![0-9])", text.strip()):
        if token == "" or _NUMBER.match(token):
            continue
        match = _TOKEN.match(token)
        if match is None:
            return None
        dims = _lookup(match.group(1))
        if dims is None:
            return None
        power = int(match.group(2) or 1)
        for i, v in enumerate(dims):
            total[i] += v * power
    return (total[0], total[1], total[2], total[3], total[4], total[5], total[6])


def dimensions(units: str) -> Dimensions | None:
    """Return the physical dimensions of a unit string, or ``None`` when not understood.

    Parameters
    ----------
    units
        A UDUNITS-2 unit string.

    Returns
    -------
    tuple of int or None
        Exponents of length, mass, time, temperature, current, amount and luminous intensity.

    Examples
    --------
    >>> dimensions("kg m-2 s-1")
    (-2, 1, -1, 0, 0, 0, 0)
    >>> dimensions("W/m2") == dimensions("kg s-3")
    True
    >>> dimensions("furlongs per fortnight") is None
    True
    """
    text = units.strip()
    if " since " in f" {text} ":
        text = text.split(" since ", 1)[0]
    if "(" in text or ")" in text:
        return None
    if text == "":
        return _ZERO
    numerator, *denominators = text.split("/")
    result = _product(numerator)
    if result is None:
        return None
    total = list(result)
    for part in denominators:
        dims = _product(part)
        if dims is None:
            return None
        total = [a - b for a, b in zip(total, dims, strict=True)]
    return (total[0], total[1], total[2], total[3], total[4], total[5], total[6])


def compatible(units: str, canonical: str) -> bool | None:
    """Tell whether ``units`` is physically equivalent to ``canonical``.

    Parameters
    ----------
    units
        The variable's ``units``.
    canonical
        The canonical units of its standard name.

    Returns
    -------
    bool or None
        ``None`` when either string is not understood (not checkable).

    Examples
    --------
    >>> compatible("hPa", "Pa"), compatible("m", "K"), compatible("degC", "K")
    (True, False, True)
    """
    a, b = dimensions(units), dimensions(canonical)
    if a is None or b is None:
        return None
    return a == b
