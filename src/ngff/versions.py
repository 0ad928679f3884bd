"""OME-Zarr versions: which are supported, and how a version string found in metadata reads.

OME-Zarr 0.6 is written as ``"0.6"``, ``"0.6rc0"`` (the release candidate the upstream
schemas pin) and ``"0.6.devN"`` (development builds of several tools) — all are read as 0.6,
and the report keeps the string as it was seen.
"""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

__all__ = ["SPEC_VERSIONS", "WRITTEN_VERSION", "SpecVersion", "spec_version"]

SpecVersion: TypeAlias = Literal["0.4", "0.5", "0.6"]
"""A supported OME-Zarr specification version."""

SPEC_VERSIONS: tuple[SpecVersion, ...] = ("0.4", "0.5", "0.6")
"""The versions this package validates and converts between, oldest first."""

WRITTEN_VERSION: dict[SpecVersion, str] = {"0.4": "0.4", "0.5": "0.5", "0.6": "0.6"}
"""The version string written when converting to each version."""

_V06 = re.compile(r"0\.6(?:rc\d+|\.dev\d+)?")


def spec_version(text: object) -> SpecVersion | None:
    """Read a version string as one of the supported specification versions.

    Parameters
    ----------
    text
        The ``version`` value found in the metadata.

    Returns
    -------
    str or None
        ``"0.4"``, ``"0.5"`` or ``"0.6"``; ``None`` for anything else (older or unknown
        versions, non-strings).

    Examples
    --------
    >>> [spec_version(v) for v in ("0.4", "0.6rc0", "0.6.dev3", "0.6", "0.3", 0.5)]
    ['0.4', '0.6', '0.6', '0.6', None, None]
    """
    if text == "0.4":
        return "0.4"
    if text == "0.5":
        return "0.5"
    if isinstance(text, str) and _V06.fullmatch(text):
        return "0.6"
    return None
