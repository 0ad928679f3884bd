"""Validate an OME-Zarr hierarchy: every node's metadata, then the arrays it describes.

:func:`validate` reads the whole hierarchy once (metadata only, never chunks), tells each
node's version and kind from its metadata, checks every OME section of every node with that
version's rules, then checks the hierarchy against itself: dataset paths resolve to arrays
whose dimensions, dtypes and shapes agree with the metadata; label images are integer-typed
and match their image; a plate's wells and a well's images exist. Every problem is an issue
with a stable rule id, the node path and a JSON pointer — all of them, in one pass.

A target read from a JSON document has no arrays to compare with: those checks are skipped
and the report says so.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ngff.common.context import Context
from ngff.common.facts import ImageFacts, NodeFacts
from ngff.common.ome import SECTION_KEYS, VersionRules, check_ome
from ngff.detection import discover, ome_attributes
from ngff.v04.ome import RULES as RULES_04
from ngff.v05.ome import RULES as RULES_05
from ngff.v06.ome import RULES as RULES_06
from ngff.versions import SpecVersion, spec_version
from ngff_geozarr.core.errors import UnsafePathError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.report import Issue, Report, Severity, json_pointer
from ngff_geozarr.core.store import join_key
from ngff_geozarr.core.validation import validate_target

__all__ = ["CONVENTION", "RULES", "check_hierarchy", "node_kind", "validate"]

CONVENTION = "ome-zarr"
"""The convention name reports carry."""

RULES: Mapping[SpecVersion, VersionRules] = {"0.4": RULES_04, "0.5": RULES_05, "0.6": RULES_06}
"""Each version's models and rules."""

_KIND_ORDER = (
    ("plate", "plate"),
    ("bioformats2raw.layout", "bioformats2raw layout"),
    ("well", "well"),
    ("multiscales", "image"),
    ("image-label", "image"),
    ("labels", "labels"),
    ("series", "series"),
    ("scene", "scene"),
)
_INTEGER_KINDS = "iu"


def node_kind(ome: Mapping[str, Any]) -> str:
    """Name the kind of OME node its metadata declares.

    Parameters
    ----------
    ome
        The node's OME metadata (the ``ome`` object, or 0.4 attributes).

    Returns
    -------
    str
        ``"plate"``, ``"bioformats2raw layout"``, ``"well"``, ``"image"``, ``"labels"``,
        ``"series"``, ``"scene"``, or ``"group"`` when it declares none.

    Examples
    --------
    >>> node_kind({"version": "0.5", "plate": {}, "bioformats2raw.layout": 3})
    'plate'
    >>> node_kind({"version": "0.5"})
    'group'
    """
    for key, kind in _KIND_ORDER:
        if key in ome:
            return kind
    return "group"


@dataclass
class _Checked:
    node: Node
    ctx: Context
    facts: NodeFacts
    version_text: str | None
    kind: str


def _issue(
    severity: Severity, rule: str, path: str, pointer: str, message: str, version: str, section: str
) -> Issue:
    return Issue(severity, rule, path, pointer, message, f"OME-Zarr {version} §{section}")


