"""The ``geozarr`` command: GeoZarr and CF tools."""

from __future__ import annotations

from typing import NoReturn, cast

import click

from geozarr.detection import detect, discover
from geozarr.report import build_report
from geozarr.validate import PROFILES, Profile, validate
from ngff_geozarr.core.cli import (
    emit_report,
    make_info_command,
    make_report_command,
    parse_storage_options,
    run_guarded,
    storage_option,
)

__all__ = ["cli", "main", "validate_command"]


@click.group(help="GeoZarr and CF tools: inspect and validate geospatial Zarr stores.")
@click.version_option(package_name="ngff-geozarr")
def cli() -> None:
    """Group the ``geozarr`` subcommands."""


cli.add_command(make_info_command(detect, discover, "geospatial (CF, Zarr conventions, GeoZarr)"))
cli.add_command(
    make_report_command(
        lambda target, options: build_report(target, storage_options=options), "GeoZarr"
    )
)


@cli.command(
    name="validate",
    help="Validate every group and array of TARGET against GeoZarr: the Zarr conventions "
    "(zarr_conventions, proj:, spatial:, multiscales), CF (grid mappings, standard names, "
    "units, coordinates) and the v0.4 draft. TARGET is a store (directory, .zip, file://, "
    "http(s)://, s3://) or a JSON document (zarr.json, .zattrs, GroupSpec dump). Each issue "
    "names its rule and clause. Exit 0 valid (warnings allowed), 1 invalid, 2 unreadable.",
)
@click.argument("target")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="auto",
    show_default=True,
    help="Rules to run: auto detects them from what the store declares.",
)
@storage_option
def validate_command(
    target: str, output_format: str, profile: str, storage_options: tuple[str, ...]
) -> None:
    """Validate TARGET and print the report."""
    report = validate(
        target,
        profile=cast(Profile, profile),
        storage_options=parse_storage_options(storage_options),
    )
    emit_report(report, output_format)


def main() -> NoReturn:
    """Run the ``geozarr`` command line; failures print one line and exit with code 2."""
    run_guarded(cli)
