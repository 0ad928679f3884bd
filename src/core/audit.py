"""Audit a whole prefix: find every store root under it and validate each, concurrently.

A prefix is a local folder, an ``s3://bucket/prefix`` or an ``http(s)://`` URL whose server
lists directories. :func:`find_roots` walks it breadth first, one listing per folder, and
stops descending at a store root (a folder holding ``zarr.json``, ``.zgroup``, ``.zarray``
or ``.zmetadata``): chunks are never listed. :func:`audit` validates the roots with a
convention's validator on a pool of ``jobs`` threads shared by all roots (each root's reads
are bounded by the store layer), and returns one :class:`AuditResult` per root, in root
order. The verdict of the whole audit is the worst one: :func:`audit_exit_code`.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ngff_geozarr.core.errors import TargetError
from ngff_geozarr.core.report import EXIT_VALID, Report

__all__ = [
    "ROOT_DOCUMENTS",
    "AuditResult",
    "audit",
    "audit_exit_code",
    "find_roots",
]

ROOT_DOCUMENTS = frozenset({"zarr.json", ".zgroup", ".zarray", ".zmetadata"})
"""The documents that make a folder a Zarr node, hence a store root when met first."""
_MAX_DEPTH = 16
_LIST_THREADS = 16

_Validator = Callable[..., Report]


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The verdict on one store root.

    Parameters
    ----------
    root
        The root's path or URL.
    report
        Its validation report.
    """

    root: str
    report: Report

    @property
    def verdict(self) -> str:
        """``"valid"``, ``"invalid"`` or ``"unreadable"``."""
        if not self.report.readable:
            return "unreadable"
        return "valid" if self.report.valid else "invalid"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as one JSON object (a line of ``audit --format jsonl``).

        Returns
        -------
        dict
            ``root``, ``kind``, ``version``, ``verdict``, ``errors``, ``warnings`` and the
            ``rules`` reported (sorted, each once).
        """
        return {
            "root": self.root,
            "kind": self.report.node_type,
            "version": self.report.version,
            "verdict": self.verdict,
            "errors": len(self.report.errors),
            "warnings": len(self.report.warnings),
            "rules": sorted({i.rule for i in self.report.issues}),
        }


def _filesystem(prefix: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    import fsspec

    from ngff_geozarr.core.store.remote import s3_options

    options = s3_options(storage_options) if prefix.startswith("s3://") else storage_options
    fs, path = fsspec.url_to_fs(prefix, skip_instance_cache=True, **options)  # fresh listings
    return fs, path


def _base(name: str) -> str:
    return posixpath.basename(name.rstrip("/"))


def _local_roots(folder: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(folder):
        if ROOT_DOCUMENTS & set(files):
            dirs[:] = []
            yield Path(current)
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            yield from (Path(current) / f for f in sorted(files) if f.endswith(".zarr.zip"))


def find_roots(prefix: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """Find every store root under a prefix.

    Parameters
    ----------
    prefix
        A local folder, ``s3://bucket/prefix`` or an ``http(s)://`` URL with listings.
    storage_options
        Options for remote file systems (``endpoint_url``, ``anon``, ...).

    Returns
    -------
    list of str
        The roots' paths or URLs, sorted; a prefix that is itself a root gives itself.

    Raises
    ------
    TargetError
        When the prefix cannot be listed (missing folder, no listing, network error).
    """
    if "://" not in prefix or prefix.startswith("file://"):
        folder = Path(prefix.removeprefix("file://"))
        if not folder.is_dir():
            raise TargetError(f"{prefix}: not a folder.")
        return sorted(str(p) for p in _local_roots(folder))
    try:
        fs, path = _filesystem(prefix, dict(storage_options or {}))
        return sorted(_remote_roots(fs, path, prefix))
    except TargetError:
        raise
    except Exception as exc:  # fsspec and its back ends raise anything
        raise TargetError(f"{prefix}: cannot be listed ({type(exc).__name__}: {exc}).") from exc


def _remote_roots(fs: Any, path: str, prefix: str) -> list[str]:
    http = prefix.startswith(("http://", "https://"))
    protocol = "" if http else prefix.split("://", 1)[0] + "://"

    def listing(folder: str) -> tuple[str, list[dict[str, Any]]]:
        entries = fs.ls(folder + "/" if http and not folder.endswith("/") else folder, detail=True)
        return folder, entries

    roots: list[str] = []
    level, depth = [path], 0
    with ThreadPoolExecutor(_LIST_THREADS) as pool:
        while level and depth <= _MAX_DEPTH:
            following = []
            for folder, entries in pool.map(listing, level):
                names = {_base(e["name"]) for e in entries}
                if names & ROOT_DOCUMENTS:
                    roots.append(protocol + folder.rstrip("/"))
                    continue
                following += [e["name"] for e in entries if e.get("type") == "directory"]
            level, depth = following, depth + 1
    return roots


def audit(
    roots: Sequence[str],
    validate: _Validator,
    *,
    jobs: int = 8,
    progress: Callable[[AuditResult], None] | None = None,
    **options: Any,
) -> list[AuditResult]:
    """Validate store roots concurrently.

    Parameters
    ----------
    roots
        The roots (see :func:`find_roots`).
    validate
        The convention's validator (``validate(target, **options) -> Report``).
    jobs
        Roots validated at once: the pool every root shares.
    progress
        Called with each result as it is done (from the calling thread, in root order).
    **options
        Passed to ``validate`` (``strict``, ``storage_options``, ``readers`` ...).

    Returns
    -------
    list of AuditResult
        One per root, in the order of ``roots``; a root that cannot be read is an
        ``unreadable`` result, never an exception.
    """

    def one(root: str) -> AuditResult:
        try:
            report = validate(root, **options)
        except TargetError as exc:
            report = Report.unreadable(root, str(exc))
        return AuditResult(root, report)

    results = []
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for result in pool.map(one, roots):
            results.append(result)
            if progress is not None:
                progress(result)
    return results


def audit_exit_code(results: Sequence[AuditResult]) -> int:
    """Return the exit code of an audit: the worst of its roots' codes.

    Parameters
    ----------
    results
        The results.

    Returns
    -------
    int
        0 when every root is valid, 1 when one is invalid, 2 when one is unreadable.
    """
    return max((r.report.exit_code for r in results), default=EXIT_VALID)
