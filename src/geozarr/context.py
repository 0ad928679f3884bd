"""What every GeoZarr rule needs: the hierarchy, a place to put issues, and node helpers.

A :class:`CheckContext` is built once per validation; rules (one function each, in
``geozarr.conventions.checks``, ``geozarr.cf.checks`` and ``geozarr.legacy.checks``) read
nodes through it and add issues to it, so that every issue of a run is collected in one pass.
The severity of every issue comes from the rule's declaration in :mod:`geozarr.rules` and the
profile (``strict`` turns SHOULDs into errors), in the one place OME-Zarr's context uses too
(:class:`~ngff_geozarr.core.checking.RuleContext`); an undeclared rule id raises (a programming
error the test suite catches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from geozarr.conventions.registry import ConventionMetadata, KnownConvention, identify
from geozarr.rules import REGISTRY
from ngff_geozarr.core.checking import RuleContext
from ngff_geozarr.core.hierarchy import ARRAY_DIMENSIONS, Hierarchy, Node
from ngff_geozarr.core.report import Issue, Severity, json_pointer
from ngff_geozarr.core.rules import RuleRegistry

__all__ = [
    "CheckContext",
    "ReadValues",
    "Values",
    "as_float_array",
    "dimensions_pointer",
    "shape_of",
]

Values = npt.NDArray[Any] | str
"""The values of a small 1-D array, or why they were not read (one sentence)."""
ReadValues = Callable[[Node], Values]
"""Reads the values of a small 1-D array (see :mod:`geozarr.coordinates`)."""


@dataclass
class CheckContext(RuleContext):
    """The state of one validation run.

    Parameters
    ----------
    hierarchy
        The hierarchy being checked.
    read_values
        Reads a small 1-D array's values; ``None`` when the data is not at hand (a JSON
        document was validated).
    issues
        The issues found so far.
    strict
        Whether the strict profile applies: SHOULD rules report errors instead of warnings.
    """

    registry: ClassVar[RuleRegistry] = REGISTRY
    hierarchy: Hierarchy
    read_values: ReadValues | None = None
    issues: list[Issue] = field(default_factory=list)
    strict: bool = False
    _declared: dict[str, dict[str, tuple[int, KnownConvention]]] = field(
        default_factory=dict, repr=False
    )
    _values: dict[str, Values] = field(default_factory=dict, repr=False)

    @property
    def complete(self) -> bool:
        """Whether the hierarchy holds the whole tree (a store, or a multi-node document)."""
        return self.hierarchy.source == "store" or len(self.hierarchy) > 1

    def add(
        self,
        severity: Severity,
        rule: str,
        node: Node,
        pointer: tuple[str | int, ...],
        message: str,
        reference: str,
    ) -> None:
        """Record one issue, with the severity its rule has under this run's profile.

        Parameters
        ----------
        severity
            What the check says: error (the rule's MUST clause) or warning (its weaker
            clause, a SHOULD or advice). The rule's declaration and the profile decide the
            issue's severity.
        rule
            The rule id.
        node
            The node the issue is about.
        pointer
            Reference tokens into the node's document (``("attributes", "proj:code")``).
        message
            What is wrong.
        reference
            The convention and clause (``"spatial: v0.1 §spatial:bbox"``).
        """
        self.record(severity, rule, node.path, json_pointer(*pointer), message, reference)

    def extend(self, issues: list[Issue], reference: str) -> None:
        """Record issues made elsewhere (by ``parse_model``), naming their clause: :meth:`adopt`."""
        self.adopt(issues, reference)

    # -- navigation ---------------------------------------------------------------------

    def parent(self, node: Node) -> Node | None:
        """Return the node's parent group, if the hierarchy holds it.

        Parameters
        ----------
        node
            A node of the hierarchy (the root has no parent).

        Returns
        -------
        Node or None
            The parent.
        """
        return None if node.parent is None else self.hierarchy.nodes.get(node.parent)

    def lookup(self, base: Node, name: str) -> Node | None:
        """Find a variable by name the CF way: in the node's group, then up the ancestors.

        Parameters
        ----------
        base
            The array whose attribute names the variable.
        name
            The variable's name or a path relative to the group (CF-1.11 §2.7).

        Returns
        -------
        Node or None
            The variable, if it exists.
        """
        group = base.parent
        while group is not None:
            candidate = self.hierarchy.nodes.get(f"{group}/{name}" if group else name)
            if candidate is not None:
                return candidate
            group = None if group == "" else group.rpartition("/")[0]
        return None

    def declared(self, node: Node) -> dict[str, tuple[int, KnownConvention]]:
        """Return the known conventions a node declares, by key, with their index.

        Parameters
        ----------
        node
            The node whose ``zarr_conventions`` attribute is read (once per run).

        Returns
        -------
        dict
            ``{"proj": (index in zarr_conventions, KnownConvention), ...}``.
        """
        cached = self._declared.get(node.path)
        if cached is not None:
            return cached
        found: dict[str, tuple[int, KnownConvention]] = {}
        entries = node.attributes.get("zarr_conventions")
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                if not isinstance(entry, Mapping):
                    continue
                try:
                    cmo = ConventionMetadata.model_validate(entry)
                except ValueError:
                    continue
                known = identify(cmo)
                if known is not None:
                    found.setdefault(known.key, (i, known))
        self._declared[node.path] = found
        return found

    def applies(self, node: Node, key: str) -> bool:
        """Tell whether a convention applies to a node.

        It does when declared on the node or, for an array, on its parent group (proj: and
        spatial: §Inheritance: a group's declaration applies to its direct child arrays).

        Parameters
        ----------
        node
            A node.
        key
            The convention's key.

        Returns
        -------
        bool
            Whether it applies.
        """
        if key in self.declared(node):
            return True
        parent = self.parent(node)
        return node.node_type == "array" and parent is not None and key in self.declared(parent)

    def values(self, node: Node) -> Values:
        """Return a small 1-D array's values (read once per run), or why they are not at hand.

        Parameters
        ----------
        node
            A 1-D array.

        Returns
        -------
        numpy.ndarray or str
            The values, or one sentence saying why they were not read.
        """
        if node.path not in self._values:
            if self.read_values is None:
                self._values[node.path] = "the data is not at hand (a JSON document)"
            else:
                self._values[node.path] = self.read_values(node)
        return self._values[node.path]


def dimensions_pointer(node: Node, *index: int) -> tuple[str | int, ...]:
    """Locate an array's dimension names for an issue: where :meth:`Node.dimension_names` read them.

    Parameters
    ----------
    node
        An array node.
    *index
        The position of one name, to point at it rather than at the list.

    Returns
    -------
    tuple
        ``("dimension_names", *index)`` when the Zarr v3 metadata has the list, else
        ``("attributes", "_ARRAY_DIMENSIONS", *index)``.
    """
    if isinstance(node.metadata.get("dimension_names"), list):
        return ("dimension_names", *index)
    return ("attributes", ARRAY_DIMENSIONS, *index)


def shape_of(node: Node) -> tuple[int, ...] | None:
    """Return an array node's shape, or ``None`` when its metadata did not parse.

    Parameters
    ----------
    node
        Any node (a group has no shape).

    Returns
    -------
    tuple of int or None
        The shape.
    """
    return None if node.array is None else tuple(node.array.shape)


def as_float_array(values: Any) -> npt.NDArray[np.float64]:
    """Return values as a float64 array (a helper for numeric comparisons).

    Parameters
    ----------
    values
        Numbers.

    Returns
    -------
    numpy.ndarray
        The values as float64.
    """
    return np.asarray(values, dtype=np.float64)
