"""The one command-line scaffold: both CLIs built from a Convention, one error policy.

Issue 11 point 4: the shared commands have the same options and messages in ``ngff`` and
``geozarr``, and every failure is one line ``"<command>: error: <message>"`` (``ngff
convert`` used to print ``"ngff convert: error:"`` while the rest printed ``"ngff: error:"``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geozarr.cli import CONVENTION as GEOZARR
from geozarr.cli import cli as geozarr_cli
from ngff.cli import CONVENTION as OME_ZARR
from ngff.cli import cli as ngff_cli
from ngff_geozarr.core.cli import (
    ConventionGroup,
    parse_numbers,
    progress_bar,
    run_guarded,
)
from ngff_geozarr.core.convention import write_schema_documents
from ngff_geozarr.core.pyramid import Progress

CLIS = {"ngff": ngff_cli, "geozarr": geozarr_cli}
SHARED = ("validate", "info", "report", "rules")


def _options(command: click.Command) -> list[tuple[str, ...]]:
    return [tuple(p.opts) for p in command.params]


def _one_error_line(stderr: str, command: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{command}: error: "), lines[0]
    return lines[0]


def test_both_clis_are_built_from_their_convention() -> None:
    for convention, group in ((OME_ZARR, ngff_cli), (GEOZARR, geozarr_cli)):
        assert isinstance(group, ConventionGroup)
        assert group.name == convention.command
        assert set(SHARED) <= set(group.commands)
    assert (OME_ZARR.name, GEOZARR.name) == ("ome-zarr", "geozarr")


@pytest.mark.parametrize("name", SHARED)
def test_shared_commands_have_the_same_options(name: str) -> None:
    ngff_options = _options(ngff_cli.commands[name])
    geozarr_options = [o for o in _options(geozarr_cli.commands[name]) if o != ("--profile",)]
    assert ngff_options == geozarr_options
    # the options a convention adds are its own: only geozarr validate has --profile
    assert (("--profile",) in _options(geozarr_cli.commands[name])) == (name == "validate")


def test_option_groups_add_their_options_in_order() -> None:
    """``write_options`` and ``storage_option`` are option groups: every option, in order."""
    for group in (ngff_cli, geozarr_cli):
        pyramid = _options(group.commands["pyramid"])
        at = pyramid.index(("--resume",))
        assert pyramid[at : at + 3] == [("--resume",), ("--workers",), ("--quiet",)]
        validate = _options(group.commands["validate"])
        at = validate.index(("--storage-option",))
        assert validate[at : at + 3] == [("--storage-option",), ("--timeout",), ("--retries",)]


def test_shared_help_ends_the_same_way() -> None:
    tails = {
        command: (group.commands["validate"].help or "").split("TARGET is a store")[1]
        for command, group in CLIS.items()
    }
    assert tails["ngff"] == tails["geozarr"]
    assert "Exit 0 valid (warnings allowed), 1 invalid, 2 unreadable, 3 incomplete" in tails["ngff"]


@pytest.mark.parametrize(
    ("command", "args", "needle"),
    [
        ("ngff", ["convert", "{tmp}/nope.zarr", "--to", "0.5", "--out", "{tmp}/x"], "no such"),
        ("ngff", ["convert", "{tmp}/nope.zarr", "--to", "0.5"], "exactly one of --out"),
        ("ngff", ["validate", "{tmp}/nope.zarr"], "no such"),
        ("ngff", ["create", "{tmp}/nope.npy", "{tmp}/o.zarr", "--levels", "0"], "--levels"),
        ("ngff", ["create", "{tmp}/nope.npy", "{tmp}/o.zarr"], "nope.npy"),
        ("geozarr", ["convert", "{tmp}/nope.zarr", "{tmp}/x", "--zarr-format", "2"], "no such"),
        ("geozarr", ["create", "{tmp}/nope.tif", "{tmp}/o.zarr"], "no such file"),
        ("geozarr", ["validate", "{tmp}/nope.zarr", "--format", "json"], "no such"),
        ("geozarr", ["info", "{tmp}", "--format", "xml"], "xml"),
    ],
)
def test_every_failure_is_one_line_prefixed_by_the_command(
    command: str, args: list[str], needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(CLIS[command], argv)
    assert result.exit_code == 2, result.output
    assert needle in _one_error_line(result.stderr, command)
    assert "Traceback" not in result.output
    # the same line through the console-script entry point, whatever argv[0] is
    monkeypatch.setattr(sys, "argv", ["/some/where/python3 -m tool"])
    with pytest.raises(SystemExit) as exit_info:
        run_guarded(CLIS[command], argv)
    assert exit_info.value.code == 2


def test_run_guarded_prints_the_command_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["__main__.py"])
    for command, group in CLIS.items():
        with pytest.raises(SystemExit) as exit_info:
            run_guarded(group, ["info", str(tmp_path / "nope.zarr")])
        assert exit_info.value.code == 2
        assert "no such" in _one_error_line(capsys.readouterr().err, command)


def test_run_guarded_keeps_help_and_version_exit_codes() -> None:
    for args in (["--help"], ["--version"], ["rules", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            run_guarded(ngff_cli, args)
        assert exit_info.value.code == 0


def test_parse_numbers() -> None:
    assert parse_numbers("64, 256,256", int, "--chunks") == [64, 256, 256]
    assert parse_numbers("2,0.5", float, "--scale") == [2.0, 0.5]
    assert parse_numbers(None, int, "--chunks") is None
    with pytest.raises(click.BadParameter, match="comma-separated int"):
        parse_numbers("1,x", int, "--chunks")


def test_progress_bar_counts_on_stderr_and_clears_on_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress_bar("copy", unit="chunks") as update:
        update(Progress(done=3, total=4, level=0))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "3/4" in captured.err
    assert "chunks" in captured.err
    with progress_bar("copy", quiet=True) as update:
        update(Progress(done=3, total=4, level=0))
    assert capsys.readouterr().err == ""

    def fail_half_way() -> None:
        with progress_bar("copy") as update:
            update(Progress(done=1, total=4, level=0))
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert "1/4" not in capsys.readouterr().err


def test_schema_documents_are_written_the_same_way_for_both(tmp_path: Path) -> None:
    for convention in (OME_ZARR, GEOZARR):
        documents = convention.schema_documents()
        written = write_schema_documents(documents, tmp_path / convention.command)
        assert [p.relative_to(tmp_path / convention.command).as_posix() for p in written] == list(
            documents
        )
        assert all(
            p.read_text(encoding="utf-8") == documents[n]
            for p, n in zip(written, documents, strict=True)
        )
    # the packages' own entry points use it: geozarr.schemas.write_schemas included
    from geozarr.schemas import write_schemas

    again = write_schemas(tmp_path / "root")
    assert {p.relative_to(tmp_path / "root" / "geozarr").as_posix() for p in again} == set(
        GEOZARR.schema_documents()
    )
