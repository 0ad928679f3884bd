"""Rules of a common shape, declared as data: "MUST be unique" and "SHOULD contain".

Many OME-Zarr rules say the same thing of different keys: the values of a list MUST be
unique (well paths, acquisition ids, label values), or an object SHOULD carry a key (a
plate's ``name``, an image-label's ``colors``). :func:`unique` and :func:`recommended` make
such a rule's check from its rule id, where the values are and what to say, and file it in
:data:`~ngff.common.context.CHECKS` for the section; the spec sentence each enforces is
quoted in the rule's declaration (``data/rules.toml``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from ngff.common.context import CHECKS, Context, Tokens
from ngff_geozarr.core.checking import repeats

__all__ = ["INDEX", "Check", "recommended", "unique"]

INDEX = object()
"""Stands in a location for the index of the repeated item."""

Check = Callable[[Context, Any, Tokens], None]
"""A registered check: ``check(ctx, value, at)``."""


def unique(
    section: str,
    rule: str,
    values: Callable[[Any], Iterable[Hashable]],
    where: tuple[object, ...],
    message: str,
    spec_section: str,
) -> Check:
    """Declare a "MUST be unique" rule and return its check.

    Parameters
    ----------
    section
        The section whose objects the check receives (``"plate"``).
    rule
        The rule id it reports.
    values
        The values that must be unique, in document order, from the parsed object.
    where
        The location of a value relative to the object; :data:`INDEX` stands for its index.
    message
        What to say, with ``{value}`` for the repeated value.
    spec_section
        The spec section the issue cites.

    Returns
    -------
    Check
        The check, registered for ``section``: one error at each repetition.
    """

    def check(ctx: Context, value: Any, at: Tokens) -> None:
        for i, item in repeats(values(value)):
            tokens = [i if token is INDEX else token for token in where]
            ctx.error(rule, [*at, *tokens], message.format(value=item), spec_section)  # type: ignore[list-item]

    check.__name__ = check.__qualname__ = f"check_{rule.rsplit('.', 1)[-1].replace('-', '_')}"
    check.__doc__ = f"Report each repeated value (rule ``{rule}``)."
    return CHECKS.check(section, rule)(check)


def recommended(
    section: str,
    rule: str,
    items: Callable[[Any], Iterable[tuple[Tokens, Any]]],
    key: str,
    message: str,
    spec_section: str,
) -> Check:
    """Declare a "SHOULD contain ``key``" rule and return its check.

    Parameters
    ----------
    section
        The section whose objects the check receives.
    rule
        The rule id it reports.
    items
        The objects that should carry ``key``, each with its location relative to the
        section object, from the parsed section object.
    key
        The attribute that should be present (not ``None``).
    message
        What to say, formatted with the object as ``{item}``.
    spec_section
        The spec section the issue cites.

    Returns
    -------
    Check
        The check, registered for ``section``: one warning (an error under ``--strict``) per
        object without the key.
    """

    def check(ctx: Context, value: Any, at: Tokens) -> None:
        for where, item in items(value):
            if getattr(item, key) is None:
                ctx.should(rule, [*at, *where], message.format(item=item), spec_section)

    check.__name__ = check.__qualname__ = f"check_{rule.rsplit('.', 1)[-1].replace('-', '_')}"
    check.__doc__ = f"Recommend ``{key}`` (rule ``{rule}``)."
    return CHECKS.check(section, rule)(check)
