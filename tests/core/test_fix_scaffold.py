"""The fix scaffold both conventions share: repairs are keyed by declared rules, and a
convention that repairs nothing still repairs stale consolidated metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.geozarr.conftest import build_store, edit_json

import geozarr
from geozarr.cli import CONVENTION
from geozarr.fix import FIXERS as GEOZARR_FIXERS
from ngff.cli import CONVENTION as NGFF_CONVENTION
from ngff.fix import FIXERS as NGFF_FIXERS
from ngff_geozarr.core.cli_fix import make_fix_command
from ngff_geozarr.core.fix import FixContext, Fixer, apply_fixes, plan_fixes
from ngff_geozarr.core.groups import finish
from ngff_geozarr.core.report import Issue
from ngff_geozarr.core.store import open_store


@pytest.mark.parametrize(
    ("convention", "fixers"),
    [(NGFF_CONVENTION, NGFF_FIXERS), (CONVENTION, GEOZARR_FIXERS)],
    ids=["ngff", "geozarr"],
)
def test_every_repair_is_keyed_by_a_declared_rule(convention: Any, fixers: Any) -> None:
    assert fixers
    assert all(rule in convention.registry for rule in fixers)
    assert "zarr.consolidated.stale" in convention.registry


def test_a_repair_of_an_undeclared_rule_is_a_programming_error() -> None:
    def nothing(ctx: FixContext, issue: Issue) -> str | None:
        return None

    with pytest.raises(ValueError, match=r"geozarr\.no-such-rule"):
        make_fix_command(CONVENTION, {"geozarr.no-such-rule": nothing})


def _stale_store(tmp_path: Path) -> Path:
    store = build_store(tmp_path / "s.zarr")
    with open_store(store, "r+") as handle:
        finish(handle, consolidated=True)
    edit_json(store / "x" / "zarr.json", lambda d: d.__setitem__("fill_value", 1.0))
    return store


def test_stale_consolidated_metadata_is_repaired_without_convention_repairs(
    tmp_path: Path,
) -> None:
    store = _stale_store(tmp_path)
    none: dict[str, Fixer] = {}
    plan = plan_fixes(store, validate=geozarr.validate, fixers=none)
    assert [r.rule for r in plan.repairs] == ["zarr.consolidated.stale"]
    assert plan.documents == ()
    assert plan.consolidate
    apply_fixes(store, validate=geozarr.validate, fixers=none, command="c")
    root = json.loads((store / "zarr.json").read_text())
    assert root["consolidated_metadata"]["metadata"]["x"]["fill_value"] == 1.0
    assert not plan_fixes(store, validate=geozarr.validate, fixers=none).repairs


def test_a_declining_repair_leaves_the_issue(tmp_path: Path) -> None:
    store = build_store(tmp_path / "s.zarr")
    edit_json(store / "zarr.json", lambda d: d["attributes"].__setitem__("spatial:shape", [5, 5]))
    declined: list[str] = []

    def decline(ctx: FixContext, issue: Issue) -> str | None:
        declined.append(issue.path)
        return None

    plan = plan_fixes(store, validate=geozarr.validate, fixers={"geozarr.spatial.shape": decline})
    assert declined == ["elevation"]
    assert plan.empty
    assert "geozarr.spatial.shape" in {i.rule for i in plan.unrepaired}


def test_zip_is_planned_but_not_applied(tmp_path: Path, zip_store: Any) -> None:
    store = build_store(tmp_path / "s.zarr")
    edit_json(store / "zarr.json", lambda d: d["attributes"].__setitem__("spatial:shape", [5, 5]))
    packed = zip_store(store, tmp_path / "s.zip")
    command = make_fix_command(CONVENTION, GEOZARR_FIXERS)
    dry = CliRunner().invoke(command, [str(packed)])
    assert dry.exit_code == 1, dry.output
    assert "geozarr.spatial.shape" in dry.output
    before = packed.read_bytes()
    applied = CliRunner().invoke(command, [str(packed), "--apply"])
    assert applied.exit_code != 0
    assert "not a zip store" in str(applied.exception)
    assert packed.read_bytes() == before
