"""Check an image's levels against its metadata and each other: the arrays of a multiscale.

The dataset paths of a multiscale image resolve to arrays (:mod:`ngff.store_checks` runs
these checks for each image it meets): one dimension per axis, the axis names as Zarr v3
``dimension_names``, one data type, shapes that do not grow from one level to the next,
scales that agree with the shapes, and as many ``omero`` channels as the channel axis holds.
"""

from __future__ import annotations

import itertools
import math

from ngff.common.context import Context
from ngff.common.facts import ImageFacts
from ngff_geozarr.core.errors import UnsafePathError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.report import json_pointer
from ngff_geozarr.core.store import join_key

__all__ = ["LevelChecks", "resolve_key"]


def resolve_key(base: str, ref: str) -> str | None:
    """Return the store key a relative reference names, or ``None`` (empty, or unsafe).

    Parameters
    ----------
    base
        The path of the node the reference is written in.
    ref
        The reference.

    Returns
    -------
    str or None
        The key; ``None`` for an empty reference or one that would leave the store.
    """
    try:
        return join_key(base, ref) if ref else None
    except UnsafePathError:
        return None


class LevelChecks:
    """The checks of one node's multiscale images against the arrays they name.

    Parameters
    ----------
    hierarchy
        The hierarchy, read from a store.
    ctx
        The context the node's issues are recorded in.
    path
        The node's path.
    """

    def __init__(self, hierarchy: Hierarchy, ctx: Context, path: str) -> None:
        self.h = hierarchy
        self.ctx = ctx
        self.path = path

    def _arrays(self, image: ImageFacts) -> list[tuple[int, Node]]:
        """Find the arrays an image's datasets resolve to; report the missing ones."""
        found = []
        for j, ref in image.paths:
            key = resolve_key(self.path, ref)
            if key is None:
                continue  # an unsafe path: reported with the metadata
            node = self.h.nodes.get(key)
            at: list[str | int] = ["multiscales", image.index, "datasets", j, "path"]
            if node is None and self.h.not_read(key):
                continue  # it or a group above it not read: nothing is known of it
            if node is None:
                self.ctx.error(
                    "ngff.multiscales.dataset-missing",
                    at,
                    f"Dataset path {ref!r} resolves to nothing: no array at {key!r}.",
                    "multiscales",
                )
            elif node.node_type != "array" or node.array is None:
                self.ctx.error(
                    "ngff.multiscales.dataset-not-array",
                    at,
                    f"Dataset path {ref!r} resolves to a {node.node_type} at {key!r}, "
                    "not a readable array.",
                    "multiscales",
                )
            else:
                found.append((j, node))
        return found

    def _array_issue(self, rule: str, node: Node, pointer: str, message: str, section: str) -> None:
        """Record an issue about another node (a level's array)."""
        self.ctx.issues.append(self.ctx.issue(rule, node.path, pointer, message, section))

    # -- images -----------------------------------------------------------------------

    def check_image(self, image: ImageFacts, omero_channels: int | None = None) -> None:
        """Run the array rules on one multiscale image.

        Parameters
        ----------
        image
            The image's facts.
        omero_channels
            How many channels the node's ``omero`` metadata lists (it describes the node's
            first image), or ``None``.
        """
        arrays = self._arrays(image)
        self.check_ndim(image, arrays)
        if self.ctx.version != "0.4":
            self.check_dimension_names(image, arrays)
        self.check_one_dtype(arrays)
        self.check_shapes_non_increasing(arrays)
        self.check_scale_ratios(image, arrays)
        if omero_channels is not None:
            self.check_omero_channels(image, arrays, omero_channels)

    def check_omero_channels(
        self, image: ImageFacts, arrays: list[tuple[int, Node]], count: int
    ) -> None:
        """Ensure ``omero`` lists one channel per index of the channel axis.

        Spec: omero (transitional) — "channels": an "Array matching the c dimension size"
        ("an array of dictionaries describing the channels of the image"). The channel axis
        is the axis of type ``channel`` (one named ``c`` when no axis has a type); an image
        without one has one channel, as the writers here record it.
        """
        if not arrays or image.axes is None or arrays[0][0] != image.paths[0][0]:
            return  # no level 0 to compare with (ngff.multiscales.dataset-missing)
        base = arrays[0][1]
        assert base.array is not None
        shape = tuple(base.array.shape)
        if len(shape) != len(image.axes):
            return  # ngff.multiscales.ndim
        types = image.axis_types or (None,) * len(image.axes)
        axis = next((d for d, t in enumerate(types) if t == "channel"), None)
        if axis is None and not any(types):
            axis = next((d for d, name in enumerate(image.axes) if name == "c"), None)
        size = 1 if axis is None else shape[axis]
        if count == size:
            return
        where = (
            "the image has no channel axis: one channel"
            if axis is None
            else f"the size of the channel axis {image.axes[axis]!r} in level 0's shape "
            f"{list(shape)}"
        )
        self.ctx.error(
            "ngff.omero.channel-count",
            ["omero", "channels"],
            f"Expected {size} channel(s) in omero ({where}). Got {count}.",
            "omero",
        )

    def check_ndim(self, image: ImageFacts, arrays: list[tuple[int, Node]]) -> None:
        """Ensure each array has one dimension per axis.

        Spec: multiscales — "The number of dimensions and order MUST correspond to number
        and order of axes".
        """
        if image.axes is None:
            return
        for _, node in arrays:
            assert node.array is not None
            if len(node.array.shape) != len(image.axes):
                self._array_issue(
                    "ngff.multiscales.ndim",
                    node,
                    "/shape",
                    f"Expected {len(image.axes)} dimensions, one per axis of the image "
                    f"{self.path or '/'} ({', '.join(image.axes)}). "
                    f"Got shape {list(node.array.shape)}.",
                    "multiscales",
                )

    def check_dimension_names(self, image: ImageFacts, arrays: list[tuple[int, Node]]) -> None:
        """Ensure Zarr v3 ``dimension_names`` equal the axis names.

        Spec 0.5+: multiscales — the array dimensions correspond to the axes; Zarr v3
        ``dimension_names``, when given, name them and MUST agree.
        """
        if image.axes is None:
            return
        for _, node in arrays:
            names = node.metadata.get("dimension_names")
            if node.zarr_format != 3 or names is None:
                continue
            if list(names) != list(image.axes):
                self._array_issue(
                    "ngff.multiscales.dimension-names",
                    node,
                    "/dimension_names",
                    f"Expected dimension_names {list(image.axes)} (the axis names). Got {names}.",
                    "multiscales",
                )

    def check_one_dtype(self, arrays: list[tuple[int, Node]]) -> None:
        """Ensure every level has the data type of the first.

        Spec: multiscales — the levels are one image at several resolutions; a level of
        another data type is not a downsampled copy of it.
        """
        if not arrays:
            return
        first = arrays[0][1].dtype_name
        for _, node in arrays[1:]:
            dtype = node.dtype_name
            if dtype != first:
                self._array_issue(
                    "ngff.multiscales.dtype",
                    node,
                    node.data_type_pointer,
                    f"Expected the data type of the first level ({first}). Got {dtype}.",
                    "multiscales",
                )

    def check_shapes_non_increasing(self, arrays: list[tuple[int, Node]]) -> None:
        """Ensure no level is larger than the one before along any dimension.

        Spec: multiscales — "The paths MUST be ordered from largest (i.e. highest
        resolution) to smallest".
        """
        for (_, prev), (_, node) in itertools.pairwise(arrays):
            assert prev.array is not None
            assert node.array is not None
            a, b = prev.array.shape, node.array.shape
            if len(a) == len(b) and any(y > x for x, y in zip(a, b, strict=True)):
                self._array_issue(
                    "ngff.multiscales.shape-order",
                    node,
                    "/shape",
                    f"Expected no dimension larger than the previous level's {list(a)}. "
                    f"Got {list(b)}.",
                    "multiscales",
                )

    def check_scale_ratios(self, image: ImageFacts, arrays: list[tuple[int, Node]]) -> None:
        """Warn when a level's scale disagrees with its shape by more than rounding.

        Spec: multiscales — the scale "specifies the pixel size"; a level downsampled by a
        factor f along an axis holds about 1/f of the first level's samples there.
        """
        if not arrays:
            return
        j0, base = arrays[0]
        s0 = image.scales[j0]
        assert base.array is not None
        n0 = base.array.shape
        for j, node in arrays[1:]:
            sk = image.scales[j]
            assert node.array is not None
            nk = node.array.shape
            if s0 is None or sk is None or not len(s0) == len(sk) == len(n0) == len(nk):
                continue
            for d, (a, b, m, n) in enumerate(zip(s0, sk, n0, nk, strict=True)):
                if not (math.isfinite(a) and math.isfinite(b)) or a <= 0 or b <= 0 or m == 0:
                    continue  # the scale itself is reported by the transformation checks
                expected = m * a / b
                if not math.isfinite(expected):
                    continue  # 1e308 against 1e-308: no sample count to compare
                if not math.floor(expected - 1e-9) <= n <= math.ceil(expected + 1e-9):
                    self._array_issue(
                        "ngff.multiscales.scale-ratio",
                        node,
                        json_pointer("shape", d),
                        f"Scale {b:g} vs {a:g} at the first level implies about "
                        f"{expected:.6g} samples along dimension {d} (first level: {m}). "
                        f"Got {n}.",
                        "multiscales",
                    )
