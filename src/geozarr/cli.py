"""The ``geozarr`` command: GeoZarr and CF tools."""

from __future__ import annotations

from typing import NoReturn

import click

from geozarr.detection import detect, discover
from ngff_geozarr.core.cli import make_info_command, run_guarded

__all__ = ["cli", "main"]


@click.group(help="GeoZarr and CF tools: inspect stores (more commands arrive with each release).")
@click.version_option(package_name="ngff-geozarr")
def cli() -> None:
    """Group the ``geozarr`` subcommands."""


cli.add_command(make_info_command(detect, discover, "geospatial (CF, Zarr conventions, GeoZarr)"))


def main() -> NoReturn:
    """Run the ``geozarr`` command line; failures print one line and exit with code 2."""
    run_guarded(cli)
