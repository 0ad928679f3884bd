"""The readers' rule table (``data/rules.toml``) and the rules of each reader.

See :mod:`ngff_geozarr.core.profiles`.
"""

from __future__ import annotations

from ngff_geozarr.core.rules import Rule, load_rules

__all__ = ["PROFILE_RULES", "rules_for"]

PROFILE_RULES: tuple[Rule, ...] = load_rules(
    "ngff_geozarr.core.profiles", lambda e: e.to_rule("reader")
)
"""Every reader rule, of every reader (declared in ``data/rules.toml``)."""


def rules_for(*readers: str) -> tuple[Rule, ...]:
    """Return the rules of some readers, for a convention's registry.

    Parameters
    ----------
    *readers
        Reader names (``"gdal-3.13"``, ``"xarray"``).

    Returns
    -------
    tuple of Rule
        Their rules, in the table's order.

    Examples
    --------
    >>> [r.id for r in rules_for("gdal-3.12")]
    ['reader.gdal-3.12.sharding', 'reader.gdal-3.12.crs']
    """
    prefixes = tuple("reader." + name + "." for name in readers)  # the ids reader.<name>.*
    return tuple(rule for rule in PROFILE_RULES if rule.id.startswith(prefixes))
