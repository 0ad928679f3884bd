"""Every rule the GeoZarr validator reports, declared once.

Each :class:`~ngff_geozarr.core.rules.Rule` names the profiles it runs under
(``conventions``: the Zarr conventions ``zarr_conventions``, ``proj:``, ``spatial:``,
``multiscales``; ``cf``: CF as GeoZarr uses it; ``v0.4``: the GeoZarr v0.4 draft), the node
kinds it applies to, the clause it enforces and what it ensures. :data:`REGISTRY` also holds
the hierarchy reader's rules (``zarr.*``, ``target.unreadable``): it is everything
``geozarr validate`` can report, what ``geozarr rules`` lists, and what
:class:`~geozarr.context.CheckContext` asks for the severity of each issue.
"""

from __future__ import annotations

from ngff_geozarr.core.rules import READER_RULES, Clause, Level, Rule, RuleRegistry

__all__ = ["CONVENTION", "REGISTRY", "RULES"]

CONVENTION = "geozarr"
"""The convention the rules belong to."""

_M, _S, _A = Level.MUST, Level.SHOULD, Level.ADVICE
_CONV = ("conventions",)
_CF = ("cf", "v0.4")
_V04 = ("v0.4",)
_ALL = ("conventions", "cf", "v0.4")
_ARRAY = ("array",)
_GROUP = ("group",)
_ANY = ("any",)
_CF_URL = "https://cfconventions.org/Data/cf-conventions/cf-conventions-1.11/cf-conventions.html"
_URLS = {
    "zarr-conventions": "https://github.com/zarr-conventions/zarr-conventions-spec",
    "proj:": "https://github.com/zarr-conventions/proj/blob/v0.1/README.md",
    "spatial:": "https://github.com/zarr-conventions/spatial/blob/v0.1/README.md",
    "multiscales": "https://github.com/zarr-conventions/multiscales/blob/v0.1/README.md",
    "GeoZarr v0.4": "https://github.com/zarr-developers/geozarr-spec",
}
_CF_ANCHORS = {
    "§1.2": "terminology",
    "§2.3": "naming-conventions",
    "§2.4": "dimensions",
    "§2.5.1": "missing-data",
    "§3.1": "units",
    "§3.1.2": "temperature-units",
    "§3.3": "standard-name",
    "§4.3": "vertical-coordinate",
    "§4.4": "time-coordinate",
    "§5": "coordinate-system",
    "§5.6": "grid-mappings-and-projections",
    "§8.1": "packed-data",
    "Appendix A": "attribute-appendix",
    "Appendix C": "standard-name-modifiers",
    "Appendix F": "appendix-grid-mappings",
}


def _rule(
    rule_id: str,
    level: Level,
    section: str,
    description: str,
    quote: str = "",
    *,
    versions: tuple[str, ...] = _CONV,
    nodes: tuple[str, ...] = _ANY,
    also: tuple[Level, ...] = (),
) -> Rule:
    spec = section.partition(" §")[0]
    if spec == "CF-1.11":
        where = section.removeprefix("CF-1.11 ")
        url = f"{_CF_URL}#{_CF_ANCHORS.get(where, '')}"
    else:
        url = _URLS.get(spec, _URLS.get(spec.split(" ")[0], ""))
    clause = Clause(section, quote, url)
    return Rule(rule_id, level, CONVENTION, versions, nodes, clause, description, also)


