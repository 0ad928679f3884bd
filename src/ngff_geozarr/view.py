"""``python -m ngff_geozarr.view ngff|geozarr TARGET [options]``: the ``view`` command.

What ``ngff view TARGET`` and ``geozarr view TARGET`` run once the command lines carry it
(:func:`~ngff_geozarr.core.viewer.add_view_command`): the convention's group is built with
its ``view`` command, under the one error policy (one line on standard error, exit 2).
This module lives outside ``ngff_geozarr.core`` because it names the conventions.
"""

from __future__ import annotations

import sys

from ngff_geozarr.core.cli import fail, run_guarded

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run ``view`` of the convention named first in ``argv``.

    Parameters
    ----------
    argv
        ``ngff`` or ``geozarr``, then the ``view`` command's arguments; ``sys.argv[1:]``
        when omitted.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("ngff", "geozarr"):
        fail("ngff-geozarr", "usage: python -m ngff_geozarr.view ngff|geozarr TARGET [options].")
    from ngff_geozarr.core.cli import make_cli
    from ngff_geozarr.core.viewer import add_view_command

    if args[0] == "ngff":
        from ngff.cli import CONVENTION as OME
        from ngff.viewing import open_images as open_ome

        cli = make_cli(OME)
        add_view_command(cli, OME, open_ome)
    else:
        from geozarr.cli import CONVENTION as GEO
        from geozarr.viewing import open_images as open_geo

        cli = make_cli(GEO)
        add_view_command(cli, GEO, open_geo)
    run_guarded(cli, ["view", *args[1:]])


if __name__ == "__main__":
    main()
