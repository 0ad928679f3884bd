"""Every rule the OME-Zarr validator reports, declared once (in ``data/rules.toml``).

Each :class:`~ngff_geozarr.core.rules.Rule` names the OME-Zarr versions and node kinds it
applies to, the clause it enforces (section, and the normative sentence quoted from the spec
text where there is one) and what it ensures. :data:`REGISTRY` also holds the hierarchy
reader's rules (``zarr.*``, ``target.unreadable``): it is everything ``ngff validate`` can
report, what ``ngff rules`` lists, and what :class:`~ngff.common.context.Context` asks for
the severity of each issue.
"""

from __future__ import annotations

from ngff_geozarr.core.profiles import rules_for
from ngff_geozarr.core.rules import (
    READER_RULES,
    Clause,
    Rule,
    RuleEntry,
    RuleRegistry,
    package_text,
    read_rule_table,
)

__all__ = ["ALL_VERSIONS", "CONVENTION", "ENTRIES", "REGISTRY", "RULES"]

CONVENTION = "ome-zarr"
"""The convention the rules belong to."""
ALL_VERSIONS = ("0.4", "0.5", "0.6")
"""The OME-Zarr versions the validator knows."""

_ANCHORS = {
    "metadata": "metadata",
    "multiscales": "multiscale-md",
    "axes": "axes-md",
    "coordinateTransformations": "trafo-md",
    "coordinateSystems": "coord-sys-md",
    "byDimension": "trafo-md",
    "labels": "labels-md",
    "plate": "plate-md",
    "well": "well-md",
    "omero": "omero-md",
    "bioformats2raw.layout": "bf2raw",
}


def _rule(entry: RuleEntry) -> Rule:
    """Make a table row a rule: the clause names the versions, the link the spec section.

    A row with its own ``url`` (an RFC's page, for the RFC-9 ``.ozx`` rules) links there.
    """
    versions = entry.versions
    url = entry.url or (
        f"https://ngff.openmicroscopy.org/{versions[0]}/#{_ANCHORS.get(entry.section, '')}"
    )
    clause = Clause(f"OME-Zarr {', '.join(versions)} §{entry.section}", entry.quote, url)
    return entry.to_rule(CONVENTION, clause)


ENTRIES: tuple[RuleEntry, ...] = read_rule_table(package_text("ngff", "rules.toml"))
"""The rows of the rule table, with the checks some of them declare
(:mod:`ngff.common.rule_shapes`)."""

RULES: tuple[Rule, ...] = tuple(_rule(entry) for entry in ENTRIES)
"""The OME-Zarr rules, in the table's order."""

REGISTRY = RuleRegistry((*READER_RULES, *RULES, *rules_for("napari", "ome-zarr-py", "xarray")))
"""Everything ``ngff validate`` can report: the reader's rules, :data:`RULES` and the rules of
the readers ``validate --for`` takes (:mod:`ngff.profiles`)."""
