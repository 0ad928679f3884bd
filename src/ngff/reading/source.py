"""The store an opened OME-Zarr object reads from: its metadata, once, and its arrays, lazily.

:class:`StoreSource` holds what every opened object shares: the store (through the store
layer, so local, zip, ``http(s)://`` and ``s3://`` targets all read the same way), the
hierarchy's metadata read once (consolidated where present), and the OME-Zarr version. It
parses a node's OME sections with that version's models and builds dask arrays whose chunks
are read only when computed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from ngff.common.ome import VersionRules
from ngff.detection import ome_attributes
from ngff.v04.ome import RULES as RULES_04
from ngff.v05.ome import RULES as RULES_05
from ngff.v06.ome import RULES as RULES_06
from ngff.versions import SpecVersion
from ngff_geozarr.core.errors import NgffGeozarrError, UnsafePathError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.store import StoreHandle, join_key

if TYPE_CHECKING:
    import dask.array

__all__ = ["RULES", "ChildNodes", "OpenedNode", "ReadError", "StoreSource", "import_dask"]

RULES: Mapping[SpecVersion, VersionRules] = {"0.4": RULES_04, "0.5": RULES_05, "0.6": RULES_06}
"""Each version's section models."""

_M = TypeVar("_M", bound=BaseModel)


class ReadError(NgffGeozarrError, ValueError):
    """An OME-Zarr object cannot be read as asked: its metadata is missing or broken.

    The message is one line that names the target, the node and what is wrong. A target
    that cannot be opened at all raises the store layer's
    :class:`~ngff_geozarr.core.errors.TargetError` instead; both derive from
    :class:`~ngff_geozarr.core.errors.NgffGeozarrError`.
    """


def import_dask() -> Any:
    """Import ``dask.array``, or say which extra provides it.

    Returns
    -------
    module
        ``dask.array``.

    Raises
    ------
    ImportError
        When dask is not installed, with a message naming the ``dask`` extra.
    """
    try:
        import dask.array as da
    except ImportError as exc:
        raise ImportError(
            "Reading OME-Zarr levels as lazy arrays needs dask: install ngff-geozarr[dask] "
            "(or dask[array])."
        ) from exc
    return da


class _LevelArray:
    """What ``dask.array.from_array`` needs of an array: shape, dtype and region reads."""

    def __init__(self, io: Any) -> None:
        self.io = io
        self.shape: tuple[int, ...] = io.shape
        self.dtype = io.dtype
        self.ndim = len(io.shape)

    def __getitem__(self, region: Any) -> Any:
        return self.io.read(tuple(region) if isinstance(region, tuple) else (region,))


@dataclass(eq=False)
class StoreSource:
    """An opened store, its hierarchy's metadata and the OME-Zarr version read from it.

    Parameters
    ----------
    handle
        The opened store (kept open while arrays built from it may be computed).
    hierarchy
        The metadata of every node, read once.
    version
        The OME-Zarr version of the hierarchy (that of the opened node).
    """

    handle: StoreHandle
    hierarchy: Hierarchy
    version: SpecVersion
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def target(self) -> str:
        """The target as the user named it."""
        return self.hierarchy.target

    @property
    def rules(self) -> VersionRules:
        """The section models of :attr:`version`."""
        return RULES[self.version]

    def fail(self, path: str, message: str) -> ReadError:
        """Build the error for a node that cannot be read, on one line.

        Parameters
        ----------
        path
            The node's path (``""`` for the root).
        message
            What is wrong.

        Returns
        -------
        ReadError
            The error, to raise.
        """
        where = f"/{path}" if path else " (root)"
        return ReadError(" ".join(f"{self.target}{where}: {message}".split()))

    def node(self, path: str, what: str) -> Node:
        """Return the node at ``path``, or fail saying it is missing.

        Parameters
        ----------
        path
            The node's path.
        what
            What the node was expected to be, for the message.

        Returns
        -------
        Node
            The node.
        """
        node = self.hierarchy.get(path)
        if node is None:
            problem = next(
                (
                    i.message
                    for i in self.hierarchy.issues
                    if i.path == path and i.severity is Severity.ERROR
                ),
                None,
            )
            detail = f" ({problem})" if problem else ""
            raise self.fail(path, f"expected {what} here; found no Zarr node{detail}.")
        return node

    def ome(self, path: str, what: str) -> Mapping[str, Any]:
        """Return the OME metadata of the node at ``path`` (``ome`` in 0.5+, else attributes).

        The node is found as :meth:`node` finds it (``what`` names it in the message).
        """
        ome, _ = ome_attributes(self.node(path, what).attributes)
        return ome

    def section(self, path: str, key: str, what: str) -> Any:
        """Return one OME section of the node at ``path``, or fail saying it is missing.

        Parameters
        ----------
        path
            The node's path.
        key
            The section's key (``"well"``, ``"plate"``, ``"labels"``, ...).
        what
            What the node was expected to be, for the message.

        Returns
        -------
        object
            The section's JSON value (not parsed).
        """
        ome = self.ome(path, what)
        if key not in ome:
            raise self.fail(path, f"expected {what}; {key!r} is missing.")
        return ome[key]

    def parse(self, model: type[_M], data: Any, path: str, key: str) -> _M:
        """Parse one OME section with its model; unknown keys are ignored, errors fail.

        Parameters
        ----------
        model
            The section's model.
        data
            The section's JSON value.
        path
            The node's path.
        key
            The section's key, for the message.

        Returns
        -------
        model instance
            The parsed section.
        """
        parsed, issues = parse_model(model, data, path=path, rule="ngff.schema")
        if parsed is None:
            first = next(i for i in issues if i.severity is Severity.ERROR)
            at = f" at {key}{first.pointer}" if first.pointer else f" in {key}"
            raise self.fail(path, f"cannot read the OME-Zarr metadata{at}: {first.message}")
        return parsed

    def parse_section(self, model: type[_M], path: str, key: str, what: str) -> _M:
        """Parse the OME section ``key`` of the node at ``path``; fail when it is missing.

        :meth:`section` then :meth:`parse`: ``what`` names the node in the message.
        """
        return self.parse(model, self.section(path, key, what), path, key)

    def child(self, parent: str, ref: str) -> str:
        """Join a reference found in metadata to its node's path, refusing unsafe ones.

        Parameters
        ----------
        parent
            The node that holds the reference.
        ref
            The relative path it names.

        Returns
        -------
        str
            The child's path in the store.
        """
        try:
            return join_key(parent, ref)
        except UnsafePathError:
            raise self.fail(parent, f"refusing the path {ref!r}: it leaves the store.") from None

    def lazy(self, path: str) -> dask.array.Array:
        """Return the array at ``path`` as a dask array; no chunk is read until computed.

        The dask array is chunked as the array's stored chunks (the inner chunks when
        sharded); one dask array per path, so equal reads share one graph.
        """
        if path not in self._arrays:  # one dask array per path: equal graphs, same name
            da = import_dask()
            io = self.handle.open_array(path)
            from dask.base import tokenize

            self._arrays[path] = da.from_array(
                _LevelArray(io),
                chunks=io.chunks,
                name=f"ngff-{tokenize(self.target, path, io.shape, str(io.dtype))}",
                lock=False,
                asarray=False,
                meta=_empty(io),
            )
        array: dask.array.Array = self._arrays[path]
        return array


