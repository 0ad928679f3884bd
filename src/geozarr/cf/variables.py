"""CF attributes of data and coordinate variables, as stored in Zarr.

CF-1.11 §1.3 / Appendix A: a variable carries ``standard_name``, ``long_name``, ``units``,
``_FillValue``, ``scale_factor`` / ``add_offset`` (§8.1), ``coordinates`` (§5), ``grid_mapping``
(§5.6) and, for coordinates, ``axis`` (§4). Zarr adds the dimension names: the
``_ARRAY_DIMENSIONS`` attribute (Zarr v2, xarray's convention) or ``dimension_names`` (Zarr v3
array metadata). Other attributes are allowed (CF is open), so the model keeps them.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any, Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from ngff_geozarr.core.hierarchy import ARRAY_DIMENSIONS
from ngff_geozarr.core.models import ExtensibleModel

__all__ = ["FILL_VALUE", "CFVariable", "decode_fill_value"]

FILL_VALUE = "_FillValue"
"""The CF attribute holding the missing-data value."""


class CFVariable(ExtensibleModel):
    """The CF attributes of one variable (a Zarr array).

    Types follow CF Appendix A: strings for names, units and references; numbers for packing;
    ``axis`` one of X, Y, Z, T. ``_FillValue`` is a number, or the string forms Zarr writers
    use for non-finite values (``"NaN"``, ``"Infinity"``, ``"-Infinity"``) and xarray's
    base64-encoded bytes.
    """

    array_dimensions: list[StrictStr] | None = Field(default=None, alias=ARRAY_DIMENSIONS)
    standard_name: StrictStr | None = None
    long_name: StrictStr | None = None
    units: StrictStr | None = None
    fill_value: StrictInt | StrictFloat | StrictStr | None = Field(default=None, alias=FILL_VALUE)
    scale_factor: StrictInt | StrictFloat | None = None
    add_offset: StrictInt | StrictFloat | None = None
    coordinates: StrictStr | None = None
    grid_mapping: StrictStr | None = None
    axis: Literal["X", "Y", "Z", "T"] | None = None
    bounds: StrictStr | None = None


_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def decode_fill_value(value: Any) -> float | int | None:
    """Decode a ``_FillValue`` or Zarr ``fill_value`` as written in JSON.

    Parameters
    ----------
    value
        A number, ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"``, a hexadecimal float
        (``"0x7fc00000"``, Zarr v3), or base64 of 4 or 8 little-endian bytes (xarray's
        encoding of a float ``_FillValue`` in Zarr v3).

    Returns
    -------
    float, int or None
        The value, or ``None`` when it cannot be decoded.

    Examples
    --------
    >>> decode_fill_value("AAAAAAAA+H8=")
    nan
    >>> decode_fill_value(0)
    0
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        return None
    if value in _SPECIAL:
        return _SPECIAL[value]
    if value.startswith("0x"):
        raw = bytes.fromhex(value[2:]) if len(value) in (10, 18) else b""
        return _unpack(raw[::-1]) if raw else None
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    return _unpack(raw)


def _unpack(raw: bytes) -> float | None:
    if len(raw) == 8:
        return float(struct.unpack("<d", raw)[0])
    if len(raw) == 4:
        return float(struct.unpack("<f", raw)[0])
    return None
