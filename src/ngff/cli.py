"""The ``ngff`` command: inspect, validate, convert, report, create and add levels."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from ngff.convert import convert
from ngff.create import Image, add_levels, write_image, write_labels
from ngff.create.arrange import arrange
from ngff.create.collection import write_series_collection
from ngff.create.options import check_labels
from ngff.create.sources import open_source
from ngff.describe import describe_ome
from ngff.detection import detect, discover
from ngff.fix import FIXERS
from ngff.profiles import READERS
from ngff.report import build_report
from ngff.rules import REGISTRY
from ngff.schemas import generate
from ngff.validate import validate
from ngff.versions import SPEC_VERSIONS
from ngff.viewing import open_images
from ngff_geozarr.core.cli import (
    compression_option,
    make_cli,
    parse_numbers,
    parse_storage_options,
    progress_bar,
    run_guarded,
    storage_option,
    write_options,
)
from ngff_geozarr.core.cli_audit import make_audit_command
from ngff_geozarr.core.cli_fix import make_fix_command
from ngff_geozarr.core.cli_readers import readers_option
from ngff_geozarr.core.convention import Convention
from ngff_geozarr.core.deep import DEEP_OPTIONS
from ngff_geozarr.core.inputs import Source, open_input
from ngff_geozarr.core.pyramid import METHODS
from ngff_geozarr.core.report import EXIT_VALID
from ngff_geozarr.core.store.writerecord import declared_source
from ngff_geozarr.core.viewer import add_view_command

__all__ = ["CONVENTION", "cli", "main"]

CONVENTION = Convention(
    name="ome-zarr",
    command="ngff",
    title="OME-Zarr",
    summary="OME-Zarr (OME-NGFF) tools: inspect, validate and convert stores.",
    detect=detect,
    discover=discover,
    validate=validate,
    validate_help="Validate TARGET against OME-Zarr 0.4, 0.5 or 0.6 (version detected from "
    "the metadata): every node's metadata, and the arrays, labels, wells and images it refers "
    "to.",
    build_report=build_report,
    registry=REGISTRY,
    schema_documents=generate,
    describe=describe_ome,
    validate_options=(readers_option(READERS), *DEEP_OPTIONS),
)
"""The OME-Zarr convention as the shared command-line scaffold sees it."""

cli = make_cli(CONVENTION)
cli.add_command(make_audit_command(CONVENTION, tuple(READERS)))
cli.add_command(make_fix_command(CONVENTION, FIXERS))
add_view_command(cli, CONVENTION, open_images)
"""The ``ngff`` command group."""


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
@storage_option
def _convert_command(
    src: str,
    to_version: str,
    out: str | None,
    in_place: bool,
    overwrite: bool,
    storage_options: tuple[str, ...],
) -> None:
    """Convert a store's metadata to another version."""
    if (out is None) == (not in_place):
        raise click.UsageError("give exactly one of --out DST or --in-place.")
    result = convert(
        src,
        to_version,  # type: ignore[arg-type]
        out=out,
        overwrite=overwrite,
        storage_options=parse_storage_options(storage_options),
    )
    click.echo(result.summary())
    sys.exit(EXIT_VALID)


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [v.strip() for v in text.split(",")]


def _windows(text: str | None) -> list[tuple[float, float]] | None:
    if text is None:
        return None
    windows = []
    for item in text.split(","):
        start, _, end = item.partition(":")
        try:
            windows.append((float(start), float(end)))
        except ValueError:
            raise click.BadParameter(
                f"expected START:END per channel, comma-separated. Got {item!r}.",
                param_hint="--channel-windows",
            ) from None
    return windows


def _show_calibration(source: Source, names: list[Any] | None) -> None:
    """Say which sample sizes the file's metadata gives (the writer applies them)."""
    found = source.calibration.for_axes([str(n) for n in names]) if names else None
    if found is not None and names:
        shown = ", ".join(f"{n}={v:g}" for n, v in zip(names, found[0], strict=True))
        click.echo(f"scale from the file's {source.calibration.source} metadata: {shown}")


def _units(text: str | None) -> str | list[str | None] | None:
    if text is None or "," not in text:
        return text
    return [u or None for u in text.split(",")]


def _summary(target: str, image: Image) -> str:
    shapes = " -> ".join("x".join(map(str, a.shape)) for a in image.arrays)
    return f"wrote {target}: OME-Zarr {image.version}, {len(image.arrays)} levels ({shapes})"


