"""Every rule the GeoZarr validator reports, declared once (in ``data/rules.toml``).

Each :class:`~ngff_geozarr.core.rules.Rule` names the profiles it runs under
(``conventions``: the Zarr conventions ``zarr_conventions``, ``proj:``, ``spatial:``,
``multiscales``; ``cf``: CF as GeoZarr uses it; ``v0.4``: the GeoZarr v0.4 draft), the node
kinds it applies to, the clause it enforces and what it ensures. :data:`REGISTRY` also holds
the hierarchy reader's rules (``zarr.*``, ``target.unreadable``): it is everything
``geozarr validate`` can report, what ``geozarr rules`` lists, and what
:class:`~geozarr.context.CheckContext` asks for the severity of each issue.
"""

from __future__ import annotations

from ngff_geozarr.core.profiles import rules_for
from ngff_geozarr.core.rules import READER_RULES, Clause, Rule, RuleEntry, RuleRegistry, load_rules

__all__ = ["CONVENTION", "REGISTRY", "RULES"]

CONVENTION = "geozarr"
"""The convention the rules belong to."""

_CF_URL = "https://cfconventions.org/Data/cf-conventions/cf-conventions-1.11/cf-conventions.html"
_URLS = {
    "zarr-conventions": "https://github.com/zarr-conventions/zarr-conventions-spec",
    "proj:": "https://github.com/zarr-conventions/proj/blob/v0.1/README.md",
    "spatial:": "https://github.com/zarr-conventions/spatial/blob/v0.1/README.md",
    "multiscales": "https://github.com/zarr-conventions/multiscales/blob/v0.1/README.md",
    "GeoZarr v0.4": "https://github.com/zarr-developers/geozarr-spec",
    "xarray": "https://docs.xarray.dev/en/stable/internals/zarr-encoding-spec.html",
}
_CF_ANCHORS = {
    "§1.2": "terminology",
    "§2.3": "naming-conventions",
    "§2.4": "dimensions",
    "§2.5.1": "missing-data",
    "§3.1": "units",
    "§3.1.2": "temperature-units",
    "§3.3": "standard-name",
    "§4.3": "vertical-coordinate",
    "§4.4": "time-coordinate",
    "§5": "coordinate-system",
    "§5.6": "grid-mappings-and-projections",
    "§8.1": "packed-data",
    "Appendix A": "attribute-appendix",
    "Appendix C": "standard-name-modifiers",
    "Appendix F": "appendix-grid-mappings",
}


def _rule(entry: RuleEntry) -> Rule:
    """Make a table row a rule, linked to its spec section."""
    spec = entry.section.partition(" §")[0]
    if spec == "CF-1.11":
        where = entry.section.removeprefix("CF-1.11 ")
        url = f"{_CF_URL}#{_CF_ANCHORS.get(where, '')}"
    else:
        url = _URLS.get(spec, _URLS.get(spec.split(" ")[0], ""))
    clause = Clause(entry.section, entry.quote, url)
    return entry.to_rule(CONVENTION, clause)


RULES: tuple[Rule, ...] = load_rules("geozarr", _rule)
"""The GeoZarr rules, in the table's order."""

REGISTRY = RuleRegistry((*READER_RULES, *RULES, *rules_for("gdal-3.12", "gdal-3.13", "xarray")))
"""Everything ``geozarr validate`` can report: the reader's rules, :data:`RULES` and the rules
of the readers ``validate --for`` takes (:mod:`geozarr.profiles`)."""
