"""The ``geozarr`` command: GeoZarr and CF tools."""

from __future__ import annotations

from typing import Any, Literal, NoReturn, cast

import click
import numpy as np

from geozarr.convert import convert
from geozarr.describe import describe_geo
from geozarr.detection import detect, discover
from geozarr.fix import FIXERS
from geozarr.profiles import READERS
from geozarr.pyramid import pyramid
from geozarr.report import build_report
from geozarr.reproject.cli import reject_without_to_crs, run_webmap, webmap_options
from geozarr.rules import REGISTRY
from geozarr.schemas import schema_documents
from geozarr.validate import PROFILES, validate
from geozarr.viewing import open_images
from geozarr.write import write
from geozarr.writing.netcdf import is_netcdf_file, zarr_variable
from ngff_geozarr.core.cli import (
    compression_option,
    make_cli,
    parse_numbers,
    parse_storage_options,
    progress_bar,
    quiet_option,
    resume_option,
    run_guarded,
    storage_option,
    write_options,
)
from ngff_geozarr.core.cli_audit import make_audit_command
from ngff_geozarr.core.cli_fix import make_fix_command
from ngff_geozarr.core.cli_readers import readers_option
from ngff_geozarr.core.convention import Convention
from ngff_geozarr.core.deep import DEEP_OPTIONS
from ngff_geozarr.core.inputs import open_input
from ngff_geozarr.core.pyramid import METHODS, Method
from ngff_geozarr.core.store import ZarrFormat
from ngff_geozarr.core.store.writerecord import declared_source
from ngff_geozarr.core.viewer import add_view_command

__all__ = [
    "CONVENTION",
    "cli",
    "convert_command",
    "create_command",
    "main",
    "pyramid_command",
    "validate_command",
]

CONVENTION = Convention(
    name="geozarr",
    command="geozarr",
    title="GeoZarr",
    summary="GeoZarr and CF tools: create, inspect, validate and convert geospatial Zarr stores.",
    detect=detect,
    discover=discover,
    validate=validate,
    validate_help="Validate every group and array of TARGET against GeoZarr: the Zarr "
    "conventions (zarr_conventions, proj:, spatial:, multiscales), CF (grid mappings, standard "
    "names, units, coordinates) and the v0.4 draft.",
    build_report=build_report,
    registry=REGISTRY,
    schema_documents=schema_documents,
    info_label="geospatial (CF, Zarr conventions, GeoZarr)",
    describe=describe_geo,
    validate_options=(
        click.option(
            "--profile",
            type=click.Choice(PROFILES),
            default="auto",
            show_default=True,
            help="Rules to run: auto detects them from what the store declares.",
        ),
        readers_option(READERS),
        *DEEP_OPTIONS,
    ),
)
"""The GeoZarr convention as the shared command-line scaffold sees it."""

cli = make_cli(CONVENTION)
cli.add_command(make_audit_command(CONVENTION, tuple(READERS)))
cli.add_command(make_fix_command(CONVENTION, FIXERS))
add_view_command(cli, CONVENTION, open_images)
"""The ``geozarr`` command group."""

validate_command = cli.commands["validate"]
"""The ``validate`` command (built by the shared scaffold)."""


def main() -> NoReturn:
    """Run the ``geozarr`` command line; failures print one line and exit with code 2."""
    run_guarded(cli)


# -- creation, pyramids, conversion -----------------------------------------------------------


def _read_input(
    source: str, crs: str | None, transform: str | None, nodata: float | None
) -> tuple[Any, Any, Any, float | None]:
    """Open INPUT through the shared reader layer; options override what the file declares.

    A GeoTIFF carries its CRS, transform and nodata; a .npy file or a Zarr array
    (``STORE::PATH``) needs ``--crs`` and ``--transform``.
    """
    opened = open_input(source, georeferenced=True)
    crs_value = crs or opened.crs
    transform_value = transform or opened.transform
    if crs_value is None or transform_value is None:
        kind = {"npy": "a .npy input", "zarr": "a Zarr array input"}.get(
            opened.format, "an input without a CRS and transform"
        )
        raise click.ClickException(f"{kind} needs --crs and --transform.")
    return (
        opened.data,
        crs_value,
        transform_value,
        nodata if nodata is not None else opened.nodata,
    )


def _methods(values: tuple[str, ...]) -> Method | dict[str, Method] | None:
    """Parse ``--method``: one kernel for every variable, or ``VAR=KERNEL`` pairs."""
    plain = [v for v in values if "=" not in v]
    pairs = dict(v.split("=", 1) for v in values if "=" in v)
    for kernel in [*plain, *pairs.values()]:
        if kernel not in METHODS:
            raise click.BadParameter(
                f"expected one of {', '.join(METHODS)} or VAR=KERNEL. Got {kernel!r}.",
                param_hint="--method",
            )
    if (plain and pairs) or len(plain) > 1:
        raise click.BadParameter(
            "expected one kernel for every variable, or VAR=KERNEL pairs, not both.",
            param_hint="--method",
        )
    if plain:
        return cast(Method, plain[0])
    return cast(dict[str, Method], pairs) or None


