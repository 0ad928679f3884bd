"""The fuzz suite's engine (issue 16, point 8): base stores, mutations, and the guarded run.

A *case* is a small, valid store written by the toolkit's own writers (an OME-Zarr image with
labels or a plate, 0.4, 0.5 or 0.6; a GeoZarr/CF raster with overviews, Zarr v2 or v3),
copied and then broken by one to three *mutations* drawn by hypothesis:

``value``
    one value of one metadata document replaced (type swaps, huge and negative numbers,
    NaN/Infinity, strings that are paths out of the store, NUL bytes, lone surrogates), or a
    key deleted, or a value nested thousands of levels deep;
``array``
    an array document given a huge declared shape, an absurd chunk grid (zero, negative,
    2**62, the wrong rank), an unknown or misconfigured codec, an impossible fill value or
    data type;
``transform``
    every number of the OME coordinate transformations or of the geospatial transform made
    NaN, Infinity, 1e308, 0 or negative;
``bytes``
    a document's bytes truncated, made non-UTF-8, broken JSON, an integer of 5,000 digits,
    JSON nested 100,000 levels deep, empty;
``filesystem``
    a document or a level replaced by a symbolic link to the store's neighbour (outside the
    store), by a directory, or removed; consolidated metadata dropped; a dataset path that
    climbs out with ``../``.

The same broken store is read by ``ngff validate``, ``geozarr validate`` (sometimes with
``--deep``, sometimes ``--strict``) and ``info`` through the Python API, under guards
(:func:`guarded`): no exception of any kind (nor a warning), no file opened outside the
store (an audit hook sees every ``open``), no allocation beyond :data:`MEMORY_BOUND`
(tracemalloc, which numpy reports its buffers to), and no case longer than
:data:`CASE_SECONDS`. Every answer
must be a :class:`~ngff_geozarr.core.report.Report` whose JSON parses as strict JSON.

Beside every store lies ``outside/``: a valid OME-Zarr image and a secret file that the
mutations point at. Reading them would be reading outside the store.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sys
import threading
import traceback
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

import geozarr
import ngff
from ngff_geozarr.core.errors import TargetError
from ngff_geozarr.core.hierarchy import read_hierarchy
from ngff_geozarr.core.info import info_dict, render_info_text
from ngff_geozarr.core.report import Report

MEMORY_BOUND = 256 * 2**20
"""The most a case may allocate at once (bytes, as tracemalloc counts them): a declared
shape is never allocated, and the stores are a few kilobytes."""

CASE_SECONDS = 30.0
"""The longest a case may run: a loop over a declared chunk grid would never end."""

METADATA_NAMES = (".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json")
SECRET = "the-secret-outside-the-store"

# ----------------------------------------------------------------------------------------
# base stores


def _image(version: str) -> np.ndarray[Any, Any]:
    return (np.arange(2 * 12 * 10, dtype="uint16") % 251).reshape(2, 12, 10)


def build_bases(root: Path) -> dict[str, Path]:
    """Write the valid stores the cases start from, and the neighbour outside them.

    Parameters
    ----------
    root
        An empty folder.

    Returns
    -------
    dict
        The stores by name (``ngff-image-0.5``, ``ngff-plate-0.4``, ``geozarr-3``, ...), and
        ``outside``: the folder every case puts beside its store.
    """
    bases: dict[str, Path] = {}
    for version in ngff.SPEC_VERSIONS:
        image = root / f"ngff-image-{version}"
        ngff.write_image(
            _image(version),
            image,
            axes="cyx",
            scale=(1.0, 0.5, 0.5),
            translation=(0.0, 1.0, 2.0),
            levels=2,
            chunks=(1, 8, 8),
            version=version,
            name="cells",
        )
        labels = np.zeros((12, 10), "uint8")
        labels[2:6, 3:7] = 1
        ngff.write_labels(labels[None], image, "nuclei")
        bases[image.name] = image
        plate = root / f"ngff-plate-{version}"
        ngff.write_plate(
            plate,
            {"A/1": [_image(version)[0]], "B/2": [_image(version)[1]]},
            name="plate",
            version=version,
            axes="yx",
            levels=1,
            chunks=(8, 8),
        )
        bases[plate.name] = plate
    for zarr_format in (2, 3):
        raster = root / f"geozarr-{zarr_format}"
        values = np.linspace(0, 100, 12 * 10, dtype="float32").reshape(12, 10)
        values[0, 0] = np.nan
        geozarr.write(
            values,
            raster,
            crs="EPSG:32632",
            transform=(30.0, 0.0, 5e5, 0.0, -30.0, 5.2e6),
            zarr_format=zarr_format,
            chunks=(8, 8),
            nodata=float("nan"),
            levels=2,
            attributes={"title": "fuzz"},
        )
        bases[raster.name] = raster
    outside = root / "outside"
    outside.mkdir()
    shutil.copytree(bases["ngff-image-0.5"], outside / "image")
    (outside / "secret.json").write_text(json.dumps({"secret": SECRET}))
    bases["outside"] = outside
    return bases


def documents(store: Path) -> list[str]:
    """The metadata documents of a directory store, as keys (sorted)."""
    return sorted(
        p.relative_to(store).as_posix()
        for p in store.rglob("*")
        if p.name in METADATA_NAMES and p.is_file() and not p.is_symlink()
    )


def arrays(store: Path) -> list[str]:
    """The array documents of a directory store (``.zarray`` or a ``zarr.json`` array)."""
    out = []
    for key in documents(store):
        if key.endswith(".zarray"):
            out.append(key)
        elif key.endswith("zarr.json"):
            with contextlib.suppress(ValueError, AttributeError):
                if _load(store / key).get("node_type") == "array":
                    out.append(key)
    return out


# ----------------------------------------------------------------------------------------
# values

ESCAPES = (
    "../outside/image",
    "../outside/secret.json",
    "../../../../../../etc/passwd",
    "/etc/passwd",
    "..",
    ".",
    "",
    "0/../../outside/image",
    "%2e%2e/outside/image",
    "file:///etc/passwd",
    "a\x00b",
    "\ud800",
    "\\..\\outside",
    "http://127.0.0.1:9/x",
)
"""Strings that are paths out of the store, or no path at all."""

NUMBERS = (
    0,
    -1,
    -(2**63) - 1,
    2**63,
    2**64 + 1,
    10**30,
    1e308,
    -1e308,
    5e-324,
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(NUMBERS),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ESCAPES),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)

DEEP = "\x00DEEP\x00"
"""A placeholder replaced, once the document is dumped, by a value nested thousands deep."""


# ----------------------------------------------------------------------------------------
# mutations: each is (kind, function of the store), drawn by hypothesis


@dataclass
class Case:
    """A broken store and how it was broken."""

    store: Path
    kinds: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def _load(path: Path) -> Any:
    """A document as JSON; ``ValueError`` when an earlier mutation broke it."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError as exc:
        raise ValueError("nested too deep") from exc


