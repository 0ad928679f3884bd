"""Convert OME-Zarr metadata between versions 0.4, 0.5 and 0.6 — metadata only.

The attribute conversions are pure functions, one per step (0.4 <-> 0.5 <-> 0.6), chained for
longer ones. Between 0.4 (Zarr v2) and 0.5+ (Zarr v3) the array metadata changes format too:
the new ``zarr.json`` uses the ``v2`` chunk key encoding with the separator of the old
``.zarray``, so the existing chunk files are read as they are. Chunk bytes are never rewritten
and, in place, never deleted.

A conversion there and back gives the documents it started from: 0.4 -> 0.5/0.6 -> 0.4
restores ``fill_value: null`` and adds no ``_ARRAY_DIMENSIONS``, and
0.5 <-> 0.6 keeps every scale and translation, zero ones included. The one change that stays
is the chunk key encoding of a 0.5/0.6 array taken to 0.4 and back: Zarr v2 names chunks
without the ``c/`` prefix, so they are renamed once and kept under the ``v2`` encoding.

Every new document is computed before anything is written, so a conversion that cannot be
done (an order-F array, a codec Zarr v3 lacks, 0.6 transformations 0.5 cannot express)
fails without touching the store. The plan is applied by the engine both conventions share
(:mod:`ngff_geozarr.core.convert`). In place, it is recorded in the store first (a journal);
the new documents are written — arrays, then groups from the deepest up, the root last — and
the old ones removed only after all were written; the journal goes last. A failure half-way
is undone; a run killed half-way is completed by the next in-place conversion, and
``validate`` names the command that does it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import ngff_geozarr.core.convert as engine
from ngff.common.ome import SECTION_KEYS
from ngff.detection import discover, ome_attributes
from ngff.versions import WRITTEN_VERSION, SpecVersion, spec_version
from ngff_geozarr.core import errors
from ngff_geozarr.core.errors import NgffGeozarrError, TargetError
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_to_convert
from ngff_geozarr.core.store import join_key, open_store
from ngff_geozarr.core.zarr_format import (
    ARRAY_DIMENSIONS,
    ZarrFormatError,
    v2_to_v3_array,
    v3_to_v2_array,
)

__all__ = [
    "ConversionError",
    "ConversionResult",
    "Step",
    "convert",
    "convert_attributes",
    "v04_to_v05",
    "v05_to_v04",
    "v05_to_v06",
    "v06_to_v05",
]

Step = Callable[[Mapping[str, Any]], dict[str, Any]]
"""One step between neighbouring versions: a node's attributes in one version (a mapping,
left unchanged) -> the same node's attributes in the next or previous version (a new dict,
keys the step does not know carried over)."""

_VERSIONED = ("plate", "well", "image-label")
_DEFAULT_SYSTEM = "physical"


ConversionError = errors.ConversionError
"""The conversion cannot be done, or failed (one class for both conventions)."""


@dataclass
class ConversionResult:
    """What a conversion did.

    Parameters
    ----------
    source, destination
        The stores read and written (the same for an in-place conversion).
    from_version, to_version
        The versions converted between.
    documents
        Metadata documents written.
    removed
        Old metadata documents removed (in place only).
    copied
        Other keys (chunks) copied byte for byte (``--out`` only).
    completed
        Whether this run completed an interrupted in-place conversion (and had nothing else
        to do).
    """

    source: str
    destination: str
    from_version: SpecVersion
    to_version: SpecVersion
    documents: int = 0
    removed: int = 0
    copied: int = 0
    completed: bool = False

    def summary(self) -> str:
        """Return one line describing the conversion.

        Returns
        -------
        str
            For example ``"converted a.zarr from 0.4 to 0.5 -> b.zarr: 7 documents ..."``.
        """
        verb = "completed the interrupted conversion of" if self.completed else "converted"
        return (
            f"{verb} {self.source} from {self.from_version} to {self.to_version} -> "
            f"{self.destination}: {self.documents} metadata documents written, "
            f"{self.removed} removed, {self.copied} chunk keys copied unchanged."
        )


# ----------------------------------------------------------------------------------------
# attributes: one pure function per step


def v04_to_v05(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Move 0.4 sections under the ``ome`` namespace and drop their own versions.

    A :data:`Step`: 0.4 attributes in, 0.5 attributes out; other keys stay at the top level.

    Examples
    --------
    >>> v04_to_v05({"well": {"images": [{"path": "0"}], "version": "0.4"}, "x": 1})
    {'x': 1, 'ome': {'version': '0.5', 'well': {'images': [{'path': '0'}]}}}
    """
    ome: dict[str, Any] = {"version": WRITTEN_VERSION["0.5"]}
    rest: dict[str, Any] = {}
    for key, value in attributes.items():
        if key in SECTION_KEYS:
            ome[key] = _drop_version(key, copy.deepcopy(value))
        else:
            rest[key] = copy.deepcopy(value)
    return {**rest, "ome": ome} if len(ome) > 1 else rest


