"""The ZIP records an RFC-9 ``.ozx`` file is made of: parsed from bytes, and encoded.

This module imports no zarr and does no I/O: readers hand it the bytes they fetched (the
file's tail, then its central directory), writers take the records it encodes. Only what a
single-file OME-Zarr needs is covered (APPNOTE 6.3.10): stored or deflated entries, the
ZIP64 extension, the archive comment; no encryption, no multi-disk archives (they are
recognised, to be refused).

Every record the writer encodes uses ZIP64 (RFC-9: "The ZIP64 format extension SHOULD be
used, irrespective of the ZIP file size"): each local header and central directory record
carries the ZIP64 extra field with the sizes (and offset), the 32-bit fields hold
``0xFFFFFFFF``, and the end of central directory is preceded by the ZIP64 end record and its
locator. Dates are fixed (1980-01-01 00:00) so that the same hierarchy gives the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ZipEntry",
    "ZipFormatError",
    "ZipLayout",
    "central_record",
    "end_records",
    "local_header",
    "local_header_length",
    "parse_central_directory",
    "parse_tail",
    "read_layout",
    "tail_length",
]

_LOCAL = 0x04034B50
_CENTRAL = 0x02014B50
_END = 0x06054B50
_END64 = 0x06064B50
_LOCATOR64 = 0x07064B50
_ZIP64_EXTRA = 0x0001
_VERSION = 45  # 4.5: ZIP64
_MADE_BY = (3 << 8) | _VERSION  # unix
_UTF8_FLAG = 1 << 11
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_UNIX_FILE = (0o100644 << 16) & 0xFFFFFFFF
_FULL32 = 0xFFFFFFFF
_FULL16 = 0xFFFF

_LOCAL_FMT = struct.Struct("<IHHHHHIIIHH")  # 30 bytes
_CENTRAL_FMT = struct.Struct("<IHHHHHHIIIHHHHHII")  # 46 bytes
_END_FMT = struct.Struct("<IHHHHIIH")  # 22 bytes
_END64_FMT = struct.Struct("<IQHHIIQQQQ")  # 56 bytes
_LOCATOR_FMT = struct.Struct("<IIQI")  # 20 bytes


class ZipFormatError(ValueError):
    """The bytes are not the ZIP records they should be."""


@dataclass(frozen=True)
class ZipEntry:
    """One central directory record.

    Parameters
    ----------
    name
        The entry's name (its key in the store).
    method
        The compression method (0: stored, 8: deflated, ...).
    crc
        The CRC-32 of the uncompressed data.
    compressed_size, size
        The sizes of the stored data and of the uncompressed data.
    offset
        Where the entry's local header starts.
    zip64
        Whether the record carries a ZIP64 extra field.
    flags
        The general purpose bit flags.
    """

    name: str
    method: int
    crc: int
    compressed_size: int
    size: int
    offset: int
    zip64: bool
    flags: int = 0


@dataclass(frozen=True)
class ZipLayout:
    """What an archive's tail and central directory say.

    Parameters
    ----------
    size
        The file's size.
    entries
        The central directory records, in their order.
    comment
        The archive comment.
    zip64
        Whether the archive has a ZIP64 end of central directory record.
    split
        Whether the end records declare more than one disk (a multi-part archive).
    """

    size: int
    entries: tuple[ZipEntry, ...]
    comment: bytes
    zip64: bool
    split: bool

    def file_order(self) -> tuple[ZipEntry, ...]:
        """Return the entries in the order their data lies in the file.

        Returns
        -------
        tuple of ZipEntry
            The entries by local header offset.
        """
        return tuple(sorted(self.entries, key=lambda e: e.offset))


def tail_length(size: int) -> int:
    """Return how many bytes at a file's end hold every end record and the longest comment.

    Parameters
    ----------
    size
        The file's size.

    Returns
    -------
    int
        The length of the tail to read.
    """
    return min(size, _END_FMT.size + _FULL16 + _LOCATOR_FMT.size + _END64_FMT.size)


@dataclass(frozen=True)
class _Tail:
    cd_offset: int
    cd_size: int
    count: int
    comment: bytes
    zip64: bool
    split: bool


def parse_tail(tail: bytes, size: int) -> _Tail:
    """Find the end records in a file's last bytes.

    Parameters
    ----------
    tail
        The file's last :func:`tail_length` bytes.
    size
        The file's size.

    Returns
    -------
    object
        ``cd_offset``, ``cd_size``, ``count``, ``comment``, ``zip64``, ``split``.

    Raises
    ------
    ZipFormatError
        When there is no end of central directory record.
    """
    base = size - len(tail)
    at = tail.rfind(struct.pack("<I", _END))
    while at >= 0:
        if at + _END_FMT.size <= len(tail):
            fields = _END_FMT.unpack_from(tail, at)
            if at + _END_FMT.size + fields[7] == len(tail):
                break
        at = tail.rfind(struct.pack("<I", _END), 0, at)
    if at < 0:
        raise ZipFormatError("no end of central directory record (not a zip file)")
    _, disk, cd_disk, _, count, cd_size, cd_offset, comment_len = _END_FMT.unpack_from(tail, at)
    comment = tail[at + _END_FMT.size : at + _END_FMT.size + comment_len]
    split = disk != 0 or cd_disk != 0
    zip64 = False
    loc = at - _LOCATOR_FMT.size
    if loc >= 0 and struct.unpack_from("<I", tail, loc)[0] == _LOCATOR64:
        _, disk64, end64_offset, disks = _LOCATOR_FMT.unpack_from(tail, loc)
        split = split or disk64 != 0 or disks > 1
        rel = end64_offset - base
        if 0 <= rel <= len(tail) - _END64_FMT.size:
            rec = _END64_FMT.unpack_from(tail, rel)
            if rec[0] == _END64:
                zip64 = True
                split = split or rec[4] != 0 or rec[5] != 0
                count, cd_size, cd_offset = rec[7], rec[8], rec[9]
    if cd_offset + cd_size > size:
        raise ZipFormatError("the central directory lies beyond the end of the file")
    return _Tail(cd_offset, cd_size, count, comment, zip64, split)


def _zip64_values(extra: bytes, wanted: list[bool]) -> list[int | None]:
    """Read the ZIP64 extra field's values for the 32-bit fields that are saturated."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == _ZIP64_EXTRA:
            data = extra[at + 4 : at + 4 + length]
            out: list[int | None] = []
            pos = 0
            for want in wanted:
                if want and pos + 8 <= len(data):
                    out.append(struct.unpack_from("<Q", data, pos)[0])
                    pos += 8
                else:
                    out.append(None)
            return out
        at += 4 + length
    return [None] * len(wanted)


