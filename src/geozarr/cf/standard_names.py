"""The CF standard name table, shipped as a compact list (nothing is downloaded at run time).

The package data file ``data/cf_standard_names.json.gz`` holds the table's version, each
standard name with its canonical units, and the aliases (renamed names with the name that
replaced them). It is derived from the table's XML with :func:`compact_table`; regenerate it
with ``python -m geozarr.cf.standard_names TABLE.xml [OUT.json.gz]``.

CF-1.11 §3.3: a ``standard_name`` is a name from the table, optionally followed by blanks and
a standard name modifier (Appendix C: ``detection_minimum``, ``number_of_observations``,
``standard_error``, ``status_flag``). §3.1: ``units`` must be physically equivalent to the
canonical units of the standard name (modified by the modifier where Appendix C says so).
"""

from __future__ import annotations

import functools
import gzip
import json
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_FILE",
    "MODIFIERS",
    "StandardNameTable",
    "compact_table",
    "load_table",
    "main",
    "write_compact",
]

DATA_FILE = "cf_standard_names.json.gz"
"""Name of the compact table in the package's ``data`` folder."""

MODIFIERS = {
    "detection_minimum": None,
    "number_of_observations": "1",
    "standard_error": None,
    "status_flag": "",
}
"""Standard name modifiers (CF Appendix C) with the units they impose (``None``: the
standard name's own; ``""``: none)."""


@dataclass(frozen=True)
class StandardNameTable:
    """The standard names with their canonical units, and the aliases.

    Parameters
    ----------
    version
        The table's version number.
    units
        Canonical units by standard name (``""`` when the table gives none).
    aliases
        For each alias (a former name), the standard name that replaced it.
    """

    version: int
    units: dict[str, str]
    aliases: dict[str, str]

    def lookup(self, standard_name: str) -> tuple[str | None, str | None, str | None]:
        """Split a ``standard_name`` attribute and look its name up.

        Parameters
        ----------
        standard_name
            The attribute's value: a name, optionally followed by a modifier.

        Returns
        -------
        tuple
            ``(name, modifier, replacement)``: ``name`` is the table entry (``None`` when
            unknown), ``modifier`` the modifier if any (``None`` when absent; the unknown
            modifier itself when it is not one of :data:`MODIFIERS`), ``replacement`` the
            current name when the attribute used an alias.

        Examples
        --------
        >>> table = load_table()
        >>> table.lookup("air_temperature standard_error")
        ('air_temperature', 'standard_error', None)
        """
        parts = standard_name.split()
        if not parts or len(parts) > 2:
            return None, None, None
        name, modifier = parts[0], (parts[1] if len(parts) == 2 else None)
        if name in self.units:
            return name, modifier, None
        if name in self.aliases:
            return None, modifier, self.aliases[name]
        return None, modifier, None


def compact_table(xml_text: str | bytes) -> dict[str, Any]:
    """Derive the compact form of the standard name table from its XML.

    Parameters
    ----------
    xml_text
        The XML of ``cf-standard-name-table.xml``.

    Returns
    -------
    dict
        ``{"version": int, "units": {name: canonical_units}, "aliases": {alias: name}}``,
        keys sorted.
    """
    root = ET.fromstring(xml_text)
    version = int((root.findtext("version_number") or "0").strip())
    units = {
        str(e.get("id")): (e.findtext("canonical_units") or "").strip() for e in root.iter("entry")
    }
    aliases = {str(a.get("id")): (a.findtext("entry_id") or "").strip() for a in root.iter("alias")}
    return {
        "version": version,
        "units": dict(sorted(units.items())),
        "aliases": dict(sorted(aliases.items())),
    }


def write_compact(xml_path: Path, out: Path) -> None:
    """Write the compact table derived from ``xml_path`` to ``out`` (gzip, reproducible).

    Parameters
    ----------
    xml_path
        The XML table.
    out
        The ``.json.gz`` file to write.
    """
    data = json.dumps(compact_table(xml_path.read_bytes()), separators=(",", ":"))
    out.write_bytes(gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0))


@functools.cache
def load_table() -> StandardNameTable:
    """Load the shipped compact table (once per process).

    Returns
    -------
    StandardNameTable
        The table.
    """
    raw = resources.files("geozarr").joinpath("data", DATA_FILE).read_bytes()
    data = json.loads(gzip.decompress(raw))
    return StandardNameTable(data["version"], data["units"], data["aliases"])


def main(argv: list[str] | None = None) -> int:
    """Regenerate the compact table: ``TABLE.xml [OUT.json.gz]``.

    Parameters
    ----------
    argv
        The arguments; ``sys.argv[1:]`` when omitted. ``OUT`` defaults to the package's
        data file.

    Returns
    -------
    int
        0 on success, 2 on a usage error.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m geozarr.cf.standard_names TABLE.xml [OUT.json.gz]")
        return 2
    out = (
        Path(args[1])
        if len(args) == 2
        else Path(__file__).resolve().parent.parent / "data" / DATA_FILE
    )
    write_compact(Path(args[0]), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
