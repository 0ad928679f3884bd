"""Describe what a hierarchy holds: a tree of groups and arrays, as text or JSON.

The description is convention-agnostic: each convention package passes a :data:`Detect`
callable that labels the nodes it recognises (``"OME-Zarr 0.5 image"``, ``"CF grid
mapping"``, ...), and may pass a :data:`Describe` callable that states what its metadata
means (:class:`NodeFacts`: an image's axes, units and channels; a raster's CRS, extent and
bounds), shown after the tree, in the JSON and on the HTML report. Array facts are read
from metadata only, whatever the Zarr format: shape, data type, chunk shape (the inner
chunks of a sharded array), shard shape, codecs, fill value and dimension names.
Sizes are computed with Python integers, so a declared shape of ``[10**15, 10**15]`` is
shown, never allocated.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.report import Report, format_issue

__all__ = [
    "ArraySummary",
    "Describe",
    "Detect",
    "FactTable",
    "NodeFacts",
    "format_array_summary",
    "info_dict",
    "render_facts_text",
    "render_info_text",
    "summarize_array",
]

Detect = Callable[[Node, Hierarchy], Sequence[str]]
"""Labels the conventions a node follows, given the node and its hierarchy."""


@dataclass(frozen=True, slots=True)
class FactTable:
    """A small table of facts about a node (its axes, its levels, its channels).

    Parameters
    ----------
    name
        What the rows are (``"axes"``, ``"levels"``); the HTML table's ``data-table``.
    header
        The column headings.
    rows
        The rows, as text.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What a convention says a node's metadata means, for people and for JSON.

    Parameters
    ----------
    path
        The node's path.
    title
        A heading (``"image 'cells'"``, ``"raster grid"``).
    lines
        ``(label, value)`` facts shown one per line (``("CRS", "EPSG:4326 WGS 84")``).
    tables
        Facts with rows (axes, levels, channels, variables).
    data
        The same facts, JSON-ready: the ``facts`` of the node in ``info --format json``.
    """

    path: str
    title: str
    lines: tuple[tuple[str, str], ...] = ()
    tables: tuple[FactTable, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


Describe = Callable[[Hierarchy], Sequence[NodeFacts]]
"""States what a convention's metadata means, node by node (metadata only, no chunk read)."""


@dataclass(frozen=True, slots=True)
class ArraySummary:
    """The facts about an array that ``info`` shows, the same for Zarr formats 2 and 3.

    Parameters
    ----------
    shape
        The declared shape.
    dtype
        The data type (numpy's name where it has one, ``uint16`` rather than ``<u2``).
    chunks
        The chunk shape; for a sharded array, the inner chunks.
    shards
        The shard shape of a sharded array, else ``None``.
    codecs
        Codec names in order (format 2: filters then compressor).
    fill_value
        The fill value as written in the metadata.
    dimension_names
        Dimension names, from ``dimension_names`` or ``_ARRAY_DIMENSIONS``.
    n_chunks
        How many chunks (shards, when sharded) the declared shape spans.
    """

    shape: tuple[int, ...]
    dtype: str
    chunks: tuple[int, ...] | None
    shards: tuple[int, ...] | None
    codecs: tuple[str, ...]
    fill_value: Any
    dimension_names: tuple[str | None, ...] | None
    n_chunks: int | None