def _dump(path: Path, document: Any, deep: int = 0) -> None:
    text = json.dumps(document, ensure_ascii=True)  # NaN and Infinity as JS literals
    if deep:
        text = text.replace(json.dumps(DEEP), "[" * deep + "1" + "]" * deep)
    path.write_text(text, encoding="utf-8")


def _walk(draw: st.DrawFn, document: Any) -> list[str | int]:
    """A path into a JSON document, drawn step by step (possibly the root)."""
    here, path = document, []
    for _ in range(12):
        if isinstance(here, dict) and here:
            keys: list[str | int] = sorted(here)
        elif isinstance(here, list) and here:
            keys = list(range(len(here)))
        else:
            break
        if path and draw(st.integers(0, 3)) == 0:  # stop part way, sometimes
            break
        key = draw(st.sampled_from(keys))
        path.append(key)
        here = here[key]  # type: ignore[index]
    return path


def _set(document: Any, path: list[str | int], value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@st.composite
def value_mutation(draw: st.DrawFn, case: Case) -> None:
    """One value of one document replaced, deleted or nested deep."""
    docs = documents(case.store)
    if not docs:
        return
    key = draw(st.sampled_from(docs))
    try:
        document = _load(case.store / key)
    except ValueError:
        return
    path = _walk(draw, document)
    how = draw(st.sampled_from(["swap", "swap", "delete", "deep", "escape"]))
    deep = 0
    if how == "delete" and path:
        document = _set(document, path, None, delete=True)
    elif how == "deep":
        deep = draw(st.sampled_from([64, 900, 5000]))
        document = _set(document, path, DEEP)
    elif how == "escape":
        document = _set(document, path, draw(st.sampled_from(ESCAPES)))
    else:
        document = _set(document, path, draw(values))
    _dump(case.store / key, document, deep)
    case.steps.append(f"value {how} {key}{path}" + (f" depth {deep}" if deep else ""))


ARRAY_CHANGES_V3: dict[str, list[Any]] = {
    "shape": [[2**62, 2**62, 2**62], [2**40], [-1, 5, 5], [], [0, 0, 0], "12", [1.5, 2, 3]],
    "chunk_grid": [
        {"name": "regular", "configuration": {"chunk_shape": [1, 1, 1]}},
        {"name": "regular", "configuration": {"chunk_shape": [0, 0, 0]}},
        {"name": "regular", "configuration": {"chunk_shape": [-4, 8, 8]}},
        {"name": "regular", "configuration": {"chunk_shape": [2**62, 2**62, 2**62]}},
        {"name": "regular", "configuration": {"chunk_shape": [8]}},
        {"name": "rectilinear", "configuration": {"chunk_shape": [[1, 2]]}},
        {"name": "regular"},
        [],
    ],
    "codecs": [
        [{"name": "no-such-codec"}],
        [{"name": "bytes", "configuration": {"endian": "middle"}}],
        [{"name": "blosc", "configuration": {"cname": "nope", "clevel": 99}}],
        [{"name": "gzip", "configuration": {"level": -5}}],
        [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [2**62, 1],
                    "codecs": [{"name": "bytes"}],
                    "index_codecs": [],
                },
            }
        ],
        [],
        {"name": "bytes"},
        [{"configuration": {}}],
    ],
    "fill_value": [float("nan"), 2**70, -(2**70), "abc", None, [1, 2], "Infinity", 1e308],
    "data_type": ["int128", "", {"name": "no-such-type"}, "|O", 7, "uint16"],
    "dimension_names": [["y"], ["a", "a", "a"], "yx", [None, 3, []], None],
    "zarr_format": [2, 4, "3", None],
    "node_type": ["group", "array ", 3],
}
ARRAY_CHANGES_V2: dict[str, list[Any]] = {
    "shape": [[2**62, 2**62], [2**40], [-1, 5], [], "12"],
    "chunks": [[1, 1], [0, 0], [-4, 8], [2**62, 2**62], [8], [1, 1, 1, 1, 1]],
    "dtype": ["|O", "<i16", "", "<U5", [["a", "<i4"]], "<f4", ">M8[s]"],
    "compressor": [
        {"id": "no-such-codec"},
        {"id": "blosc", "cname": "nope", "clevel": 99},
        {"id": "zlib", "level": 42},
        "zlib",
        None,
    ],
    "filters": [[{"id": "no-such-filter"}], {"id": "delta"}, [{"id": "delta", "dtype": "?"}]],
    "fill_value": ["NaN", 2**70, "abc", [1], "Infinity"],
    "order": ["Q", None, 1],
    "dimension_separator": ["\\", "..", 3],
    "zarr_format": [3, "2", None],
}


