"""Validate a whole GeoZarr hierarchy: every group and array, every rule, one report.

:func:`validate` reads the target once (:func:`ngff_geozarr.core.validation.validate_target`)
and runs the rules of the profiles that apply:

- ``conventions``: the Zarr conventions GeoZarr builds on (``zarr_conventions``, ``proj:``,
  ``spatial:``, ``multiscales``), see :mod:`geozarr.conventions.checks`;
- ``cf``: CF as written by xarray / rioxarray / GDAL (``grid_mapping`` variables, standard
  names, units, coordinate variables), see :mod:`geozarr.cf.checks`, and each variable's
  own attributes (units present, time and vertical coordinates, packing, names), see
  :mod:`geozarr.cf.checks_variables`;
- ``v0.4``: the GeoZarr v0.4 draft's requirements (CF rules included), see
  :mod:`geozarr.legacy.checks`.

With ``profile="auto"`` the profiles are detected from what the store declares (never by
trying them in turn); the CRS rules run under every profile, and so does xarray's rule for Zarr
v2 (every array names its dimensions in ``_ARRAY_DIMENSIONS``; the v0.4 profile says it as
its own rule). Coordinate values are compared with ``spatial:transform`` under the
``conventions`` profile too (:mod:`geozarr.cf.checks_coordinates`). A store that declares
nothing geospatial gets one error, ``geozarr.none``: it is not GeoZarr. Every issue names its
convention and clause (``Issue.reference``); every rule is declared in :mod:`geozarr.rules`,
and ``strict=True`` applies the strict profile there: SHOULD-level issues become errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, get_args

from geozarr.cf import checks as cf
from geozarr.cf import checks_coordinates as cfc
from geozarr.cf import checks_variables as cfv
from geozarr.context import CheckContext
from geozarr.conventions import checks as conv
from geozarr.conventions.registry import REGISTRY
from geozarr.coordinates import CoordinateReader
from geozarr.deep import pyramids
from geozarr.detection import discover
from geozarr.legacy import checks as v04
from geozarr.profiles import READERS
from geozarr.rules import REGISTRY as RULE_REGISTRY
from ngff_geozarr.core.deep import Budget, budget_of, with_deep
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.profiles.readers import select_readers, with_readers
from ngff_geozarr.core.report import Issue, Report
from ngff_geozarr.core.validation import validate_target

__all__ = [
    "CONVENTION",
    "PROFILES",
    "Profile",
    "check_hierarchy",
    "checking_values",
    "detect_profiles",
    "validate",
]

CONVENTION = "geozarr"
"""The ``convention`` of every report."""

Profile = Literal["auto", "cf", "conventions", "v0.4"]
"""Which rules to run: detected from the store, or one family."""
PROFILES: tuple[str, ...] = get_args(Profile)
"""The profile names, for the command line."""

_CF_MARKERS = ("grid_mapping", "grid_mapping_name", "crs_wkt", "GeoTransform")
_GEO_STANDARD_NAMES = frozenset(
    {
        "latitude",
        "longitude",
        "grid_latitude",
        "grid_longitude",
        "projection_x_coordinate",
        "projection_y_coordinate",
    }
)


def _uses_conventions(node: Node) -> bool:
    attrs = node.attributes
    declared = attrs.get("zarr_conventions")
    if isinstance(declared, list) and any(
        isinstance(c, Mapping) and c.get("uuid") in REGISTRY for c in declared
    ):
        return True
    if any(isinstance(k, str) and k.startswith(("proj:", "spatial:")) for k in attrs):
        return True
    ms = attrs.get("multiscales")
    return isinstance(ms, Mapping) and "layout" in ms


def _uses_cf(node: Node) -> bool:
    attrs = node.attributes
    return any(k in attrs for k in _CF_MARKERS) or attrs.get("standard_name") in _GEO_STANDARD_NAMES


def detect_profiles(hierarchy: Hierarchy) -> list[str]:
    """Tell which profiles a hierarchy's metadata declares, from its markers.

    Parameters
    ----------
    hierarchy
        The hierarchy.

    Returns
    -------
    list of str
        A sorted subset of ``["cf", "conventions", "v0.4"]``: ``conventions`` for a known
        ``zarr_conventions`` entry, ``proj:`` / ``spatial:`` keys or a ``multiscales``
        layout; ``cf`` for a grid mapping (``grid_mapping``, ``grid_mapping_name``,
        ``crs_wkt``, ``GeoTransform``) or a horizontal coordinate's standard name; ``v0.4``
        for tile-matrix-set multiscales.
    """
    found: set[str] = set()
    for node in hierarchy.nodes.values():
        if _uses_conventions(node):
            found.add("conventions")
        if _uses_cf(node):
            found.add("cf")
        if v04.is_tms_multiscales(node):
            found.add("v0.4")
    return sorted(found)


_Rule = Callable[[CheckContext, Node], None]

_CF_VARIABLE_CHECKS: tuple[_Rule, ...] = (
    cfv.check_units_present,
    cfv.check_time_units,
    cfv.check_vertical_positive,
    cfv.check_axis_unique,
    cfv.check_packed_data,
    cfv.check_fill_value_outside_valid_range,
    cfv.check_names,
    cfv.check_names_case,
    cfv.check_dimensions_unique,
    cfv.check_dimension_order,
    cfv.check_multidimensional_coordinate_names,
    cfv.check_units_metadata,
)
_CF_ARRAY_CHECKS: tuple[_Rule, ...] = (
    cf.check_cf_attributes,
    cf.check_array_dimensions,
    cf.check_standard_name,
    cf.check_units,
    cf.check_fill_value_pitfall,
    cf.check_coordinates_attribute,
    cf.check_grid_mapping_reference,
    cf.check_grid_mapping_coordinates,
    cfc.check_coordinate_variables,
    *_CF_VARIABLE_CHECKS,
)
_RULES: dict[str, tuple[_Rule, ...]] = {
    "conventions": (
        conv.check_declarations,
        conv.check_conventions_declared,
        conv.check_proj,
        conv.check_spatial,
        conv.check_multiscales,
        cfc.check_coordinate_variables,
    ),
    "cf": _CF_ARRAY_CHECKS,
    "v0.4": (v04.check_v04_variable, v04.check_v04_multiscales),
}
# The CF rules look at arrays only: they are not run on groups.
_ARRAY_ONLY = frozenset(_CF_ARRAY_CHECKS)


def _root_kind(hierarchy: Hierarchy) -> str | None:
    root = hierarchy.root
    if root is None:
        return None
    ms = root.attributes.get("multiscales")
    if isinstance(ms, Mapping):
        return "multiscales"
    if cf.is_grid_mapping(root):
        return "grid-mapping"
    if root.node_type == "group" and len(hierarchy) > 1:
        return "dataset"
    return root.node_type


def check_hierarchy(
    hierarchy: Hierarchy,
    profile: Profile = "auto",
    *,
    read_values: Callable[[Node], Any] | None = None,
    strict: bool = False,
) -> Report:
    """Run the GeoZarr rules over a hierarchy.

    Parameters
    ----------
    hierarchy
        The hierarchy (from a store or a JSON document).
    profile
        ``"auto"`` (the detected profiles) or one profile.
    read_values
        Reads a small 1-D array's values (for coordinate checks); ``None`` skips them.
    strict
        Apply the strict profile: SHOULD-level issues become errors.

    Returns
    -------
    Report
        The findings (the problems met while reading are not included).
    """
    detected = detect_profiles(hierarchy)
    if profile == "auto":
        profiles = detected
    elif profile == "v0.4":
        profiles = ["cf", "v0.4"]
    else:
        profiles = [profile]
    ctx = CheckContext(hierarchy, read_values, strict=strict)
    if not set(profiles) & set(detected):
        _nothing_geospatial(ctx, hierarchy, profile)
    rules = list(dict.fromkeys(r for p in profiles for r in _RULES.get(p, ())))
    for node in hierarchy.nodes.values():
        for rule in rules:
            if node.node_type == "array" or rule not in _ARRAY_ONLY:
                rule(ctx, node)
        if "cf" in profiles and cf.is_grid_mapping(node):
            cf.check_grid_mapping_variable(ctx, node)
            cfv.check_ellipsoid(ctx, node)
            cfv.check_crs_names(ctx, node)
        cf.check_crs_declarations(ctx, node)
        if profiles and "v0.4" not in profiles:  # v0.4 says it as geozarr.v04.array-dimensions
            cf.check_xarray_dimensions(ctx, node)
    label = "+".join(profiles) if profiles else None
    return Report(
        target=hierarchy.target,
        issues=tuple(ctx.issues),
        convention=CONVENTION,
        version=label,
        node_type=_root_kind(hierarchy),
    )


def _nothing_geospatial(ctx: CheckContext, hierarchy: Hierarchy, profile: str) -> None:
    what = "GeoZarr" if profile == "auto" else f"the {profile} profile"
    ctx.issues.append(
        Issue(
            RULE_REGISTRY.severity("geozarr.none", ctx.strict),
            "geozarr.none",
            "",
            "",
            f"Nothing geospatial for {what}: no zarr_conventions entry for proj:, spatial: or "
            "multiscales, no proj:/spatial: attributes, no CF grid mapping (grid_mapping, "
            "grid_mapping_name, crs_wkt, GeoTransform) or horizontal coordinate, no v0.4 "
            f"multiscales in {len(hierarchy)} node(s). Not valid GeoZarr.",
            "GeoZarr: zarr-conventions, CF-1.11 §5.6, GeoZarr v0.4",
        )
    )


@contextmanager
def checking_values(
    target: str | os.PathLike[str],
    storage_options: dict[str, Any] | None,
    profile: Profile = "auto",
    *,
    strict: bool = False,
) -> Iterator[Callable[[Hierarchy], Report]]:
    """Give :func:`check_hierarchy` for a target, reading its coordinate values when stored.

    What :func:`validate` and :func:`geozarr.report.build_report` both run: a hierarchy read
    from a store has its 1-D coordinate values read (``geozarr.cf.coordinate-*``); one
    from a JSON document has none. The reader's store is closed on leaving.

    Parameters
    ----------
    target
        The store path or URL the hierarchy comes from.
    storage_options
        Options for remote stores.
    profile
        As for :func:`check_hierarchy`.
    strict
        Apply the strict profile.

    Yields
    ------
    callable
        Hierarchy to :class:`~ngff_geozarr.core.report.Report`.
    """
    reader = CoordinateReader(target, storage_options)

    def check(hierarchy: Hierarchy) -> Report:
        values = reader if hierarchy.source == "store" else None
        return check_hierarchy(hierarchy, profile, read_values=values, strict=strict)

    try:
        yield check
    finally:
        reader.close()


def validate(
    target: str | os.PathLike[str],
    *,
    profile: Profile = "auto",
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
    readers: Sequence[str] = (),
    deep: bool | Budget = False,
    sample: int | None = None,
    max_requests: int | None = None,
    max_bytes: int | None = None,
) -> Report:
    """Validate a GeoZarr store (or a JSON document describing one), all of it.

    This is GeoZarr's :class:`~ngff_geozarr.core.convention.Validate`, which documents the
    arguments, the result and the errors; ``profile`` is GeoZarr's own. Its ``readers`` are
    ``gdal-3.12``, ``gdal-3.13`` and ``xarray`` (:mod:`geozarr.profiles`); ``deep`` reads
    the pyramids :mod:`geozarr.deep` finds. The report's ``convention`` is ``"geozarr"``,
    its ``version`` the profiles run, its ``node_type`` the kind of the root.

    Parameters
    ----------
    profile
        ``"auto"`` (detect from the metadata), ``"cf"``, ``"conventions"`` or ``"v0.4"``.

    Raises
    ------
    ValueError
        For an unknown profile or reader (a programming error, not a user's).
    """
    if profile not in PROFILES:
        raise ValueError(f"Expected a profile among {PROFILES}. Got {profile!r}.")
    chosen = select_readers(readers, READERS)
    budget = budget_of(deep, sample, max_requests, max_bytes)
    options = storage_options
    with checking_values(target, options, profile, strict=strict) as check:
        check = with_readers(check, chosen, RULE_REGISTRY, strict)
        if budget is not None:
            check = with_deep(check, pyramids, budget, strict=strict, storage_options=options)
        return validate_target(target, check, discover=discover, storage_options=storage_options)
