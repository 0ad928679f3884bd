"""Benchmark: read a ~2,000-node Zarr hierarchy over HTTP with added latency per request.

The hierarchy reader (:func:`ngff_geozarr.core.hierarchy.read_hierarchy`) reads a whole
hierarchy either from consolidated metadata (one document) or level by level (list every
group of a level, then fetch every child's metadata concurrently). This script builds the
same metadata-only hierarchy four times -- Zarr format 3 and 2, each with and without
consolidated metadata -- serves each from a local HTTP server that waits ``--latency``
seconds before answering every request (:func:`ngff_geozarr.core.testing.serve_directory`),
and prints the wall time and the number of requests of one full read. For comparison it also
walks the unconsolidated format 3 hierarchy with zarr-python's own
``Group.members(max_depth=None)`` over the same server (the peer baseline).

The hierarchy is a root group holding groups, each holding 10 subgroups of 9 small arrays:
depth 3, 101 nodes per top-level group, as many top-level groups as come closest to
``--nodes`` (20 for the default 2,000, giving 2,021 nodes). No chunk is written: only the
metadata documents, which is all a hierarchy read looks at.

The server runs in a child process (``served.py``, beside this script), a new
one for every read, so that it neither shares the interpreter lock with the reader nor keeps
connections from one read to the next. (The server itself is configured like an object
store's front end: a listen backlog of 1024 and ``TCP_NODELAY``; with http.server's defaults a
burst of connections stalls on dropped SYNs and responses wait for delayed ACKs.)

The table gives, per case: the nodes read (root included), the requests the server
received, the wall time of the read (opening the store included), the wall time in units of
the added latency (an estimate of the sequential round trips, CPU time included), and the
most requests the server was handling at one time.

Run it from the repository root::

    .venv/bin/python benchmarks/hierarchy_load.py [--nodes N] [--latency S] [--repeat R]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.storage import FsspecStore

from ngff_geozarr.core.hierarchy import read_hierarchy
from ngff_geozarr.core.store import open_store

sys.path.insert(0, str(Path(__file__).parent))
from served import Server

SUBGROUPS = 10
"""Subgroups in each top-level group."""
ARRAYS = 9
"""Arrays in each subgroup."""
PER_GROUP = 1 + SUBGROUPS * (1 + ARRAYS)
"""Nodes under (and including) one top-level group."""
DEPTH = 3
"""Levels below the root: top-level groups, subgroups, arrays."""


@dataclass(frozen=True)
class Layout:
    """The shape of the benchmark hierarchy.

    Parameters
    ----------
    groups
        Top-level groups under the root.
    """

    groups: int

    @classmethod
    def for_nodes(cls, nodes: int) -> Layout:
        """Return the layout whose node count comes closest to ``nodes``.

        Parameters
        ----------
        nodes
            The wanted node count.

        Returns
        -------
        Layout
            At least one top-level group.
        """
        return cls(max(1, round((nodes - 1) / PER_GROUP)))

    @property
    def nodes(self) -> int:
        """The node count, root included."""
        return 1 + self.groups * PER_GROUP

    def paths(self) -> Iterator[tuple[str, str]]:
        """Yield ``(path, node_type)`` for every node below the root, parents first.

        Yields
        ------
        tuple of (str, str)
            The node path and ``"group"`` or ``"array"``.
        """
        for g in range(self.groups):
            group = f"g{g:03d}"
            yield group, "group"
            for s in range(SUBGROUPS):
                sub = f"{group}/s{s:02d}"
                yield sub, "group"
                for a in range(ARRAYS):
                    yield f"{sub}/a{a}", "array"


@dataclass(frozen=True)
class Templates:
    """Metadata documents written by zarr-python, reused (with per-node attributes) for speed.

    Parameters
    ----------
    v3_group, v3_array
        ``zarr.json`` of a group and of a 2-D ``uint16`` array.
    v2_group, v2_array
        ``.zgroup`` and ``.zarray`` of the same nodes in format 2.
    """

    v3_group: dict[str, Any]
    v3_array: dict[str, Any]
    v2_group: dict[str, Any]
    v2_array: dict[str, Any]


def make_templates(scratch: Path) -> Templates:
    """Let zarr-python write one group and one tiny array in each format; read them back.

    Parameters
    ----------
    scratch
        A folder where the template stores are created.

    Returns
    -------
    Templates
        The parsed documents, without attributes.
    """
    data = np.zeros((4, 4), dtype="uint16")
    docs: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for fmt in (3, 2):
        root = scratch / f"template-v{fmt}"
        with open_store(root, "w-") as handle:
            handle.create_group("", zarr_format=fmt)
            handle.create_array("a", data, chunks=(4, 4), zarr_format=fmt)
        if fmt == 3:
            group = json.loads((root / "zarr.json").read_text())
            array = json.loads((root / "a" / "zarr.json").read_text())
        else:
            group = json.loads((root / ".zgroup").read_text())
            array = json.loads((root / "a" / ".zarray").read_text())
        group.pop("attributes", None)
        array.pop("attributes", None)
        docs[fmt] = (group, array)
    return Templates(docs[3][0], docs[3][1], docs[2][0], docs[2][1])


def _attributes(path: str, node_type: str) -> dict[str, Any]:
    """Give every node a few attributes of its own, as real hierarchies have."""
    if node_type == "group":
        return {"title": f"group {path or '/'}", "created_by": "hierarchy_load benchmark"}
    return {"long_name": f"variable {path}", "units": "1", "scale_factor": 1.0}


def _encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode()


def write_v3(root: Path, layout: Layout, templates: Templates, *, consolidated: bool) -> None:
    """Write the hierarchy's ``zarr.json`` documents (format 3), and no chunk.

    Parameters
    ----------
    root
        The new store's folder.
    layout
        The hierarchy's shape.
    templates
        The documents to copy.
    consolidated
        Whether the root ``zarr.json`` carries inline ``consolidated_metadata`` listing every
        node below the root.
    """
    members: dict[str, dict[str, Any]] = {}
    with open_store(root, "w-") as handle:
        for path, node_type in layout.paths():
            doc = dict(templates.v3_group if node_type == "group" else templates.v3_array)
            if node_type == "array":
                doc["dimension_names"] = ["y", "x"]
            doc["attributes"] = _attributes(path, node_type)
            members[path] = doc
            handle.write_bytes(f"{path}/zarr.json", _encode(doc))
        root_doc = {**templates.v3_group, "attributes": _attributes("", "group")}
        if consolidated:
            root_doc["consolidated_metadata"] = {
                "kind": "inline",
                "must_understand": False,
                "metadata": members,
            }
        handle.write_bytes("zarr.json", _encode(root_doc))


def write_v2(root: Path, layout: Layout, templates: Templates, *, consolidated: bool) -> None:
    """Write the hierarchy's ``.zgroup`` / ``.zarray`` and ``.zattrs`` (format 2), no chunk.

    Parameters
    ----------
    root
        The new store's folder.
    layout
        The hierarchy's shape.
    templates
        The documents to copy.
    consolidated
        Whether a root ``.zmetadata`` holds every document of the hierarchy.
    """
    entries: dict[str, dict[str, Any]] = {}
    nodes = [("", "group"), *layout.paths()]
    with open_store(root, "w-") as handle:
        for path, node_type in nodes:
            prefix = f"{path}/" if path else ""
            attributes = _attributes(path, node_type)
            if node_type == "group":
                documents = {".zgroup": templates.v2_group, ".zattrs": attributes}
            else:
                attributes["_ARRAY_DIMENSIONS"] = ["y", "x"]
                documents = {".zarray": templates.v2_array, ".zattrs": attributes}
            for name, doc in documents.items():
                entries[prefix + name] = doc
                handle.write_bytes(prefix + name, _encode(doc))
        if consolidated:
            zmetadata = {"zarr_consolidated_format": 1, "metadata": entries}
            handle.write_bytes(".zmetadata", _encode(zmetadata))


@dataclass(frozen=True)
class Result:
    """One measured case.

    Parameters
    ----------
    case
        What was read, and how.
    nodes
        Nodes found, root included.
    requests
        Requests the server received during the read.
    wall
        Wall time of the read, seconds.
    peak
        The most requests the server was handling at one time (-1 when unknown).
    note
        Anything worth flagging (issues reported, consolidated metadata not used...).
    """

    case: str
    nodes: int
    requests: int
    wall: float
    peak: int
    note: str = ""


Reader = Callable[[str], tuple[int, str]]
"""Reads the hierarchy at a URL; returns the node count and a note."""


def ours(expect_consolidated: bool) -> Reader:
    """Return a reader using :func:`read_hierarchy`, checking how it read the hierarchy.

    Parameters
    ----------
    expect_consolidated
        Whether the hierarchy should be read from consolidated metadata.

    Returns
    -------
    Reader
        The reader.
    """

    def read(url: str) -> tuple[int, str]:
        hierarchy = read_hierarchy(url)
        notes = []
        if hierarchy.consolidated != expect_consolidated:
            notes.append(f"consolidated={hierarchy.consolidated}!")
        if hierarchy.issues:
            notes.append(f"{len(hierarchy.issues)} issue(s): {hierarchy.issues[0].message}")
        return len(hierarchy), "; ".join(notes)

    return read


def zarr_members(url: str) -> tuple[int, str]:
    """Walk the hierarchy with zarr-python: ``Group.members(max_depth=None)``.

    Parameters
    ----------
    url
        The store's URL.

    Returns
    -------
    tuple of (int, str)
        The node count (root included) and an empty note.
    """
    store = FsspecStore.from_url(url, read_only=True)
    group = zarr.open_group(store=store, mode="r")
    return 1 + len(list(group.members(max_depth=None))), ""


def measure(case: str, root: Path, read: Reader, *, latency: float, repeat: int) -> Result:
    """Serve ``root`` and time ``read`` on it; keep the fastest of ``repeat`` fresh reads.

    Parameters
    ----------
    case
        The row's label.
    root
        The store's folder.
    read
        The reader.
    latency
        Seconds the server waits before answering each request.
    repeat
        How many reads to time.

    Returns
    -------
    Result
        The fastest read.
    """
    best: Result | None = None
    for _ in range(repeat):
        # A new server (and so a new URL) for every read: no connection or listing is reused.
        with Server(root, latency=latency) as server:
            server.clear()
            start = time.perf_counter()
            try:
                nodes, note = read(server.url)
            except Exception as exc:  # a failing peer is reported, not fatal
                nodes, note = 0, f"failed: {exc!r}"
            wall = time.perf_counter() - start
            requests, peak, _ = server.counts()
        result = Result(case, nodes, requests, wall, peak, note)
        if best is None or result.wall < best.wall:
            best = result
    assert best is not None
    return best


def table(results: list[Result], baseline: list[Result], latency: float) -> str:
    """Format the results as a plain-text table.

    Parameters
    ----------
    results
        The measured cases, with the added latency.
    baseline
        The same cases with no added latency: what the read costs in CPU and local I/O.
    latency
        The added latency per request, seconds.

    Returns
    -------
    str
        The table, one row per case. "round trips" is the time the latency added, in units
        of the latency: how many requests the read waited for one after another.
    """
    header = (
        "case",
        "nodes",
        "requests",
        "wall s",
        "wall s, no latency",
        "round trips",
        "peak in flight",
    )
    rows = [
        (
            r.case,
            str(r.nodes),
            str(r.requests),
            f"{r.wall:.3f}",
            f"{b.wall:.3f}",
            f"{max(r.wall - b.wall, 0.0) / latency:.1f}" if latency > 0 else "-",
            str(r.peak) if r.peak >= 0 else "-",
        )
        for r, b in zip(results, baseline, strict=True)
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))]
    out += [line(row) for row in rows]
    out += [f"  note ({r.case}): {r.note}" for r in results if r.note]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000, help="about how many nodes")
    parser.add_argument(
        "--latency", type=float, default=0.020, help="seconds added to every request"
    )
    parser.add_argument("--repeat", type=int, default=1, help="reads per case; the best is kept")
    args = parser.parse_args(argv)
    if args.nodes < 1 or args.latency < 0 or args.repeat < 1:
        parser.error("--nodes and --repeat must be positive, --latency not negative")

    layout = Layout.for_nodes(args.nodes)
    with tempfile.TemporaryDirectory(prefix="hierarchy-load-") as tmp:
        scratch = Path(tmp)
        start = time.perf_counter()
        templates = make_templates(scratch)
        v3, v3c, v2, v2c = (scratch / n for n in ("v3", "v3c", "v2", "v2c"))
        write_v3(v3, layout, templates, consolidated=False)
        write_v3(v3c, layout, templates, consolidated=True)
        write_v2(v2, layout, templates, consolidated=False)
        write_v2(v2c, layout, templates, consolidated=True)
        setup = time.perf_counter() - start

        cases: list[tuple[str, Path, Reader]] = [
            ("zarr v3, listed", v3, ours(False)),
            ("zarr v3, consolidated", v3c, ours(True)),
            ("zarr v2, listed", v2, ours(False)),
            ("zarr v2, consolidated", v2c, ours(True)),
            ("peer: zarr-python members(), v3 listed", v3, zarr_members),
        ]
        results = [
            measure(case, root, read, latency=args.latency, repeat=args.repeat)
            for case, root, read in cases
        ]
        baseline = [
            measure(case, root, read, latency=0.0, repeat=args.repeat) for case, root, read in cases
        ]

    server = "ngff_geozarr.core.testing.serve_directory"
    print(
        f"Hierarchy: {layout.nodes} nodes (root, {layout.groups} groups x {SUBGROUPS} "
        f"subgroups x {ARRAYS} arrays), depth {DEPTH} below the root; metadata only."
    )
    print(
        f"Server: {server}, own process, 127.0.0.1, {args.latency * 1000:g} ms added per "
        f"request. Best of {args.repeat} read(s) per case. Setup {setup:.1f} s."
    )
    print()
    print(table(results, baseline, args.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