@st.composite
def array_mutation(draw: st.DrawFn, case: Case) -> None:
    """One field of one array document made absurd."""
    keys = arrays(case.store)
    if not keys:
        return
    key = draw(st.sampled_from(keys))
    try:
        document = _load(case.store / key)
    except ValueError:
        return
    if not isinstance(document, dict):
        return
    changes = ARRAY_CHANGES_V2 if key.endswith(".zarray") else ARRAY_CHANGES_V3
    name = draw(st.sampled_from(sorted(changes)))
    value = draw(st.sampled_from(changes[name]))
    if draw(st.integers(0, 9)) == 0:
        document.pop(name, None)
        case.steps.append(f"array delete {key}:{name}")
    else:
        document[name] = value
        case.steps.append(f"array {key}:{name}={value!r}"[:200])
    _dump(case.store / key, document)


def _transforms(document: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) of a number inside a transform of a document."""
    wanted = ("coordinateTransformations", "coordinatetransformations", "transformations")
    geo = ("GeoTransform", "spatial:transform", "proj:transform", "transform", "scale")

    def numbers(value: Any) -> Iterator[tuple[Any, Any]]:
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    yield value, k
                else:
                    yield from numbers(v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, int | float) and not isinstance(v, bool):
                    yield value, i
                else:
                    yield from numbers(v)

    def visit(value: Any) -> Iterator[tuple[Any, Any]]:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in wanted or k in geo:
                    yield from numbers(v)
                    if isinstance(v, str) and k == "GeoTransform":
                        yield value, k
                else:
                    yield from visit(v)
        elif isinstance(value, list):
            for v in value:
                yield from visit(v)

    yield from visit(document)


@st.composite
def transform_mutation(draw: st.DrawFn, case: Case) -> None:
    """The numbers of the transformations in one document made NaN, infinite or degenerate."""
    candidates = []
    for key in documents(case.store):
        with contextlib.suppress(ValueError, RecursionError):
            if any(True for _ in _transforms(_load(case.store / key))):
                candidates.append(key)
    if not candidates:
        return
    key = draw(st.sampled_from(candidates))
    document = _load(case.store / key)
    spots = list(_transforms(document))
    every = draw(st.booleans())
    value = draw(st.sampled_from([*NUMBERS, "NaN", "1 2 3", "nan nan nan nan nan nan"]))
    for container, k in spots if every else [draw(st.sampled_from(spots))]:
        if isinstance(container[k], str):  # a GeoTransform string
            container[k] = " ".join([repr(value)] * 6)
        else:
            container[k] = value
    _dump(case.store / key, document)
    case.steps.append(f"transform {key} {'all' if every else 'one'}={value!r}")


@st.composite
def bytes_mutation(draw: st.DrawFn, case: Case) -> None:
    """A document's bytes broken: truncated, non-UTF-8, not JSON, huge, deep, empty."""
    docs = documents(case.store)
    if not docs:
        return
    key = draw(st.sampled_from(docs))
    path = case.store / key
    data = path.read_bytes()
    how = draw(
        st.sampled_from(
            ["truncate", "latin1", "invalid", "garbage", "digits", "deep", "empty", "bom"]
        )
    )
    if how == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif how == "latin1":
        data = data.replace(b'"', b'"\xe9\xff', 1)
    elif how == "invalid":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"}", b",,", b"\x00", b"'", b"]]"])) + data[at:]
    elif how == "garbage":
        data = draw(st.binary(max_size=64))
    elif how == "digits":
        data = b'{"zarr_format": 3, "node_type": "group", "attributes": {"n": ' + b"9" * 5000
        data += b"}}"
    elif how == "deep":
        depth = draw(st.sampled_from([1000, 100_000]))
        data = b'{"zarr_format": 3, "node_type": "group", "attributes": {"a": '
        data += b"[" * depth + b"]" * depth + b"}}"
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data
    else:
        data = b""
    path.write_bytes(data)
    case.steps.append(f"bytes {how} {key}")


