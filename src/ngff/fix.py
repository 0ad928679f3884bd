"""The OME-Zarr metadata repairs ``ngff fix`` makes: one per rule, each determined by the store.

Each repair (a :data:`ngff_geozarr.core.fix.Fixer`) takes one issue the validator reported
and edits the draft of the node's documents, or declines when the store does not determine
the fix:

- ``ngff.version.missing``: a 0.4 section object without ``version`` gets ``"0.4"`` (Zarr v2
  holds OME-Zarr 0.4 only: spec 0.4 "SHOULD contain the field 'version'"); an ``ome``
  namespace without ``version`` (0.5+: "MUST") gets the version every other node of the
  store declares, when they all declare the same one;
- ``ngff.multiscales.dimension-names``: a level array's ``dimension_names`` set to the
  multiscale's axis names (0.5: the array's ``dimension_names`` "MUST" be the axes' names;
  the axes carry the types and units, so they are the ones kept);
- ``ngff.labels.unlisted``: the label images below a labels group that its ``labels`` list
  leaves out are added to it (0.5: "All label images SHOULD be listed"), by their path;
- ``ngff.multiscales.type``: ``type`` set to the method that ``metadata.method`` names, when
  that is one of this toolkit's kernels or a scikit-image function the spec's examples use
  ("SHOULD contain the field 'type'"); without ``metadata`` no type is guessed.
"""

from __future__ import annotations

from typing import Any

from ngff.common.ome import SECTION_KEYS
from ngff_geozarr.core.fix import FixContext, Fixer, set_value
from ngff_geozarr.core.pyramid import METHODS
from ngff_geozarr.core.report import Issue

__all__ = ["FIXERS", "METHOD_TYPES"]

METHOD_TYPES: dict[str, str] = {
    **{f"ngff_geozarr.core.pyramid.{m}": m for m in METHODS},
    "skimage.transform.pyramid_gaussian": "gaussian",
    "skimage.transform.pyramid_laplacian": "laplacian",
    "skimage.transform.downscale_local_mean": "local_mean",
}
"""The multiscale ``type`` a ``metadata.method`` implies."""


def _at(document: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        elif isinstance(document, dict) and part in document:
            document = document[part]
        else:
            return None
    return document


def _parts(issue: Issue) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in issue.pointer.split("/")[1:]]


def _ome_versions(ctx: FixContext, skip: str) -> set[Any]:
    versions = set()
    for path, node in ctx.hierarchy.items():
        ome = node.attributes.get("ome")
        if path != skip and isinstance(ome, dict) and "version" in ome:
            versions.add(ome["version"])
    return versions


def _version(ctx: FixContext, issue: Issue) -> str | None:
    node = ctx.node(issue.path)
    parts = _parts(issue)
    if node is None or not parts or parts[0] != "attributes":
        return None
    target = _at(ctx.attributes(issue.path), parts[1:])
    if not isinstance(target, dict):
        return None
    if "version" in target:
        return ""
    if node.zarr_format == 2 and parts[1] in SECTION_KEYS:
        target["version"] = "0.4"
        return f"add version '0.4' to {'/'.join(parts[1:])} (Zarr v2 holds OME-Zarr 0.4 only)"
    if node.zarr_format == 3 and parts[1:] == ["ome"]:
        versions = _ome_versions(ctx, issue.path)
        if len(versions) != 1:
            return None
        (version,) = versions
        target["version"] = version
        return f"add version {version!r} to ome (every other node declares it)"
    return None


def _multiscale(ctx: FixContext, path: str) -> list[Any]:
    attrs = ctx.attributes(path)
    ome = attrs.get("ome")
    found = ome.get("multiscales") if isinstance(ome, dict) else attrs.get("multiscales")
    return found if isinstance(found, list) else []


def _dimension_names(ctx: FixContext, issue: Issue) -> str | None:
    node = ctx.node(issue.path)
    if node is None or node.node_type != "array" or node.zarr_format != 3:
        return None
    names: list[list[Any]] = []
    for group in ctx.hierarchy.values():
        if group.path != node.parent:
            continue
        for ms in _multiscale(ctx, group.path):
            datasets = ms.get("datasets") if isinstance(ms, dict) else None
            axes = ms.get("axes") if isinstance(ms, dict) else None
            if not isinstance(datasets, list) or not isinstance(axes, list):
                continue
            paths = [d.get("path") for d in datasets if isinstance(d, dict)]
            if node.name in paths:
                names.append([a.get("name") if isinstance(a, dict) else a for a in axes])
    if len(names) != 1 or not all(isinstance(n, str) for n in names[0]):
        return None
    meta = ctx.metadata(issue.path)
    shape = meta.get("shape")
    if not isinstance(shape, list) or len(shape) != len(names[0]):
        return None
    why = "the multiscale's axis names"
    return set_value(meta, "dimension_names", names[0], "dimension_names", why)


def _type(ctx: FixContext, issue: Issue) -> str | None:
    parts = _parts(issue)
    if ctx.node(issue.path) is None or not parts or parts[0] != "attributes":
        return None
    ms = _at(ctx.attributes(issue.path), parts[1:])
    if not isinstance(ms, dict):
        return None
    if "type" in ms:
        return ""
    metadata = ms.get("metadata")
    method = metadata.get("method") if isinstance(metadata, dict) else None
    kind = METHOD_TYPES.get(method) if isinstance(method, str) else None
    if kind is None:
        return None
    ms["type"] = kind
    return f"set type {kind!r} (the method metadata.method names: {method})"


def _is_label_image(attributes: Any) -> bool:
    ome = attributes.get("ome") if isinstance(attributes, dict) else None
    holder = ome if isinstance(ome, dict) else attributes
    return isinstance(holder, dict) and "image-label" in holder and "multiscales" in holder


def _unlisted(ctx: FixContext, issue: Issue) -> str | None:
    node = ctx.node(issue.path)
    if node is None or node.node_type != "group":
        return None
    attrs = ctx.attributes(issue.path)
    ome = attrs.get("ome")
    listed = (ome if isinstance(ome, dict) else attrs).get("labels")
    if not isinstance(listed, list):
        return None
    prefix = f"{issue.path}/" if issue.path else ""
    below = sorted(
        path[len(prefix) :]
        for path, other in ctx.hierarchy.items()
        if path.startswith(prefix) and path != issue.path and _is_label_image(other.attributes)
    )
    added = [path for path in below if path not in listed]
    if not added:
        return ""
    listed.extend(added)
    return f"list {', '.join(repr(a) for a in added)} in labels (label images of this group)"


FIXERS: dict[str, Fixer] = {
    "ngff.version.missing": _version,
    "ngff.labels.unlisted": _unlisted,
    "ngff.multiscales.dimension-names": _dimension_names,
    "ngff.multiscales.type": _type,
}
"""OME-Zarr's repairs by the rule id they repair, in the order they are made."""
