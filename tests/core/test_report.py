from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from ngff_geozarr.core.hierarchy import Hierarchy
from ngff_geozarr.core.report import Issue, Report, Severity, json_pointer
from ngff_geozarr.core.validation import validate_target

ERROR = Issue(Severity.ERROR, "zarr.metadata.invalid", "labels/0", "/shape", "Expected [x].")
WARNING = Issue(Severity.WARNING, "zarr.hierarchy.unlistable", "", "", "Not listed.")


def test_json_contract_has_exactly_the_agreed_keys() -> None:
    report = Report("store.zarr", (ERROR, WARNING), "ome-zarr", "0.5", "image")
    data = json.loads(report.to_json())
    assert list(data) == ["target", "valid", "convention", "version", "node_type", "issues"]
    assert data["valid"] is False
    assert data["issues"][0] == {
        "severity": "error",
        "rule": "zarr.metadata.invalid",
        "path": "labels/0",
        "pointer": "/shape",
        "message": "Expected [x].",
    }


def test_exit_codes() -> None:
    assert Report("t").exit_code == 0
    assert Report("t", (WARNING,)).exit_code == 0
    assert Report("t", (WARNING,)).valid
    assert Report("t", (ERROR, WARNING)).exit_code == 1
    unreadable = Report.unreadable("t", "no such file")
    assert (unreadable.exit_code, unreadable.valid) == (2, False)
    assert unreadable.issues[0].rule == "target.unreadable"


def test_with_issues_returns_a_new_report() -> None:
    report = Report("t")
    more = report.with_issues([ERROR])
    assert report.issues == ()
    assert more.errors == (ERROR,)
    assert more.warnings == ()


def test_json_pointer_escapes_rfc6901() -> None:
    assert json_pointer() == ""
    assert json_pointer("a/b", "m~n", 0) == "/a~1b/m~0n/0"


def test_text_is_a_few_lines_per_issue_and_never_interprets_markup() -> None:
    issue = Issue(
        Severity.ERROR, "x.rule", "a/b", "/attributes/k", "Got [bold]x[/bold].", "spec §2.1"
    )
    out = io.StringIO()
    Report("store.zarr", (issue,)).render_text(Console(file=out, width=200, color_system=None))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("INVALID store.zarr")
    assert lines[1:5] == [
        "error   x.rule",
        "  at /a/b  /attributes/k",
        "  Got [bold]x[/bold].",
        "  see spec §2.1",
    ]
    assert lines[-1] == "1 error, 0 warnings"


def test_validate_target_puts_read_problems_first_and_never_raises(tmp_path: Path) -> None:
    root = tmp_path / "s.zarr"
    (root / "bad").mkdir(parents=True)
    (root / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    (root / "bad" / "zarr.json").write_text("{")

    def check(h: Hierarchy) -> Report:
        return Report("ignored", (WARNING,), convention="demo", version="1")

    report = validate_target(root, check)
    assert report.target == str(root)
    assert [i.rule for i in report.issues] == [
        "zarr.metadata.malformed-json",
        "zarr.hierarchy.unlistable",
    ]
    assert (report.convention, report.exit_code) == ("demo", 1)
    missing = validate_target(tmp_path / "nope", check)
    assert (missing.readable, missing.exit_code) == (False, 2)
    assert "no such file" in missing.issues[0].message