@st.composite
def filesystem_mutation(draw: st.DrawFn, case: Case) -> None:
    """A document or a level replaced by a link out of the store, a folder, or nothing."""
    outside = case.store.parent / "outside"
    docs = documents(case.store)
    how = draw(
        st.sampled_from(["link-doc", "link-level", "directory", "remove", "unconsolidate", "climb"])
    )
    if how == "unconsolidate":
        (case.store / ".zmetadata").unlink(missing_ok=True)
        root = case.store / "zarr.json"
        document: Any = None
        if root.is_file():
            with contextlib.suppress(ValueError):
                document = _load(root)
            if root.is_file() and isinstance(document, dict):
                document.pop("consolidated_metadata", None)
                _dump(root, document)
    elif how == "climb":
        # a dataset, well or field path leading to the valid image outside the store
        for key in docs:
            text = (case.store / key).read_text(encoding="utf-8", errors="replace")
            if '"path"' in text:
                new = text.replace('"path": "', '"path": "../outside/image/', 1)
                (case.store / key).write_text(new.replace('"path":"', '"path":"../', 1))
                break
    elif docs:
        key = draw(st.sampled_from(docs))
        path = case.store / key
        if how == "link-doc":
            path.unlink()
            target = draw(
                st.sampled_from(
                    [outside / "secret.json", outside / "image" / path.name, Path("/dev/zero")]
                )
            )
            path.symlink_to(target)
        elif how == "link-level":
            level = path.parent
            if level != case.store:
                shutil.rmtree(level)
                level.symlink_to(outside / "image", target_is_directory=True)
        elif how == "directory":
            path.unlink()
            path.mkdir()
        else:
            path.unlink()
    case.steps.append(f"filesystem {how}")


