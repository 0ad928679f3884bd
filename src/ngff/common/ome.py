"""Check the OME metadata of one node, section by section, for any version.

Each version subpackage describes itself with a :class:`VersionRules` — its section models and
the rules it adds — and :func:`check_ome` applies it: every section present is parsed on its
own (one broken multiscale image does not hide the next) and checked, and what the store
checks need is returned as :class:`~ngff.common.facts.NodeFacts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ngff.common.bioformats2raw import Bioformats2rawLayout, Series
from ngff.common.context import Context, Tokens
from ngff.common.facts import ImageFacts, LabelsFacts, NodeFacts, SeriesFacts, WellFacts
from ngff.common.labels import ImageLabel, Labels, check_image_label, check_label_paths
from ngff.common.multiscales import (
    Multiscale,
    check_multiscale,
    check_resolution_order,
    image_facts,
)
from ngff.common.omero import Omero, check_omero
from ngff.common.parsing import SCHEMA_RULE, UNKNOWN_KEY_RULE, parse_section
from ngff.common.plate import Plate, check_plate, plate_facts
from ngff.common.well import Well, check_well_section
from ngff.versions import SpecVersion, spec_version

__all__ = ["SECTION_KEYS", "VersionRules", "check_ome", "check_section_version"]

SECTION_KEYS = (
    "multiscales",
    "omero",
    "image-label",
    "labels",
    "plate",
    "well",
    "bioformats2raw.layout",
    "series",
)
"""The keys of OME metadata sections every version knows."""


@dataclass(frozen=True)
class VersionRules:
    """What a version defines: its section models and the rules specific to it.

    Parameters
    ----------
    version
        The specification version.
    multiscale
        The model of one multiscale image.
    check_multiscale
        Its metadata rules.
    image_facts
        What the store checks need from a parsed multiscale image.
    image_label, plate, well
        The models of those sections.
    check_well
        The well rules; returns the facts of a parsed well.

    Every model and rule defaults to the one of ``ngff.common`` (0.5's, which later versions
    keep unless they change it), so a version names only what it changes.
    extra_sections
        Further sections of the version (0.6: ``scene``), each with its checker.
    versioned_sections
        0.4 only: whether each section object carries its own ``version``.
    """

    version: SpecVersion
    multiscale: type[BaseModel] = Multiscale
    check_multiscale: Callable[[Context, Any, Tokens], None] = check_multiscale
    image_facts: Callable[[int, Any], ImageFacts] = image_facts
    image_label: type[ImageLabel] = ImageLabel
    plate: type[Plate] = Plate
    well: type[BaseModel] = Well
    check_well: Callable[[Context, Any, Tokens], WellFacts] = check_well_section
    extra_sections: Mapping[str, Callable[[Context, Any, Tokens], None]] = field(
        default_factory=dict
    )
    versioned_sections: bool = False


def check_section_version(ctx: Context, section: Any, at: Tokens) -> None:
    """Ensure a 0.4 section object declares version 0.4.

    Spec 0.4: multiscales, plate, well, image-label — "SHOULD contain the field 'version'"
    (the strict schemas require it), whose value is the version of the specification.
    """
    if not isinstance(section, Mapping):
        return
    if "version" not in section:
        ctx.should(
            "ngff.version.missing",
            at,
            "No 'version'; the spec recommends declaring it.",
            "multiscales",
        )
    elif spec_version(section["version"]) != ctx.version:
        ctx.error(
            "ngff.version.mismatch",
            [*at, "version"],
            f"Expected version {ctx.version!r}, as the rest of this node. "
            f"Got {section['version']!r}.",
            "multiscales",
        )


def _check_multiscales(ctx: Context, value: Any, rules: VersionRules, facts: NodeFacts) -> None:
    if not isinstance(value, list) or not value:
        ctx.error(
            SCHEMA_RULE,
            ["multiscales"],
            "Expected a non-empty array of multiscale images.",
            "multiscales",
        )
        return
    for i, item in enumerate(value):
        at: list[str | int] = ["multiscales", i]
        if rules.versioned_sections:
            check_section_version(ctx, item, at)
        parsed = parse_section(ctx, rules.multiscale, item, at, "multiscales")
        if parsed is not None:
            rules.check_multiscale(ctx, parsed, at)
            facts.images.append(rules.image_facts(i, parsed))
            check_resolution_order(ctx, facts.images[-1], at)


def check_ome(
    ctx: Context, ome: Mapping[str, Any], rules: VersionRules, *, namespaced: bool
) -> NodeFacts:
    """Check every OME section of a node's metadata.

    Parameters
    ----------
    ctx
        The check context.
    ome
        The OME metadata (the ``ome`` object in 0.5+, the attributes in 0.4).
    rules
        The version's rules.
    namespaced
        Whether ``ome`` is the ``ome`` namespace (0.5+): keys it holds that no section
        defines are then reported.

    Returns
    -------
    NodeFacts
        What the store checks need.
    """
    facts = NodeFacts()
    versioned = rules.versioned_sections
    if "multiscales" in ome:
        _check_multiscales(ctx, ome["multiscales"], rules, facts)
    if "omero" in ome:
        omero = parse_section(ctx, Omero, ome["omero"], ["omero"], "omero")
        if omero is not None:
            check_omero(ctx, omero, ["omero"])
            facts.omero_channels = len(omero.channels)
    if "image-label" in ome:
        facts.is_label = True
        if versioned:
            check_section_version(ctx, ome["image-label"], ["image-label"])
        label = parse_section(ctx, rules.image_label, ome["image-label"], ["image-label"], "labels")
        if label is not None:
            check_image_label(ctx, label, ["image-label"])
    if "labels" in ome:
        labels = parse_section(ctx, Labels, {"labels": ome["labels"]}, [], "labels")
        if labels is not None:
            check_label_paths(ctx, labels.labels, ["labels"])
            facts.labels = LabelsFacts(tuple(enumerate(labels.labels)))
    if "plate" in ome:
        if versioned:
            check_section_version(ctx, ome["plate"], ["plate"])
        plate = parse_section(ctx, rules.plate, ome["plate"], ["plate"], "plate")
        if plate is not None:
            check_plate(ctx, plate, ["plate"])
            facts.plate = plate_facts(plate)
    if "well" in ome:
        if versioned:
            check_section_version(ctx, ome["well"], ["well"])
        well = parse_section(ctx, rules.well, ome["well"], ["well"], "well")
        if well is not None:
            facts.well = rules.check_well(ctx, well, ["well"])
    if "bioformats2raw.layout" in ome:
        facts.bioformats2raw = True
        data = {"bioformats2raw.layout": ome["bioformats2raw.layout"]}
        parse_section(ctx, Bioformats2rawLayout, data, [], "bioformats2raw.layout")
    if "series" in ome:
        series = parse_section(ctx, Series, {"series": ome["series"]}, [], "bioformats2raw.layout")
        if series is not None:
            facts.series = SeriesFacts(tuple(enumerate(series.series)))
    for key, checker in rules.extra_sections.items():
        if key in ome:
            checker(ctx, ome[key], [key])
    if namespaced:
        known = {*SECTION_KEYS, *rules.extra_sections, "version"}
        for key in ome:
            if key not in known:
                ctx.warn(
                    UNKNOWN_KEY_RULE,
                    [key],
                    f"Unknown key {key!r}: not defined in the ome namespace by the spec; "
                    "readers ignore it (misspelt?).",
                    "metadata",
                )
    return facts