def _read_node(
    node: Node, strict: bool, fallback: SpecVersion | None, issues: list[Issue]
) -> _Checked | None:
    """Tell a node's version and kind, and check its metadata; ``None`` if it is not OME."""
    attrs = node.attributes
    namespaced = "ome" in attrs
    if namespaced:
        ome = attrs["ome"]
        if not isinstance(ome, Mapping):
            issues.append(
                _issue(
                    Severity.ERROR,
                    "ngff.schema",
                    node.path,
                    "/attributes/ome",
                    f"Expected the ome namespace to be an object. Got {type(ome).__name__}.",
                    fallback or "0.5",
                    "metadata",
                )
            )
            return None
        text = ome.get("version")
        base: tuple[str, ...] = ("attributes", "ome")
    else:
        if not any(k in attrs for k in SECTION_KEYS):
            return None
        ome, text = ome_attributes(attrs)
        base = ("attributes",)
    version = spec_version(text)
    where = json_pointer(*base)
    shown = fallback or ("0.5" if namespaced else "0.4")
    if namespaced and text is None:
        issues.append(
            _issue(
                Severity.ERROR,
                "ngff.version.missing",
                node.path,
                where,
                "The ome namespace has no 'version'; it is required.",
                shown,
                "metadata",
            )
        )
        version = fallback or "0.5"
    elif text is not None and version is None:
        issues.append(
            _issue(
                Severity.ERROR,
                "ngff.version.unsupported",
                node.path,
                json_pointer(*base, "version") if namespaced else where,
                f"Expected OME-Zarr version 0.4, 0.5 or 0.6 (0.6rc0, 0.6.devN). Got {text!r}.",
                shown,
                "metadata",
            )
        )
        return _Checked(node, Context(node.path, shown), NodeFacts(), text, node_kind(ome))
    elif version is None:
        version = "0.4"
    if (version == "0.4") == namespaced:
        expected = "at the top level of the attributes" if version == "0.4" else "under 'ome'"
        issues.append(
            _issue(
                Severity.ERROR,
                "ngff.version.layout",
                node.path,
                where,
                f"OME-Zarr {version} metadata belongs {expected}.",
                version,
                "metadata",
            )
        )
        return _Checked(node, Context(node.path, version), NodeFacts(), text, node_kind(ome))
    assert version is not None
    ctx = Context(node.path, version, strict, base)
    facts = check_ome(ctx, ome, RULES[version], namespaced=namespaced)
    issues.extend(ctx.issues)
    return _Checked(node, ctx, facts, text, node_kind(ome))


def check_hierarchy(hierarchy: Hierarchy, *, strict: bool = False) -> Report:
    """Check every node of a hierarchy, and the hierarchy against its metadata.

    Parameters
    ----------
    hierarchy
        The hierarchy, read from a store or a JSON document.
    strict
        Apply the strict profile: the spec's SHOULDs become errors.

    Returns
    -------
    Report
        The findings (the problems met while reading are added by the caller).
    """
    issues: list[Issue] = []
    checked: dict[str, _Checked] = {}
    version: SpecVersion | None = None
    for path in hierarchy:
        result = _read_node(hierarchy[path], strict, version, issues)
        if result is None:
            continue
        checked[path] = result
        if version is None:
            version = result.ctx.version
        elif result.ctx.version != version:
            issues.append(
                _issue(
                    Severity.ERROR,
                    "ngff.version.inconsistent",
                    path,
                    json_pointer(*result.ctx.base),
                    f"Expected version {version} as the rest of the hierarchy. "
                    f"Got {result.version_text!r}.",
                    version,
                    "metadata",
                )
            )
    root = checked.get("")
    if not checked:
        issues.append(
            Issue(
                Severity.ERROR,
                "ngff.metadata.missing",
                "",
                "",
                "No OME-Zarr metadata in this target: no node declares multiscales, labels, "
                "plate, well, bioformats2raw.layout or an ome namespace.",
            )
        )
    elif hierarchy.source == "json":
        issues.append(
            Issue(
                Severity.WARNING,
                "ngff.arrays.not-checked",
                "",
                "",
                "Read from a JSON document: the arrays, wells and images the metadata refers "
                "to were not checked (validate the store to check them).",
            )
        )
    else:
        for item in checked.values():
            issues.extend(_StoreChecks(hierarchy, checked, item, strict).run())
    first = root or next(iter(checked.values()), None)
    return Report(
        target=hierarchy.target,
        issues=tuple(issues),
        convention=CONVENTION,
        version=first.version_text if first else None,
        node_type=root.kind if root else "group",
    )


