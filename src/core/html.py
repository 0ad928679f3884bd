"""One self-contained HTML page showing a store: its tree, its issues, its levels.

The page embeds its style and its images (PNG data URIs) and loads nothing: it opens from a
file, offline, with no server and no CORS to satisfy. Every issue links to its node in the
tree; every node shows how many issues it has. Thumbnails are made by the caller (see
:mod:`ngff_geozarr.core.thumbnail`), which knows what the levels of its convention are.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shlex
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Discover, Hierarchy, Node
from ngff_geozarr.core.info import (
    Describe,
    Detect,
    FactTable,
    NodeFacts,
    format_array_summary,
    summarize_array,
)
from ngff_geozarr.core.report import Issue, Report, Severity
from ngff_geozarr.core.store import StoreHandle, open_store
from ngff_geozarr.core.validation import Check, read_and_check

__all__ = [
    "Checking",
    "Legend",
    "MakeThumbnails",
    "Picture",
    "ReportParts",
    "Thumbnail",
    "level_cards",
    "level_line",
    "render_html",
    "report_page",
]


@dataclass(frozen=True, slots=True)
class Legend:
    """A colour bar: the colours from the low to the high end, with their values.

    Parameters
    ----------
    low, high
        The values at the two ends.
    units
        The values' units (``""`` when unknown).
    colours
        The colours, evenly spaced from low to high.
    """

    low: float
    high: float
    units: str
    colours: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A picture of one level, with what to say under it.

    Parameters
    ----------
    path
        The node path of the level's array.
    title
        A short heading (``"cells, level 2"``).
    png
        The image, PNG-encoded.
    caption
        Further lines (scale, what is overlaid, which slice).
    legend
        The colour bar of a single band shown through a colour map.
    """

    path: str
    title: str
    png: bytes
    caption: tuple[str, ...] = ()
    legend: Legend | None = None


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d1f21}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:2rem 0 .6rem}
.verdict{font-weight:700;padding:.1rem .5rem;border-radius:4px;color:#fff}
.valid{background:#2e7d32}.invalid{background:#c62828}.unreadable{background:#6a1b9a}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;
text-align:left;vertical-align:top}code{font-size:.92em}
.error{color:#c62828;font-weight:600}.warning{color:#b26a00;font-weight:600}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2rem;margin:0}
ul.tree li{margin:.1rem 0}.group{font-weight:600;color:#1a4d8f}.arr{color:#555}
.label{color:#2e7d32}.count{font-size:.8em;border-radius:8px;padding:0 .4rem;margin-left:.3rem;
color:#fff}.count.error{background:#c62828}.count.warning{background:#b26a00}
.thumbs{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;max-width:300px}
figure img{width:256px;height:auto;image-rendering:pixelated;
background:repeating-conic-gradient(#eee 0 25%,#fff 0 50%) 0 0/16px 16px;border:1px solid #ccc}
figcaption{font-size:.85em;color:#444}:target{background:#fff3c4}
.legend{width:256px;margin:.2rem 0}.legend .bar{height:10px;border:1px solid #ccc}
.legend .ends{display:flex;justify-content:space-between;font-size:.8em;color:#444}
table.facts{width:auto;margin:.3rem 0 .8rem}table.facts caption{text-align:left;
font-weight:600;color:#444}.swatch{display:inline-block;width:.9em;height:.9em;
border:1px solid #999;vertical-align:middle;margin-right:.3rem}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem;margin:.3rem 0}
dl.facts dt{color:#555}dl.facts dd{margin:0}
""".strip()


Picture = tuple[bytes, Sequence[str]] | tuple[bytes, Sequence[str], Legend | None]
"""A level's picture for :func:`level_cards`: PNG, caption lines, optionally a colour bar."""

MakeThumbnails = Callable[[Hierarchy, StoreHandle], Sequence[Thumbnail]]
"""A convention's pictures for its report: ``(hierarchy, store) -> thumbnails``.

It receives the store's hierarchy and the store, open for reading, and returns one
:class:`Thumbnail` per level it shows, in the order the page shows them; it reads only the
chunks it draws, from the smallest level that suffices."""


def level_line(node: Node, label: str | None = None) -> str:
    """Describe one level for a thumbnail's caption: name, shape, dtype, chunks, shards.

    Parameters
    ----------
    node
        The level's array node.
    label
        What to call it; its path when omitted.

    Returns
    -------
    str
        One line, such as ``"1: (16, 48, 48) uint16, chunks (8, 48, 48)"``.
    """
    name = node.path if label is None else label
    s = summarize_array(node)
    if s is None:
        return f"{name}: array metadata did not parse"
    line = f"{name}: {_shape(s.shape)} {s.dtype}"
    if s.chunks is not None:
        line += f", chunks {_shape(s.chunks)}"
    if s.shards is not None:
        line += f", shards {_shape(s.shards)}"
    return line


def level_cards(
    title: str,
    levels: Sequence[Node],
    chosen: int,
    picture: Callable[[int], Picture | None],
    label: Callable[[Node], str],
) -> list[Thumbnail]:
    """Make a card for every level of a multiscale series, reading only the small levels.

    The ``chosen`` level (the smallest whose sides reach the thumbnail size) and every
    coarser level are pictured from their own data; a finer level shows the chosen level's
    picture, which looks the same at thumbnail size, and its caption says so.

    Parameters
    ----------
    title
        The series' name (an image, a variable).
    levels
        The level arrays, finest first.
    chosen
        The index of the finest level read.
    picture
        Reads level ``i``: its PNG, further caption lines and optionally its colour bar,
        or ``None`` if unreadable.
    label
        What to call a level in captions and titles.

    Returns
    -------
    list of Thumbnail
        One per level whose picture could be made.
    """
    pictures = {i: picture(i) for i in range(chosen, len(levels))}
    cards = []
    for i, level in enumerate(levels):
        source = max(i, chosen)
        made = pictures.get(source)
        if made is None:
            continue
        png, notes, *rest = made
        how = "middle slice"
        if source != i:
            how += f", shown from {label(levels[source])} (not read: it looks the same"
            how += " at thumbnail size)"
        caption = (level_line(level, label(level)), how, *notes)
        legend = rest[0] if rest else None
        cards.append(Thumbnail(level.path, f"{title}, {label(level)}", png, caption, legend))
    return cards


def _shape(values: Sequence[int]) -> str:
    return "(" + ", ".join(str(v) for v in values) + ")"


def _node_ids(hierarchy: Hierarchy) -> dict[str, str]:
    return {path: f"node-{i}" for i, path in enumerate(hierarchy)}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _verdict(report: Report) -> str:
    if not report.readable:
        return '<span class="verdict unreadable">UNREADABLE</span>'
    if report.valid:
        return '<span class="verdict valid">VALID</span>'
    return '<span class="verdict invalid">INVALID</span>'


def _issue_rows(issues: Sequence[Issue], ids: dict[str, str]) -> str:
    if not issues:
        return "<p>No issues.</p>"
    rows = []
    for issue in issues:
        where = "/" + issue.path if issue.path else "/ (root)"
        node = (
            f'<a href="#{ids[issue.path]}">{_esc(where)}</a>' if issue.path in ids else _esc(where)
        )
        ref = _esc(issue.reference) if issue.reference else ""
        rows.append(
            f'<tr class="issue"><td class="{issue.severity.value}">{issue.severity.value}</td>'
            f"<td><code>{_esc(issue.rule)}</code></td><td>{node}</td>"
            f"<td><code>{_esc(issue.pointer)}</code></td><td>{_esc(issue.message)}</td>"
            f"<td>{ref}</td></tr>"
        )
    head = (
        "<tr><th>severity</th><th>rule</th><th>node</th><th>pointer</th><th>message</th>"
        "<th>spec</th></tr>"
    )
    return f'<table id="issues">{head}{"".join(rows)}</table>'


def _counts(issues: Sequence[Issue], path: str) -> str:
    n_err = sum(1 for i in issues if i.path == path and i.severity is Severity.ERROR)
    n_warn = sum(1 for i in issues if i.path == path and i.severity is Severity.WARNING)
    out = ""
    if n_err:
        out += f'<span class="count error" title="errors">{n_err}</span>'
    if n_warn:
        out += f'<span class="count warning" title="warnings">{n_warn}</span>'
    return out


def _node_line(node: Node, hierarchy: Hierarchy, detect: Detect, issues: Sequence[Issue]) -> str:
    name = _esc(node.name or "/")
    if node.node_type == "group":
        text = f'<span class="group">{name}</span>'
    else:
        summary = summarize_array(node)
        detail = (
            "array metadata did not parse" if summary is None else format_array_summary(summary)
        )
        text = f'{name} <span class="arr">{_esc(detail)}</span>'
    labels = detect(node, hierarchy)
    if labels:
        text += f' <span class="label">[{_esc("; ".join(labels))}]</span>'
    return text + _counts(issues, node.path)


def _tree(hierarchy: Hierarchy, detect: Detect, issues: Sequence[Issue]) -> str:
    ids = _node_ids(hierarchy)

    def branch(node: Node) -> str:
        children = hierarchy.children(node.path)
        inner = "".join(branch(c) for c in children)
        sub = f"<ul>{inner}</ul>" if inner else ""
        line = _node_line(node, hierarchy, detect, issues)
        return f'<li id="{ids[node.path]}" data-path="{_esc(node.path)}">{line}{sub}</li>'

    root = hierarchy.root
    if root is None:
        return "<p>No node could be read.</p>"
    return f'<ul class="tree" id="tree">{branch(root)}</ul>'


def _number(value: float) -> str:
    return f"{value:.4g}"


def _legend(legend: Legend | None) -> str:
    if legend is None:
        return ""
    stops = ",".join(f"rgb({r},{g},{b})" for r, g, b in legend.colours)
    units = f" {_esc(legend.units)}" if legend.units else ""
    return (
        f'<div class="legend"><div class="bar" style="background:linear-gradient(to right,'
        f'{stops})"></div><div class="ends"><span>{_esc(_number(legend.low))}{units}</span>'
        f"<span>{_esc(_number(legend.high))}{units}</span></div></div>"
    )


_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def _cell(text: str) -> str:
    """Render a table cell; a ``#RRGGBB`` colour gets a swatch before it."""
    swatch = ""
    if _HEX_COLOUR.fullmatch(text):
        swatch = f'<span class="swatch" style="background:{text}"></span>'
    return f"<td>{swatch}{_esc(text)}</td>"


def _fact_table(table: FactTable) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in table.header)
    rows = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    return (
        f'<table class="facts" data-table="{_esc(table.name)}"><caption>{_esc(table.name)}'
        f"</caption><tr>{head}</tr>{rows}</table>"
    )


def _node_link(path: str, ids: dict[str, str]) -> str:
    """Link a heading to its node in the hierarchy tree (nothing for a node not in it)."""
    return f' <a href="#{ids[path]}">/{_esc(path)}</a>' if path in ids else ""


def _facts(facts: Sequence[NodeFacts], ids: dict[str, str]) -> str:
    if not facts:
        return ""
    sections = []
    for f in facts:
        link = _node_link(f.path, ids)
        lines = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in f.lines)
        listed = f'<dl class="facts">{lines}</dl>' if lines else ""
        tables = "".join(_fact_table(t) for t in f.tables)
        sections.append(
            f'<section class="node-facts" data-path="{_esc(f.path)}"><h3>{_esc(f.title)}{link}'
            f"</h3>{listed}{tables}</section>"
        )
    return f'<h2>Metadata</h2><div id="metadata">{"".join(sections)}</div>'


def _thumbnails(thumbnails: Sequence[Thumbnail], ids: dict[str, str], view: str = "") -> str:
    if not thumbnails:
        return "<p>No multiscale levels to show.</p>"
    # data-image: the viewer serves this page at /report with a link to each picture's image
    hint = f'<p class="view-hint">Pan, zoom, read values: <code>{_esc(view)}</code></p>'
    figures = []
    for t in thumbnails:
        data = base64.b64encode(t.png).decode("ascii")
        link = _node_link(t.path, ids)

        lines = "".join(f"<br>{_esc(line)}" for line in t.caption)
        figures.append(
            f'<figure data-image="{_esc(t.path)}"><img class="thumbnail" alt="{_esc(t.title)}" '
            f'src="data:image/png;base64,{data}"><figcaption><b>{_esc(t.title)}</b>{link}'
            f"{lines}{_legend(t.legend)}</figcaption></figure>"
        )
    return f'{hint * bool(view)}<div class="thumbs" id="levels">{"".join(figures)}</div>'


def render_html(
    *,
    title: str,
    hierarchy: Hierarchy | None,
    report: Report,
    detect: Detect,
    thumbnails: Sequence[Thumbnail] = (),
    facts: Sequence[NodeFacts] = (),
    view: str = "",
) -> str:
    """Render the page.

    Parameters
    ----------
    title
        The page's heading (the target, usually).
    hierarchy
        What the store holds; ``None`` when it could not be read.
    report
        The validation report (its issues are linked to the tree).
    detect
        Labels each node with the conventions it follows.
    thumbnails
        Pictures of the multiscale levels.
    facts
        What the convention's metadata means, node by node (a "Metadata" section).
    view
        The command that shows the target in the viewer (``"ngff view TARGET"``), said above
        the pictures; ``""``: nothing said.

    Returns
    -------
    str
        The HTML document.
    """
    what = " ".join(p for p in (report.convention, report.version, report.node_type) if p)
    n_err, n_warn = len(report.errors), len(report.warnings)
    ids = _node_ids(hierarchy) if hierarchy is not None else {}
    tree = (
        _tree(hierarchy, detect, report.issues)
        if hierarchy is not None
        else "<p>The target could not be read.</p>"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{_esc(title)}</h1>"
        f"<p>{_verdict(report)} {_esc(what)} — {n_err} error{'s' * (n_err != 1)}, "
        f"{n_warn} warning{'s' * (n_warn != 1)}</p>"
        f"<h2>Issues</h2>{_issue_rows(report.issues, ids)}"
        f"<h2>Levels</h2>{_thumbnails(thumbnails, ids, view)}"
        f"{_facts(facts, ids)}"
        f"<h2>Tree</h2>{tree}"
        "</body></html>\n"
    )


def report_page(
    target: str | os.PathLike[str],
    check: Check,
    *,
    discover: Discover,
    detect: Detect,
    thumbnails: MakeThumbnails,
    storage_options: dict[str, Any] | None = None,
    describe: Describe | None = None,
    view: str = "",
) -> tuple[str, Report]:
    """Validate a target and render its page: what ``ngff report`` and ``geozarr report`` do.

    Parameters
    ----------
    target
        A store path or URL, or a JSON document (no thumbnails then).
    check
        The convention's checks.
    discover
        Names the children a node refers to, for stores that cannot be listed.
    detect
        Labels each node with the conventions it follows.
    thumbnails
        The convention's pictures.
    storage_options
        Options for remote stores.
    describe
        States what the convention's metadata means (the page's "Metadata" section).
    view
        The convention's view command (``"ngff view"``): the page says how to show the
        target in the viewer.

    Returns
    -------
    tuple of (str, Report)
        The page, and the report it shows.
    """
    parts = ReportParts(discover, detect, thumbnails, describe, view)
    return parts.page(target, check, storage_options)


Checking = Callable[
    [str | os.PathLike[str], dict[str, Any] | None, bool], AbstractContextManager[Check]
]
"""Opens a convention's checks for ``(target, storage_options, strict)``, for a ``with`` block.

The checks are used inside the block only: they may read the target while it is open (GeoZarr
reads coordinate values) and close what they opened on leaving.
"""


@dataclass(frozen=True)
class ReportParts:
    """What a convention puts on its report page besides the checks, declared once.

    Parameters
    ----------
    discover, detect, thumbnails, describe, view
        As :func:`report_page` takes them.
    checking
        How the convention checks a target (see :data:`Checking`); what
        :meth:`build_report` runs.
    """

    discover: Discover
    detect: Detect
    thumbnails: MakeThumbnails
    describe: Describe | None = None
    view: str = ""
    checking: Checking | None = field(default=None, kw_only=True)

    def build_report(
        self,
        target: str | os.PathLike[str],
        *,
        strict: bool = False,
        storage_options: dict[str, Any] | None = None,
    ) -> tuple[str, Report]:
        """Validate a target with the convention's checks and render its page.

        This is the convention's :class:`~ngff_geozarr.core.convention.BuildReport`, which
        documents the arguments and the result: each convention's ``build_report`` is this
        method of its parts, the checks opened by ``checking`` for the target.

        Raises
        ------
        TypeError
            When these parts were made without ``checking`` (a programming error).
        """
        if self.checking is None:
            raise TypeError("ReportParts.build_report needs the parts' checking.")
        with self.checking(target, storage_options, strict) as check:
            return self.page(target, check, storage_options)

    def page(
        self,
        target: str | os.PathLike[str],
        check: Check,
        storage_options: dict[str, Any] | None = None,
    ) -> tuple[str, Report]:
        """Validate a target with ``check`` and render its page with these parts.

        Parameters
        ----------
        target, check, storage_options
            As :func:`report_page` takes them.

        Returns
        -------
        tuple of (str, Report)
            The page and its report, as :func:`report_page` returns them.
        """
        hierarchy, report = read_and_check(
            target, check, discover=self.discover, storage_options=storage_options
        )
        pictures: Sequence[Thumbnail] = ()
        if hierarchy is not None and hierarchy.source == "store":
            try:
                with open_store(os.fspath(target), storage_options=storage_options) as store:
                    pictures = self.thumbnails(hierarchy, store)
            except NgffGeozarrError:
                pictures = ()
        describe = self.describe
        facts = describe(hierarchy) if describe is not None and hierarchy is not None else ()
        page = render_html(
            title=os.fspath(target),
            hierarchy=hierarchy,
            report=report,
            detect=self.detect,
            thumbnails=pictures,
            facts=facts,
            view=f"{self.view} {shlex.quote(os.fspath(target))}" if self.view else "",
        )
        return page, report
