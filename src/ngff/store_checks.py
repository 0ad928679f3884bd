"""Check OME nodes against the rest of their hierarchy: the arrays, wells and images they name.

The metadata of each node is checked on its own first (:mod:`ngff.validate`); the checks here
compare it with what the store holds: dataset paths resolve to arrays whose dimensions, data
types and shapes agree with the metadata; label images are integer-typed and match their
image; a plate's wells, a well's fields of view and a bioformats2raw collection's series exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ngff.common.context import Context
from ngff.common.facts import ImageFacts, NodeFacts
from ngff.level_checks import LevelChecks, resolve_key
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.hierarchy.array_checks import parse_dtype
from ngff_geozarr.core.report import Issue, json_pointer
from ngff_geozarr.core.store import join_key

__all__ = ["CheckedNode", "StoreChecks"]

_INTEGER_KINDS = "iu"


@dataclass
class CheckedNode:
    """An OME node whose metadata was checked, with what the store checks need.

    Parameters
    ----------
    node
        The node.
    ctx
        The context its metadata was checked in (version, profile, where the metadata sits).
    facts
        What its metadata declares (images, labels, plate, well, series).
    version_text
        The version as written in the metadata.
    kind
        The node's kind (``"image"``, ``"plate"``, ...).
    """

    node: Node
    ctx: Context
    facts: NodeFacts
    version_text: str | None
    kind: str


class StoreChecks:
    """The checks of one OME node against the rest of the hierarchy.

    Parameters
    ----------
    hierarchy
        The hierarchy read from the store, whose nodes the OME node names.
    checked
        Every OME node of the hierarchy whose metadata was checked, by path.
    item
        The node to check.
    strict
        Whether the strict profile applies.
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        checked: Mapping[str, CheckedNode],
        item: CheckedNode,
        strict: bool,
    ) -> None:
        self.h = hierarchy
        self.checked = checked
        self.item = item
        self.ctx = Context(item.node.path, item.ctx.version, strict, item.ctx.base)

    def run(self) -> list[Issue]:
        """Run every check that applies to the node.

        Returns
        -------
        list of Issue
            What they found.
        """
        facts = self.item.facts
        for image in facts.images:
            self.check_image(image)
        if facts.is_label:
            self.check_label_image()
        if facts.labels is not None:
            self.check_labels_group()
        if facts.plate is not None:
            self.check_plate_wells()
            self.check_plate_groups()
        if facts.well is not None:
            self.check_well_images()
        if facts.bioformats2raw and facts.plate is None:
            self.check_bioformats2raw_series()
            self.check_bioformats2raw_numbering()
        if facts.bioformats2raw and facts.plate is not None:
            self.check_bioformats2raw_plate_series()
        return self.ctx.issues

    # -- helpers ----------------------------------------------------------------------

    def _resolve(self, base: str, ref: str) -> str | None:
        return resolve_key(base, ref)

    @staticmethod
    def _relative(base: str, ref: str) -> str | None:
        """Resolve a relative path that may climb with ``..``; ``None`` outside the store."""
        parts = [p for p in base.split("/") if p]
        for part in ref.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            else:
                parts.append(part)
        return "/".join(parts)

    @staticmethod
    def _ome_of(node: Node) -> Mapping[str, object]:
        """Return the OME metadata of a node: ``attributes.ome`` (0.5+), else the attributes."""
        ome = node.attributes.get("ome")
        return ome if isinstance(ome, Mapping) else node.attributes

    def _array_issue(self, rule: str, node: Node, pointer: str, message: str, section: str) -> None:
        """Record an issue about another node (an array, a label image, a well)."""
        self.ctx.issues.append(self.ctx.issue(rule, node.path, pointer, message, section))

    def _image_at(self, key: str | None) -> CheckedNode | None:
        """Return the checked node at ``key`` when it is a multiscale image, else ``None``."""
        node = self.checked.get(key) if key is not None else None
        return node if node is not None and node.facts.images else None

    def _found_at(self, key: str | None, lacking: str, kind: str = "group") -> str:
        """Say what a reference that is not what it should be resolves to, for a message."""
        return "nothing" if key not in self.h.nodes else f"a {kind} without {lacking}"

    def _path_error(self, rule: str, section: str, i: int, message: str) -> None:
        """Report the ``path`` of entry ``i`` of a plate's wells or a well's images."""
        entries = "wells" if section == "plate" else "images"
        self.ctx.error(rule, [section, entries, i, "path"], message, section)

    # -- images -----------------------------------------------------------------------

    def check_image(self, image: ImageFacts) -> None:
        """Run the array rules on one multiscale image (see :mod:`ngff.level_checks`)."""
        facts = self.item.facts
        first = facts.images[0] if facts.images else None
        LevelChecks(self.h, self.ctx, self.item.node.path).check_image(
            image, facts.omero_channels if image is first else None
        )

    # -- labels -----------------------------------------------------------------------

    def check_label_image(self) -> None:
        """Ensure a label image is a multiscale image of integers.

        Spec: labels — "The zarr.json file for the label image MUST implement the multiscales
        specification"; "The pixels of the label images MUST be integer data types".
        """
        self.check_label_source()
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
                dtype = node.dtype_name
                parsed = parse_dtype(dtype or "")
                kind: str = "?" if parsed is None else parsed.kind
                if kind not in _INTEGER_KINDS:
                    self._array_issue(
                        "ngff.labels.dtype",
                        node,
                        node.data_type_pointer,
                        f"Expected an integer data type for a label image. Got {dtype}.",
                        "labels",
                    )

    def check_label_source(self) -> None:
        """Ensure ``image-label.source.image``, when given, resolves to an image group.

        Spec: labels — "This object MAY include a key `image`, whose value MUST be a string
        specifying the relative path to a Zarr image group." A path that climbs above the
        checked target cannot be followed and is not reported.
        """
        label = self._ome_of(self.item.node).get("image-label")
        source = label.get("source") if isinstance(label, Mapping) else None
        ref = source.get("image") if isinstance(source, Mapping) else None
        if not isinstance(ref, str):
            return
        key = self._relative(self.item.node.path, ref)
        if key is None or (key not in self.h.nodes and self.h.not_read(key)):
            return  # out of the store, or not read: nothing is known of it
        if self._image_at(key) is None:
            what = self._found_at(key, "multiscales", "node")
            self.ctx.error(
                "ngff.image-label.source",
                ["image-label", "source", "image"],
                f"Source image {ref!r} resolves to {what} at {key or '/'!r}.",
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
            if self.ctx.version != "0.4":
                self._check_intermediate_groups(key)
            label = self.checked.get(key)
            if label is not None and label.facts.images and not label.facts.is_label:
                self.ctx.should(
                    "ngff.labels.image-label",
                    ["labels", i],
                    f"Label image {ref!r} has no 'image-label'; the spec recommends one.",
                    "labels",
                )
            if label is None and self.h.not_read(key):
                continue  # not read: nothing is known of it
            if label is None or not label.facts.images:
                what = self._found_at(key, "multiscales", "node")
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
        if self.ctx.version != "0.4":
            self._check_unlisted_labels(facts.labels)

    def _check_intermediate_groups(self, key: str) -> None:
        """Report intermediate groups below ``labels`` that carry OME metadata.

        Spec 0.5+: labels — "Intermediate groups between `labels` and the images within it
        are allowed, but these MUST NOT contain metadata."
        """
        base = self.item.node.path
        inner = key[len(base) + 1 :].split("/") if base else key.split("/")
        for depth in range(1, len(inner)):
            path = join_key(base, *inner[:depth])
            node = self.h.nodes.get(path)
            if node is not None and node.node_type == "group" and "ome" in node.attributes:
                self.ctx.issues.append(
                    self.ctx.issue(
                        "ngff.labels.intermediate-metadata",
                        path,
                        json_pointer(*self.item.ctx.base),
                        f"Intermediate group {path!r} between the labels group and label "
                        f"{inner[-1]!r} carries OME metadata; it MUST NOT.",
                        "labels",
                    )
                )

    def _check_unlisted_labels(self, listed: tuple[tuple[int, str], ...]) -> None:
        """Warn about label images below the labels group that its list omits.

        Spec 0.5+: labels — "All label images SHOULD be listed within this metadata file."
        """
        base = self.item.node.path
        keys = {self._resolve(base, ref) for _, ref in listed}
        for path, other in sorted(self.checked.items()):
            below = path.startswith(f"{base}/") if base else path != ""
            if below and other.facts.is_label and path not in keys:
                self.ctx.should(
                    "ngff.labels.unlisted",
                    ["labels"],
                    f"Label image {path!r} is not listed in the labels group's 'labels'.",
                    "labels",
                )

    def _compare_label(self, label: CheckedNode, parent: CheckedNode, image: ImageFacts) -> None:
        limage = label.facts.images[0]
        if len(limage.paths) != len(image.paths):
            self.ctx.issues.append(
                self.ctx.issue(
                    "ngff.labels.levels",
                    label.node.path,
                    json_pointer(*label.ctx.base, "multiscales", 0, "datasets"),
                    f"Expected as many levels as the image {parent.node.path or '/'} "
                    f"({len(image.paths)}). Got {len(limage.paths)}.",
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
                self._array_issue(
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
                message = f"Well path {ref!r} would leave the store; not followed."
                self._path_error("ngff.plate.well-path", "plate", i, message)
                continue
            well = self.checked.get(key)
            if well is None and self.h.not_read(key):
                continue  # not read: nothing is known of it
            if well is None or well.facts.well is None:
                message = f"Well {ref!r} resolves to {self._found_at(key, 'well metadata')}."
                self._path_error("ngff.plate.well-missing", "plate", i, message)
                continue
            if len(plate.acquisitions) > 1:
                for j, path, acq in well.facts.well.images:
                    if acq is None or acq not in plate.acquisitions:
                        self.ctx.issues.append(
                            self.ctx.issue(
                                "ngff.well.acquisition",
                                well.node.path,
                                json_pointer(*well.ctx.base, "well", "images", j),
                                f"Field {path!r}: the plate has several acquisitions; expected "
                                f"one of {sorted(plate.acquisitions)}. Got {acq!r}.",
                                "well",
                            )
                        )

    def check_plate_groups(self) -> None:
        """Warn about row and well groups that hold no well the plate lists.

        Spec: High-content screening — "A well row group SHOULD NOT be present if there are no
        images in the well row." "A well group SHOULD NOT be present if there are no images in
        the well." Only groups named after a row (and a column) of the plate are compared.
        """
        plate = self._ome_of(self.item.node).get("plate")
        if not isinstance(plate, Mapping):
            return
        rows = {r.get("name") for r in plate.get("rows") or () if isinstance(r, Mapping)}
        cols = {c.get("name") for c in plate.get("columns") or () if isinstance(c, Mapping)}
        facts = self.item.facts.plate
        assert facts is not None
        base = self.item.node.path
        wells = {self._resolve(base, ref) for _, ref in facts.wells}
        for row in self.h.children(base):
            if row.node_type != "group" or row.name not in rows:
                continue
            if not any(w is not None and w.startswith(f"{row.path}/") for w in wells):
                self._array_issue(
                    "ngff.plate.group-unlisted",
                    row,
                    "",
                    f"Row group {row.name!r} holds no well the plate lists.",
                    "plate",
                )
                continue
            for well in self.h.children(row.path):
                if well.node_type == "group" and well.name in cols and well.path not in wells:
                    self._array_issue(
                        "ngff.plate.group-unlisted",
                        well,
                        "",
                        f"Well group {row.name}/{well.name} is not listed by the plate.",
                        "plate",
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
            if key is not None and key not in self.h.nodes and self.h.not_read(key):
                continue  # not read: nothing is known of it
            if self._image_at(key) is None:
                message = f"Field of view {ref!r} resolves to {self._found_at(key, 'multiscales')}."
                self._path_error("ngff.well.image-missing", "well", i, message)

    def check_bioformats2raw_series(self) -> None:
        """Ensure every image the ``series`` of the ``OME`` group lists exists.

        Spec: bioformats2raw.layout — ""series" MUST be a list of string objects, each of
        which is a path to an image group." The paths are relative to the collection. A
        series that could not be read (``zarr.store.unreadable``) is not reported: nothing is
        known of it. Without ``series``, see :meth:`check_bioformats2raw_numbering`.
        """
        ome = self.checked.get(join_key(self.item.node.path, "OME"))
        if ome is None or ome.facts.series is None:
            return
        for i, ref in ome.facts.series.series:
            key = self._resolve(self.item.node.path, ref)
            if self._image_at(key) is not None:
                continue
            if key is not None and key not in self.h.nodes and self.h.not_read(key):
                continue  # not read: nothing is known of it
            what = "a path out of the store" if key is None else self._found_at(key, "multiscales")
            self.ctx.issues.append(
                self.ctx.issue(
                    "ngff.bioformats2raw.series-missing",
                    ome.node.path,
                    json_pointer(*ome.ctx.base, "series", i),
                    f"Series {ref!r} names no multiscale image group: it resolves to {what}.",
                    "bioformats2raw.layout",
                )
            )

    def check_bioformats2raw_numbering(self) -> None:
        """Ensure, without ``series``, the images are groups ``0``, ``1``, ... in sequence.

        Spec: bioformats2raw.layout — "If the "series" attribute does not exist and no
        "plate" is present, separate "multiscales" images MUST be stored in consecutively
        numbered groups starting from 0".
        """
        ome = self.checked.get(join_key(self.item.node.path, "OME"))
        if ome is not None and ome.facts.series is not None:
            return
        numbers: list[int] = []
        for child in self.h.children(self.item.node.path):
            image = self.checked.get(child.path)
            if image is None or not image.facts.images:
                continue
            if not child.name.isdigit() or (child.name != "0" and child.name.startswith("0")):
                self.ctx.error(
                    "ngff.bioformats2raw.numbering",
                    [],
                    f"Image group {child.name!r} is not named by a number; without 'series' "
                    "the images MUST be groups 0, 1, 2, ...",
                    "bioformats2raw.layout",
                )
            else:
                numbers.append(int(child.name))
        missing = sorted(set(range(max(numbers, default=0) + 1)) - set(numbers))
        missing = [n for n in missing if not self.h.not_read(join_key(self.item.node.path, str(n)))]
        if missing:
            self.ctx.error(
                "ngff.bioformats2raw.numbering",
                [],
                f"Image groups are not numbered consecutively from 0: missing "
                f"{', '.join(map(str, missing))}.",
                "bioformats2raw.layout",
            )

    def check_bioformats2raw_plate_series(self) -> None:
        """Recommend ``series`` beside a bioformats2raw plate.

        Spec: bioformats2raw.layout — "Matching "series" metadata (as described next) SHOULD
        be provided for tools that are unaware of the "plate" specification."
        """
        ome = self.checked.get(join_key(self.item.node.path, "OME"))
        if ome is None or ome.facts.series is None:
            self.ctx.should(
                "ngff.bioformats2raw.plate-series",
                ["bioformats2raw.layout"],
                "A bioformats2raw plate has no 'series' in its OME group; the spec recommends "
                "one for tools unaware of plates.",
                "bioformats2raw.layout",
            )
