"""What a convention package gives the shared scaffold: one frozen :class:`Convention`.

``ngff`` (OME-Zarr) and ``geozarr`` (GeoZarr, CF and the Zarr conventions) are two
instances of one product. Each builds one :class:`Convention` naming its detection table,
validator, report builder, rule registry and schema documents; the command line
(:func:`ngff_geozarr.core.cli.make_cli`) turns it into a click group whose shared commands
(``validate``, ``info``, ``report``, ``rules``) have the same options, help structure,
messages and exit codes for both. A convention adds only what is its own (``create``,
``pyramid``, ``convert``, extra ``validate`` options such as GeoZarr's ``--profile``).

This module imports neither zarr nor any writer: a convention can be described without I/O.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ngff_geozarr.core.hierarchy import Discover
from ngff_geozarr.core.info import Describe, Detect
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.rules import RuleRegistry

if TYPE_CHECKING:
    from ngff_geozarr.core.deep.budget import Budget

__all__ = ["BuildReport", "Convention", "OptionDecorator", "Validate", "write_schema_documents"]

OptionDecorator = Callable[[Callable[..., Any]], Callable[..., Any]]
"""A click option decorator (``click.option(...)``), as a convention adds to a command."""


class Validate(Protocol):
    """Validates a target, all of it: ``(target, *, strict, storage_options, ...) -> Report``.

    Each convention's ``validate`` (:func:`ngff.validate`, :func:`geozarr.validate`) takes
    these arguments; it may take more, the values of the convention's own ``validate``
    options (:attr:`Convention.validate_options`, GeoZarr's ``profile``), by parameter name.
    """

    def __call__(
        self,
        target: str | os.PathLike[str],
        *,
        strict: bool = ...,
        storage_options: dict[str, Any] | None = ...,
        readers: Sequence[str] = ...,
        deep: bool | Budget = ...,
        sample: int | None = ...,
        max_requests: int | None = ...,
        max_bytes: int | None = ...,
    ) -> Report:
        """Return the report of ``target``.

        Parameters
        ----------
        target
            A store path or URL (directory, ``.zip``, ``file://``, ``http(s)://``,
            ``s3://``), or a JSON file: a node document (``zarr.json``, ``.zattrs``), bare
            attributes, or a pydantic-zarr GroupSpec dump.
        strict
            Apply the strict profile: the spec's SHOULDs become errors.
        storage_options
            Options for remote stores (``endpoint_url``, ``anon``, ...).
        readers
            Readers to check the store for (the convention's reader profiles); their
            requirements are warnings.
        deep, sample, max_requests, max_bytes
            Also read chunk data within a budget (``validate --deep``; see
            :func:`ngff_geozarr.core.deep.budget_of`).

        Returns
        -------
        Report
            Every issue found; ``exit_code`` is 0 valid, 1 invalid, 2 unreadable. A target
            that cannot be read gives an unreadable report, never an exception.

        Raises
        ------
        ValueError
            For a reader the convention does not know (a programming error, not a user's).
        """
        ...


class BuildReport(Protocol):
    """Validates a target and renders its HTML page: ``-> (html, report)``."""

    def __call__(
        self,
        target: str | os.PathLike[str],
        *,
        strict: bool = ...,
        storage_options: dict[str, Any] | None = ...,
    ) -> tuple[str, Report]:
        """Return the page and the report of ``target``.

        Parameters
        ----------
        target
            A store path or URL, or a JSON document (no pictures then).
        strict
            Apply the strict profile (SHOULD-level issues become errors), as
            ``validate --strict``.
        storage_options
            Options for remote stores.

        Returns
        -------
        tuple of (str, Report)
            The HTML page and the validation report.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Convention:
    """One convention as the shared scaffold sees it.

    Parameters
    ----------
    name
        The convention's name in machine-readable output (``"ome-zarr"``, ``"geozarr"``).
    command
        The console command (``"ngff"``, ``"geozarr"``); every failure line starts with
        ``"<command>: error: "``.
    title
        The name people read (``"OME-Zarr"``, ``"GeoZarr"``).
    summary
        The command group's help text.
    detect
        Labels each node with the conventions it follows (``info``, ``report``).
    discover
        Names the children a node refers to, for stores that cannot be listed.
    validate
        The validator the ``validate`` command runs.
    validate_help
        What ``validate`` checks, the first part of its help; the scaffold adds the part
        every convention shares (targets and exit codes).
    build_report
        Validates a target and renders its HTML page (``report``).
    registry
        Every rule :attr:`validate` can report (``rules``).
    schema_documents
        Returns the JSON Schema documents of the convention's models, by file name.
    info_label
        What ``info`` says it recognises (default: :attr:`title`).
    validate_options
        The convention's own ``validate`` options; their values reach :attr:`validate` as
        keyword arguments.
    describe
        States what the convention's metadata means, for ``info`` (``None``: the tree only).

    Examples
    --------
    >>> from ngff.cli import CONVENTION
    >>> (CONVENTION.command, CONVENTION.name, CONVENTION.title)
    ('ngff', 'ome-zarr', 'OME-Zarr')
    """

    name: str
    command: str
    title: str
    summary: str
    detect: Detect
    discover: Discover
    validate: Validate
    validate_help: str
    build_report: BuildReport
    registry: RuleRegistry
    schema_documents: Callable[[], Mapping[str, str]]
    info_label: str = ""
    validate_options: Sequence[OptionDecorator] = field(default=())
    describe: Describe | None = None

    @property
    def label(self) -> str:
        """What ``info`` says it recognises: :attr:`info_label`, else :attr:`title`."""
        return self.info_label or self.title


def write_schema_documents(
    documents: Mapping[str, str], folder: str | os.PathLike[str]
) -> list[Path]:
    """Write a convention's JSON Schema documents under ``folder``, the same way for both.

    Parameters
    ----------
    documents
        Relative file name (``"0.5/image.json"``) to JSON text, as
        :attr:`Convention.schema_documents` returns them.
    folder
        The folder; created with any sub-folder a name needs.

    Returns
    -------
    list of Path
        The files written, in the order of ``documents``.
    """
    written = []
    for name, text in documents.items():
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