def _has_zip64(extra: bytes) -> bool:
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == _ZIP64_EXTRA:
            return True
        at += 4 + length
    return False


def parse_central_directory(data: bytes) -> tuple[ZipEntry, ...]:
    """Parse every record of a central directory.

    Parameters
    ----------
    data
        The central directory's bytes.

    Returns
    -------
    tuple of ZipEntry
        The records, in order.

    Raises
    ------
    ZipFormatError
        When a record is malformed.
    """
    entries = []
    at = 0
    while at + _CENTRAL_FMT.size <= len(data):
        rec = _CENTRAL_FMT.unpack_from(data, at)
        if rec[0] != _CENTRAL:
            raise ZipFormatError(f"a central directory record at {at} has a wrong signature")
        flags, method, crc, csize, usize = rec[3], rec[4], rec[7], rec[8], rec[9]
        name_len, extra_len, comment_len, offset = rec[10], rec[11], rec[12], rec[16]
        start = at + _CENTRAL_FMT.size
        raw = data[start : start + name_len]
        extra = data[start + name_len : start + name_len + extra_len]
        big = _zip64_values(extra, [usize == _FULL32, csize == _FULL32, offset == _FULL32])
        entries.append(
            ZipEntry(
                name=raw.decode("utf-8" if flags & _UTF8_FLAG else "cp437"),
                method=method,
                crc=crc,
                compressed_size=csize if big[1] is None else big[1],
                size=usize if big[0] is None else big[0],
                offset=offset if big[2] is None else big[2],
                zip64=_has_zip64(extra),
                flags=flags,
            )
        )
        at = start + name_len + extra_len + comment_len
    return tuple(entries)