def summarize_array(node: Node) -> ArraySummary | None:
    """Summarise an array node's metadata.

    Parameters
    ----------
    node
        A node of the hierarchy.

    Returns
    -------
    ArraySummary or None
        ``None`` for groups and for arrays whose metadata did not parse.
    """
    spec = node.array
    if spec is None:
        return None
    meta = node.metadata
    if node.zarr_format == 3:
        grid = _grid_shape(meta.get("chunk_grid"))
        codecs_meta = meta.get("codecs") or []
        inner = _sharding(codecs_meta)
        if inner is not None:
            chunks, shards = inner[0], grid
            codecs = ("sharding_indexed", *inner[1])
        else:
            chunks, shards = grid, None
            codecs = tuple(_codec_name(c) for c in codecs_meta)
    else:
        chunks, shards = _int_tuple(meta.get("chunks")), None
        filters = meta.get("filters") or []
        compressor = meta.get("compressor")
        codecs = tuple(_codec_name(c) for c in [*filters, *([compressor] if compressor else [])])
    outer = shards or chunks
    n_chunks = (
        math.prod(-(-s // c) for s, c in zip(spec.shape, outer, strict=False))
        if outer and len(outer) == len(spec.shape) and all(c > 0 for c in outer)
        else None
    )
    return ArraySummary(
        shape=tuple(spec.shape),
        dtype=_dtype_name(node),
        chunks=chunks,
        shards=shards,
        codecs=codecs,
        fill_value=meta.get("fill_value"),
        dimension_names=node.dimension_names(),
        n_chunks=n_chunks,
    )


def _int_tuple(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, list | tuple) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return tuple(value)
    return None


def _grid_shape(grid: Any) -> tuple[int, ...] | None:
    if isinstance(grid, Mapping):
        config = grid.get("configuration")
        if isinstance(config, Mapping):
            return _int_tuple(config.get("chunk_shape"))
    return None


def _codec_name(codec: Any) -> str:
    if isinstance(codec, Mapping):
        name = codec.get("name", codec.get("id"))
        return str(name) if name is not None else "?"
    return str(codec)


def _sharding(codecs: Sequence[Any]) -> tuple[tuple[int, ...] | None, tuple[str, ...]] | None:
    """Inner chunk shape and inner codec names of a sharding codec, if the array has one."""
    for codec in codecs:
        if isinstance(codec, Mapping) and codec.get("name") == "sharding_indexed":
            config = codec.get("configuration") or {}
            inner = tuple(_codec_name(c) for c in config.get("codecs") or [])
            return _int_tuple(config.get("chunk_shape")), inner
    return None


def _dtype_name(node: Node) -> str:
    raw = node.metadata.get("data_type", node.metadata.get("dtype"))
    if isinstance(raw, Mapping):  # a Zarr v3 extension type: its name
        return str(raw.get("name", "?"))
    return node.dtype_name or "?"


def _node_label(node: Node, labels: Sequence[str]) -> Text:
    name = node.name or "/"
    text = Text(name, style="bold blue" if node.node_type == "group" else "bold", overflow="fold")
    if node.node_type == "array":
        summary = summarize_array(node)
        if summary is None:
            text.append("  (array metadata did not parse)", style="red")
        else:
            text.append("  " + format_array_summary(summary))
    if labels:
        text.append("  [" + "; ".join(labels) + "]", style="green")
    return text


def format_array_summary(s: ArraySummary) -> str:
    """Lay an array summary out on one line, as ``info`` shows it.

    Parameters
    ----------
    s
        The summary.

    Returns
    -------
    str
        Shape and dtype, chunks, shards, codecs, fill value, dimension names.

    Examples
    --------
    >>> format_array_summary(ArraySummary((160,), "float64", (160,), None, ("bytes",), 0.0,
    ...                                   ("x",), 1))
    '(160) float64  chunks (160)  codecs bytes  fill 0.0  dims (x)'
    """
    parts = [f"{_shape_str(s.shape)} {s.dtype}"]
    if s.chunks is not None:
        parts.append(f"chunks {_shape_str(s.chunks)}")
    if s.shards is not None:
        parts.append(f"shards {_shape_str(s.shards)}")
    parts.append("codecs " + (",".join(s.codecs) if s.codecs else "none"))
    parts.append(f"fill {json.dumps(s.fill_value)}")
    if s.dimension_names is not None:
        parts.append(
            "dims " + _shape_str(tuple("-" if d is None else d for d in s.dimension_names))
        )
    return "  ".join(parts)


def _shape_str(shape: Sequence[Any]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def render_info_text(
    hierarchy: Hierarchy, detect: Detect, console: Console, describe: Describe | None = None
) -> None:
    """Print the hierarchy as a tree, what its metadata means, then any reading problems.

    Parameters
    ----------
    hierarchy
        What to show.
    detect
        Labels each node with the conventions it follows.
    console
        Where to print.
    describe
        States what the convention's metadata means (printed after the tree).
    """
    fmt = f"Zarr v{hierarchy.zarr_format}" if hierarchy.zarr_format else "Zarr (format unknown)"
    extra = ", consolidated" if hierarchy.consolidated else ""
    source = ", metadata from JSON" if hierarchy.source == "json" else ""
    n_arrays = sum(1 for n in hierarchy.values() if n.node_type == "array")
    counts = f"{_plural(len(hierarchy) - n_arrays, 'group')}, {_plural(n_arrays, 'array')}"
    console.print(Text.assemble((hierarchy.target, "bold"), f"  {fmt}{extra}{source}; {counts}"))
    root = hierarchy.root
    if root is not None:
        tree = Tree(_node_label(root, detect(root, hierarchy)))
        _grow(tree, root, hierarchy, detect)
        console.print(tree)
    for facts in describe(hierarchy) if describe is not None else ():
        render_facts_text(facts, console)
    if hierarchy.issues:
        console.print()
        for issue in hierarchy.issues:
            for line in format_issue(issue):
                console.print(line)


def render_facts_text(facts: NodeFacts, console: Console) -> None:
    """Print one node's facts: a heading, one line per fact, then its tables.

    Parameters
    ----------
    facts
        The facts.
    console
        Where to print.
    """
    console.print()
    console.print(Text.assemble((facts.title, "bold"), f"  /{facts.path}"))
    for label, value in facts.lines:
        console.print(Text.assemble(f"  {label}: ", (value, "")))
    for table in facts.tables:
        shown = Table(title=table.name, title_justify="left", box=None, padding=(0, 2, 0, 2))
        for heading in table.header:
            shown.add_column(heading, overflow="fold")
        for row in table.rows:
            shown.add_row(*row)
        console.print(shown)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _grow(tree: Tree, node: Node, hierarchy: Hierarchy, detect: Detect) -> None:
    for child in hierarchy.children(node.path):
        branch = tree.add(_node_label(child, detect(child, hierarchy)))
        _grow(branch, child, hierarchy, detect)


def info_dict(
    hierarchy: Hierarchy, detect: Detect, describe: Describe | None = None
) -> dict[str, Any]:
    """Describe the hierarchy as a JSON-ready dictionary.

    Parameters
    ----------
    hierarchy, detect, describe
        As for :func:`render_info_text`; each node ``describe`` states something about
        gets ``facts``.

    Returns
    -------
    dict
        ``target``, ``zarr_format``, ``consolidated``, ``source``, ``valid`` (no read
        error), ``nodes`` (one entry per node, depth-first: ``path``, ``name``,
        ``node_type``, ``zarr_format``, ``conventions``, for arrays the
        :class:`ArraySummary` fields, and ``facts`` when ``describe`` states some) and
        ``issues`` (in the form of the report contract).
    """
    described = {f.path: f.data for f in describe(hierarchy)} if describe is not None else {}
    nodes = []
    for node in hierarchy.values():
        entry: dict[str, Any] = {
            "path": node.path,
            "name": node.name,
            "node_type": node.node_type,
            "zarr_format": node.zarr_format,
            "conventions": list(detect(node, hierarchy)),
        }
        summary = summarize_array(node) if node.node_type == "array" else None
        if summary is not None:
            entry.update(asdict(summary))
        if node.path in described:
            entry["facts"] = dict(described[node.path])
        nodes.append(entry)
    report = Report(target=hierarchy.target, issues=hierarchy.issues)
    return {
        "target": hierarchy.target,
        "zarr_format": hierarchy.zarr_format,
        "consolidated": hierarchy.consolidated,
        "source": hierarchy.source,
        "valid": report.valid,
        "nodes": _json_ready(nodes),
        "issues": [i.to_dict() for i in hierarchy.issues],
    }


def _json_ready(value: Any) -> Any:
    """Spell non-finite numbers (a NaN scale, an infinite fill value) as Zarr v3 does.

    ``"NaN"``, ``"Infinity"``, ``"-Infinity"``: ``json.dumps`` would write the bare tokens,
    which are not JSON.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value