_METHOD_OPTION = click.option(
    "--method",
    "methods",
    multiple=True,
    metavar="KERNEL|VAR=KERNEL",
    help=f"Pyramid kernel ({', '.join(METHODS)}) for every variable, or per variable "
    "(repeat VAR=KERNEL); default: mean, mode for flags.",
)

_CONSOLIDATED = click.option(
    "--consolidated/--no-consolidated",
    default=True,
    show_default=True,
    help="Write consolidated metadata at the root last.",
)


@cli.command(
    name="create",
    help="Write INPUT as a GeoZarr raster OUT: CF (grid mapping, x/y coordinates) and the "
    "Zarr conventions (proj:, spatial:). INPUT is a GeoTIFF (needs the 'geo' extra), a "
    "NetCDF/HDF5 file (needs the 'netcdf' extra; every variable on its grid, CF encodings "
    "and coordinates kept), a .npy file (with --crs and --transform), or a Zarr array "
    "STORE::PATH (a CF/GeoZarr variable keeps its packing, attributes, CRS and transform; a bare "
    "array needs --crs and --transform). --levels auto also writes the pyramid in the "
    "same pass.",
)
@click.argument("source", metavar="INPUT")
@click.argument("out")
@click.option("--crs", help="CRS: EPSG:32632, WKT, PROJJSON (default: from the GeoTIFF).")
@click.option("--transform", help="Affine transform a,b,c,d,e,f (rasterio's order, pixel corners).")
@click.option("--nodata", type=float, help="The nodata value (default NaN for floats).")
@click.option("--name", default=None, help="Variable name (default 'data').")
@click.option("--dims", default="y,x", show_default=True, help="Dimension names.")
@click.option("--zarr-format", type=click.Choice(["2", "3"]), default="3", show_default=True)
@click.option("--chunks", default="512,512", show_default=True, help="Chunk shape.")
@click.option("--shards", default=None, help="Shard shape (Zarr v3; default unsharded).")
@click.option("--levels", default="1", show_default=True, help="1, a number, or auto.")
@_METHOD_OPTION
@compression_option
@_CONSOLIDATED
@write_options
@storage_option
def create_command(
    source: str,
    out: str,
    crs: str | None,
    transform: str | None,
    nodata: float | None,
    name: str | None,
    dims: str,
    zarr_format: str,
    chunks: str,
    shards: str | None,
    levels: str,
    methods: tuple[str, ...],
    compression: str,
    consolidated: bool,
    resume: bool,
    workers: int | None,
    quiet: bool,
    storage_options: tuple[str, ...],
) -> None:
    """Create a GeoZarr raster."""
    kernels = _methods(methods)
    if is_netcdf_file(source):
        # NetCDF / HDF5 through xarray: its CRS, transform, encodings and coordinates.
        data: Any = source
        crs_value, transform_value, nodata_value = crs, transform, nodata
        dim_names: tuple[str, ...] | None = None
    elif (variable := zarr_variable(source, crs, transform)) is not None:
        # a CF / GeoZarr variable: its encoding (packing), attributes, CRS and transform
        data, crs_value, transform_value, nodata_value = variable, crs, transform, nodata
        dim_names = None
    else:
        data, crs_value, transform_value, nodata_value = _read_input(source, crs, transform, nodata)
        dim_names = tuple(d.strip() for d in dims.split(","))
        if len(dim_names) == 2 and np.ndim(data) == 3:
            dim_names = ("band", *dim_names)
    with progress_bar(f"create {out}", quiet=quiet) as update, declared_source(source):
        result = write(
            data,
            out,
            crs=crs_value,
            transform=transform_value,
            nodata=nodata_value,
            name=name,
            dims=dim_names,
            zarr_format=cast(ZarrFormat, int(zarr_format)),
            chunks=parse_numbers(chunks, int, "--chunks"),
            shards=parse_numbers(shards, int, "--shards"),
            levels=_levels(levels),
            method=kernels,
            compression=compression,
            consolidated=consolidated,
            resume=resume,
            workers=workers,
            progress=update,
            storage_options=parse_storage_options(storage_options),
        )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"Wrote {', '.join(result.variables)} to {result.target}.")


