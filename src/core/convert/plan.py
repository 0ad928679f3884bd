"""A conversion planned before anything is written: document writes, deletes, chunk renames.

Both conventions' converters (OME-Zarr versions, GeoZarr's Zarr formats) compute a
:class:`Plan` from the hierarchy they read, then hand it to
:mod:`ngff_geozarr.core.convert.apply`, which writes it into a new store or applies it in
place under a journal. A plan holds whole documents (bytes), never chunk data: chunks are
copied byte for byte (``--out``) or left where they are (in place); only their keys change,
where a Zarr v3 array with the ``default`` chunk key encoding becomes a Zarr v2 one.

:func:`format_change` is the part every Zarr v2 <-> v3 conversion shares: which documents
each node gets in the new format, in which order (arrays, then groups from the deepest up,
the root last), and which old documents go.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.store import ZarrFormat, join_key
from ngff_geozarr.core.zarr_format import V2_DOCUMENTS, v2_chunk_key

__all__ = [
    "ArrayToV2",
    "ArrayToV3",
    "Plan",
    "depth_order",
    "dump",
    "format_change",
    "same_format",
]

ArrayToV3 = Callable[[Node], dict[str, Any]]
"""A convention's ``zarr.json`` for a Zarr v2 array node (its attributes converted)."""
ArrayToV2 = Callable[[Node], tuple[dict[str, Any], dict[str, Any]]]
"""A convention's ``.zarray`` and ``.zattrs`` for a Zarr v3 array node."""


@dataclass(frozen=True)
class Plan:
    """Every change a conversion makes, computed before the first byte is written.

    Parameters
    ----------
    writes
        Metadata documents to write, as (key, bytes), in order: arrays first, then groups
        from the deepest up, the root last.
    deletes
        Old metadata documents to remove once every new one is written (in place only).
    renames
        Arrays whose chunk keys change, by path, with the Zarr v2 separator their chunks get
        (a Zarr v3 ``default`` encoding, ``c/0/1``, becomes ``0.1`` or ``0/1``).
    """

    writes: tuple[tuple[str, bytes], ...] = ()
    deletes: tuple[str, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)

    def chunk_key(self, key: str) -> str:
        """Return the key a chunk gets in the converted store.

        Parameters
        ----------
        key
            A chunk's key in the source.

        Returns
        -------
        str
            The same key, or its Zarr v2 form when its array is renamed.

        Examples
        --------
        >>> Plan(renames={"0": "."}).chunk_key("0/c/1/2"), Plan().chunk_key("0/c/1/2")
        ('0/1.2', '0/c/1/2')
        """
        parts = key.split("/")
        for i in range(len(parts) - 1, -1, -1):
            array = "/".join(parts[:i])
            if array in self.renames:
                return v2_chunk_key(array, key, self.renames[array])
        return key


def dump(document: Any) -> bytes:
    """Serialise a metadata document the way converters write it (indented, UTF-8).

    Parameters
    ----------
    document
        A JSON value.

    Returns
    -------
    bytes
        The document, with a final newline.
    """
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def depth_order(nodes: Iterable[Node]) -> list[Node]:
    """Order nodes as a conversion writes them: arrays, then groups deepest first, root last.

    Parameters
    ----------
    nodes
        The hierarchy's nodes.

    Returns
    -------
    list of Node
        The same nodes, in writing order.
    """
    return sorted(
        nodes, key=lambda n: (n.node_type != "array", -n.path.count("/") - (n.path != ""))
    )


def same_format(hierarchy: Hierarchy, attributes: Mapping[str, Mapping[str, Any]]) -> Plan:
    """Plan new attributes for every node of a Zarr v3 hierarchy, its format unchanged.

    Parameters
    ----------
    hierarchy
        The hierarchy read.
    attributes
        Each node's new attributes, by path.

    Returns
    -------
    Plan
        One ``zarr.json`` per node (its metadata as read, the attributes replaced).
    """
    writes = tuple(
        (
            join_key(node.path, "zarr.json"),
            dump({**node.metadata, "attributes": attributes[node.path]}),
        )
        for node in depth_order(hierarchy.values())
    )
    return Plan(writes=writes)


def format_change(
    hierarchy: Hierarchy,
    zarr_format: ZarrFormat,
    *,
    attributes: Mapping[str, Mapping[str, Any]],
    array_to_v3: ArrayToV3,
    array_to_v2: ArrayToV2,
) -> Plan:
    """Plan a hierarchy's move to the other Zarr format.

    Parameters
    ----------
    hierarchy
        The hierarchy read (in the other format).
    zarr_format
        The format to write, 2 or 3.
    attributes
        Each group's new attributes, by path (arrays' come from the callables).
    array_to_v3, array_to_v2
        The convention's array documents (see :data:`ArrayToV3`, :data:`ArrayToV2`).

    Returns
    -------
    Plan
        The new documents, the old ones to delete, and the arrays whose chunk keys change
        (a Zarr v3 array with the ``default`` encoding going to Zarr v2).

    Raises
    ------
    ZarrFormatError
        From the callables, when an array has no equivalent in the other format.
    """
    writes: list[tuple[str, bytes]] = []
    deletes: list[str] = []
    renames: dict[str, str] = {}
    for node in depth_order(hierarchy.values()):
        if zarr_format == 3:
            if node.node_type == "array":
                doc = array_to_v3(node)
            else:
                doc = {"zarr_format": 3, "node_type": "group", "attributes": attributes[node.path]}
            writes.append((join_key(node.path, "zarr.json"), dump(doc)))
            deletes += [join_key(node.path, d) for d in V2_DOCUMENTS]
            continue
        if node.node_type == "array":
            zarray, attrs = array_to_v2(node)
            encoding = node.metadata.get("chunk_key_encoding") or {}
            if encoding.get("name") != "v2":
                renames[node.path] = str(zarray.get("dimension_separator") or "/")
            writes.append((join_key(node.path, ".zarray"), dump(zarray)))
        else:
            attrs = dict(attributes[node.path])
            writes.append((join_key(node.path, ".zgroup"), dump({"zarr_format": 2})))
        writes.append((join_key(node.path, ".zattrs"), dump(attrs)))
        deletes.append(join_key(node.path, "zarr.json"))
    return Plan(writes=tuple(writes), deletes=tuple(deletes), renames=renames)