def _drop_version(key: str, value: Any) -> Any:
    if key == "multiscales" and isinstance(value, list):
        return [
            {k: v for k, v in ms.items() if k != "version"} if isinstance(ms, dict) else ms
            for ms in value
        ]
    if key in _VERSIONED and isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "version"}
    return value


def v05_to_v04(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Move the sections of the ``ome`` namespace to the top level, each versioned 0.4.

    A :data:`Step`: 0.5 attributes in, 0.4 attributes out.

    Examples
    --------
    >>> v05_to_v04({"ome": {"version": "0.5", "well": {"images": [{"path": "0"}]}}})
    {'well': {'images': [{'path': '0'}], 'version': '0.4'}}
    """
    ome = attributes.get("ome")
    rest = {k: copy.deepcopy(v) for k, v in attributes.items() if k != "ome"}
    if not isinstance(ome, Mapping):
        return rest
    for key, value in ome.items():
        if key == "version":
            continue
        value = copy.deepcopy(value)
        if key == "multiscales" and isinstance(value, list):
            value = [{**ms, "version": "0.4"} if isinstance(ms, dict) else ms for ms in value]
        elif key in _VERSIONED and isinstance(value, dict):
            value = {**value, "version": "0.4"}
        rest[key] = value
    return rest


def _folded(
    ds_transforms: list[dict[str, Any]], ms_transforms: list[dict[str, Any]]
) -> tuple[list[float], list[float] | None]:
    """Compose a dataset's scale/translation with the multiscale's into one pair."""
    scale: list[float] | None = None
    translation: list[float] | None = None
    for chain in (ds_transforms, ms_transforms):
        for t in chain:
            if t.get("type") == "scale":
                factors = [float(v) for v in t["scale"]]
                if scale is None:
                    scale = factors
                else:
                    scale = [a * b for a, b in zip(scale, factors, strict=True)]
                if translation is not None:
                    translation = [a * b for a, b in zip(translation, factors, strict=True)]
            elif t.get("type") == "translation":
                offsets = [float(v) for v in t["translation"]]
                translation = (
                    offsets
                    if translation is None
                    else [a + b for a, b in zip(translation, offsets, strict=True)]
                )
            else:
                raise ConversionError(f"Unsupported 0.5 transformation {t.get('type')!r}.")
    if scale is None:
        raise ConversionError("A dataset has no scale transformation.")
    return scale, translation


def v05_to_v06(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Give each multiscale image a coordinate system and one transformation per dataset.

    The axes become the coordinate system ``"physical"``; each dataset's scale (and
    translation), composed with the multiscale's own, becomes one ``scale`` (or a
    ``sequence`` of scale and translation) from the dataset's array to that system.

    A :data:`Step`: 0.5 attributes in, 0.6 attributes out.

    Raises
    ------
    ConversionError
        When a transformation cannot be carried over.

    Examples
    --------
    >>> attrs = {"ome": {"version": "0.5", "multiscales": [{
    ...     "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
    ...     "datasets": [{"path": "0", "coordinateTransformations": [
    ...         {"type": "scale", "scale": [1, 1]}]}]}]}}
    >>> v05_to_v06(attrs)["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"]
    [{'type': 'scale', 'scale': [1.0, 1.0], 'input': {'path': '0'}, 'output': {'name': 'physical'}}]
    """
    return _each_multiscale(attributes, "0.6", _multiscale_to_v06)


def _each_multiscale(
    attributes: Mapping[str, Any],
    version: SpecVersion,
    convert_one: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Copy the attributes, stamp the OME version and convert each multiscale image."""
    out = copy.deepcopy(dict(attributes))
    ome = out.get("ome")
    if not isinstance(ome, dict):
        return out
    ome["version"] = WRITTEN_VERSION[version]
    images = ome.get("multiscales")
    if isinstance(images, list):
        ome["multiscales"] = [convert_one(ms) for ms in images]
    return out


def _multiscale_to_v06(ms: dict[str, Any]) -> dict[str, Any]:
    new = {k: v for k, v in ms.items() if k not in ("axes", "coordinateTransformations")}
    new["coordinateSystems"] = [{"name": _DEFAULT_SYSTEM, "axes": ms.get("axes", [])}]
    outer = ms.get("coordinateTransformations") or []
    datasets = []
    for ds in ms.get("datasets", []):
        scale, translation = _folded(ds.get("coordinateTransformations") or [], outer)
        refs = {"input": {"path": ds["path"]}, "output": {"name": _DEFAULT_SYSTEM}}
        if translation is None:  # a zero translation is kept: 0.4/0.5 get it back
            transform: dict[str, Any] = {"type": "scale", "scale": scale, **refs}
        else:
            transform = {
                "type": "sequence",
                "transformations": [
                    {"type": "scale", "scale": scale},
                    {"type": "translation", "translation": translation},
                ],
                **refs,
            }
        datasets.append({**ds, "coordinateTransformations": [transform]})
    new["datasets"] = datasets
    return new


def v06_to_v05(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Turn each multiscale image's default coordinate system back into 0.5 axes.

    A :data:`Step`: 0.6 attributes in, 0.5 attributes out.

    Raises
    ------
    ConversionError
        When the 0.6 metadata says something 0.5 cannot: a scene, several coordinate
        systems, transformations between them, or a dataset transformation other than a
        scale, an identity or a scale-and-translation sequence.
    """
    ome = attributes.get("ome")
    if isinstance(ome, dict) and "scene" in ome:
        raise ConversionError("A scene has no 0.5 equivalent.")
    return _each_multiscale(attributes, "0.5", _multiscale_to_v05)


def _multiscale_to_v05(ms: dict[str, Any]) -> dict[str, Any]:
    systems = ms.get("coordinateSystems") or []
    if len(systems) != 1 or ms.get("coordinateTransformations"):
        raise ConversionError(
            f"Multiscale image {ms.get('name', '')!r} has {len(systems)} coordinate systems "
            "and transformations between them; 0.5 has one set of axes."
        )
    axes = [
        {k: v for k, v in a.items() if k in ("name", "type", "unit")} for a in systems[0]["axes"]
    ]
    new = {
        k: v for k, v in ms.items() if k not in ("coordinateSystems", "coordinateTransformations")
    }
    new["axes"] = axes
    datasets = []
    for ds in ms.get("datasets", []):
        (t,) = ds["coordinateTransformations"]
        if t.get("type") == "identity":
            chain = [{"type": "scale", "scale": [1.0] * len(axes)}]
        elif t.get("type") == "scale" and "scale" in t:
            chain = [{"type": "scale", "scale": t["scale"]}]
        elif t.get("type") == "sequence" and [c.get("type") for c in t["transformations"]] == [
            "scale",
            "translation",
        ]:
            chain = [
                {k: v for k, v in c.items() if k in ("type", "scale", "translation")}
                for c in t["transformations"]
            ]
        else:
            raise ConversionError(
                f"Dataset {ds.get('path')!r}: a {t.get('type')!r} transformation has no 0.5 "
                "equivalent."
            )
        datasets.append({**ds, "coordinateTransformations": chain})
    new["datasets"] = datasets
    return new


_STEPS = {
    ("0.4", "0.5"): v04_to_v05,
    ("0.5", "0.4"): v05_to_v04,
    ("0.5", "0.6"): v05_to_v06,
    ("0.6", "0.5"): v06_to_v05,
}
_ORDER: tuple[SpecVersion, ...] = ("0.4", "0.5", "0.6")


def convert_attributes(
    attributes: Mapping[str, Any], source: SpecVersion, target: SpecVersion
) -> dict[str, Any]:
    """Convert one node's attributes from one version to another, step by step.

    Parameters
    ----------
    attributes
        The node's attributes.
    source, target
        The versions.

    Returns
    -------
    dict
        The converted attributes (a new object).

    Examples
    --------
    >>> convert_attributes({"well": {"images": [{"path": "0"}]}}, "0.4", "0.6")
    {'ome': {'version': '0.6', 'well': {'images': [{'path': '0'}]}}}
    """
    i, j = _ORDER.index(source), _ORDER.index(target)
    step = 1 if j > i else -1
    result = dict(attributes)
    for k in range(i, j, step):
        result = _STEPS[(_ORDER[k], _ORDER[k + step])](result)
    return result


# ----------------------------------------------------------------------------------------
# the plan: every document to write, every key to remove or rename


def _source_version(hierarchy: Hierarchy) -> SpecVersion:
    seen: set[SpecVersion] = set()
    for node in hierarchy.values():
        ome, text = ome_attributes(node.attributes)
        has_ome = "ome" in node.attributes or any(k in ome for k in SECTION_KEYS)
        if not has_ome:
            continue
        version = (
            spec_version(text) if text is not None else ("0.4" if ome is node.attributes else None)
        )
        if version is None:
            raise ConversionError(f"{node.path or '/'}: unsupported or missing version {text!r}.")
        seen.add(version)
    if not seen:
        raise ConversionError(f"{hierarchy.target}: no OME-Zarr metadata to convert.")
    if len(seen) > 1:
        raise ConversionError(f"{hierarchy.target}: mixed versions {sorted(seen)}.")
    return seen.pop()


def _dataset_axes(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Map each array a 0.4 multiscale image refers to onto its axis names.

    ``attributes`` holds each node's 0.4 attributes by path.
    """
    names: dict[str, list[str]] = {}
    for path, attrs in attributes.items():
        for ms in attrs.get("multiscales") or []:
            if not isinstance(ms, Mapping):
                continue
            axes = [str(a.get("name")) for a in ms.get("axes", []) if isinstance(a, dict)]
            for ds in ms.get("datasets", []):
                try:
                    names[join_key(path, ds["path"])] = axes
                except (NgffGeozarrError, KeyError, TypeError):
                    continue
    return names


def _default_fill(dtype_name: Any) -> Any:
    """Return what Zarr readers give a format 2 ``fill_value`` of ``null``: the dtype's zero."""
    try:
        dtype = np.dtype(dtype_name)
    except TypeError:
        return None
    return False if dtype.kind == "b" else 0


def _array_to_v2(
    node: Node, attrs: Mapping[str, Any], axes: list[str] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the ``.zarray`` and ``.zattrs`` of a format 3 array converted for OME-Zarr 0.4.

    The inverse of the 0.4 -> 0.5 step, so that 0.4 -> 0.5/0.6 -> 0.4 gives back the
    documents it started from:

    - ``dimension_names`` equal to the axes of the multiscale image the array belongs to are
      derived from them, not data: 0.4 stores them nowhere (Zarr v2 has no dimension names;
      ``_ARRAY_DIMENSIONS`` is xarray's convention, which OME-Zarr 0.4 does not use), and
      the 0.4 -> 0.5 step writes them again from the axes. Other dimension names become
      ``_ARRAY_DIMENSIONS``, the only place format 2 has for them.
    - a ``fill_value`` equal to the data type's zero becomes ``null``: Zarr v3 requires a
      fill value where format 2 allows ``null`` ("no fill value"), the 0.4 -> 0.5 step turns
      ``null`` into that zero (what Zarr readers return for it), and the 0.4 writers leave it
      ``null``. A 0.4 array that declared an explicit 0 reads back as ``null``: the same
      values for every reader, one bit of metadata v3 cannot keep.

    Zarr v2, "Metadata": ``fill_value`` is "A scalar value providing the default value to
    use for uninitialized portions of the array, or null if no fill_value is to be used."
    Zarr v3, "Array metadata": ``fill_value`` is required, "an element value to use for
    uninitialised portions of the Zarr array".
    """
    zarray, _ = v3_to_v2_array(node.path, node.metadata)
    fill, default = zarray.get("fill_value"), _default_fill(zarray["dtype"])
    if (
        isinstance(fill, int | float)
        and default is not None
        and isinstance(fill, bool) == isinstance(default, bool)
        and fill == default
    ):
        zarray["fill_value"] = None
    names = node.metadata.get("dimension_names")
    attrs = dict(attrs)
    if names is not None and list(names) != axes:
        attrs[ARRAY_DIMENSIONS] = list(names)
    return zarray, attrs


def _plan(hierarchy: Hierarchy, source: SpecVersion, target: SpecVersion) -> engine.Plan:
    converted = {
        node.path: convert_attributes(node.attributes, source, target)
        for node in hierarchy.values()
    }
    if "0.4" not in (source, target):
        return engine.same_format(hierarchy, converted)
    v2_to_v3 = source == "0.4"
    axes = _dataset_axes(
        {path: node.attributes for path, node in hierarchy.items()} if v2_to_v3 else converted
    )
    return engine.format_change(
        hierarchy,
        3 if v2_to_v3 else 2,
        attributes=converted,
        array_to_v3=lambda n: v2_to_v3_array(
            n.path, n.metadata, converted[n.path], axes.get(n.path)
        ),
        array_to_v2=lambda n: _array_to_v2(n, converted[n.path], axes.get(n.path)),
    )


# ----------------------------------------------------------------------------------------
# entry point


def convert(
    src: str | os.PathLike[str],
    to: SpecVersion,
    *,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> ConversionResult:
    """Convert a store's OME-Zarr metadata to version ``to``.

    In place, the conversion is journaled (:mod:`ngff_geozarr.core.convert`): one that was
    interrupted is completed first, by any later in-place conversion of the store.

    Parameters
    ----------
    src
        The store to convert.
    to
        The target version.
    out
        Write the converted store here (chunks copied byte for byte) and leave ``src``
        untouched; ``None`` converts ``src`` in place.
    overwrite
        Replace an existing ``out`` (written beside it and swapped in once complete).
    storage_options
        Options for remote stores.

    Returns
    -------
    ConversionResult
        What was written.

    Raises
    ------
    ConversionError
        When the conversion cannot be done (nothing written), or failed while writing (the
        message says what was left).
    TargetError
        When ``src`` (or ``out``) cannot be opened.
    """
    source_name = os.fspath(src)
    if out is None:
        return _convert_in_place(source_name, to, storage_options)
    engine.check_destination(source_name, out, overwrite=overwrite)
    with open_store(source_name, "r", storage_options=storage_options) as handle:
        engine.refuse_interrupted(handle)
        hierarchy = hierarchy_to_convert(handle, discover, source_name)
        source = _source_version(hierarchy)
        plan = _planned(hierarchy, source, to, source_name)
        result = ConversionResult(source_name, os.fspath(out), source, to)
        with engine.replacing(os.fspath(out), overwrite=overwrite) as where:
            try:
                dst = open_store(where, "w-", storage_options=storage_options)
            except TargetError as exc:
                raise ConversionError(f"{result.destination}: {exc}") from exc
            with dst:
                applied = engine.copy_converted(handle, dst, plan)
    result.documents, result.copied = applied.documents, applied.copied
    return result


def _planned(hierarchy: Hierarchy, source: SpecVersion, to: SpecVersion, name: str) -> engine.Plan:
    if source == to:
        raise ConversionError(f"{name} is already OME-Zarr {to}; nothing to do.")
    try:
        return _plan(hierarchy, source, to)
    except ZarrFormatError as exc:
        raise ConversionError(str(exc)) from exc


def _convert_in_place(
    name: str, to: SpecVersion, storage_options: dict[str, Any] | None
) -> ConversionResult:
    with engine.converting_in_place(name, storage_options) as (handle, finished):
        hierarchy = hierarchy_to_convert(handle, discover, name)
        source = _source_version(hierarchy)
        if finished is not None and source == to:
            return ConversionResult(
                name,
                name,
                _as_version(finished.versions[0], source),
                to,
                documents=len(finished.plan.writes),
                removed=len(finished.plan.deletes),
                completed=True,
            )
        applied = engine.apply_in_place(
            handle,
            _planned(hierarchy, source, to, name),
            command=f"ngff convert {name} --to {to} --in-place",
            description=f"OME-Zarr {source} -> {to}",
            versions=(source, to),
            instead="Use --out.",
        )
    return ConversionResult(
        name, name, source, to, documents=applied.documents, removed=applied.removed
    )


def _as_version(text: str, default: SpecVersion) -> SpecVersion:
    return text if text in _ORDER else default
