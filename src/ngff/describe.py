"""What OME-Zarr metadata means, stated for people: ``ngff info`` and the report's facts.

:func:`describe_ome` lists, without reading a chunk, an image's name, axes with their types
and units, each level's shape, pixel size and origin (its scale and translation, the
multiscale's own transformation applied), its channels with their colours and display
windows (``omero``, the transitional metadata) and its label images; a plate's layout
(rows, columns, wells present), fields and acquisitions; a well's fields.

The helpers the report's pictures share live here too: the level arrays of an image that
resolve (:func:`image_levels`, lenient so that an invalid image is still pictured), its
axes, and how each channel is shown (:func:`channel_display`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ngff.detection import ome_attributes
from ngff_geozarr.core.colour import parse_colour
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.hierarchy.array_checks import parse_dtype
from ngff_geozarr.core.info import FactTable, NodeFacts, summarize_array
from ngff_geozarr.core.store import join_key
from ngff_geozarr.core.thumbnail import MAX_CHANNELS

__all__ = [
    "DEFAULT_COLOURS",
    "channel_axis",
    "channel_display",
    "describe_ome",
    "image_axes",
    "image_levels",
    "label_images",
    "level_geometry",
    "multiscale_of",
    "spatial_axes",
]

DEFAULT_COLOURS = ("00FF00", "FF00FF", "00FFFF", "FFFF00", "FF8000", "0080FF", "FF0000", "8000FF")
"""Channel colours without ``omero``: green and magenta first (colour-blind safe), then more."""

_RGB_NAMES = ("red", "green", "blue")
_RGB = ((255, 0, 0), (0, 255, 0), (0, 0, 255))


def multiscale_of(node: Node) -> Mapping[str, Any] | None:
    """Return a node's first multiscale object, if it has one.

    Parameters
    ----------
    node
        The node.

    Returns
    -------
    Mapping or None
        ``multiscales[0]`` of its OME metadata (0.4 or 0.5+ layout).
    """
    ome, _ = ome_attributes(node.attributes)
    ms = ome.get("multiscales")
    if isinstance(ms, list) and ms and isinstance(ms[0], Mapping):
        return ms[0]
    return None


def image_levels(hierarchy: Hierarchy, node: Node, ms: Mapping[str, Any]) -> list[Node]:
    """Return the level arrays of an image that resolve, finest first (others left out).

    An invalid image (a level missing, a bad path) keeps the levels that can be read, so
    that it still gets a picture.

    Parameters
    ----------
    hierarchy
        The hierarchy.
    node
        The image node.
    ms
        Its multiscale object.

    Returns
    -------
    list of Node
        The arrays of two or more dimensions its datasets name, all of one rank.
    """
    datasets = ms.get("datasets")
    levels: list[Node] = []
    for dataset in datasets if isinstance(datasets, list) else ():
        path = dataset.get("path") if isinstance(dataset, Mapping) else None
        if not isinstance(path, str):
            continue
        try:
            level = hierarchy.get(join_key(node.path, path))
        except NgffGeozarrError:
            continue
        if level is None or level.array is None or len(level.array.shape) < 2:
            continue
        first = levels[0].array if levels else None
        if first is not None and len(level.array.shape) != len(first.shape):
            continue
        levels.append(level)
    return levels


def image_axes(ms: Mapping[str, Any], ndim: int | None = None) -> list[tuple[str, str, str]]:
    """Return each axis as ``(name, type, unit)`` (``""`` when absent); ``[]`` if unusable.

    Parameters
    ----------
    ms
        A multiscale object.
    ndim
        The rank the axes must have, if known.

    Returns
    -------
    list of tuple
        One ``(name, type, unit)`` per axis.
    """
    axes = ms.get("axes")
    if not isinstance(axes, list) or (ndim is not None and len(axes) != ndim):
        return []
    out = []
    for axis in axes:
        if isinstance(axis, Mapping):
            name, kind, unit = axis.get("name"), axis.get("type"), axis.get("unit")
        else:  # 0.3 lists bare names
            name, kind, unit = axis, None, None
        out.append(
            (
                str(name),
                kind if isinstance(kind, str) else "",
                unit if isinstance(unit, str) else "",
            )
        )
    return out


def spatial_axes(axes: Sequence[tuple[str, str, str]], ndim: int) -> tuple[int, int]:
    """Return the y and x axes: the last two of type space, else the last two.

    Parameters
    ----------
    axes
        ``(name, type, unit)`` per axis (may be empty).
    ndim
        The rank.

    Returns
    -------
    tuple of int
        The rows and columns axes.
    """
    spatial = [
        i
        for i, (name, kind, _) in enumerate(axes)
        if kind == "space" or (not kind and name in ("y", "x"))
    ]
    if len(spatial) >= 2:
        return spatial[-2], spatial[-1]
    return ndim - 2, ndim - 1


def channel_axis(axes: Sequence[tuple[str, str, str]]) -> int | None:
    """Return the index of the channel axis (type ``channel``, else named ``c``), if any.

    Parameters
    ----------
    axes
        ``(name, type, unit)`` per axis, as :func:`image_axes` returns them.

    Returns
    -------
    int or None
        The axis index.
    """
    for i, (name, kind, _) in enumerate(axes):
        if kind == "channel" or (not kind and name == "c"):
            return i
    return None


def _transforms(items: Any) -> tuple[list[float] | None, list[float] | None]:
    """Return the scale and translation of a list of coordinate transformations."""
    scale: list[float] | None = None
    translation: list[float] | None = None
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "sequence":
            inner = _transforms(item.get("transformations"))
            scale, translation = inner[0] or scale, inner[1] or translation
        values = item.get(str(item.get("type")))
        if isinstance(values, list) and all(isinstance(v, int | float) for v in values):
            if item.get("type") == "scale":
                scale = [float(v) for v in values]
            elif item.get("type") == "translation":
                translation = [float(v) for v in values]
    return scale, translation


def level_geometry(ms: Mapping[str, Any], index: int, ndim: int) -> tuple[list[float], list[float]]:
    """Return a level's pixel size and origin per axis (the multiscale's own transform applied).

    Parameters
    ----------
    ms
        The multiscale object.
    index
        The level's index in ``datasets``.
    ndim
        The rank.

    Returns
    -------
    tuple of list
        The scale and the translation, one value per axis (1 and 0 where not stated).
    """
    datasets = ms.get("datasets")
    dataset = datasets[index] if isinstance(datasets, list) and index < len(datasets) else {}
    scale, translation = _transforms(
        dataset.get("coordinateTransformations") if isinstance(dataset, Mapping) else None
    )
    outer_scale, outer_translation = _transforms(ms.get("coordinateTransformations"))
    s = scale if scale and len(scale) == ndim else [1.0] * ndim
    t = translation if translation and len(translation) == ndim else [0.0] * ndim
    if outer_scale and len(outer_scale) == ndim:
        t = [a * b for a, b in zip(t, outer_scale, strict=True)]
        s = [a * b for a, b in zip(s, outer_scale, strict=True)]
    if outer_translation and len(outer_translation) == ndim:
        t = [a + b for a, b in zip(t, outer_translation, strict=True)]
    return s, t


def _window(channel: Mapping[str, Any]) -> tuple[float, float] | None:
    window = channel.get("window")
    if not isinstance(window, Mapping):
        return None
    start, end = window.get("start"), window.get("end")
    if isinstance(start, int | float) and isinstance(end, int | float) and end > start:
        return float(start), float(end)
    return None


def channel_display(
    ome: Mapping[str, Any], count: int, dtype_kind: str, itemsize: int
) -> list[tuple[int, tuple[int, int, int], tuple[float, float] | None]]:
    """Decide how each channel of an image is shown: which, in what colour, in what window.

    Parameters
    ----------
    ome
        The image's OME metadata (its ``omero`` object, if any, is used).
    count
        The number of channels read (1 for an image without a channel axis).
    dtype_kind, itemsize
        The data type's kind (``"u"``, ``"f"``, ...) and size in bytes.

    Returns
    -------
    list
        ``(channel index, colour, window)`` for each channel shown, in order; a ``None``
        window means the quantiles of the slice. ``omero``'s colours, windows and
        ``active`` flags win; ``rdefs.model: greyscale`` shows the first active channel in
        grey. Without ``omero``, one channel is grey, three channels labelled (or of 8-bit
        type, as an RGB photograph is) red, green and blue are shown as colour in the full
        8-bit range, and other channels get :data:`DEFAULT_COLOURS`.

    Examples
    --------
    >>> channel_display({}, 1, "u", 2)
    [(0, (255, 255, 255), None)]
    >>> channel_display({}, 3, "u", 1)[0]
    (0, (255, 0, 0), (0.0, 255.0))
    >>> omero = {"channels": [{"color": "00FF00", "window": {"start": 10, "end": 90}},
    ...                       {"color": "FF00FF", "active": False}]}
    >>> channel_display({"omero": omero}, 2, "u", 2)
    [(0, (0, 255, 0), (10.0, 90.0))]
    >>> rgb = {"channels": [{"label": "Red"}, {"label": "green"}, {"label": "BLUE"}]}
    >>> [c for _, c, _ in channel_display({"omero": rgb}, 3, "u", 2)]
    [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    """
    omero = ome.get("omero")
    found = omero.get("channels") if isinstance(omero, Mapping) else None
    channels: list[Mapping[str, Any]] = (
        found if isinstance(found, list) and all(isinstance(c, Mapping) for c in found) else []
    )
    labels = [str(c.get("label", "")).lower() for c in channels]
    byte = dtype_kind == "u" and itemsize == 1
    rgb = count == 3 and (labels == list(_RGB_NAMES) or (byte and not any(labels)))
    full = (0.0, 255.0) if byte else None

    def default(i: int) -> tuple[int, int, int]:
        if rgb:
            return _RGB[i]
        if count == 1:
            return (255, 255, 255)
        return parse_colour(DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)]) or (255, 255, 255)

    if channels:
        rdefs = omero.get("rdefs") if isinstance(omero, Mapping) else None
        grey = isinstance(rdefs, Mapping) and rdefs.get("model") == "greyscale"
        shown = []
        for i, channel in enumerate(channels[:count]):
            if channel.get("active", True) is False:
                continue
            colour = (255, 255, 255) if grey else parse_colour(channel.get("color"))
            window = _window(channel) or (full if rgb else None)
            shown.append((i, colour or default(i), window))
            if grey:
                break
        if shown:
            return shown
    return [(i, default(i), full if rgb else None) for i in range(count)]


def _numpy_dtype(node: Node) -> np.dtype[Any] | None:
    summary = summarize_array(node)
    return parse_dtype(summary.dtype) if summary is not None else None


def label_images(hierarchy: Hierarchy, image: Node) -> list[tuple[Node, Mapping[str, Any]]]:
    """Return the label images under an image's ``labels`` group, with their multiscale.

    Parameters
    ----------
    hierarchy
        The hierarchy.
    image
        The image node.

    Returns
    -------
    list
        ``(label image node, its multiscale object)`` pairs.
    """
    try:
        labels_path = join_key(image.path, "labels")
    except NgffGeozarrError:
        return []
    found = []
    for child in hierarchy.children(labels_path):
        ms = multiscale_of(child)
        if ms is not None:
            found.append((child, ms))
    return found


def _num(value: float) -> str:
    return f"{value:g}"


def _image_facts(hierarchy: Hierarchy, node: Node, ms: Mapping[str, Any]) -> NodeFacts:
    ome, version = ome_attributes(node.attributes)
    levels = image_levels(hierarchy, node, ms)
    ndim = len(levels[0].array.shape) if levels and levels[0].array is not None else None
    axes = image_axes(ms, ndim) or image_axes(ms)
    ndim = ndim or len(axes)
    name = ms.get("name") if isinstance(ms.get("name"), str) else None
    kind = "label image" if "image-label" in ome else "image"
    lines = [("name", name or "(none)"), ("version", version or "(none)")]
    data: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "version": version,
        "axes": [{"name": n, "type": t or None, "unit": u or None} for n, t, u in axes],
    }
    tables = [
        FactTable(
            "axes", ("name", "type", "unit"), tuple((n, t or "-", u or "-") for n, t, u in axes)
        )
    ]
    listed = ms.get("datasets")
    datasets: list[Any] = listed if isinstance(listed, list) else []
    level_rows, level_data = [], []
    for i, dataset in enumerate(datasets):
        path = str(dataset.get("path")) if isinstance(dataset, Mapping) else "?"
        scale, origin = level_geometry(ms, i, ndim)
        try:
            array = hierarchy.get(join_key(node.path, path))
        except NgffGeozarrError:
            array = None
        summary = summarize_array(array) if array is not None else None
        shape = list(summary.shape) if summary is not None else None
        units = [u for _, _, u in axes] if len(axes) == ndim else [""] * ndim
        names = [n for n, _, _ in axes] if len(axes) == ndim else [str(k) for k in range(ndim)]
        size = ", ".join(
            f"{n} {_num(s)}{' ' + u if u else ''}"
            for n, s, u in zip(names, scale, units, strict=True)
        )
        where = ", ".join(f"{n} {_num(t)}" for n, t in zip(names, origin, strict=True))
        level_rows.append(
            (
                path,
                "missing" if shape is None else "(" + ", ".join(map(str, shape)) + ")",
                summary.dtype if summary is not None else "-",
                size,
                where,
            )
        )
        level_data.append(
            {
                "path": path,
                "shape": shape,
                "dtype": summary.dtype if summary else None,
                "pixel_size": scale,
                "origin": origin,
            }
        )
    tables.append(
        FactTable("levels", ("path", "shape", "dtype", "pixel size", "origin"), tuple(level_rows))
    )
    data["levels"] = level_data
    c_axis = channel_axis(axes)
    count = (
        levels[0].array.shape[c_axis]
        if c_axis is not None and levels and levels[0].array is not None
        else 1
    )
    omero = ome.get("omero")
    channels = omero.get("channels") if isinstance(omero, Mapping) else None
    if kind == "image":
        dtype = _numpy_dtype(levels[0]) if levels else None
        shown = {
            i: (c, w)
            for i, c, w in channel_display(
                ome,
                min(count, MAX_CHANNELS),
                dtype.kind if dtype is not None else "f",
                dtype.itemsize if dtype is not None else 8,
            )
        }
        rows, channel_data = [], []
        for i in range(count):
            channel = (
                channels[i]
                if isinstance(channels, list)
                and i < len(channels)
                and isinstance(channels[i], Mapping)
                else {}
            )
            label = str(channel.get("label", f"channel {i}"))
            colour = shown.get(i, (None, None))[0]
            hex_colour = "#{:02X}{:02X}{:02X}".format(*colour) if colour else "-"
            window = _window(channel) or shown.get(i, (None, None))[1]
            active = channel.get("active", True) is not False
            rows.append(
                (
                    str(i),
                    label,
                    hex_colour,
                    f"{_num(window[0])} - {_num(window[1])}" if window else "auto",
                    "yes" if i in shown else "no",
                )
            )
            channel_data.append(
                {
                    "index": i,
                    "label": label,
                    "color": hex_colour.lstrip("#") if colour else None,
                    "window": list(window) if window else None,
                    "active": active,
                    "shown": i in shown,
                }
            )
        tables.append(
            FactTable("channels", ("index", "label", "colour", "window", "shown"), tuple(rows))
        )
        data["channels"] = channel_data
        label_names = [child.name for child, _ in label_images(hierarchy, node)]
        labels_group = hierarchy.get(join_key(node.path, "labels"))
        if labels_group is not None:
            listed, _ = ome_attributes(labels_group.attributes)
            declared = listed.get("labels")
            if isinstance(declared, list):
                label_names = [str(n) for n in declared]
        lines.append(("labels", ", ".join(label_names) if label_names else "(none)"))
        data["labels"] = label_names
    title = f"{kind} '{name}'" if name else kind
    return NodeFacts(node.path, title, tuple(lines), tuple(tables), data)


def _plate_facts(node: Node, plate: Mapping[str, Any]) -> NodeFacts:
    def names(key: str) -> list[str]:
        items = plate.get(key)
        return (
            [str(i.get("name")) for i in items if isinstance(i, Mapping)]
            if isinstance(items, list)
            else []
        )

    rows, columns = names("rows"), names("columns")
    wells = (
        [w for w in plate.get("wells", []) if isinstance(w, Mapping)]
        if isinstance(plate.get("wells"), list)
        else []
    )
    present = set()
    for well in wells:
        r, c = well.get("rowIndex"), well.get("columnIndex")
        if isinstance(r, int) and isinstance(c, int):
            present.add((r, c))
    layout = tuple(
        (row, *("●" if (i, j) in present else "·" for j in range(len(columns))))
        for i, row in enumerate(rows)
    )
    acquisitions = plate.get("acquisitions")
    n_acq = len(acquisitions) if isinstance(acquisitions, list) else 0
    name = plate.get("name") if isinstance(plate.get("name"), str) else None
    lines = (
        ("name", name or "(none)"),
        ("layout", f"{len(rows)} rows x {len(columns)} columns, {len(wells)} wells"),
        ("fields per well", str(plate.get("field_count", "(not stated)"))),
        ("acquisitions", str(n_acq)),
    )
    data = {
        "kind": "plate",
        "name": name,
        "rows": rows,
        "columns": columns,
        "wells": [str(w.get("path")) for w in wells],
        "field_count": plate.get("field_count"),
        "acquisitions": n_acq,
    }
    table = FactTable("layout", ("", *columns), layout)
    return NodeFacts(node.path, f"plate '{name}'" if name else "plate", lines, (table,), data)


def _well_facts(node: Node, well: Mapping[str, Any]) -> NodeFacts:
    images = (
        [i for i in well.get("images", []) if isinstance(i, Mapping)]
        if isinstance(well.get("images"), list)
        else []
    )
    rows = tuple((str(i.get("path")), str(i.get("acquisition", "-"))) for i in images)
    data = {"kind": "well", "fields": [r[0] for r in rows]}
    return NodeFacts(
        node.path,
        "well",
        (("fields", str(len(rows))),),
        (FactTable("fields", ("path", "acquisition"), rows),),
        data,
    )


def describe_ome(hierarchy: Hierarchy) -> list[NodeFacts]:
    """State what the OME-Zarr metadata of a hierarchy means, node by node.

    OME-Zarr's :data:`~ngff_geozarr.core.info.Describe`, for ``ngff info`` and the report's
    "Metadata" section: images and label images (name, version, axes with types and units,
    each level's shape, pixel size and origin, channels with colours and windows, label
    names), plates (layout, fields, acquisitions) and wells. Metadata only: no chunk read.

    Returns one :class:`~ngff_geozarr.core.info.NodeFacts` per image, label image, plate
    and well, in the hierarchy's order.
    """
    facts = []
    for node in hierarchy.values():
        ome, _ = ome_attributes(node.attributes)
        ms = multiscale_of(node)
        if ms is not None:
            facts.append(_image_facts(hierarchy, node, ms))
        elif isinstance(ome.get("plate"), Mapping):
            facts.append(_plate_facts(node, ome["plate"]))
        elif isinstance(ome.get("well"), Mapping):
            facts.append(_well_facts(node, ome["well"]))
    return facts
