"""The round trip every repair of ``ngff fix`` / ``geozarr fix`` must make (both test modules).

A store with one defect: the dry run names the rule and writes nothing; ``--apply`` repairs
it without writing a chunk, and the store then validates with no issue under ``--strict``;
a second dry run finds nothing to repair.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner
from tests.core.convert_faults import snapshot

from ngff_geozarr.core.report import Report


def check_fix_round_trip(
    cli: click.Group, validate: Callable[..., Report], store: Path, rule: str
) -> None:
    """Assert the repair of ``rule`` in ``store`` makes the whole round trip."""

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args))

    assert rule in {i.rule for i in validate(store, strict=True).issues}
    before = snapshot(store)
    dry = invoke("fix", str(store))
    assert dry.exit_code == 1, dry.output
    assert rule in dry.output
    assert snapshot(store) == before  # the dry run wrote nothing
    applied = invoke("fix", str(store), "--apply")
    assert applied.exit_code == 0, applied.output
    report = validate(store, strict=True)
    assert not report.issues, report.issues
    after = snapshot(store)
    chunks = [k for k in before if "/c/" in k or k.rsplit("/", 1)[-1][:1].isdigit()]
    assert all(after[k] == before[k] for k in chunks)  # chunks are never written
    again = invoke("fix", str(store))
    assert again.exit_code == 0, again.output
    assert "nothing to repair" in again.output
