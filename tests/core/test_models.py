from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from ngff_geozarr.core.models import ExtensibleModel, SpecModel, parse_model
from ngff_geozarr.core.report import Severity


class Scale(SpecModel):
    type: Literal["scale"]
    scale: list[float]


class Translation(SpecModel):
    type: Literal["translation"]
    translation: list[float]


Transform = Annotated[Scale | Translation, Field(discriminator="type")]


class Axis(SpecModel):
    name: str
    type: str | None = None


class Image(SpecModel):
    axes: list[Axis]
    transforms: list[Transform]
    label: str | None = Field(default=None, alias="image-label")

    @model_validator(mode="after")
    def _scale_length(self) -> Image:
        """Rule demo.scale-length: a scale has one factor per axis."""
        for t in self.transforms:
            if isinstance(t, Scale) and len(t.scale) != len(self.axes):
                raise PydanticCustomError(
                    "demo.scale-length",
                    "Expected {n} scale factors, one per axis. Got {m}.",
                    {"n": len(self.axes), "m": len(t.scale)},
                )
        return self


def parse(data: Any) -> tuple[Image | None, list[tuple[str, str, str]]]:
    model, issues = parse_model(
        Image, data, path="img", pointer=("attributes",), rule="demo.schema"
    )
    return model, [(i.severity.value, i.rule, i.pointer) for i in issues]


def test_valid_document_round_trips_with_absent_keys_absent() -> None:
    doc = {
        "axes": [{"name": "y"}, {"name": "x"}],
        "transforms": [{"type": "scale", "scale": [1, 2]}],
    }
    model, issues = parse(doc)
    assert issues == []
    assert model is not None
    assert model.model_dump(mode="json") == {
        "axes": [{"name": "y"}, {"name": "x"}],
        "transforms": [{"type": "scale", "scale": [1.0, 2.0]}],
    }


def test_alias_accepted_and_dumped() -> None:
    model, _ = parse({"axes": [], "transforms": [], "image-label": "cells"})
    assert model is not None
    assert model.label == "cells"
    assert model.model_dump() == {"axes": [], "transforms": [], "image-label": "cells"}
    assert Image(axes=[], transforms=[], label="a").model_dump()["image-label"] == "a"


def test_every_problem_in_one_pass_with_real_pointers() -> None:
    doc = {
        "axes": [{"name": 3}, {"nme": "x"}],
        "transforms": [{"type": "scale", "scale": "x", "bad": 1}, {"type": "nope"}],
    }
    model, issues = parse(doc)
    assert model is None
    assert issues == [
        ("error", "demo.schema", "/attributes/axes/0/name"),
        ("error", "demo.schema", "/attributes/axes/1/name"),
        ("error", "demo.schema", "/attributes/transforms/0/scale"),
        ("error", "demo.schema", "/attributes/transforms/1"),
        ("warning", "demo.unknown-key", "/attributes/axes/1/nme"),
        ("warning", "demo.unknown-key", "/attributes/transforms/0/bad"),
    ]


def test_unknown_keys_alone_are_warnings_and_the_model_is_still_built() -> None:
    doc = {"axes": [{"name": "x", "unit": "um"}], "transforms": [], "extra": 1}
    model, issues = parse(doc)
    assert model is not None
    assert issues == [
        ("warning", "demo.unknown-key", "/attributes/axes/0/unit"),
        ("warning", "demo.unknown-key", "/attributes/extra"),
    ]


def test_custom_rule_id_from_a_model_validator() -> None:
    doc = {"axes": [{"name": "y"}, {"name": "x"}], "transforms": [{"type": "scale", "scale": [1]}]}
    _, issues = parse_model(Image, doc, path="", rule="demo.schema")
    (issue,) = issues
    assert (issue.rule, issue.pointer) == ("demo.scale-length", "")
    assert issue.message.startswith("Expected 2 scale factors, one per axis. Got 1.")


def test_missing_keys_of_one_object_are_one_issue() -> None:
    _, issues = parse_model(Image, {}, path="", rule="demo.schema")
    (issue,) = issues
    assert issue.pointer == ""
    assert issue.message == "Required keys are missing: axes, transforms."
    _, issues = parse_model(Image, {"axes": [{}], "transforms": []}, path="", rule="demo.schema")
    assert [(i.pointer, i.message) for i in issues] == [
        ("/axes/0/name", "Required key 'name' is missing.")
    ]


def test_union_branches_at_one_place_are_one_issue() -> None:
    class Value(SpecModel):
        v: int | str

    _, issues = parse_model(Value, {"v": [1]}, path="", rule="demo.schema")
    (issue,) = issues
    assert issue.message == "Input should be an integer or a string. Got [1]."
    assert issue.severity is Severity.ERROR


def test_a_union_branch_that_accepted_the_type_speaks_alone() -> None:
    class Matrix(SpecModel):
        rows: int
        name: str

    class Holder(SpecModel):
        tms: str | Matrix
        kind: Literal["a"] | Matrix = "a"

    # An object: the string branch's "should be a string" is not reported beside the
    # object's own problems.
    _, issues = parse_model(Holder, {"tms": {"rows": "x"}}, path="", rule="demo.schema")
    assert [(i.pointer, i.message) for i in issues] == [
        ("/tms/rows", 'Input should be an integer. Got "x".'),  # strict: no parsing
        ("/tms/name", "Required key 'name' is missing."),
    ]
    _, issues = parse_model(Holder, {"tms": "id", "kind": {"rows": 1}}, path="", rule="demo.schema")
    assert [i.pointer for i in issues] == ["/kind/name"]  # not also the literal's complaint
    # neither branch accepts the type: one issue naming both
    _, issues = parse_model(Holder, {"tms": 3}, path="", rule="demo.schema")
    (issue,) = issues
    assert issue.pointer == "/tms"
    assert "a string or an object" in issue.message


def test_extensible_model_keeps_custom_keys() -> None:
    class Omero(ExtensibleModel):
        name: str | None = None

    model, issues = parse_model(Omero, {"name": "a", "custom": 1}, path="", rule="demo.schema")
    assert issues == []
    assert model is not None
    assert model.model_dump() == {"name": "a", "custom": 1}


def resolves(doc: Any, pointer: str) -> bool:
    node = doc
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "type", "scale", "translation", "axes", "x"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "axes": st.lists(
            st.dictionaries(st.sampled_from(["name", "type", "unit"]), json_values, max_size=3)
            | json_values,
            max_size=3,
        ),
        "transforms": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["scale", "translation", "other"])},
                optional={"scale": json_values, "translation": json_values, "bad": json_values},
            )
            | json_values,
            max_size=3,
        ),
        "image-label": json_values,
        "extra": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_every_pointer_names_a_real_place_in_the_input(doc: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(doc))
    _, issues = parse_model(Image, doc, path="", rule="demo.schema")
    for issue in issues:
        if issue.message.startswith("Required key"):
            parent = issue.pointer if "keys" in issue.message else issue.pointer.rpartition("/")[0]
            assert resolves(doc, parent), issue
        else:
            assert resolves(doc, issue.pointer), issue