MUTATIONS: dict[str, Callable[[Case], st.SearchStrategy[None]]] = {
    "value": value_mutation,
    "array": array_mutation,
    "transform": transform_mutation,
    "bytes": bytes_mutation,
    "filesystem": filesystem_mutation,
}
"""The mutation kinds, by name."""


def make_case(data: st.DataObject, bases: dict[str, Path], where: Path) -> Case:
    """Copy a base store beside its ``outside`` neighbour and apply drawn mutations.

    Parameters
    ----------
    data
        Hypothesis's interactive draws.
    bases
        From :func:`build_bases`.
    where
        An empty folder for the case.

    Returns
    -------
    Case
        The broken store and the steps that broke it.
    """
    name = data.draw(st.sampled_from(sorted(k for k in bases if k != "outside")), label="base")
    store = Path(shutil.copytree(bases[name], where / "store", symlinks=True))
    shutil.copytree(bases["outside"], where / "outside", symlinks=True)
    case = Case(store, steps=[name])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(sorted(MUTATIONS)), label="kind")
        case.kinds.append(kind)
        data.draw(MUTATIONS[kind](case), label=kind)
    return case


# ----------------------------------------------------------------------------------------
# the guards


class CaseTimeout(BaseException):
    """A case ran longer than :data:`CASE_SECONDS` (a ``BaseException``: no check swallows it)."""


class _Opens:
    """Every path opened while watching (the audit hook cannot be removed: it is switched)."""

    def __init__(self) -> None:
        self.watching = False
        self.paths: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.watching or threading.current_thread().name.startswith("hypothesis"):
            return
        watched = event in ("open", "os.listdir", "os.scandir")
        if watched and args and isinstance(args[0], str | bytes | os.PathLike):
            self.paths.append(os.fsdecode(args[0]))


_OPENS: _Opens | None = None


@dataclass
class Outcome:
    """What the guarded run of one case saw."""

    failures: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)
    verdicts: Counter[str] = field(default_factory=Counter)
    peak: int = 0


