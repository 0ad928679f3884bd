"""Local directories, ``.zip`` and ``.ozx`` files as zarr stores, confined to their root (zarr).

An ``.ozx`` file (RFC-9 single-file OME-Zarr) is read by the reader the HTTP one uses
(:func:`~ngff_geozarr.core.store.ozx_read.local_zip_store`); written, it is a new
:class:`~ngff_geozarr.core.store.ozx_write.OzxWriteStore`, which becomes the file only when
the write is committed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from zarr.abc.store import Store
from zarr.core.buffer import Buffer
from zarr.core.sync import sync
from zarr.storage import LocalStore, ZipStore

from ngff_geozarr.core.errors import NotZarrError, TargetNotFoundError, UnsupportedTargetError
from ngff_geozarr.core.store.keys import StoreKind, StoreMode
from ngff_geozarr.core.store.ozx_read import local_zip_store
from ngff_geozarr.core.store.ozx_write import OzxWriteStore, writes_allowed

__all__ = ["local_store"]


class _ConfinedLocalStore(LocalStore):
    """A local store whose keys never resolve outside its root.

    ``check_key`` refuses ``..``; a symbolic link inside the directory could still lead out
    (a downloaded store whose chunk links to a private file would have that file read, shown
    in a report's thumbnail, or overwritten). Every key is resolved here and refused with
    ``PermissionError`` when it leaves the root; the handle turns that into a read failure
    of that key only. Links that stay inside the root are followed.

    A key read must name a regular file: a FIFO, a device or a socket in place of a document
    or a chunk (opening a FIFO blocks until a writer comes, forever) is refused the same way,
    before it is opened.
    """

    _real_root: str | None = None
    _plain_dirs: set[str] | None = None
    _PLAIN_DIRS_KEPT = 100_000

    def _inside(self, real: str, root: str) -> bool:
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _confine(self, key: str) -> Path:
        root = self._real_root or os.path.realpath(self.root)
        if self._real_root is None and os.path.isdir(root):
            self._real_root, self._plain_dirs = root, set()
        plain = self._plain_dirs if self._plain_dirs is not None else set()
        parts = [p for p in key.split("/") if p]
        path = root
        # One lstat per component not seen before (directories known to be plain are
        # remembered): a link anywhere on the way is resolved and must stay inside.
        for i, part in enumerate(parts):
            path = os.path.join(path, part)
            last = i == len(parts) - 1
            if not last and path in plain:
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                break  # absent: nothing further to follow
            if stat.S_ISLNK(mode):
                if not self._inside(os.path.realpath(os.path.join(root, key)), root):
                    raise PermissionError(
                        f"{key!r} leads outside the store root (a symbolic link)."
                    )
                break
            if not last and len(plain) < self._PLAIN_DIRS_KEPT:
                plain.add(path)
        return self.root / key

    def _confine_read(self, key: str) -> None:
        path = self._confine(key)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return  # absent (or unreachable): the read itself says so
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            what = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
            raise PermissionError(f"{key!r} is {what}, not a regular file; not opened.")

    async def get(self, key: str, *args: Any, **kwargs: Any) -> Buffer | None:
        self._confine_read(key)
        return await super().get(key, *args, **kwargs)

    def get_sync(self, key: str, *args: Any, **kwargs: Any) -> Buffer | None:
        self._confine_read(key)
        return super().get_sync(key, *args, **kwargs)

    async def get_partial_values(self, prototype: Any, key_ranges: Any) -> list[Buffer | None]:
        pairs = list(key_ranges)
        for key, _ in pairs:
            self._confine_read(key)
        return await super().get_partial_values(prototype, pairs)

    async def getsize(self, key: str) -> int:
        self._confine_read(key)
        return await super().getsize(key)

    async def exists(self, key: str) -> bool:
        self._confine(key)
        return await super().exists(key)

    async def _set(self, key: str, value: Buffer, exclusive: bool = False) -> None:
        self._confine(key)
        await super()._set(key, value, exclusive=exclusive)

    def set_sync(self, key: str, value: Buffer) -> None:
        self._confine(key)
        super().set_sync(key, value)

    async def delete(self, key: str) -> None:
        self._confine(key)
        await super().delete(key)

    def delete_sync(self, key: str) -> None:
        self._confine(key)
        super().delete_sync(key)

    async def delete_dir(self, prefix: str) -> None:
        self._confine(prefix)
        await super().delete_dir(prefix)

    async def list_dir(self, prefix: str) -> Any:
        self._confine(prefix)
        async for name in super().list_dir(prefix):
            yield name


class _ZipStoreWithoutDirectories(ZipStore):
    """A zip store whose listings leave out the archive's directory entries.

    ``zip -r`` (and most archivers) write an entry per directory (``0/``, ``labels/``);
    zarr's zip store lists them as keys, which are not keys of any Zarr document or chunk.
    """

    async def list(self) -> AsyncIterator[str]:
        async for key in super().list():
            if not key.endswith("/"):
                yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        async for key in self.list():
            if key.startswith(prefix):
                yield key


def local_store(path: Path, mode: StoreMode, read_only: bool) -> tuple[StoreKind, Store]:
    """Open a local directory, ``.zip`` or ``.ozx`` file as a store.

    Parameters
    ----------
    path
        The directory or zip file.
    mode
        How it is opened (see :data:`~ngff_geozarr.core.store.keys.StoreMode`).
    read_only
        Whether writes are refused.

    Returns
    -------
    tuple
        ``"zip"`` or ``"local"``, and the store; a directory's store refuses keys that a
        symbolic link would lead outside its root.

    Raises
    ------
    TargetNotFoundError
        When the path does not exist in modes ``"r"`` and ``"r+"``.
    NotZarrError
        When the path is a file other than a readable zip file; when an existing, non-empty
        ``.ozx`` file is opened for writing.
    UnsupportedTargetError
        When an ``.ozx`` file is opened for writing outside
        :func:`~ngff_geozarr.core.store.ozx_write.single_file_writes`.
    """
    exists = path.exists()
    if not exists and mode in ("r", "r+"):
        raise TargetNotFoundError(f"{path}: no such file or directory.")
    suffix = path.suffix.lower()
    if suffix == ".ozx" and not read_only and not (exists and path.is_dir()):
        if not writes_allowed():
            raise UnsupportedTargetError(
                f"{path}: an .ozx file is written only by the OME-Zarr image and plate "
                "writers (ngff create, ngff.write_image); write a directory store here."
            )
        if exists and path.stat().st_size > 0:
            raise NotZarrError(
                f"{path}: an .ozx file is written once, in one pass; it cannot be changed "
                "or resumed in place (write a new one, or --overwrite to replace it)."
            )
        return "zip", OzxWriteStore(path)
    if suffix == ".ozx" and path.is_file():
        try:
            return "zip", local_zip_store(str(path))
        except Exception as exc:
            raise NotZarrError(f"{path}: not a readable zip file ({exc}).") from exc
    if suffix == ".zip" and (path.is_file() or not exists):
        zip_mode: Literal["r", "a", "w"] = "r" if read_only else ("a" if exists else "w")
        try:
            return "zip", sync(
                _ZipStoreWithoutDirectories.open(path, mode=zip_mode, read_only=read_only)
            )
        except Exception as exc:
            raise NotZarrError(f"{path}: not a readable zip file ({exc}).") from exc
    if exists and not path.is_dir():
        raise NotZarrError(
            f"{path}: a file, not a Zarr store (expected a directory, a .zip file, or a JSON "
            "metadata document where the command accepts one)."
        )
    return "local", _ConfinedLocalStore(path, read_only=read_only)
