from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

from ngff.detection import detect
from ngff_geozarr.core.hierarchy import read_hierarchy
from ngff_geozarr.core.html import Thumbnail, render_html
from ngff_geozarr.core.report import Issue, Report
from ngff_geozarr.core.thumbnail import encode_png


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "img":
            self.images.append(str(a["src"]))
        if tag == "script":
            self.scripts += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_page_links_issues_to_nodes_and_embeds_decodable_images(
    samples: tuple[Path, Path],
) -> None:
    h = read_hierarchy(samples[0])
    hostile = "<script>alert(1)</script> & friends"
    report = Report(
        str(samples[0]),
        (
            Issue.error("demo.rule", "labels/cells", "/attributes/ome", hostile, "spec §1"),
            Issue.warning("demo.other", "", "", "root warning"),
        ),
        convention="ome-zarr",
        version="0.5",
        node_type="image",
    )
    png = encode_png(np.full((4, 6, 4), 200, dtype=np.uint8))
    page_html = render_html(
        title="cells",
        hierarchy=h,
        report=report,
        detect=detect,
        thumbnails=[Thumbnail("0", "cells, level 0", png, ("z = 8",))],
    )
    page = Page()
    page.feed(page_html)
    assert page.scripts == 0
    assert hostile in "".join(page.text)
    assert "<script>alert" not in page_html
    # Every link points at an element of the page: nothing is fetched from elsewhere.
    assert page.links
    for link in page.links:
        assert link.startswith("#")
        assert link[1:] in page.ids
    assert {"issues", "tree", "levels"} <= page.ids
    (src,) = page.images
    assert src.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as image:
        assert image.size == (6, 4)
    text = "".join(page.text)
    assert "INVALID" in text
    assert "1 error, 1 warning" in text
    assert "OME-Zarr 0.5 label image" in text


def test_page_of_an_unreadable_target() -> None:
    report = Report.unreadable("missing.zarr", "missing.zarr: no such file or directory.")
    page_html = render_html(title="missing.zarr", hierarchy=None, report=report, detect=detect)
    assert "UNREADABLE" in page_html
    assert "no such file or directory" in page_html


def test_page_shows_facts_tables_swatches_and_a_colour_bar() -> None:
    from ngff_geozarr.core.hierarchy import Hierarchy, Node
    from ngff_geozarr.core.html import Legend
    from ngff_geozarr.core.info import FactTable, NodeFacts

    root = Node("", "group", 3, {}, {"node_type": "group"})
    h = Hierarchy(target="t", nodes={"": root}, zarr_format=3)
    hostile = "<b>bold</b>"
    facts = NodeFacts(
        "",
        f"image {hostile}",
        (("name", hostile),),
        (
            FactTable("axes", ("name", "unit"), (("y", "micrometer"),)),
            FactTable("channels", ("label", "colour"), (("GFP", "#00FF00"), ("x", "00FF00"))),
        ),
    )
    png = encode_png(np.zeros((2, 2, 4), dtype=np.uint8))
    legend = Legend(271.5, 305.25, "K", ((0, 0, 0), (255, 255, 255)))
    page_html = render_html(
        title="t",
        hierarchy=h,
        report=Report("t", ()),
        detect=detect,
        thumbnails=[Thumbnail("", "sst", png, (), legend)],
        facts=[facts],
    )
    assert "<b>bold</b>" not in page_html
    assert 'data-table="axes"' in page_html
    assert "<td>micrometer</td>" in page_html
    # A #RRGGBB cell gets a swatch of its colour; other text does not.
    assert page_html.count('class="swatch"') == 1
    assert 'style="background:#00FF00"' in page_html
    assert "linear-gradient(to right,rgb(0,0,0),rgb(255,255,255))" in page_html
    assert "<span>271.5 K</span><span>305.2 K</span>" in page_html
    page = Page()
    page.feed(page_html)
    assert "metadata" in page.ids
    bare = render_html(title="t", hierarchy=h, report=Report("t", ()), detect=detect)
    assert "Metadata" not in bare
    assert 'class="legend"' not in bare
