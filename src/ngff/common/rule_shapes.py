"""Rules of a common shape, whose check is declared in the rule table with the rule.

Many OME-Zarr rules say the same thing of different keys: the values of a list MUST be
unique (well paths, acquisition ids, label values), or an object SHOULD carry a key (a
plate's ``name``, an image-label's ``colors``). Such a rule's row in ``data/rules.toml``
carries its check as data, next to the sentence it enforces::

    check = { on = "plate", unique = "wells[*].path",
              message = "Well {value!r} is listed more than once." }
    check = { on = "plate", objects = "acquisitions[*]", present = "name",
              message = "Acquisition {item[id]} has no 'name'; the spec recommends one." }

``unique`` is a path (:func:`~ngff_geozarr.core.checking.select`) to values that must not
repeat: each repetition is an error at its own location. ``objects`` (default: the section
object itself) and ``present`` name objects that should carry a key: each without it is a
warning (an error under ``--strict``). ``message`` is formatted with ``value`` (the repeated
value) or ``item`` (the object, as JSON). :func:`register_declared_checks` files every such
check in :data:`~ngff.common.context.CHECKS` for the section named by ``on``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ngff.common.context import CHECKS, Context, Tokens
from ngff.rules import ENTRIES
from ngff_geozarr.core.checking import CheckSet, repeats, select
from ngff_geozarr.core.rules import RuleEntry

__all__ = ["DECLARED", "as_json", "declared_check", "register_declared_checks"]


def as_json(value: Any) -> Any:
    """Return a parsed section (a model, or a list of models) as its JSON document.

    Parameters
    ----------
    value
        A model, a list of models, or JSON-like data.

    Returns
    -------
    Any
        Mappings, lists and scalars, keys by alias (as the document spells them).
    """
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value


def declared_check(entry: RuleEntry) -> Any:
    """Make the check a rule table row declares.

    Parameters
    ----------
    entry
        A row with a ``check`` table.

    Returns
    -------
    callable
        ``check(ctx, value, at)`` for the section's parsed object.

    Raises
    ------
    ValueError
        When the ``check`` table has neither ``unique`` nor ``present`` (a packaging error).
    """
    spec = entry.check
    rule, section, message = entry.id, entry.section, spec["message"]
    if "unique" in spec:
        path = spec["unique"]

        def check(ctx: Context, value: Any, at: Tokens) -> None:
            found = list(select(as_json(value), path))
            for i, repeated in repeats(v for _, v in found):
                ctx.error(rule, [*at, *found[i][0]], message.format(value=repeated), section)

    elif "present" in spec:
        objects, key = spec.get("objects", ""), spec["present"]

        def check(ctx: Context, value: Any, at: Tokens) -> None:
            for where, item in select(as_json(value), objects):
                if isinstance(item, Mapping) and item.get(key) is None:
                    ctx.should(rule, [*at, *where], message.format(item=item), section)

    else:
        raise ValueError(f"rule {rule!r}: a check needs 'unique' or 'present'")
    check.__name__ = check.__qualname__ = "check_" + rule.rsplit(".", 1)[-1].replace("-", "_")
    check.__doc__ = f"{entry.description} (rule ``{rule}``, declared in the rule table)."
    return check


def register_declared_checks(checks: CheckSet = CHECKS) -> dict[str, Any]:
    """File the check of every rule the table declares one for.

    Parameters
    ----------
    checks
        Where to file them.

    Returns
    -------
    dict
        The checks by rule id.
    """
    made = {}
    for entry in ENTRIES:
        if entry.check:
            made[entry.id] = checks.check(entry.check["on"], entry.id)(declared_check(entry))
    return made


DECLARED = register_declared_checks()
"""The declared checks, by rule id."""
