"""The ``ngff`` command: OME-Zarr tools (``info``, ``validate``, ``convert``, ``report``)."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from ngff.convert import ConversionError, convert
from ngff.detection import detect, discover
from ngff.report import build_report
from ngff.validate import validate
from ngff.versions import SPEC_VERSIONS
from ngff_geozarr.core.cli import (
    emit_report,
    make_info_command,
    make_report_command,
    parse_storage_options,
    run_guarded,
    storage_option,
)
from ngff_geozarr.core.report import EXIT_UNREADABLE, EXIT_VALID

__all__ = ["cli", "main"]


@click.group(help="OME-Zarr (OME-NGFF) tools: inspect, validate and convert stores.")
@click.version_option(package_name="ngff-geozarr")
def cli() -> None:
    """Group the ``ngff`` subcommands."""


cli.add_command(make_info_command(detect, discover, "OME-Zarr"))
cli.add_command(
    make_report_command(
        lambda target, options: build_report(target, storage_options=options), "OME-Zarr"
    )
)


@cli.command(
    name="validate",
    help="Validate TARGET against OME-Zarr 0.4, 0.5 or 0.6 (version detected from the "
    "metadata): every node's metadata, and the arrays, labels, wells and images it refers to. "
    "TARGET is a store (directory, .zip, file://, http(s)://, s3://) or a JSON document. "
    "Exit 0 valid (warnings allowed), 1 invalid, 2 unreadable.",
)
@click.argument("target")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option("--strict", is_flag=True, help="Apply the strict profile: SHOULDs become errors.")
@storage_option
def _validate_command(
    target: str, output_format: str, strict: bool, storage_options: tuple[str, ...]
) -> None:
    """Validate a target and print its report."""
    report = validate(target, strict=strict, storage_options=parse_storage_options(storage_options))
    emit_report(report, output_format)


@cli.command(
    name="convert",
    help="Convert the OME-Zarr metadata of SRC to another version. Only metadata is written: "
    "chunk bytes are never rewritten or deleted (0.4 -> 0.5 writes Zarr v3 metadata with the "
    "'v2' chunk key encoding so the existing chunk files stay valid). With --out, SRC is left "
    "untouched and DST must not exist unless --overwrite; with --in-place, the new metadata is "
    "written before any old document is removed.",
)
@click.argument("src")
@click.option("--to", "to_version", type=click.Choice(list(SPEC_VERSIONS)), required=True)
@click.option("--out", "out", default=None, metavar="DST", help="Write the result to DST.")
@click.option("--in-place", is_flag=True, help="Rewrite the metadata of SRC itself.")
@click.option("--overwrite", is_flag=True, help="Replace an existing DST.")
def _convert_command(
    src: str, to_version: str, out: str | None, in_place: bool, overwrite: bool
) -> None:
    """Convert a store's metadata to another version."""
    if (out is None) == (not in_place):
        raise click.UsageError("give exactly one of --out DST or --in-place.")
    try:
        result = convert(src, to_version, out=out, overwrite=overwrite)  # type: ignore[arg-type]
    except ConversionError as exc:
        click.echo(f"ngff convert: error: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    click.echo(result.summary())
    sys.exit(EXIT_VALID)


def main() -> NoReturn:
    """Run the ``ngff`` command line; failures print one line and exit with code 2."""
    run_guarded(cli)
