"""Reader profiles: one reader's checks over a hierarchy, and the checks any store needs.

See :mod:`ngff_geozarr.core.profiles`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ngff_geozarr.core.hierarchy import Hierarchy
from ngff_geozarr.core.report import Issue, Report
from ngff_geozarr.core.rules import RuleRegistry
from ngff_geozarr.core.validation import Check

__all__ = [
    "XARRAY",
    "Finding",
    "ReaderCheck",
    "ReaderProfile",
    "check_dimension_names",
    "check_dimension_sizes",
    "check_sharding",
    "reader_issues",
    "select_readers",
    "with_readers",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """What a reader check found: an issue before its severity is known.

    Parameters
    ----------
    rule
        The rule id (``reader.<reader>.<what>``).
    path
        The node's path in the store.
    pointer
        JSON pointer into the node's document.
    message
        What the reader will do and the fix.
    """

    rule: str
    path: str
    pointer: str
    message: str


class ReaderCheck(Protocol):
    """One requirement of a reader, checked over a whole hierarchy.

    Each check of a :class:`ReaderProfile` (``check_sharding``, :mod:`ngff.profiles`,
    :mod:`geozarr.profiles`, ...) is one; its docstring names the rule it finds.
    """

    def __call__(self, hierarchy: Hierarchy, /) -> Iterable[Finding]:
        """Return what the reader will not read as written.

        Parameters
        ----------
        hierarchy
            The hierarchy.

        Yields
        ------
        Finding
            One per place the requirement is not met, in the order of the hierarchy.
        """
        ...


@dataclass(frozen=True, slots=True)
class ReaderProfile:
    """One reader's requirements.

    Parameters
    ----------
    name
        The name ``--for`` takes (``"gdal-3.13"``); the rules' ids start with
        ``reader.<name>.``.
    title
        The name people read (``"GDAL 3.13"``).
    checks
        The checks, each over a whole hierarchy.
    """

    name: str
    title: str
    checks: tuple[ReaderCheck, ...]

    def findings(self, hierarchy: Hierarchy) -> Iterator[Finding]:
        """Run every check of the profile.

        Parameters
        ----------
        hierarchy
            The hierarchy read from a store.

        Yields
        ------
        Finding
            What the checks found, in check order.
        """
        for check in self.checks:
            yield from check(hierarchy)


def select_readers(
    names: Sequence[str], supported: Mapping[str, ReaderProfile]
) -> tuple[ReaderProfile, ...]:
    """Return the profiles named, in the order given, each once.

    Parameters
    ----------
    names
        Reader names; empty strings are skipped.
    supported
        The convention's profiles by name.

    Returns
    -------
    tuple of ReaderProfile
        The profiles.

    Raises
    ------
    ValueError
        When a name is not supported; the message lists those that are.
    """
    chosen: dict[str, ReaderProfile] = {}
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name not in supported:
            raise ValueError(f"Expected readers among {', '.join(supported)}. Got {name!r}.")
        chosen.setdefault(name, supported[name])
    return tuple(chosen.values())


def reader_issues(
    hierarchy: Hierarchy,
    profiles: Sequence[ReaderProfile],
    registry: RuleRegistry,
    strict: bool = False,
) -> tuple[Issue, ...]:
    """Run reader profiles over a hierarchy read from a store.

    Parameters
    ----------
    hierarchy
        The hierarchy.
    profiles
        The readers.
    registry
        The convention's registry (it declares the readers' rules).
    strict
        The strict profile (reader rules are ADVICE: warnings either way).

    Returns
    -------
    tuple of Issue
        One issue per finding, severity from the registry, the reader's source as reference.
    """
    issues = []
    for profile in profiles:
        for found in profile.findings(hierarchy):
            rule = registry.lookup(found.rule)
            issues.append(
                Issue(
                    registry.severity(found.rule, strict),
                    found.rule,
                    found.path,
                    found.pointer,
                    found.message,
                    rule.clause.section,
                )
            )
    return tuple(issues)


def with_readers(
    check: Check,
    profiles: Sequence[ReaderProfile],
    registry: RuleRegistry,
    strict: bool = False,
) -> Check:
    """Add reader profiles to a convention's checks.

    Parameters
    ----------
    check
        The convention's checks.
    profiles
        The readers (none: ``check`` itself is returned).
    registry, strict
        As for :func:`reader_issues`.

    Returns
    -------
    Check
        The checks, then the readers' findings; a hierarchy read from a JSON document has no
        arrays to judge and gets no reader findings.
    """
    if not profiles:
        return check

    def run(hierarchy: Hierarchy) -> Report:
        report = check(hierarchy)
        if hierarchy.source != "store":
            return report
        found = reader_issues(hierarchy, profiles, registry, strict)
        return replace(report, issues=(*report.issues, *found))

    return run


# -- what the checks read from Zarr metadata --------------------------------------------------


def _codec_names(codecs: Any) -> Iterator[str]:
    if not isinstance(codecs, list):
        return
    for codec in codecs:
        if isinstance(codec, Mapping) and isinstance(codec.get("name"), str):
            yield codec["name"]


def check_sharding(hierarchy: Hierarchy) -> Iterator[Finding]:
    """GDAL 3.12: every Zarr v3 array with the ``sharding_indexed`` codec.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.gdal-3.12.sharding``
    finding per sharded array.
    """
    for node in hierarchy.values():
        if node.node_type != "array" or node.zarr_format != 3:
            continue
        names = list(_codec_names(node.metadata.get("codecs")))
        if "sharding_indexed" in names:
            yield Finding(
                "reader.gdal-3.12.sharding",
                node.path,
                f"/codecs/{names.index('sharding_indexed')}",
                "GDAL 3.12 cannot open this sharded array ('Unsupported codec: "
                "sharding_indexed'). Fix: write it without shards, or read it with GDAL 3.13.",
            )


def check_dimension_names(hierarchy: Hierarchy) -> Iterator[Finding]:
    """xarray: every array without one dimension name per dimension.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one
    ``reader.xarray.dimension-names`` finding per array xarray cannot name the dimensions of.
    """
    for node in hierarchy.values():
        shape = node.array_shape
        if shape is None:
            continue
        names = node.dimension_names()
        if names is not None and len(names) == len(shape):
            continue
        if node.zarr_format != 2 and not shape:
            continue  # a scalar needs no names in Zarr v3 (`dimension_names or ()`)
        if node.zarr_format == 2:
            pointer, key = "/attributes/_ARRAY_DIMENSIONS", "the `_ARRAY_DIMENSIONS` attribute"
        else:
            pointer, key = "/dimension_names", "`dimension_names`"
        got = "none" if names is None else f"{len(names)} name(s)"
        yield Finding(
            "reader.xarray.dimension-names",
            node.path,
            pointer,
            f"xarray cannot open this array: it needs {key} with {len(shape)} name(s). Got "
            f"{got}. Fix: add {key}, one name per dimension.",
        )


def check_dimension_sizes(hierarchy: Hierarchy) -> Iterator[Finding]:
    """xarray: arrays of one group that give one dimension name two lengths.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one
    ``reader.xarray.dimension-sizes`` finding per array that contradicts an earlier sibling.
    """
    for group in hierarchy.values():
        if group.node_type != "group":
            continue
        sizes: dict[str, tuple[int, str]] = {}
        for node in hierarchy.children(group.path):
            shape, names = node.array_shape, node.dimension_names()
            if shape is None or names is None or len(names) != len(shape):
                continue
            for axis, (name, size) in enumerate(zip(names, shape, strict=True)):
                if name is None:
                    continue
                first = sizes.setdefault(name, (size, node.name))
                if first[0] != size:
                    yield Finding(
                        "reader.xarray.dimension-sizes",
                        node.path,
                        f"/shape/{axis}",
                        f"xarray cannot open group {group.path or '/'!r} as a dataset: "
                        f"dimension {name!r} has length {size} here and {first[0]} in "
                        f"{first[1]!r} ('conflicting sizes for dimension'). Fix: give the "
                        "dimension one length, or rename one of them.",
                    )
                    break


XARRAY = ReaderProfile("xarray", "xarray", (check_dimension_names, check_dimension_sizes))
"""xarray's ``open_zarr`` / ``open_datatree`` requirements (any convention)."""
