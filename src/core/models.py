"""Base classes for convention models, and validation errors turned into issues.

Convention models (OME-Zarr, GeoZarr, CF) derive from :class:`SpecModel`: frozen, unknown
keys forbidden, JSON types taken literally (pydantic's strict mode: ``"5"`` is a string, not
the integer 5; an integer is still a number), JSON keys that are not identifiers spelt
through aliases, and a key that was absent on input stays absent on output (never
``null``). Where a spec allows custom keys, :class:`ExtensibleModel` keeps them.

:func:`parse_model` validates a JSON value against a model and reports *every* problem as an
:class:`~ngff_geozarr.core.report.Issue`, one per place in the input:

- the JSON pointer of each issue names a real place in the input document: pydantic's
  error locations also hold the tags of union branches (``('t', 0, 'scale', 'scale')``),
  which are resolved against the data and dropped;
- errors of several union branches at one place become one issue, and a branch that only
  says "wrong type" where another branch found problems inside the value is dropped;
- an unknown key in a strict object is a warning, and validation is retried without it, so
  one misspelt key does not hide the rest of the document;
- a model validator names its rule by raising
  ``pydantic_core.PydanticCustomError("ngff.multiscales.scale-length", "message")``: the
  error type becomes the issue's rule id. Other errors get the caller's schema rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer
from pydantic_core import ErrorDetails

from ngff_geozarr.core.report import Issue, Severity, json_pointer, short_json

__all__ = ["ExtensibleModel", "SpecModel", "error_pointer", "parse_model"]

_M = TypeVar("_M", bound=BaseModel)
_MAX_RETRIES = 8


class SpecModel(BaseModel):
    """A spec object: frozen, unknown keys forbidden, strict types, absent keys kept absent.

    Fields whose JSON key is not a Python identifier (``image-label``, ``proj:code``,
    ``_ARRAY_DIMENSIONS``) are declared with ``Field(alias=...)``; models accept both names
    on input and dump by alias.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Leave out optional keys that were absent on input rather than writing ``null``."""
        data = handler(self)
        if isinstance(data, dict):
            for name, info in type(self).model_fields.items():
                if name not in self.model_fields_set and getattr(self, name) is None:
                    data.pop(name, None)
                    if info.alias:
                        data.pop(info.alias, None)
        return data


class ExtensibleModel(SpecModel):
    """A spec object that allows keys the spec does not define, and keeps them."""

    model_config = ConfigDict(extra="allow")


def _indexable(data: Any, key: str | int) -> bool:
    if isinstance(data, dict):
        return key in data
    return isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data)


def _child(data: Any, key: str | int) -> Any:
    return data[key]


def error_pointer(data: Any, loc: Sequence[str | int], kind: str = "") -> list[str | int]:
    """Resolve a pydantic error location against the input, dropping union-branch tags.

    Parameters
    ----------
    data
        The input that was validated.
    loc
        The error's ``loc``.
    kind
        The error's ``type``: for ``"missing"`` the last element is the absent key (kept);
        for ``"extra_forbidden"`` it is the unknown key (present in the input).

    Returns
    -------
    list of str or int
        The reference tokens of a JSON pointer into ``data``.

    Examples
    --------
    >>> doc = {"t": [{"type": "scale", "scale": "x", "bad": 1}]}
    >>> error_pointer(doc, ("t", 0, "scale", "scale"))
    ['t', 0, 'scale']
    >>> error_pointer(doc, ("t", 0, "scale", "bad"), "extra_forbidden")
    ['t', 0, 'bad']
    >>> error_pointer({"t": [{"type": "scale"}]}, ("t", 0, "scale", "scale"), "missing")
    ['t', 0, 'scale']
    """

    def walk(node: Any, i: int) -> tuple[int, list[str | int]] | None:
        """Best (consumed, tokens) resolving loc[i:] from ``node``; None if impossible."""
        if i == len(loc):
            return 0, []
        key = loc[i]
        last = i == len(loc) - 1
        options: list[tuple[int, list[str | int]]] = []
        if last and kind == "missing":
            if isinstance(node, dict) and not _indexable(node, key):
                return 0, [key]
            return None
        if _indexable(node, key):
            rest = walk(_child(node, key), i + 1)
            if rest is not None:
                options.append((rest[0] + 1, [key, *rest[1]]))
        if not (last and kind == "extra_forbidden"):
            rest = walk(node, i + 1)
            if rest is not None:
                options.append(rest)
        return max(options, key=lambda o: o[0]) if options else None

    best = walk(data, 0)
    if best is not None:
        return best[1]
    tokens: list[str | int] = []
    for key in loc:
        if _indexable(data, key):
            data = _child(data, key)
            tokens.append(key)
    return tokens


# pydantic speaks of Python types; the people reading these messages write JSON.
_JSON_TERMS = (
    ("a valid tuple", "an array"),
    ("a valid list", "an array"),
    ("a valid dictionary", "an object"),
    ("a valid string", "a string"),
    ("a valid integer", "an integer"),
    ("a valid number", "a number"),
    ("a valid boolean", "true or false"),
)


def _json_terms(message: str) -> str:
    for python, json_term in _JSON_TERMS:
        message = message.replace(python, json_term)
    return message


def _message(errors: list[ErrorDetails], has_input: bool) -> str:
    parts: list[str] = []
    for err in errors:
        msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        msg = _json_terms(msg)
        if parts and msg.startswith("Input should be "):
            msg = msg.removeprefix("Input should be ")
        if msg not in parts:
            parts.append(msg)
    text = " or ".join(parts)
    got = f" Got {short_json(errors[0].get('input'))}." if has_input else ""
    return text.rstrip(".") + "." + got


def parse_model(
    model: type[_M],
    data: Any,
    *,
    path: str,
    pointer: Sequence[str | int] = (),
    rule: str,
    unknown_key_rule: str | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[_M | None, list[Issue]]:
    """Validate ``data`` against ``model``; report every problem as an issue.

    Parameters
    ----------
    model
        The pydantic model.
    data
        The JSON value to validate.
    path
        The node path the issues are reported on.
    pointer
        Where ``data`` sits in the node's document (``("attributes", "ome")``); prefixed
        to every issue's pointer.
    rule
        Rule id for errors that name no rule of their own (wrong types, missing keys).
    unknown_key_rule
        Rule id of the warning for an unknown key; by default ``rule`` with its last dotted
        part replaced by ``unknown-key`` (``ngff.schema`` gives ``ngff.unknown-key``).
    context
        Passed to pydantic as validation context.

    Returns
    -------
    tuple
        The model instance (``None`` when errors other than unknown keys remain) and the
        issues, errors before warnings in document order.

    Examples
    --------
    >>> class Axis(SpecModel):
    ...     name: str
    ...     unit: str | None = None
    >>> axis, issues = parse_model(
    ...     Axis, {"name": "x", "unti": "um"}, path="", pointer=("attributes",), rule="t.schema"
    ... )
    >>> axis.model_dump()
    {'name': 'x'}
    >>> [(i.severity.value, i.rule, i.pointer) for i in issues]
    [('warning', 't.unknown-key', '/attributes/unti')]
    """
    unknown_rule = unknown_key_rule or rule.rpartition(".")[0] + ".unknown-key"
    prefix = list(pointer)
    warnings: list[Issue] = []
    current = data
    for _ in range(_MAX_RETRIES):
        try:
            return model.model_validate(current, context=context), warnings
        except pydantic.ValidationError as exc:
            errors = exc.errors()
        unknown = [e for e in errors if e["type"] == "extra_forbidden"]
        others = [e for e in errors if e["type"] != "extra_forbidden"]
        for err in unknown:
            tokens = error_pointer(current, err["loc"], "extra_forbidden")
            warnings.append(
                Issue(
                    Severity.WARNING,
                    unknown_rule,
                    path,
                    json_pointer(*prefix, *tokens),
                    f"Unknown key {str(tokens[-1])!r}: not defined here by the spec; "
                    "readers ignore it (misspelt?).",
                )
            )
        if others or not unknown:
            return None, _errors(others, current, path, prefix, rule) + warnings
        current = _without(current, [error_pointer(current, e["loc"], e["type"]) for e in unknown])
    return None, warnings


def _errors(
    errors: list[ErrorDetails], data: Any, path: str, prefix: list[str | int], rule: str
) -> list[Issue]:
    """One issue per place (several missing keys of one object: one issue), in input order."""
    grouped: dict[tuple[str, str], list[ErrorDetails]] = {}
    missing: dict[str, tuple[list[str | int], list[str | int]]] = {}
    located = [(err, error_pointer(data, err["loc"], err["type"])) for err in errors]
    # A union whose other branch accepted the value's type says "wrong type" at the value
    # and the real problems below it: keep only those ("string or object" given an object).
    deeper = {tuple(t[:k]) for _, t in located for k in range(len(t))}
    for err, tokens in located:
        if _is_type_mismatch(err["type"]) and tuple(tokens) in deeper:
            continue
        if err["type"] == "missing" and tokens:
            parent = json_pointer(*prefix, *tokens[:-1])
            grouped.setdefault((parent, "\0missing"), [])
            missing.setdefault(parent, (tokens[:-1], []))[1].append(tokens[-1])
            continue
        own_rule = err["type"] if "." in err["type"] else rule
        grouped.setdefault((json_pointer(*prefix, *tokens), own_rule), []).append(err)
    issues = []
    for (pointer, own_rule), errs in grouped.items():
        if own_rule == "\0missing":
            parent_tokens, keys = missing[pointer]
            if len(keys) == 1:
                where = json_pointer(*prefix, *parent_tokens, keys[0])
                issues.append(
                    Issue(
                        Severity.ERROR, rule, path, where, f"Required key {keys[0]!r} is missing."
                    )
                )
            else:
                names = ", ".join(str(k) for k in keys)
                issues.append(
                    Issue(
                        Severity.ERROR, rule, path, pointer, f"Required keys are missing: {names}."
                    )
                )
            continue
        has_input = "input" in errs[0]
        issues.append(Issue(Severity.ERROR, own_rule, path, pointer, _message(errs, has_input)))
    return issues


def _is_type_mismatch(error_type: str) -> bool:
    return error_type.endswith("_type") or error_type == "literal_error"


def _without(data: Any, locations: list[list[str | int]]) -> Any:
    """Return a copy of ``data`` without the keys at ``locations``."""
    copy = json.loads(json.dumps(data))
    for tokens in locations:
        node = copy
        for key in tokens[:-1]:
            node = node[key]
        if isinstance(node, dict):
            node.pop(tokens[-1], None)
    return copy
