"""Every rule the OME-Zarr validator reports, declared once.

Each :class:`~ngff_geozarr.core.rules.Rule` names the OME-Zarr versions and node kinds it
applies to, the clause it enforces (section, and the normative sentence quoted from the spec
text where there is one) and what it ensures. :data:`REGISTRY` also holds the hierarchy
reader's rules (``zarr.*``, ``target.unreadable``): it is everything ``ngff validate`` can
report, what ``ngff rules`` lists, and what :class:`~ngff.common.context.Context` asks for
the severity of each issue.
"""

from __future__ import annotations

from ngff_geozarr.core.rules import READER_RULES, Clause, Level, Rule, RuleRegistry

__all__ = ["ALL_VERSIONS", "CONVENTION", "REGISTRY", "RULES"]

CONVENTION = "ome-zarr"
"""The convention the rules belong to."""
ALL_VERSIONS = ("0.4", "0.5", "0.6")
"""The OME-Zarr versions the validator knows."""

_ANCHORS = {
    "metadata": "metadata",
    "multiscales": "multiscale-md",
    "axes": "axes-md",
    "coordinateTransformations": "trafo-md",
    "coordinateSystems": "coord-sys-md",
    "byDimension": "trafo-md",
    "labels": "labels-md",
    "plate": "plate-md",
    "well": "well-md",
    "omero": "omero-md",
    "bioformats2raw.layout": "bf2raw",
}
_M, _S, _A = Level.MUST, Level.SHOULD, Level.ADVICE
_V06 = ("0.6",)
_V0405 = ("0.4", "0.5")


def _rule(
    rule_id: str,
    level: Level,
    section: str,
    description: str,
    quote: str = "",
    *,
    versions: tuple[str, ...] = ALL_VERSIONS,
    nodes: tuple[str, ...] = ("image",),
    also: tuple[Level, ...] = (),
) -> Rule:
    url = f"https://ngff.openmicroscopy.org/{versions[0]}/#{_ANCHORS.get(section, '')}"
    clause = Clause(f"OME-Zarr {', '.join(versions)} §{section}", quote, url)
    return Rule(rule_id, level, CONVENTION, versions, nodes, clause, description, also)


_ANY = ("any",)
_LABEL = ("label image",)
_PLATE = ("plate",)
_WELL = ("well",)