@cli.command(
    name="create",
    help="Create the OME-Zarr image OUT from INPUT (.tif/.tiff with the file's axes, .npy, or a "
    "Zarr array STORE or STORE::PATH): level 0 and every downsampled level, in one pass and "
    "bounded memory, the metadata written last. Per-axis lists are comma-separated and in OME "
    "axis order (t, c, z, y, x). An OUT ending in .ozx is written as an RFC-9 single-file "
    "OME-Zarr (0.5/0.6, sharded by default), which appears only once complete. Exit 0 on "
    "success, 2 on any error.",
)
@click.argument("input_path", metavar="INPUT")
@click.argument("out", metavar="OUT.ome.zarr")
@click.option(
    "--axes",
    default=None,
    help="Axes of INPUT in its own order, e.g. 'zyx' or "
    "'yxc' (default: the TIFF's axes, else yx/zyx/czyx/tczyx).",
)
@click.option(
    "--scale",
    default=None,
    help="Pixel size per axis, e.g. '2,0.5,0.5' (default: a TIFF's OME-XML or ImageJ "
    "calibration, else 1).",
)
@click.option("--translation", default=None, help="Position of the first pixel per axis.")
@click.option(
    "--units",
    default=None,
    help="One unit for every space axis (e.g. "
    "'micrometer'), or one per axis, comma-separated (empty for none).",
)
@click.option("--method", type=click.Choice(METHODS), default="mean", show_default=True)
@click.option(
    "--levels",
    type=click.IntRange(min=1),
    default=None,
    help="Number of levels, base included (default: until one chunk holds the "
    "largest spatial extent).",
)
@click.option("--chunks", default=None, help="Chunk shape, e.g. '64,256,256'.")
@click.option("--shards", default=None, help="Shard shape (0.5/0.6), a multiple of the chunks.")
@click.option(
    "--for",
    "layout_for",
    type=click.Choice(["viewer", "archive", "gdal", "source"]),
    default=None,
    help="Choose the chunks and shards for a reader instead of --chunks/--shards: viewer "
    "(small chunks in ~8 MiB shards), archive (larger chunks in ~64 MiB shards, for object "
    "stores), gdal (512 x 512 planes, unsharded); or source: a Zarr input's own chunks, "
    "shards and compressors (in place of --compression), its chunks copied as stored, not "
    "encoded again. 0.4 takes the chunks only.",
)
@click.option(
    "--version",
    "version",
    type=click.Choice(["0.4", "0.5", "0.6"]),
    default="0.5",
    show_default=True,
)
@compression_option
@click.option(
    "--name",
    default=None,
    help="The image's name (default: the name INPUT records, else INPUT's stem).",
)
@click.option(
    "--omero",
    is_flag=True,
    help="Write omero channel metadata (display window from quantiles of the coarsest level); "
    "implied by the channel options and by channel metadata INPUT records.",
)
@click.option(
    "--channel-names",
    default=None,
    metavar="A,B,...",
    help="One name per channel, comma-separated (default: INPUT's channel names).",
)
@click.option(
    "--channel-colors",
    default=None,
    metavar="C1,C2,...",
    help="One colour per channel: RRGGBB, #RRGGBB or a name (red, green, blue, cyan, "
    "magenta, yellow, white, gray, ...), comma-separated.",
)
@click.option(
    "--channel-windows",
    default=None,
    metavar="START:END,...",
    help="One display window per channel, e.g. '0:255,10:4000'.",
)
@click.option(
    "--rgb/--no-rgb",
    default=None,
    help="The channels are the red, green, blue (alpha) samples of one colour image "
    "(default: INPUT's photometric interpretation; without axes, colour samples last).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing OUT: the new store is written beside it and swapped in once "
    "complete (local directories, .zip and .ozx files).",
)
@click.option(
    "--labels",
    "labels_path",
    default=None,
    metavar="LABELS",
    help="A label image of INPUT's shape (same kinds of input), written with "
    "'mode' to labels/NAME.",
)
@click.option(
    "--labels-name", default=None, help="Name of the label image (default: the stem of LABELS)."
)
@click.option("--labels-axes", default=None, help="Axes of LABELS (default: as --axes).")
@click.option(
    "--series",
    default=None,
    metavar="N|all",
    help="Which image of a multi-image TIFF to write (default: the first); 'all' writes "
    "every series as one collection (bioformats2raw layout: OUT/0, OUT/1, ... and OUT/OME).",
)
@write_options
@storage_option
def _create_command(
    input_path: str,
    out: str,
    axes: str | None,
    scale: str | None,
    translation: str | None,
    units: str | None,
    method: str,
    levels: int | None,
    chunks: str | None,
    shards: str | None,
    layout_for: str | None,
    version: str,
    compression: str,
    name: str | None,
    omero: bool,
    channel_names: str | None,
    channel_colors: str | None,
    channel_windows: str | None,
    rgb: bool | None,
    overwrite: bool,
    labels_path: str | None,
    labels_name: str | None,
    labels_axes: str | None,
    series: str | None,
    resume: bool,
    workers: int | None,
    quiet: bool,
    storage_options: tuple[str, ...],
) -> None:
    """Create an OME-Zarr image (and optionally its labels) from a file."""
    options = parse_storage_options(storage_options)
    if series == "all":
        _write_collection(input_path, out, version, locals())
        sys.exit(EXIT_VALID)
    if series is not None and not series.isdigit():
        raise click.BadParameter(f"expected a series number or 'all'. Got {series!r}.")
    source = open_input(input_path, series=None if series is None else int(series))
    scale_values = parse_numbers(scale, float, "--scale")
    arranged = arrange(source, axes, rgb=source.rgb if rgb is None else rgb)
    if scale_values is None:
        _show_calibration(source, arranged.axes)
    label_data = None
    if labels_path is not None:
        label_data, _ = open_source(labels_path, labels_axes or axes)
        check_labels(label_data, arranged.data.shape)
    stem = Path(input_path.rstrip("/")).name.split(".")[0] or "image"
    with progress_bar("image", quiet=quiet) as progress, declared_source(input_path):
        image = write_image(
            source,
            out,
            axes=axes,
            scale=scale_values,
            translation=parse_numbers(translation, float, "--translation"),
            units=_units(units),
            name=name or source.name or stem,
            method=method,
            levels=levels,
            chunks=parse_numbers(chunks, int, "--chunks"),
            shards=parse_numbers(shards, int, "--shards"),
            layout_for=layout_for,
            version=version,
            compression=compression,
            omero=omero,
            channel_names=_split(channel_names),
            channel_colors=_split(channel_colors),
            channel_windows=_windows(channel_windows),
            rgb=rgb,
            overwrite=overwrite,
            resume=resume,
            workers=workers,
            progress=progress,
            storage_options=options,
        )
    click.echo(_summary(out, image))
    if label_data is not None and labels_path is not None:
        label_name = labels_name or Path(labels_path.rstrip("/")).name.split(".")[0]
        with progress_bar(f"labels/{label_name}", quiet=quiet) as progress:
            write_labels(
                label_data,
                out,
                label_name,
                resume=resume,
                workers=workers,
                progress=progress,
                storage_options=options,
            )
        click.echo(f"wrote {out}/labels/{label_name}: {len(image.arrays)} levels (mode)")
    sys.exit(EXIT_VALID)