@contextlib.contextmanager
def guarded(case_dir: Path, store: Path, outcome: Outcome, what: str) -> Iterator[None]:
    """Run a block under the guards; what they catch becomes a failure of ``outcome``.

    Parameters
    ----------
    case_dir
        The case's folder: nothing in it but the store may be opened.
    store
        The store (its real path is allowed).
    outcome
        Collects failures.
    what
        The call being guarded, named in failures.
    """
    global _OPENS
    if _OPENS is None:
        _OPENS = _Opens()
    opens = _OPENS
    in_main = threading.current_thread() is threading.main_thread()

    def expire(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"{what} ran longer than {CASE_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire) if in_main else None
    if in_main:
        signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    tracemalloc.start()
    opens.paths.clear()
    opens.watching = True
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    except CaseTimeout as exc:
        outcome.failures.append(f"{what}: timeout: {exc}")
    except BaseException as exc:  # the suite's point: nothing may escape
        outcome.failures.append(f"{what}: raised {type(exc).__name__}: {exc}"[:500])
        outcome.tracebacks.append("".join(traceback.format_exception(exc)))
    finally:
        opens.watching = False
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if in_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    outcome.peak = max(outcome.peak, peak)
    for warning in caught[:1]:  # the test suite turns warnings into errors: so does the guard
        outcome.failures.append(f"{what}: warned {warning.category.__name__}: {warning.message}")
    if peak > MEMORY_BOUND:
        outcome.failures.append(f"{what}: allocated {peak / 2**20:.0f} MiB at once")
    real_case, real_store = os.path.realpath(case_dir), os.path.realpath(store)
    for opened in opens.paths:
        real = os.path.realpath(opened)
        inside_case = real == real_case or real.startswith(real_case + os.sep)
        inside_store = real == real_store or real.startswith(real_store + os.sep)
        if (inside_case and not inside_store) or real.startswith("/etc/"):
            outcome.failures.append(f"{what}: opened {opened} (outside the store)")
            break


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def check_report(report: Any, what: str, outcome: Outcome) -> None:
    """A validator's answer: a Report, exit code 0-3, strict JSON, no internal error.

    Parameters
    ----------
    report
        What the validator returned.
    what
        The call, named in failures.
    outcome
        Collects failures and counts the verdict.
    """
    if not isinstance(report, Report):
        outcome.failures.append(f"{what}: returned {type(report).__name__}, not a Report")
        return
    outcome.verdicts[f"{what.split()[0]}:{report.verdict}"] += 1
    if report.exit_code not in (0, 1, 2, 3):
        outcome.failures.append(f"{what}: exit code {report.exit_code}")
    try:
        _strict_json(report.to_json())
    except ValueError as exc:
        outcome.failures.append(f"{what}: JSON contract does not parse: {exc}")
    for issue in report.issues:
        if "please report it" in issue.message:
            outcome.failures.append(f"{what}: internal error: {issue.message}"[:500])
            break
    buffer = io.StringIO()
    from rich.console import Console

    report.render_text(Console(file=buffer, width=100))


def run_case(case: Case, case_dir: Path, deep: bool, strict: bool) -> Outcome:
    """Read a broken store with both validators and ``info``, each call guarded.

    Parameters
    ----------
    case
        The store.
    case_dir
        Its folder (the store and ``outside``).
    deep
        Also validate with ``--deep`` (chunks read within the default budget).
    strict
        Validate with the strict profile.

    Returns
    -------
    Outcome
        Failures (empty when every guarantee held), verdicts and the peak allocation.
    """
    from rich.console import Console

    from geozarr.cli import CONVENTION as GEO
    from ngff.cli import CONVENTION as NGFF

    outcome = Outcome()
    target = str(case.store)
    with guarded(case_dir, case.store, outcome, "ngff.validate"):
        check_report(ngff.validate(target, strict=strict, deep=deep), "ngff validate", outcome)
    with guarded(case_dir, case.store, outcome, "geozarr.validate"):
        check_report(
            geozarr.validate(target, strict=strict, deep=deep), "geozarr validate", outcome
        )
    for convention in (NGFF, GEO):
        what = f"{convention.command} info"
        with guarded(case_dir, case.store, outcome, what):
            try:
                hierarchy = read_hierarchy(target, discover=convention.discover)
            except TargetError:
                outcome.verdicts["info:unreadable"] += 1
                continue
            described = info_dict(hierarchy, convention.detect, convention.describe)
            try:
                _strict_json(json.dumps(described, ensure_ascii=False))
            except ValueError as exc:
                outcome.failures.append(f"{what}: --format json does not parse: {exc}")
            render_info_text(
                hierarchy,
                convention.detect,
                Console(file=io.StringIO(), width=100),
                convention.describe,
            )
            outcome.verdicts["info:read"] += 1
    return outcome
