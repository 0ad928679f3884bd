"""Where a converted (or newly written) store goes: destination checks, and replacing safely.

:func:`check_destination` refuses, before anything is written, a destination that is its
source, lies inside it or holds it (a conversion would read what it writes, or an overwrite
would delete its own input), and a non-empty one unless asked to overwrite or resume.

:func:`replacing` replaces a store so that a complete one is always there: the new store is
written beside the target, in the sibling ``.new-NAME``, and swapped in only once complete.
A directory is exchanged with the new one in one atomic step where the system has it (Linux
``renameat2`` with ``RENAME_EXCHANGE``), otherwise the old one is renamed aside to
``.old-NAME``, the new one renamed in and the old one removed (a run killed between the two
renames leaves the complete old store in ``.old-NAME``, never neither); a ``.zip`` file is
replaced by one :func:`os.replace`; a mapping is cleared and refilled once the new store is
complete. A failed write removes ``.new-NAME`` and leaves the target untouched; a killed one
leaves ``.new-NAME`` behind, which the next replacement removes first. Old and new content
never mix.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ngff_geozarr.core.errors import ConversionError

__all__ = ["check_destination", "is_empty", "local_path", "remove_path", "replacing", "swap_in"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def local_path(target: object) -> Path | None:
    """Return the local path a target names (``file://`` included), ``None`` for any other.

    Parameters
    ----------
    target
        A path, a URL, a mapping or an opened store.

    Returns
    -------
    Path or None
        The path, for a local target.
    """
    if not isinstance(target, str | os.PathLike):
        return None
    text = os.fspath(target)
    if isinstance(text, bytes):
        return None
    if text.startswith("file://"):
        return Path(text[len("file://") :])
    return None if "://" in text else Path(text)


def is_empty(path: Path) -> bool:
    """Tell whether a path is missing, an empty directory or an empty file.

    Parameters
    ----------
    path
        The path.

    Returns
    -------
    bool
        Whether nothing would be replaced there.
    """
    if not path.exists():
        return True
    if path.is_dir():
        return next(path.iterdir(), None) is None
    return path.stat().st_size == 0


def check_destination(
    source: object, destination: object, *, overwrite: bool, resume: bool = False
) -> None:
    """Refuse a destination a conversion may not write, before anything is written.

    Parameters
    ----------
    source, destination
        The stores (paths, URLs or mappings).
    overwrite
        The destination is to be replaced.
    resume
        The destination holds an interrupted copy, to be finished.

    Raises
    ------
    ConversionError
        When the destination is the source, lies inside it or holds it; when it is not empty
        and neither ``overwrite`` nor ``resume`` is given; when both are.
    """
    if overwrite and resume:
        raise ConversionError("Expected overwrite or resume, not both.")
    if destination is source:
        raise ConversionError("The destination must not be, hold or lie inside the source.")
    src, dst = local_path(source), local_path(destination)
    if src is not None and dst is not None:
        src, dst = src.resolve(), dst.resolve()
        if dst == src or src in dst.parents or dst in src.parents:
            raise ConversionError("The destination must not be, hold or lie inside the source.")
    if overwrite or resume:
        return
    if dst is not None and not is_empty(dst):
        raise ConversionError(
            f"{destination}: already exists and is not empty; pass --overwrite to replace it."
        )
    if isinstance(destination, MutableMapping) and destination:
        raise ConversionError("<memory>: already exists and is not empty; pass --overwrite.")


def remove_path(path: Path) -> None:
    """Remove a file, a link or a directory tree, if there.

    Parameters
    ----------
    path
        What to remove.
    """
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); ``False`` where it is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return bool(result == 0)


def swap_in(new: Path, path: Path) -> None:
    """Put the complete store ``new`` where ``path`` is, never leaving neither.

    Parameters
    ----------
    new
        The new store (a directory or a file), written beside ``path``.
    path
        The store it replaces.
    """
    if path.is_file() or new.is_file():
        if path.is_dir():
            remove_path(path)
        os.replace(new, path)
        return
    if _exchange(new, path):
        remove_path(new)  # holds the old store now
        return
    old = path.with_name(f".old-{path.name}")
    remove_path(old)
    os.rename(path, old)
    os.rename(new, path)
    remove_path(old)


@contextmanager
def replacing(target: Any, *, overwrite: bool) -> Iterator[Any]:
    """Yield where to write; with ``overwrite``, swap the new store in once it is complete.

    Parameters
    ----------
    target
        Where to write: a path, a URL, a mapping or an opened store.
    overwrite
        Replace what is there (see the module for how). Without it, or when the target is
        missing or empty, or not local, this yields ``target`` itself.

    Yields
    ------
    object
        Where the writer writes: ``target``, the sibling ``.new-NAME`` (a string), or a new
        mapping for a mapping target.
    """
    if not overwrite:
        yield target
        return
    if isinstance(target, MutableMapping):
        fresh: dict[str, Any] = {}
        yield fresh
        target.clear()
        target.update(fresh)
        return
    path = local_path(target)
    if path is None or is_empty(path):
        yield target
        return
    new = path.with_name(f".new-{path.name}")
    remove_path(new)  # a killed run's leftover
    try:
        yield str(new)
    except BaseException:
        remove_path(new)
        raise
    swap_in(new, path)
