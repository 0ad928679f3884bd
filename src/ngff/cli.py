"""The ``ngff`` command: OME-Zarr tools."""

from __future__ import annotations

from typing import NoReturn

import click

from ngff.detection import detect, discover
from ngff_geozarr.core.cli import make_info_command, run_guarded

__all__ = ["cli", "main"]


@click.group(
    help="OME-Zarr (OME-NGFF) tools: inspect stores (more commands arrive with each release)."
)
@click.version_option(package_name="ngff-geozarr")
def cli() -> None:
    """Group the ``ngff`` subcommands."""


cli.add_command(make_info_command(detect, discover, "OME-Zarr"))


def main() -> NoReturn:
    """Run the ``ngff`` command line; failures print one line and exit with code 2."""
    run_guarded(cli)