def local_header_length(header: bytes) -> int:
    """Return the length of a local header (where the entry's data starts after it).

    Parameters
    ----------
    header
        At least the header's first 30 bytes.

    Returns
    -------
    int
        30 plus the lengths of its name and extra field.

    Raises
    ------
    ZipFormatError
        When the bytes are not a local header.
    """
    if len(header) < _LOCAL_FMT.size or struct.unpack_from("<I", header)[0] != _LOCAL:
        raise ZipFormatError("not a local file header")
    rec = _LOCAL_FMT.unpack_from(header)
    return int(_LOCAL_FMT.size + rec[9] + rec[10])


def read_layout(read: Callable[[int, int], bytes], size: int) -> ZipLayout:
    """Read an archive's layout with two reads: its tail, then its central directory.

    Parameters
    ----------
    read
        ``read(start, end)`` returns the file's bytes ``[start, end)``.
    size
        The file's size.

    Returns
    -------
    ZipLayout
        The layout.

    Raises
    ------
    ZipFormatError
        When the file is not a zip archive.
    """
    n = tail_length(size)
    tail = parse_tail(read(size - n, size), size)
    directory = read(tail.cd_offset, tail.cd_offset + tail.cd_size) if tail.cd_size else b""
    entries = parse_central_directory(directory)
    return ZipLayout(size, entries, tail.comment, tail.zip64, tail.split)


def _zip64_extra(*values: int) -> bytes:
    return struct.pack(f"<HH{len(values)}Q", _ZIP64_EXTRA, 8 * len(values), *values)


def local_header(name: str, size: int, crc: int) -> bytes:
    """Encode the local header of a stored (uncompressed) ZIP64 entry.

    Parameters
    ----------
    name
        The entry's name.
    size
        The data's size.
    crc
        The data's CRC-32.

    Returns
    -------
    bytes
        The header; the data follows it.
    """
    raw = name.encode("utf-8")
    extra = _zip64_extra(size, size)
    head = _LOCAL_FMT.pack(
        _LOCAL, _VERSION, _UTF8_FLAG, 0, 0, _DOS_DATE, crc, _FULL32, _FULL32, len(raw), len(extra)
    )
    return head + raw + extra


def central_record(name: str, size: int, crc: int, offset: int) -> bytes:
    """Encode the central directory record of a stored ZIP64 entry.

    Parameters
    ----------
    name, size, crc
        As for :func:`local_header`.
    offset
        Where the entry's local header starts.

    Returns
    -------
    bytes
        The record.
    """
    raw = name.encode("utf-8")
    extra = _zip64_extra(size, size, offset)
    head = _CENTRAL_FMT.pack(
        _CENTRAL,
        _MADE_BY,
        _VERSION,
        _UTF8_FLAG,
        0,
        0,
        _DOS_DATE,
        crc,
        _FULL32,
        _FULL32,
        len(raw),
        len(extra),
        0,
        0,
        0,
        _UNIX_FILE,
        _FULL32,
    )
    return head + raw + extra


def end_records(count: int, cd_offset: int, cd_size: int, comment: bytes) -> bytes:
    """Encode the ZIP64 end record, its locator and the end of central directory record.

    Parameters
    ----------
    count
        The number of entries.
    cd_offset, cd_size
        Where the central directory starts, and its length.
    comment
        The archive comment (at most 65535 bytes).

    Returns
    -------
    bytes
        The records, to be written right after the central directory.
    """
    if len(comment) > _FULL16:
        raise ZipFormatError("an archive comment holds at most 65535 bytes")
    end64_offset = cd_offset + cd_size
    end64 = _END64_FMT.pack(
        _END64, _END64_FMT.size - 12, _MADE_BY, _VERSION, 0, 0, count, count, cd_size, cd_offset
    )
    locator = _LOCATOR_FMT.pack(_LOCATOR64, 0, end64_offset, 1)
    end = _END_FMT.pack(_END, 0, 0, _FULL16, _FULL16, _FULL32, _FULL32, len(comment))
    return end64 + locator + end + comment