class OpenedNode:
    """What every opened OME-Zarr object has: where it is, its version, and its store.

    The store stays open while the object's levels may be computed: close it with
    :meth:`close` (or use the object as a context manager) when done. Objects reached from
    one :func:`~ngff.reading.open` share the store; closing one closes it for all.

    Parameters
    ----------
    source
        The store and its metadata.
    path
        The node's path in the store (``""`` for the opened target itself).
    """

    kind: str = "node"
    """What the node is: ``"image"``, ``"labels"``, ``"plate"``, ``"well"`` or
    ``"collection"``."""

    def __init__(self, source: StoreSource, path: str) -> None:
        self.source = source
        self.path = path

    @property
    def version(self) -> SpecVersion:
        """The OME-Zarr version: ``"0.4"``, ``"0.5"`` or ``"0.6"``."""
        return self.source.version

    @property
    def target(self) -> str:
        """The target that was opened."""
        return self.source.target

    def close(self) -> None:
        """Release the store (closes a zip file; a no-op for directories and URLs)."""
        self.source.handle.close()

    def __enter__(self: _N) -> _N:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.version} {self.target!r} {self.path!r}>"


_N = TypeVar("_N", bound=OpenedNode)


_C = TypeVar("_C", bound=OpenedNode)


class ChildNodes(OpenedNode, Generic[_C]):
    """An opened group as a mapping from the relative paths its metadata lists to its children.

    Each child is opened on first access (no array is read).

    Parameters
    ----------
    source
        The store and its metadata.
    path
        The group's path.
    refs
        The children's paths relative to the group, in the order the metadata lists them.
    """

    _child: type[_C]
    """The class each child is opened as."""

    def __init__(self, source: StoreSource, path: str, refs: Sequence[str]) -> None:
        super().__init__(source, path)
        self._refs = tuple(refs)
        self._opened: dict[str, _C] = {}

    def __getitem__(self, ref: str) -> _C:
        if ref not in self._refs:
            raise KeyError(ref)
        if ref not in self._opened:
            self._opened[ref] = self._child(self.source, self.source.child(self.path, ref))
        return self._opened[ref]

    def __iter__(self) -> Iterator[str]:
        return iter(self._refs)

    def __len__(self) -> int:
        return len(self._refs)

    def __contains__(self, ref: object) -> bool:
        return ref in self._refs

    @property
    def children(self) -> tuple[_C, ...]:
        """Every child, opened, in the order the metadata lists them."""
        return tuple(self[ref] for ref in self)


def _empty(io: Any) -> Any:
    import numpy as np

    return np.empty((0,) * len(io.shape), dtype=io.dtype)