def _write_collection(input_path: str, out: str, version: str, given: dict[str, Any]) -> None:
    """``--series all``: every series of INPUT as one collection."""
    refused: tuple[str, ...] = ("axes", "scale", "translation", "name", "channel_names")
    refused += ("channel_colors", "channel_windows", "labels_path", "overwrite", "resume")
    named = [f"--{k.replace('_path', '').replace('_', '-')}" for k in refused if given[k]]
    if named:
        raise click.UsageError(
            f"--series all takes each series as the file records it: drop {', '.join(named)}."
        )
    with progress_bar("series", quiet=given["quiet"]) as progress:
        images = write_series_collection(
            input_path,
            out,
            version=version,
            units=_units(given["units"]),
            method=given["method"],
            levels=given["levels"],
            chunks=parse_numbers(given["chunks"], int, "--chunks"),
            shards=parse_numbers(given["shards"], int, "--shards"),
            layout_for=given["layout_for"],
            compression=given["compression"],
            omero=given["omero"],
            rgb=given["rgb"],
            workers=given["workers"],
            progress=progress,
        )
    for index, image in enumerate(images):
        click.echo(_summary(f"{out}/{index}", image))


@cli.command(
    name="pyramid",
    help="Add the downsampled levels to the OME-Zarr image TARGET, which holds only level 0. "
    "New levels copy the base's chunks, shards and codecs; the metadata is rewritten last. "
    "Exit 0 on success, 2 on any error.",
)
@click.argument("target")
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=None,
    help="Downsampling kernel (default: mode for a label image, else mean).",
)
@click.option(
    "--levels",
    type=click.IntRange(min=1),
    default=None,
    help="Number of levels, base included (default: automatic).",
)
@write_options
@storage_option
def _pyramid_command(
    target: str,
    method: str | None,
    levels: int | None,
    resume: bool,
    workers: int | None,
    quiet: bool,
    storage_options: tuple[str, ...],
) -> None:
    """Add levels to an image holding only level 0."""
    with progress_bar("levels", quiet=quiet) as progress:
        image = add_levels(
            target,
            method=method,
            levels=levels,
            resume=resume,
            workers=workers,
            progress=progress,
            storage_options=parse_storage_options(storage_options),
        )
    click.echo(_summary(target, image))
    sys.exit(EXIT_VALID)


def main() -> NoReturn:
    """Run the ``ngff`` command line; failures print one line and exit with code 2."""
    run_guarded(cli)