RULES: tuple[Rule, ...] = (
    # -- metadata, versions -------------------------------------------------------------
    _rule("ngff.metadata.missing", _M, "metadata",
          "The target holds no OME-Zarr metadata: no node declares multiscales, labels, "
          "plate, well, bioformats2raw.layout or an ome namespace.", nodes=_ANY),
    _rule("ngff.schema", _M, "metadata",
          "A metadata section has a missing required key or a value of the wrong type "
          "(the version's JSON schema).", nodes=_ANY),
    _rule("ngff.unknown-key", _A, "metadata",
          "A key the version's schema does not define; readers ignore it.", nodes=_ANY),
    _rule("ngff.version.missing", _M, "metadata",
          "The ome namespace (0.5+) has no version; in 0.4 a section object has no version "
          "(a SHOULD).",
          "0.4: SHOULD contain the field 'version'", nodes=_ANY, also=(_S,)),
    _rule("ngff.version.unsupported", _M, "metadata",
          "The declared version is not 0.4, 0.5 or 0.6 (0.6rc0, 0.6.devN).", nodes=_ANY),
    _rule("ngff.version.layout", _M, "metadata",
          "0.4 metadata sits at the top level of the attributes, 0.5+ under 'ome'; the node "
          "uses the other layout.", nodes=_ANY),
    _rule("ngff.version.mismatch", _M, "metadata",
          "A 0.4 section object declares a version other than the node's.",
          versions=("0.4",), nodes=_ANY),
    _rule("ngff.version.inconsistent", _M, "metadata",
          "A node declares another version than the rest of the hierarchy.", nodes=_ANY),
    _rule("ngff.arrays.not-checked", _A, "metadata",
          "Read from a JSON document: the arrays, wells and images the metadata refers to "
          "were not checked.", nodes=_ANY),
    # -- axes ----------------------------------------------------------------------------
    _rule("ngff.axes.count", _M, "multiscales",
          "An image has 2 to 5 axes (0.6: a coordinate system of array axes has at least 2).",
          "The length of 'axes' must be between 2 and 5"),
    _rule("ngff.axes.space-count", _M, "multiscales",
          "An image has 2 or 3 axes of type space.",
          "The 'axes' MUST contain 2 or 3 entries of 'type:space'"),
    _rule("ngff.axes.type-count", _M, "multiscales",
          "At most one time axis, and at most one channel or custom-typed axis.",
          "MAY contain one additional entry of 'type:time' and MAY contain one additional "
          "entry of 'type:channel' or a null / custom type"),
    _rule("ngff.axes.order", _M, "multiscales",
          "Axes are ordered time, then channel or custom, then space.",
          "the entries MUST be ordered by 'type' where the 'time' axis must come first (if "
          "present), followed by the 'channel' or custom axis (if present) and the axes of "
          "type 'space'"),
    _rule("ngff.axes.space-order", _S, "multiscales",
          "Three space axes named z, y and x are ordered z, y, x.",
          "If there are three spatial axes where two correspond to the image plane (\"yx\") "
          "and images are stacked along the other (anisotropic) axis (\"z\"), the spatial "
          "axes SHOULD be ordered as \"zyx\"."),
    _rule("ngff.axes.unique-names", _M, "axes", "Axis names are unique.",
          "MUST contain the field 'name' ... The values MUST be unique"),
    _rule("ngff.axes.type", _S, "axes",
          "An axis has a type, one the spec defines (space, time, channel); custom types "
          "are allowed but not recommended.",
          "SHOULD contain the field 'type'. It SHOULD be one of the strings"),
    _rule("ngff.axes.unit", _S, "axes",
          "An axis unit is a UDUNITS-2 unit the spec lists for the axis type.",
          "The value SHOULD be one of the following strings"),
    # -- multiscales -----------------------------------------------------------------------
    _rule("ngff.multiscales.name", _S, "multiscales",
          "A multiscale image has a name.", "SHOULD contain the field 'name'"),
    _rule("ngff.multiscales.type", _S, "multiscales",
          "A multiscale image names its downscaling method in type (reported under --strict).",
          "SHOULD contain the field 'type'"),
    _rule("ngff.multiscales.metadata", _S, "multiscales",
          "A multiscale image describes its downscaling in metadata (reported under "
          "--strict).", "SHOULD contain the field 'metadata'"),
    _rule("ngff.multiscales.dataset-path", _M, "multiscales",
          "A dataset path is a relative key that stays inside the store.",
          "path ... to the Zarr array for this resolution relative to the current Zarr group"),
    _rule("ngff.multiscales.dataset-missing", _M, "multiscales",
          "A dataset path resolves to an existing node.",
          "path ... to the Zarr array for this resolution relative to the current Zarr group"),
    _rule("ngff.multiscales.dataset-not-array", _M, "multiscales",
          "A dataset path resolves to a readable array, not a group.",
          "path ... to the Zarr array for this resolution relative to the current Zarr group"),
    _rule("ngff.multiscales.ndim", _M, "multiscales",
          "Each level's array has one dimension per axis.",
          "The number of dimensions and order MUST correspond to number and order of axes",
          nodes=("array",)),
    _rule("ngff.multiscales.dimension-names", _M, "multiscales",
          "Zarr v3 dimension_names, when given, equal the axis names.",
          "The number of dimensions and order MUST correspond to number and order of axes",
          versions=("0.5", "0.6"), nodes=("array",)),
    _rule("ngff.multiscales.dtype", _M, "multiscales",
          "Every level has the data type of the first: levels are one image at several "
          "resolutions.", nodes=("array",)),
    _rule("ngff.multiscales.shape-order", _M, "multiscales",
          "No level is larger than the one before along any dimension.",
          "The paths MUST be ordered from largest (i.e. highest resolution) to smallest",
          nodes=("array",)),
    _rule("ngff.multiscales.scale-ratio", _A, "multiscales",
          "A level's scale agrees with its shape relative to the first level, within "
          "rounding.", nodes=("array",)),
    _rule("ngff.multiscales.scale-length", _M, "multiscales",
          "A scale transformation has one value per axis.",
          "The length of the scale and translation array MUST be the same as the length of "
          "'axes'"),
    _rule("ngff.multiscales.translation-length", _M, "multiscales",
          "A translation transformation has one value per axis.",
          "The length of the scale and translation array MUST be the same as the length of "
          "'axes'"),
    _rule("ngff.multiscales.dataset-transformation-count", _M, "multiscales",
          "A dataset has exactly one coordinate transformation.",
          "This transformation MUST be one of: a single scale or identity transformation; a "
          "sequence transformation containing one scale and one translation transformation",
          versions=_V06),
    _rule("ngff.multiscales.dataset-transformation-type", _M, "multiscales",
          "A dataset's transformation is a scale, an identity, or a sequence of one scale "
          "and one translation.",
          "This transformation MUST be one of: a single scale or identity transformation; a "
          "sequence transformation containing one scale and one translation transformation",
          versions=_V06),
    _rule("ngff.multiscales.dataset-input", _S, "multiscales",
          "A dataset transformation's input is the dataset's own array path.",
          "The value of 'input' SHOULD equal the value of path", versions=_V06),
    _rule("ngff.multiscales.dataset-output", _M, "multiscales",
          "A dataset transformation's output is the image's default coordinate system.",
          "The value of the transformation's output MUST be the name of the default "
          "coordinate system", versions=_V06),
    _rule("ngff.multiscales.dataset-reference", _S, "multiscales",
          "A dataset transformation's input gives only the array path (no name) and its "
          "output only the coordinate system name (no path).",
          "The name field under input SHOULD be omitted. ... The path field of output SHOULD "
          "be omitted.", versions=_V06),
    # -- coordinate transformations ------------------------------------------------------
    _rule("ngff.transforms.scale-count", _M, "coordinateTransformations",
          "A dataset (0.4, 0.5) has exactly one scale transformation.",
          "MUST contain exactly one scale transformation", versions=_V0405),
    _rule("ngff.transforms.translation-count", _M, "coordinateTransformations",
          "A dataset (0.4, 0.5) has at most one translation transformation.",
          "It MAY contain exactly one translation", versions=_V0405),
    _rule("ngff.transforms.order", _M, "coordinateTransformations",
          "The translation, if any, comes after the scale.",
          "If present it MUST be listed after scale", versions=_V0405),
    _rule("ngff.transforms.input-output", _M, "coordinateTransformations",
          "A stored transformation names its input and output coordinate systems (a "
          "dataset's input is its array path).",
          "MUST contain the field 'output' ... MUST contain the field 'input'", versions=_V06,
          nodes=_ANY),
    _rule("ngff.transforms.unknown-coordinate-system", _M, "coordinateTransformations",
          "A transformation's input or output without path names a coordinate system of the "
          "same document.", versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.scale-length", _M, "coordinateTransformations",
          "A scale has one value per axis of its input and output systems.",
          "Parameter values MUST be compatible with input and output space dimensionality",
          versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.translation-length", _M, "coordinateTransformations",
          "A translation has one value per axis of its input and output systems.",
          "Parameter values MUST be compatible with input and output space dimensionality",
          versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.map-axis", _M, "coordinateTransformations",
          "A mapAxis lists each input axis index once, one per output axis, each below the "
          "input dimensionality.",
          "Parameter values MUST be compatible with input and output space dimensionality",
          versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.parameters", _M, "coordinateTransformations",
          "A parametrised transformation gives its parameters inline or by path "
          "(projectAxis: droppedInputs or createdOutputs).", versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.matrix", _M, "coordinateTransformations",
          "An affine matrix has rows of equal length; a rotation is square with 2 to 5 rows.",
          versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.matrix-size", _M, "coordinateTransformations",
          "An inline affine is M x (N+1) and a rotation N x N for N input and M output axes "
          "(a rotation keeps the dimensionality).",
          "The outer array MUST be length M and the inner arrays MUST be length N+1 "
          "(affine); Input and output dimensionality (N) MUST be identical (rotation)",
          versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.rotation", _M, "coordinateTransformations",
          "An inline rotation matrix has orthonormal rows and columns and determinant 1.",
          "Rotations are stored as NxN matrices, see below, and MUST have determinant equal "
          "to one, with orthonormal rows and columns.", versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.scale-zero", _S, "coordinateTransformations",
          "No scale factor is zero (a zero makes the scale non-invertible).",
          "Values in the scale array SHOULD be non-zero; in that case, scale transformations "
          "are invertible.", versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.labels-type", _M, "coordinateTransformations",
          "A multiscale-level transformation into a child labels group (a reference with "
          "path) is an identity, a scale, a translation or a sequence of a scale and a "
          "translation.",
          "When referencing a child labels group, the transformation MUST be identity, scale, "
          "or translation.", versions=_V06),
    _rule("ngff.transforms.project-axis", _M, "coordinateTransformations",
          "A projectAxis lists each dropped or created axis index once.",
          versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.by-dimension", _M, "byDimension",
          "A byDimension maps existing axes and produces each output axis exactly once.",
          "Every axis ... in the parent byDimension's output coordinate system MUST appear in "
          "exactly one child transformation's output_axes", versions=_V06, nodes=_ANY),
    _rule("ngff.transforms.by-dimension-length", _M, "byDimension",
          "A byDimension item lists as many input and output axes as its transformation "
          "has parameters.",
          "The inputAxes and outputAxes arrays of each item MUST have the same length as that "
          "transformation's parameter arrays.", versions=_V06, nodes=_ANY),
    _rule("ngff.coordinate-systems.unique-names", _M, "coordinateSystems",
          "Coordinate system names are unique in a document.",
          "MUST be a non-empty string that is unique among all entries under "
          "coordinateSystems", versions=_V06, nodes=_ANY),
    # -- labels ------------------------------------------------------------------------------
    _rule("ngff.labels.path", _M, "labels",
          "A path a labels group lists is a relative key inside the store.",
          "a JSON array of paths to the labeled multiscale image(s)", nodes=("labels",)),
    _rule("ngff.labels.label-missing", _M, "labels",
          "Every label image a labels group lists exists and is a multiscale image.",
          "a JSON array of paths to the labeled multiscale image(s)", nodes=("labels",)),
    _rule("ngff.labels.intermediate-metadata", _M, "labels",
          "A group between a labels group and a label image it lists carries no OME "
          "metadata.",
          "Intermediate groups between labels and the images within it are allowed, but these "
          "MUST NOT contain metadata.", versions=("0.5", "0.6"), nodes=("labels",)),
    _rule("ngff.labels.unlisted", _S, "labels",
          "Every label image below a labels group is in its labels list.",
          "All label images SHOULD be listed within this metadata file.",
          versions=("0.5", "0.6"), nodes=("labels",)),
    _rule("ngff.labels.image-label", _S, "labels",
          "A label image a labels group lists carries image-label metadata.",
          "In addition to the multiscales key, the OME-Zarr Metadata in this image-level "
          "zarr.json file SHOULD contain another key, image-label",
          versions=("0.5", "0.6"), nodes=("labels",)),
    _rule("ngff.labels.not-an-image", _M, "labels",
          "A label image (image-label) is also a multiscale image.",
          "The zarr.json file for the label image MUST implement the multiscales "
          "specification", nodes=_LABEL),
    _rule("ngff.labels.dtype", _M, "labels", "A label image's pixels are integers.",
          "The pixels of the label images MUST be integer data types", nodes=_LABEL),
    _rule("ngff.labels.levels", _M, "labels",
          "A label image has as many levels as the image it labels.",
          "the JSON array associated with the datasets key MUST have the same number of "
          "entries (scale levels) as the original unlabeled image", nodes=_LABEL),
    _rule("ngff.labels.shape", _S, "labels",
          "Each label level has the shape of the image level, or 1 along a dimension.",
          "should be either the same as the corresponding dimension of the image, or 1",
          nodes=_LABEL),
    _rule("ngff.image-label.colors", _S, "labels",
          "A label image's image-label lists its colors.",
          "That image-label object SHOULD contain ... a colors key", nodes=_LABEL),
    _rule("ngff.image-label.source", _M, "labels",
          "A label image's source.image resolves to a multiscale image group.",
          "This object MAY include a key image, whose value MUST be a string specifying the "
          "relative path to a Zarr image group.", nodes=_LABEL),
    _rule("ngff.image-label.label-value", _M, "labels",
          "A colour's label-value is an integer.",
          "Each of these objects MUST contain the label-value key, whose value MUST be the "
          "integer corresponding to a particular label", nodes=_LABEL),
    _rule("ngff.image-label.colors-unique", _M, "labels",
          "Each label value has at most one colour.",
          "This array contains one JSON object for each unique custom label", nodes=_LABEL),
    _rule("ngff.image-label.rgba", _M, "labels",
          "A colour's rgba is four integers from 0 to 255.", nodes=_LABEL),
    _rule("ngff.image-label.properties-unique", _M, "labels",
          "Each label value has at most one properties object.",
          "the value of the properties key MUST be an array of JSON objects describing the "
          "set of unique possible pixel values", nodes=_LABEL),
    # -- plates and wells -------------------------------------------------------------------
    _rule("ngff.plate.name", _S, "plate", "A plate has a name.",
          "The plate dictionary SHOULD contain a name key", nodes=_PLATE),
    _rule("ngff.plate.field-count", _S, "plate",
          "A plate gives the largest number of fields of view in a well (field_count).",
          "The plate dictionary SHOULD contain a field_count key", nodes=_PLATE),
    _rule("ngff.plate.names-case", _S, "plate",
          "No two row names, and no two column names, are equal up to case.",
          "Care SHOULD be taken to avoid collisions on case-insensitive filesystems (e.g. "
          "avoid using both Aa and aA).", nodes=_PLATE),
    _rule("ngff.plate.rows-unique", _M, "plate", "Row names are unique.",
          "MUST NOT be a duplicate of any other name in the rows list", nodes=_PLATE),
    _rule("ngff.plate.columns-unique", _M, "plate", "Column names are unique.",
          "MUST NOT be a duplicate of any other name in the columns list", nodes=_PLATE),
    _rule("ngff.plate.acquisition-id-unique", _M, "plate", "Acquisition ids are unique.",
          "id key whose value MUST be an unique integer identifier", nodes=_PLATE),
    _rule("ngff.plate.acquisition-name", _S, "plate", "An acquisition has a name.",
          "Each acquisition object SHOULD contain a name key", nodes=_PLATE),
    _rule("ngff.plate.acquisition-maximumfieldcount", _S, "plate",
          "An acquisition gives the maximum number of fields of view per well.",
          "SHOULD contain a maximumfieldcount key", nodes=_PLATE),
    _rule("ngff.plate.wells-unique", _M, "plate", "No well is listed twice.", nodes=_PLATE),
    _rule("ngff.plate.well-path", _M, "plate",
          "A well path is '{row}/{column}' of listed names and stays inside the store.",
          "The path MUST consist of a name in the rows list, a file separator (/), and a name "
          "from the columns list, in that order", nodes=_PLATE),
    _rule("ngff.plate.well-index", _M, "plate",
          "A well's rowIndex and columnIndex name the row and column of its path.",
          "The rowIndex, columnIndex, and path MUST all refer to the same row/column pair",
          nodes=_PLATE),
    _rule("ngff.plate.group-unlisted", _S, "plate",
          "No row group, and no well group, below a plate holds no well the plate lists.",
          "A well row group SHOULD NOT be present if there are no images in the well row. A "
          "well group SHOULD NOT be present if there are no images in the well.",
          nodes=_PLATE),
    _rule("ngff.plate.well-missing", _M, "plate",
          "Every well a plate lists exists and carries well metadata.",
          nodes=_PLATE),
    _rule("ngff.well.images-unique", _M, "well", "No field of view is listed twice.",
          "MUST NOT be a duplicate of any other path in the images list", nodes=_WELL),
    _rule("ngff.well.image-missing", _M, "well",
          "Every field of view a well lists exists and is a multiscale image.",
          "a path key whose value MUST be a string specifying the path to the field of view",
          nodes=_WELL),
    _rule("ngff.well.acquisition", _M, "well",
          "On a plate with several acquisitions, each field of view names one of them.",
          nodes=_WELL),
    _rule("ngff.well.image-path", _M, "well",
          "A field-of-view path is not only dots and does not start with '__' (Zarr node "
          "names).", versions=_V06, nodes=_WELL),
    # -- omero, bioformats2raw --------------------------------------------------------------
    _rule("ngff.omero.color", _A, "omero",
          "A channel has a colour of six hexadecimal digits (transitional metadata: a "
          "warning).",
          "MUST contain the field 'color', which is a string of 6 hexadecimal digits"),
    _rule("ngff.omero.window", _A, "omero",
          "A channel has a window whose min is not above its max (transitional metadata: a "
          "warning).", "MUST contain the field 'window'"),
    _rule("ngff.bioformats2raw.series-missing", _M, "bioformats2raw.layout",
          "The images of a bioformats2raw collection exist: those series lists, or group 0.",
          "separate multiscales images MUST be stored in consecutively numbered groups "
          "starting from 0", nodes=("bioformats2raw layout",)),
    _rule("ngff.bioformats2raw.numbering", _M, "bioformats2raw.layout",
          "Without series, a bioformats2raw collection's images are groups 0, 1, 2, ... "
          "with no number missing.",
          "If the series attribute does not exist and no plate is present, separate "
          "multiscales images MUST be stored in consecutively numbered groups starting from 0",
          nodes=("bioformats2raw layout",)),
    _rule("ngff.bioformats2raw.plate-series", _S, "bioformats2raw.layout",
          "A bioformats2raw plate also lists its images in series (OME group).",
          "Matching series metadata (as described next) SHOULD be provided for tools that "
          "are unaware of the plate specification.", nodes=("plate",)),
)  # fmt: skip
"""The OME-Zarr rules."""

REGISTRY = RuleRegistry((*READER_RULES, *RULES))
"""Everything ``ngff validate`` can report: the reader's rules and :data:`RULES`."""