@cli.command(
    name="pyramid",
    help="Add overview levels to the GeoZarr raster at TARGET's root, in place: child groups "
    "1, 2, ... (each a self-describing GeoZarr group) and a multiscales layout at the root, "
    "written last. The default kernel is the NaN/nodata-aware mean (mode for classes). "
    "With --to-crs, reproject TARGET (a GeoZarr store or a GeoTIFF) into the new store "
    "--output instead: EPSG:3857 gives WebMercatorQuad zoom levels, one chunk per tile.",
)
@click.argument("target")
@click.option(
    "--variable",
    "variables",
    multiple=True,
    help="A data variable to reduce (repeatable; default: every variable on the grid).",
)
@_METHOD_OPTION
@click.option("--levels", default="auto", show_default=True, help="auto or a number.")
@click.option("--factors", type=int, default=2, show_default=True, help="Factor per level.")
@click.option("--min-extent", type=int, default=None, help="auto: stop at this side or less.")
@_CONSOLIDATED
@write_options
@storage_option
@webmap_options
def pyramid_command(
    target: str,
    variables: tuple[str, ...],
    methods: tuple[str, ...],
    levels: str,
    factors: int,
    min_extent: int | None,
    consolidated: bool,
    resume: bool,
    workers: int | None,
    quiet: bool,
    storage_options: tuple[str, ...],
    to_crs: str | None,
    **webmap: Any,
) -> None:
    """Write a pyramid in place, or reproject TARGET into a new store (--to-crs)."""
    if to_crs is None:
        reject_without_to_crs(**webmap)
    elif len(variables) > 1 or len(methods) > 1 or any("=" in m for m in methods):
        raise click.UsageError("--to-crs takes one --variable and one --method KERNEL.")
    # what both ways of writing a pyramid take
    shared: dict[str, Any] = {
        "levels": _levels(levels),
        "factors": factors,
        "min_extent": min_extent,
        "resume": resume,
        "consolidated": consolidated,
        "workers": workers,
        "storage_options": parse_storage_options(storage_options),
    }
    if to_crs is not None:
        with progress_bar(f"pyramid {target}", quiet=quiet) as update:
            line = run_webmap(
                target,
                to_crs=to_crs,
                **webmap,
                variable=variables[0] if variables else None,
                method=methods[0] if methods else None,
                progress=update,
                **shared,
            )
        click.echo(line)
        return
    with progress_bar(f"pyramid {target}", quiet=quiet) as update:
        result = pyramid(
            target,
            variable=list(variables) or None,
            method=_methods(methods),
            progress=update,
            **shared,
        )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    shapes = ", ".join("x".join(map(str, s)) for s in result.shapes)
    names = ", ".join(f"{k} ({v})" for k, v in result.methods.items())
    click.echo(f"Wrote {len(result.paths)} levels of {names}: {shapes}.")


@cli.command(
    name="convert",
    help="Copy SRC into DST in another Zarr format (--zarr-format 2 or 3): chunk bytes copied "
    "exactly, _ARRAY_DIMENSIONS <-> dimension_names, fill values (NaN included) and every "
    "attribute carried over. Metadata is written last. With --in-place instead of DST, only "
    "the metadata of SRC is rewritten, under a journal that a rerun uses to complete an "
    "interrupted conversion.",
)
@click.argument("src")
@click.argument("dst", required=False)
@click.option("--zarr-format", type=click.Choice(["2", "3"]), required=True)
@click.option("--in-place", is_flag=True, help="Rewrite the metadata of SRC itself.")
@click.option(
    "--overwrite", is_flag=True, help="Replace an existing DST (swapped in when complete)."
)
@_CONSOLIDATED
@resume_option
@quiet_option
@storage_option
def convert_command(
    src: str,
    dst: str | None,
    zarr_format: str,
    in_place: bool,
    overwrite: bool,
    consolidated: bool,
    resume: bool,
    quiet: bool,
    storage_options: tuple[str, ...],
) -> None:
    """Convert between Zarr formats."""
    if (dst is None) == (not in_place):
        raise click.UsageError("give exactly one of DST or --in-place.")
    with progress_bar(f"convert {src}", unit="chunks", quiet=quiet) as update:
        result = convert(
            src,
            dst,
            zarr_format=cast(ZarrFormat, int(zarr_format)),
            overwrite=overwrite,
            consolidated=consolidated,
            resume=resume,
            progress=update,
            storage_options=parse_storage_options(storage_options),
        )
    click.echo(
        f"Wrote {result.destination} (Zarr v{result.zarr_format}): {result.copied} chunks "
        f"copied, {result.skipped} kept, {result.documents} documents."
    )


def _levels(text: str) -> int | Literal["auto"]:
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise click.BadParameter(
            f"expected 'auto' or a number, got {text!r}.", param_hint="--levels"
        ) from None
