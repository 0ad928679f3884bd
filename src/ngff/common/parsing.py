"""Validate one section of OME metadata against its model, reporting into a context."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from ngff.common.context import Context, Tokens
from ngff_geozarr.core.models import parse_model

__all__ = ["SCHEMA_RULE", "UNKNOWN_KEY_RULE", "parse_section"]

SCHEMA_RULE = "ngff.schema"
"""Rule id of a value whose type or shape the spec's schema does not allow."""
UNKNOWN_KEY_RULE = "ngff.unknown-key"
"""Rule id of the warning for a key the spec does not define at that place."""

_M = TypeVar("_M", bound=BaseModel)


def parse_section(ctx: Context, model: type[_M], data: Any, at: Tokens, section: str) -> _M | None:
    """Validate ``data`` (found at ``at``) against ``model``; report every problem.

    Parameters
    ----------
    ctx
        The check context; the issues are appended to it.
    model
        The section's model.
    data
        The JSON value.
    at
        Where ``data`` is, relative to the OME metadata.
    section
        The spec section, for the issues' reference.

    Returns
    -------
    model instance or None
        The parsed section, or ``None`` when it has errors.
    """
    parsed, issues = parse_model(
        model,
        data,
        path=ctx.path,
        pointer=(*ctx.base, *at),
        rule=SCHEMA_RULE,
        unknown_key_rule=UNKNOWN_KEY_RULE,
    )
    ctx.extend(issues, section)
    return parsed