RULES: tuple[Rule, ...] = (
    _rule("geozarr.none", _M, "GeoZarr v0.4 §GeoZarr Metadata",
          "The target declares something geospatial: a known zarr_conventions entry, proj: "
          "or spatial: attributes, a CF grid mapping or horizontal coordinate, or v0.4 "
          "multiscales.", versions=_ALL, nodes=_GROUP),
    # -- zarr_conventions --------------------------------------------------------------------
    _rule("geozarr.conventions.schema", _M, "zarr-conventions §Convention Registration",
          "zarr_conventions is an array of Convention Metadata Objects, each with uuid, "
          "schema_url or spec_url and no other keys than those, name and description."),
    _rule("geozarr.conventions.identifier", _M, "zarr-conventions §Convention Registration",
          "A Convention Metadata Object identifies its convention by uuid, schema_url or "
          "spec_url."),
    _rule("geozarr.conventions.unknown-key", _A, "zarr-conventions §Convention Registration",
          "A key a Convention Metadata Object does not define."),
    _rule("geozarr.conventions.identity-conflict", _M, "zarr-conventions §Convention Identity",
          "A known convention's uuid and its schema_url / spec_url name the same convention."),
    _rule("geozarr.conventions.duplicate", _A, "zarr-conventions §Convention Registration",
          "A convention is declared once per node."),
    _rule("geozarr.conventions.noncanonical", _A, "zarr-conventions §Convention Registration",
          "A known convention is declared with its canonical v0.1 declaration, so that "
          "readers comparing URLs recognise it."),
    _rule("geozarr.conventions.undeclared", _S, "zarr-conventions §Non-requirements",
          "proj:, spatial: or multiscales properties are used only where the convention is "
          "declared (on the node, or on an array's parent group); undeclared ones are not "
          "checked as such.",
          'No "implicit" Conventions; Conventions must be declared explicitly'),
    # -- proj: -----------------------------------------------------------------------------
    _rule("geozarr.proj.schema", _M, "proj: v0.1 §Properties",
          "proj:code matches AUTHORITY:CODE, proj:wkt2 is a string, proj:projjson an object."),
    _rule("geozarr.proj.crs-required", _M, "proj: v0.1 §Properties",
          "A node declaring proj: gives its CRS as proj:code, proj:wkt2 or proj:projjson.",
          "At least one of proj:code, proj:wkt2, or proj:projjson MUST be provided."),
    _rule("geozarr.proj.unknown-key", _A, "proj: v0.1 §Properties",
          "A proj: key the convention does not define."),
    _rule("geozarr.proj.wkt2-version", _M, "proj: v0.1 §proj:wkt2",
          "proj:wkt2 holds WKT2 (ISO 19162:2019), not WKT1 (PROJCS/GEOGCS).", versions=_ALL),
    # -- CRS (every profile) ---------------------------------------------------------------
    _rule("geozarr.crs.unparseable", _M, "CF-1.11 §5.6",
          "A CRS given as WKT (proj:wkt2, crs_wkt, spatial_ref) or PROJJSON, or a v0.4 tile "
          "matrix set's CRS, parses.", versions=_ALL),
    _rule("geozarr.crs.unresolvable", _M, "proj: v0.1 §proj:code",
          "A CRS code (proj:code, a v0.4 tile matrix set's CRS) resolves in PROJ's bundled "
          "database.", versions=_ALL),
    _rule("geozarr.crs.disagree", _M, "CF-1.11 §5.6",
          "Every CRS declaration of a node (proj:*, crs_wkt, spatial_ref, grid_mapping_name "
          "and its parameters) and of its grid mapping describes one CRS.", versions=_ALL),
    # -- spatial: ---------------------------------------------------------------------------
    _rule("geozarr.spatial.schema", _M, "spatial: v0.1 §Properties",
          "spatial: properties have their types and lengths (dimensions, bbox, transform, "
          "shape, registration).",
          "[xmin, ymin, xmax, ymax] (exactly 4 elements)"),
    _rule("geozarr.spatial.unknown-key", _A, "spatial: v0.1 §Properties",
          "A spatial: key the convention does not define."),
    _rule("geozarr.spatial.bbox-order", _M, "spatial: v0.1 §spatial:bbox",
          "spatial:bbox lists minima before maxima: a positive extent on both axes.",
          "The coordinates represent the minimum and maximum values along the X and Y axes."),
    _rule("geozarr.spatial.dimensions-required", _M, "spatial: v0.1 §spatial:dimensions",
          "An array using spatial: gives spatial:dimensions (its own or its group's).",
          "Required: Yes on arrays; optional on groups (where it acts as a default for child "
          "arrays).", nodes=_ARRAY),
    _rule("geozarr.spatial.dimension-names", _M, "spatial: v0.1 §spatial:dimensions",
          "An array using spatial: declares its dimension names (dimension_names, or "
          "_ARRAY_DIMENSIONS in Zarr v2).",
          "Arrays using this convention MUST therefore declare dimension_names.",
          nodes=_ARRAY),
    _rule("geozarr.spatial.dimensions", _M, "spatial: v0.1 §spatial:dimensions",
          "Each spatial:dimensions entry is one of the array's dimension names.",
          "Each entry in spatial:dimensions MUST match one of the names declared in the "
          "array's dimension_names", nodes=_ARRAY),
    _rule("geozarr.spatial.transform-required", _M, "spatial: v0.1 §spatial:transform",
          "An array with an affine (or omitted) spatial:transform_type gives "
          "spatial:transform (its own or its group's).",
          'Required when spatial:transform_type is "affine" or omitted.', nodes=_ARRAY),
    _rule("geozarr.spatial.transform-type", _A, "spatial: v0.1 §spatial:transform_type",
          "spatial:transform_type is 'affine', the only type v0.1 defines; others are not "
          "checked.",
          "Implementations encountering unknown transform types SHOULD handle them "
          "gracefully (e.g., warn or skip processing rather than fail)."),
    _rule("geozarr.spatial.shape", _M, "spatial: v0.1 §spatial:shape",
          "spatial:shape (on an array, its group, or a multiscales level) equals the array's "
          "shape on its spatial dimensions.",
          "Specifies the size of the two X/Y spatial axes in array index units: [height, "
          "width]"),
    _rule("geozarr.spatial.bbox", _M, "spatial: v0.1 §spatial:bbox",
          "spatial:bbox equals spatial:transform applied to the grid's outer corners (pixel "
          "registration) or outer cell centres (node registration)."),
    # -- multiscales ------------------------------------------------------------------------
    _rule("geozarr.multiscales.schema", _M, "multiscales §Layout Object",
          "multiscales has a layout of at least one level, each with a valid asset path and "
          "well-typed transform and resampling_method.",
          "This field SHALL describe the pyramid hierarchy with an array of objects "
          "representing each resolution level.", nodes=_GROUP),
    _rule("geozarr.multiscales.transform-required", _M, "multiscales §Layout Object",
          "A level derived from another (derived_from) gives its transform.", nodes=_GROUP),
    _rule("geozarr.multiscales.group-only", _M, "multiscales §Configuration",
          "multiscales sits on a group, not on an array."),
    _rule("geozarr.multiscales.resampling-method", _A, "multiscales §resampling_method",
          "A resampling method is one the convention names; readers may not know others.",
          nodes=_GROUP),
    _rule("geozarr.multiscales.duplicate-asset", _M, "multiscales §layout",
          "No asset is listed twice in a layout.", nodes=_GROUP),
    _rule("geozarr.multiscales.derived-from", _M, "multiscales §layout",
          "derived_from names another level of the layout, and derivations form no cycle.",
          nodes=_GROUP),
    _rule("geozarr.multiscales.asset-missing", _M, "multiscales §Validation Rules",
          "Every level's asset names a group or array below the multiscales group.",
          "Resolution level group names SHALL match children group path values in the layout "
          "array", nodes=_GROUP),
    _rule("geozarr.multiscales.scale", _M, "multiscales §Transform Object",
          "A derived level's transform.scale agrees with the ratio of its shape to its "
          "source's, within rounding.", nodes=_GROUP),
    # -- CF -----------------------------------------------------------------------------------
    _rule("geozarr.cf.schema", _M, "CF-1.11 Appendix A",
          "CF attributes have their CF types: names and references are strings, "
          "scale_factor / add_offset numbers, axis one of X, Y, Z, T.",
          versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.array-dimensions", _M, "GeoZarr v0.4 §GeoZarr DataArray",
          "_ARRAY_DIMENSIONS names one dimension per array dimension and agrees with Zarr "
          "v3 dimension_names where both are given.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.standard-name", _M, "CF-1.11 §3.3",
          "standard_name (and its modifier) is in the CF standard name table.",
          versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.standard-name-alias", _A, "CF-1.11 §3.3",
          "standard_name is a current name of the table, not an alias of one.",
          versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.units", _M, "CF-1.11 §3.1",
          "units are physically equivalent to the standard name's canonical units (where "
          "both are understood).", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.fill-value-nan", _A, "CF-1.11 §2.5.1",
          "A float array whose _FillValue is NaN does not keep the Zarr fill_value 0 "
          "(unwritten chunks would read as 0, not as missing).", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.coordinates-missing", _M, "CF-1.11 §5",
          "Every variable the coordinates attribute names exists in the group or an "
          "ancestor.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.grid-mapping-missing", _M, "CF-1.11 §5.6",
          "grid_mapping names an existing grid-mapping variable (with grid_mapping_name, "
          "crs_wkt or spatial_ref).", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.grid-mapping-name", _M, "CF-1.11 §5.6",
          "A grid-mapping variable has grid_mapping_name (a warning when CF defines no "
          "mapping for its CRS, which only crs_wkt describes).",
          versions=_CF, nodes=_ARRAY, also=(_A,)),
    _rule("geozarr.cf.grid-mapping", _M, "CF-1.11 Appendix F",
          "grid_mapping_name is a mapping of CF Appendix F, with the attributes it requires "
          "of their types.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.grid-mapping-parameters", _M, "CF-1.11 Appendix F",
          "A mapping CF lets define by one of two parameters gives one of them "
          "(standard_parallel or scale_factor_at_projection_origin).",
          versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.geotransform", _M, "GeoZarr v0.4 §Coordinate Reference System",
          "A grid mapping's GeoTransform is six numbers separated by spaces.",
          versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.geotransform-agree", _M, "GeoZarr v0.4 §Coordinate Reference System",
          "A grid mapping's GeoTransform and the array's spatial:transform describe the "
          "same affine.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.coordinate-1d", _M, "CF-1.11 §1.2",
          "A coordinate variable is 1-D over its own dimension, with that dimension's "
          "length.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.coordinate-monotonic", _M, "CF-1.11 §1.2",
          "A coordinate variable's values are strictly monotonic.", versions=_CF,
          nodes=_ARRAY),
    _rule("geozarr.cf.coordinate-transform", _M, "CF-1.11 §5.6",
          "X and Y coordinate values lie within half a pixel of the cell centres (nodes) "
          "the array's affine transform gives.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.coordinate-not-checked", _A, "CF-1.11 §1.2",
          "A coordinate variable's values could not be read (too large, or unreadable), so "
          "they were not checked.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.units-missing", _M, "CF-1.11 §3.1",
          "A dimensional variable (a standard name with canonical units other than 1, or a "
          "time coordinate) has units.",
          "The units attribute is required for all variables that represent dimensional "
          "quantities", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.time-units", _M, "CF-1.11 §4.4",
          "Time units read '<unit> since <reference date/time>' (no 'since' is a warning; "
          "'since' without a date an error).",
          "For compatibility with other software, CF strongly recommends that since should "
          "be used. ... The reference date/time string (appearing after the identifier "
          "since) is required.", versions=_CF, nodes=_ARRAY, also=(_S,)),
    _rule("geozarr.cf.positive", _M, "CF-1.11 §4.3",
          "A vertical coordinate whose units are not a pressure has positive.",
          "the attribute positive as defined in the COARDS standard is required if the "
          "vertical axis units are not a valid unit of pressure", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.axis-unique", _M, "CF-1.11 §5",
          "No two coordinates of a variable have the same axis value.",
          "there must be no more than one axis attribute for X for any data variable",
          versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.packed-type", _M, "CF-1.11 §8.1",
          "Packed data (scale_factor/add_offset) is stored as an 8, 16 or 32-bit integer, "
          "and its _FillValue/valid_* are values of that type.",
          "Data of type double must be packed into one of these types: byte, unsigned byte, "
          "short, unsigned short, int, unsigned int. ... the attributes that indicate missing "
          "values (_FillValue, valid_min, valid_max, valid_range) must be of the same data "
          "type as the packed data.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.fill-value-valid-range", _S, "CF-1.11 §2.5.1",
          "_FillValue lies outside valid_range.",
          "The _FillValue should be outside the range specified by valid_range (if used) for "
          "a variable.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.name", _S, "CF-1.11 §2.3",
          "Variable and dimension names begin with a letter and consist of letters, digits "
          "and underscores.",
          "Variable, dimension, attribute and group names should begin with a letter and be "
          "composed of letters, digits, and underscores.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.name-case", _S, "CF-1.11 §2.3",
          "No two variables of a group have names equal up to case.",
          "if case is disregarded, no two names should be the same.", versions=_CF,
          nodes=_ARRAY),
    _rule("geozarr.cf.dimensions-unique", _M, "CF-1.11 §2.4",
          "A variable's dimensions have different names.",
          "the dimensions must all have different names.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.dimension-order", _S, "CF-1.11 §2.4",
          "Dimensions that are not spatiotemporal (bands, categories) come before the X, Y, "
          "Z and T dimensions.",
          "All other dimensions should, whenever possible, be placed to the left of the "
          "spatiotemporal dimensions.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.coordinate-name", _S, "CF-1.11 §5",
          "A multi-dimensional coordinate is not named like one of its dimensions.",
          "We recommend that the name of a multidimensional coordinate variable should not "
          "match the name of any of its dimensions", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.units-metadata", _M, "CF-1.11 §3.1.2",
          "units_metadata is one of the three temperature values and only qualifies "
          "temperature units; temperature units without it are a warning.",
          "This attribute must have one of the following three values: temperature: on_scale, "
          "temperature: difference, temperature: unknown.", versions=_CF, nodes=_ARRAY,
          also=(_S,)),
    _rule("geozarr.cf.ellipsoid", _M, "CF-1.11 Appendix F",
          "A grid mapping's semi_major_axis, semi_minor_axis and inverse_flattening agree "
          "(0 or absent for a sphere).",
          "If all three attributes are specified then the supplied values must be consistent "
          "with the aforementioned formula.", versions=_CF, nodes=_ARRAY),
    _rule("geozarr.cf.crs-names", _M, "CF-1.11 Appendix F",
          "A grid mapping's reference_ellipsoid_name, prime_meridian_name, "
          "horizontal_datum_name and geographic_crs_name come together; projected_crs_name "
          "needs geographic_crs_name.",
          "must be all defined if any one is defined, and if projected_crs_name is defined then "
          "geographic_crs_name must be also.", versions=_CF, nodes=_ARRAY),
    # -- GeoZarr v0.4 ------------------------------------------------------------------------
    _rule("geozarr.v04.array-dimensions", _M, "GeoZarr v0.4 §GeoZarr DataArray",
          "Every variable has _ARRAY_DIMENSIONS (dimension_names in Zarr v3).",
          versions=_V04, nodes=_ARRAY),
    _rule("geozarr.v04.coordinate-dimensions", _M, "GeoZarr v0.4 §GeoZarr Coordinates",
          "A coordinate variable (a 1-D array named like a sibling's dimension) has that "
          "one dimension, its own name.",
          "GeoZarr Coordinates variable MUST include the attribute _ARRAY_DIMENSIONS equal to "
          "the Zarr array name", versions=_V04, nodes=_ARRAY),
    _rule("geozarr.v04.standard-name", _M, "GeoZarr v0.4 §GeoZarr Metadata",
          "Every variable other than a grid mapping has a standard_name.",
          versions=_V04, nodes=_ARRAY),
    _rule("geozarr.v04.grid-mapping", _M, "GeoZarr v0.4 §GeoZarr Metadata",
          "Every data array (not a coordinate, grid mapping or auxiliary variable) has "
          "grid_mapping.", versions=_V04, nodes=_ARRAY),
    _rule("geozarr.v04.schema", _M, "GeoZarr v0.4 §Multiscales Metadata",
          "v0.4 multiscales (tile matrix set, limits, resampling_method) are well formed.",
          versions=_V04),
    _rule("geozarr.v04.unknown-key", _A, "GeoZarr v0.4 §Multiscales Metadata",
          "A key v0.4 multiscales do not define.", versions=_V04),
    _rule("geozarr.v04.zoom-order", _M, "GeoZarr v0.4 §Tile Matrix Set",
          "Zoom levels go from lowest to highest resolution (decreasing cellSize).",
          versions=_V04),
    _rule("geozarr.v04.tile-matrix-path", _M, "GeoZarr v0.4 §Tile Matrix Set",
          "Each included zoom level's tile matrix id is the relative path of a child group.",
          versions=_V04),
    _rule("geozarr.v04.tile-chunks", _M, "GeoZarr v0.4 §Multiscales Encoding",
          "A zoom level's data arrays are chunked as its tiles along the two spatial "
          "dimensions.", versions=_V04),
    _rule("geozarr.v04.limits", _M, "GeoZarr v0.4 §Tile Matrix Set Limits",
          "The limits list every included zoom level, and only tile matrices of the set, "
          "within their matrix.", versions=_V04),
    _rule("geozarr.v04.tms-crs", _M, "GeoZarr v0.4 §Tile Matrix Set",
          "The tile matrix set's CRS is the CRS of the data's grid mapping.", versions=_V04),
)  # fmt: skip
"""The GeoZarr, Zarr-conventions and CF rules."""

REGISTRY = RuleRegistry((*READER_RULES, *RULES))
"""Everything ``geozarr validate`` can report: the reader's rules and :data:`RULES`."""