def validate(
    target: str | os.PathLike[str],
    *,
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> Report:
    """Validate an OME-Zarr store or JSON document.

    Parameters
    ----------
    target
        A store path or URL (directory, ``.zip``, ``file://``, ``http(s)://``, ``s3://``), or
        a JSON file: a node document (``zarr.json``, ``.zattrs``), bare attributes, or a
        pydantic-zarr GroupSpec dump.
    strict
        Apply the strict profile: the spec's SHOULDs become errors.
    storage_options
        Options for remote stores (``endpoint_url``, ``anon``, ...).

    Returns
    -------
    Report
        Every issue found; ``exit_code`` is 0 valid, 1 invalid, 2 unreadable.
    """
    return validate_target(
        target,
        partial(check_hierarchy, strict=strict),
        discover=discover,
        storage_options=storage_options,
    )


# ----------------------------------------------------------------------------------------
# checks against the store


def _dtype_name(node: Node) -> str | None:
    raw = node.metadata.get("data_type", node.metadata.get("dtype"))
    if isinstance(raw, str):
        try:
            return np.dtype(raw).name
        except TypeError:
            return raw
    return None if raw is None else json.dumps(raw, sort_keys=True)


def _dtype_pointer(node: Node) -> str:
    return "/data_type" if node.zarr_format == 3 else "/dtype"


class _StoreChecks:
    """The checks of one OME node against the rest of the hierarchy."""

    def __init__(
        self, hierarchy: Hierarchy, checked: Mapping[str, _Checked], item: _Checked, strict: bool
    ) -> None:
        self.h = hierarchy
        self.checked = checked
        self.item = item
        self.ctx = Context(item.node.path, item.ctx.version, strict, item.ctx.base)

    def run(self) -> list[Issue]:
        facts = self.item.facts
        for image in facts.images:
            self.check_image(image)
        if facts.is_label:
            self.check_label_image()
        if facts.labels is not None:
            self.check_labels_group()
        if facts.plate is not None:
            self.check_plate_wells()
        if facts.well is not None:
            self.check_well_images()
        if facts.bioformats2raw and facts.plate is None:
            self.check_bioformats2raw_series()
        return self.ctx.issues

    # -- helpers ----------------------------------------------------------------------

    def _resolve(self, base: str, ref: str) -> str | None:
        try:
            return join_key(base, ref) if ref else None
        except UnsafePathError:
            return None

    def _arrays(self, image: ImageFacts) -> list[tuple[int, Node]]:
        """Find the arrays an image's datasets resolve to; report the missing ones."""
        found = []
        for j, ref in image.paths:
            key = self._resolve(self.item.node.path, ref)
            if key is None:
                continue  # an unsafe path: reported with the metadata
            node = self.h.nodes.get(key)
            at: list[str | int] = ["multiscales", image.index, "datasets", j, "path"]
            if node is None:
                self.ctx.error(
                    "ngff.multiscales.dataset-missing",
                    at,
                    f"Dataset path {ref!r} resolves to nothing: no array at {key!r}.",
                    "multiscales",
                )
            elif node.node_type != "array" or node.array is None:
                self.ctx.error(
                    "ngff.multiscales.dataset-not-array",
                    at,
                    f"Dataset path {ref!r} resolves to a {node.node_type} at {key!r}, "
                    "not a readable array.",
                    "multiscales",
                )
            else:
                found.append((j, node))
        return found

    def _array_issue(
        self, severity: Severity, rule: str, node: Node, pointer: str, message: str, section: str
    ) -> None:
        self.ctx.issues.append(
            _issue(severity, rule, node.path, pointer, message, self.ctx.version, section)
        )

    # -- images -----------------------------------------------------------------------

    def check_image(self, image: ImageFacts) -> None:
        """Run the array rules on one multiscale image."""
        arrays = self._arrays(image)
        self.check_ndim(image, arrays)
        if self.ctx.version != "0.4":
            self.check_dimension_names(image, arrays)
        self.check_one_dtype(arrays)
        self.check_shapes_non_increasing(arrays)
        self.check_scale_ratios(image, arrays)

    def check_ndim(self, image: ImageFacts, arrays: list[tuple[int, Node]]) -> None:
        """Ensure each array has one dimension per axis.

        Spec: multiscales — "The number of dimensions and order MUST correspond to number
        and order of axes".
        """
        if image.axes is None:
            return
        for _, node in arrays:
            assert node.array is not None
            if len(node.array.shape) != len(image.axes):
                self._array_issue(
                    Severity.ERROR,
                    "ngff.multiscales.ndim",
                    node,
                    "/shape",
                    f"Expected {len(image.axes)} dimensions, one per axis of the image "
                    f"{self.item.node.path or '/'} ({', '.join(image.axes)}). "
                    f"Got shape {list(node.array.shape)}.",
                    "multiscales",
                )

    def check_dimension_names(self, image: ImageFacts, arrays: list[tuple[int, Node]]) -> None:
        """Ensure Zarr v3 ``dimension_names`` equal the axis names.

        Spec 0.5+: multiscales — the array dimensions correspond to the axes; Zarr v3
        ``dimension_names``, when given, name them and MUST agree.
        """
        if image.axes is None:
            return
        for _, node in arrays:
            names = node.metadata.get("dimension_names")
            if node.zarr_format != 3 or names is None:
                continue
            if list(names) != list(image.axes):
                self._array_issue(
                    Severity.ERROR,
                    "ngff.multiscales.dimension-names",
                    node,
                    "/dimension_names",
                    f"Expected dimension_names {list(image.axes)} (the axis names). Got {names}.",
                    "multiscales",
                )

    def check_one_dtype(self, arrays: list[tuple[int, Node]]) -> None:
        """Ensure every level has the data type of the first.

        Spec: multiscales — the levels are one image at several resolutions; a level of
        another data type is not a downsampled copy of it.
        """
        if not arrays:
            return
        first = _dtype_name(arrays[0][1])
        for _, node in arrays[1:]:
            dtype = _dtype_name(node)
            if dtype != first:
                self._array_issue(
                    Severity.ERROR,
                    "ngff.multiscales.dtype",
                    node,
                    _dtype_pointer(node),
                    f"Expected the data type of the first level ({first}). Got {dtype}.",
                    "multiscales",
                )

    def check_shapes_non_increasing(self, arrays: list[tuple[int, Node]]) -> None:
        """Ensure no level is larger than the one before along any dimension.

        Spec: multiscales — "The paths MUST be ordered from largest (i.e. highest
        resolution) to smallest".
        """
        for (_, prev), (_, node) in itertools.pairwise(arrays):
            assert prev.array is not None
            assert node.array is not None
            a, b = prev.array.shape, node.array.shape
            if len(a) == len(b) and any(y > x for x, y in zip(a, b, strict=True)):
                self._array_issue(
                    Severity.ERROR,
                    "ngff.multiscales.shape-order",
                    node,
                    "/shape",
                    f"Expected no dimension larger than the previous level's {list(a)}. "
                    f"Got {list(b)}.",
                    "multiscales",
                )

    def check_scale_ratios(self, image: ImageFacts, arrays: list[tuple[int, Node]]) -> None:
        """Warn when a level's scale disagrees with its shape by more than rounding.

        Spec: multiscales — the scale "specifies the pixel size"; a level downsampled by a
        factor f along an axis holds about 1/f of the first level's samples there.
        """
        if not arrays:
            return
        j0, base = arrays[0]
        s0 = image.scales[j0]
        assert base.array is not None
        n0 = base.array.shape
        for j, node in arrays[1:]:
            sk = image.scales[j]
            assert node.array is not None
            nk = node.array.shape
            if s0 is None or sk is None or not len(s0) == len(sk) == len(n0) == len(nk):
                continue
            for d, (a, b, m, n) in enumerate(zip(s0, sk, n0, nk, strict=True)):
                if a <= 0 or b <= 0 or m == 0:
                    continue
                expected = m * a / b
                if not math.floor(expected - 1e-9) <= n <= math.ceil(expected + 1e-9):
                    self._array_issue(
                        Severity.WARNING,
                        "ngff.multiscales.scale-ratio",
                        node,
                        json_pointer("shape", d),
                        f"Scale {b:g} vs {a:g} at the first level implies about "
                        f"{expected:.6g} samples along dimension {d} (first level: {m}). "
                        f"Got {n}.",
                        "multiscales",
                    )

    # -- labels -----------------------------------------------------------------------

    def check_label_image(self) -> None:
        """Ensure a label image is a multiscale image of integers.

        Spec: labels — "The zarr.json file for the label image MUST implement the multiscales
        specification"; "The pixels of the label images MUST be integer data types".
        """
        if not self.item.facts.images:
            if "multiscales" not in self._ome_keys():
                self.ctx.error(
                    "ngff.labels.not-an-image",
                    [],
                    "A label image (image-label) must also be a multiscale image.",
                    "labels",
                )
            return
        for image in self.item.facts.images:
            for _, node in self._arrays_quiet(image):
                dtype = _dtype_name(node)
                kind: str = "?"
                with contextlib.suppress(TypeError):
                    kind = np.dtype(dtype or "").kind
                if kind not in _INTEGER_KINDS:
                    self._array_issue(
                        Severity.ERROR,
                        "ngff.labels.dtype",
                        node,
                        _dtype_pointer(node),
                        f"Expected an integer data type for a label image. Got {dtype}.",
                        "labels",
                    )

    def _ome_keys(self) -> list[str]:
        attrs = self.item.node.attributes
        ome = attrs.get("ome")
        return [str(k) for k in (ome if isinstance(ome, Mapping) else attrs)]

    def _arrays_quiet(self, image: ImageFacts, base: str | None = None) -> list[tuple[int, Node]]:
        found = []
        for j, ref in image.paths:
            key = self._resolve(self.item.node.path if base is None else base, ref)
            node = self.h.nodes.get(key) if key is not None else None
            if node is not None and node.array is not None:
                found.append((j, node))
        return found

    def check_labels_group(self) -> None:
        """Ensure every label image a labels group lists exists and matches its image.

        Spec: labels — "a JSON array of paths to the labeled multiscale image(s)"; "the JSON
        array associated with the datasets key MUST have the same number of entries (scale
        levels) as the original unlabeled image"; each dimension "should be either the same
        as the corresponding dimension of the image, or 1".
        """
        facts = self.item.facts.labels
        assert facts is not None
        parent_path = self.item.node.parent
        parent = self.checked.get(parent_path) if parent_path is not None else None
        parent_image = parent.facts.images[0] if parent and parent.facts.images else None
        for i, ref in facts.labels:
            key = self._resolve(self.item.node.path, ref)
            if key is None:
                continue
            label = self.checked.get(key)
            if label is None or not label.facts.images:
                what = "nothing" if key not in self.h.nodes else "a node without multiscales"
                self.ctx.error(
                    "ngff.labels.label-missing",
                    ["labels", i],
                    f"Label image {ref!r} resolves to {what} at {key!r}.",
                    "labels",
                )
                continue
            if parent_image is None or parent is None:
                continue
            self._compare_label(label, parent, parent_image)

    def _compare_label(self, label: _Checked, parent: _Checked, image: ImageFacts) -> None:
        limage = label.facts.images[0]
        if len(limage.paths) != len(image.paths):
            self.ctx.issues.append(
                _issue(
                    Severity.ERROR,
                    "ngff.labels.levels",
                    label.node.path,
                    json_pointer(*label.ctx.base, "multiscales", 0, "datasets"),
                    f"Expected as many levels as the image {parent.node.path or '/'} "
                    f"({len(image.paths)}). Got {len(limage.paths)}.",
                    self.ctx.version,
                    "labels",
                )
            )
        mine = dict(self._arrays_quiet(limage, label.node.path))
        theirs = dict(self._arrays_quiet(image, parent.node.path))
        for (j, _), (k, _) in zip(limage.paths, image.paths, strict=False):
            a, b = mine.get(j), theirs.get(k)
            if a is None or b is None:
                continue
            assert a.array is not None
            assert b.array is not None
            la, ib = a.array.shape, b.array.shape
            if len(la) != len(ib) or any(x not in (y, 1) for x, y in zip(la, ib, strict=True)):
                severity = Severity.ERROR if self.ctx.strict else Severity.WARNING
                self._array_issue(
                    severity,
                    "ngff.labels.shape",
                    a,
                    "/shape",
                    f"Expected the shape of the image level {b.path!r} {list(ib)} (or 1 "
                    f"along dimensions the label does not vary). Got {list(la)}.",
                    "labels",
                )

    # -- plates, wells, collections -----------------------------------------------------

    def check_plate_wells(self) -> None:
        """Ensure every well a plate lists exists and is a well.

        Spec: plate — each well's "path to the well subgroup"; the well group "MUST
        implement the well specification".
        """
        plate = self.item.facts.plate
        assert plate is not None
        for i, ref in plate.wells:
            key = self._resolve(self.item.node.path, ref)
            if key is None:
                self.ctx.error(
                    "ngff.plate.well-path",
                    ["plate", "wells", i, "path"],
                    f"Well path {ref!r} would leave the store; not followed.",
                    "plate",
                )
                continue
            well = self.checked.get(key)
            if well is None or well.facts.well is None:
                what = "nothing" if key not in self.h.nodes else "a group without well metadata"
                self.ctx.error(
                    "ngff.plate.well-missing",
                    ["plate", "wells", i, "path"],
                    f"Well {ref!r} resolves to {what}.",
                    "plate",
                )
                continue
            if len(plate.acquisitions) > 1:
                for j, path, acq in well.facts.well.images:
                    if acq is None or acq not in plate.acquisitions:
                        self.ctx.issues.append(
                            _issue(
                                Severity.ERROR,
                                "ngff.well.acquisition",
                                well.node.path,
                                json_pointer(*well.ctx.base, "well", "images", j),
                                f"Field {path!r}: the plate has several acquisitions; expected "
                                f"one of {sorted(plate.acquisitions)}. Got {acq!r}.",
                                self.ctx.version,
                                "well",
                            )
                        )

    def check_well_images(self) -> None:
        """Ensure every field of view a well lists exists and is an image.

        Spec: well — "a path key whose value MUST be a string specifying the path to the
        field of view".
        """
        well = self.item.facts.well
        assert well is not None
        for i, ref, _ in well.images:
            key = self._resolve(self.item.node.path, ref)
            image = self.checked.get(key) if key is not None else None
            if image is None or not image.facts.images:
                what = "nothing" if key not in self.h.nodes else "a group without multiscales"
                self.ctx.error(
                    "ngff.well.image-missing",
                    ["well", "images", i, "path"],
                    f"Field of view {ref!r} resolves to {what}.",
                    "well",
                )

    def check_bioformats2raw_series(self) -> None:
        """Ensure the images of a bioformats2raw collection exist.

        Spec: bioformats2raw.layout — the ``series`` of the ``OME`` group list the image
        paths; without it, "separate multiscales images MUST be stored in consecutively
        numbered groups starting from 0".
        """
        ome_path = join_key(self.item.node.path, "OME")
        ome = self.checked.get(ome_path)
        refs: list[tuple[_Checked, int | None, str]]
        if ome is not None and ome.facts.series is not None:
            refs = [(ome, i, ref) for i, ref in ome.facts.series.series]
        else:
            refs = [(self.item, None, "0")]
        for owner, i, ref in refs:
            key = self._resolve(self.item.node.path, ref)
            image = self.checked.get(key) if key is not None else None
            if image is None or not image.facts.images:
                self.ctx.issues.append(
                    _issue(
                        Severity.ERROR,
                        "ngff.bioformats2raw.series-missing",
                        owner.node.path,
                        json_pointer(*owner.ctx.base, *(("series", i) if i is not None else ())),
                        f"Series image {ref!r} resolves to no multiscale image.",
                        self.ctx.version,
                        "bioformats2raw.layout",
                    )
                )
