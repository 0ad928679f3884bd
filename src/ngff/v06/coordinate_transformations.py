"""OME-Zarr 0.6 coordinate transformations: the RFC-5 set.

``identity``, ``mapAxis``, ``projectAxis``, ``translation``, ``scale``, ``affine``,
``rotation``, ``sequence``, ``displacements``, ``coordinates``, ``inverseOf``, ``bijection``
and ``byDimension``, told apart by their ``type``. Each may name its ``input`` and ``output``
as ``{"name": ..., "path": ...}`` references to coordinate systems; where those are required
depends on where the transformation is stored (see ``ngff.v06.multiscales`` and
``ngff.v06.scene``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, ClassVar, Literal, TypeAlias

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from ngff.common.base import OmeModel
from ngff.common.context import Context, Tokens

__all__ = [
    "Affine",
    "Bijection",
    "ByDimension",
    "ByDimensionItem",
    "CoordinateReference",
    "Coordinates",
    "Displacements",
    "Identity",
    "InverseOf",
    "MapAxis",
    "ProjectAxis",
    "Rotation",
    "Scale",
    "Sequence_",
    "Transformation",
    "TransformationBase",
    "Translation",
    "check_by_dimension",
    "check_parameter_values",
    "check_references",
    "check_transformation_dimensions",
    "walk_transformations",
]

_SECTION = "coordinateTransformations"
_AxisIndex = Annotated[int, Field(ge=0, le=4)]
_Interpolation: TypeAlias = Literal["nearest", "linear", "cubic"]


class CoordinateReference(OmeModel):
    """A reference to a coordinate system: its ``name``, in the group at ``path``."""

    name: str | None = None
    path: str | None = None


class TransformationBase(OmeModel):
    """What every transformation may carry: a name, an input and an output."""

    name: str | None = None
    input: CoordinateReference | None = None
    output: CoordinateReference | None = None


class _InlineOrPath(TransformationBase):
    """A transformation whose parameters stand inline or in an array at ``path``.

    Spec: each of translation, scale, affine and rotation takes its parameters "as a
    list ... or a path to a zarr array"; one of the two must be given.
    """

    path: str | None = None
    inline: ClassVar[str]
    """The name of the inline parameter (the transformation's ``type``)."""

    @model_validator(mode="after")
    def _parameters(self) -> _InlineOrPath:
        """Spec: one of the inline parameters or 'path'; then the shape of the inline ones."""
        value = getattr(self, self.inline)
        if value is None and self.path is None:
            raise PydanticCustomError(
                "ngff.transforms.parameters",
                "A {kind} transformation needs its parameters: '{inline}' or 'path'.",
                {"kind": self.inline, "inline": self.inline},
            )
        if value is not None:
            self._check_inline(value)
        return self

    def _check_inline(self, value: list[list[float]] | list[float]) -> None:
        """Refuse inline parameters of the wrong shape (nothing to check by default)."""


class Identity(TransformationBase):
    """The identity."""

    type: Literal["identity"]


class MapAxis(TransformationBase):
    """An axis permutation: the input axis index of each output axis."""

    type: Literal["mapAxis"]
    mapAxis: list[_AxisIndex] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _unique(self) -> MapAxis:
        """Spec: mapAxis — the indices form a permutation (schema: ``uniqueItems``)."""
        if len(set(self.mapAxis)) != len(self.mapAxis):
            raise PydanticCustomError(
                "ngff.transforms.map-axis", "Expected each input axis index once."
            )
        return self


class ProjectAxis(TransformationBase):
    """Drops input axes and/or inserts output axes."""

    type: Literal["projectAxis"]
    droppedInputs: list[_AxisIndex] | None = Field(default=None, min_length=1, max_length=3)
    createdOutputs: list[_AxisIndex] | None = Field(default=None, min_length=1, max_length=3)

    @model_validator(mode="after")
    def _some_axes(self) -> ProjectAxis:
        """Spec: projectAxis — at least one of the lists, each index once."""
        lists = [v for v in (self.droppedInputs, self.createdOutputs) if v is not None]
        if not lists:
            raise PydanticCustomError(
                "ngff.transforms.parameters",
                "A projectAxis transformation needs 'droppedInputs' or 'createdOutputs'.",
            )
        if any(len(set(v)) != len(v) for v in lists):
            raise PydanticCustomError(
                "ngff.transforms.project-axis", "Expected each axis index once."
            )
        return self


class Translation(_InlineOrPath):
    """A translation: one offset per axis, inline or in an array at ``path``."""

    type: Literal["translation"]
    translation: list[float] | None = None
    inline = "translation"


class Scale(_InlineOrPath):
    """A scale: one factor per axis, inline or in an array at ``path``.

    The spec allows any number (a negative factor flips an axis); a zero is a SHOULD
    (:func:`check_scale_values`).
    """

    type: Literal["scale"]
    scale: list[float] | None = None
    inline = "scale"


class Affine(_InlineOrPath):
    """An affine matrix, inline (rows) or in an array at ``path``."""

    type: Literal["affine"]
    affine: list[list[float]] | None = None
    inline = "affine"

    def _check_inline(self, value: list[list[float]] | list[float]) -> None:
        """Spec: affine — rows of equal length."""
        if len({len(r) for r in value if isinstance(r, list)}) > 1:
            raise PydanticCustomError(
                "ngff.transforms.matrix", "Expected matrix rows of equal length."
            )


class Rotation(_InlineOrPath):
    """A rotation matrix (square, 2 to 5 rows), inline or in an array at ``path``."""

    type: Literal["rotation"]
    rotation: list[list[float]] | None = None
    inline = "rotation"

    def _check_inline(self, value: list[list[float]] | list[float]) -> None:
        """Spec: rotation — a square matrix of size 2 to 5."""
        rows = [r for r in value if isinstance(r, list)]
        if not (2 <= len(rows) <= 5 and all(len(r) == len(rows) for r in rows)):
            raise PydanticCustomError(
                "ngff.transforms.matrix", "Expected a square matrix of 2 to 5 rows."
            )


class Sequence_(TransformationBase):
    """Transformations applied in order."""

    type: Literal["sequence"]
    transformations: list[Transformation]


class Displacements(TransformationBase):
    """A displacement field stored in the array at ``path``."""

    type: Literal["displacements"]
    path: str
    interpolation: _Interpolation | None = None


class Coordinates(TransformationBase):
    """A coordinate field stored in the array at ``path``."""

    type: Literal["coordinates"]
    path: str
    interpolation: _Interpolation | None = None


class InverseOf(TransformationBase):
    """The inverse of a transformation that has no closed-form inverse."""

    type: Literal["inverseOf"]
    transformation: Transformation


class Bijection(TransformationBase):
    """An invertible transformation given by both directions."""

    type: Literal["bijection"]
    forward: Transformation
    inverse: Transformation


class ByDimensionItem(OmeModel):
    """One lower-dimensional transformation of a ``byDimension`` and the axes it maps."""

    transformation: Transformation
    inputAxes: list[Annotated[int, Field(ge=0)]]
    outputAxes: list[Annotated[int, Field(ge=0)]]


class ByDimension(TransformationBase):
    """A transformation built from lower-dimensional ones on subsets of axes."""

    type: Literal["byDimension"]
    transformations: list[ByDimensionItem]


Transformation: TypeAlias = Annotated[
    Identity
    | MapAxis
    | ProjectAxis
    | Translation
    | Scale
    | Affine
    | Rotation
    | Sequence_
    | Displacements
    | Coordinates
    | InverseOf
    | Bijection
    | ByDimension,
    Field(discriminator="type"),
]
"""Any 0.6 coordinate transformation, told apart by its ``type``."""

for _model in (Sequence_, InverseOf, Bijection, ByDimensionItem, ByDimension):
    _model.model_rebuild()


def walk_transformations(
    transform: TransformationBase, at: Tokens
) -> Iterator[tuple[TransformationBase, list[str | int]]]:
    """Yield a transformation and every transformation nested in it, with their places.

    Parameters
    ----------
    transform
        The outer transformation.
    at
        Its place, relative to the OME metadata.

    Yields
    ------
    tuple
        Each transformation and its reference tokens.
    """
    here = list(at)
    yield transform, here
    if isinstance(transform, Sequence_):
        for i, t in enumerate(transform.transformations):
            yield from walk_transformations(t, [*here, "transformations", i])
    elif isinstance(transform, InverseOf):
        yield from walk_transformations(transform.transformation, [*here, "transformation"])
    elif isinstance(transform, Bijection):
        yield from walk_transformations(transform.forward, [*here, "forward"])
        yield from walk_transformations(transform.inverse, [*here, "inverse"])
    elif isinstance(transform, ByDimension):
        for i, item in enumerate(transform.transformations):
            yield from walk_transformations(
                item.transformation, [*here, "transformations", i, "transformation"]
            )


def check_references(
    ctx: Context,
    transform: TransformationBase,
    at: Tokens,
    systems: Mapping[str, int],
    *,
    section: str,
) -> None:
    """Ensure a stored transformation names its input and output coordinate systems.

    Spec: coordinateTransformations — "MUST contain the field 'output' ... MUST contain the
    field 'input'" (except inside a sequence or inverseOf); "Both `input` and `output` MUST
    specify a coordinate system `name`" (scene: "MUST contain the field `name` and MAY
    contain the field `path`"); a reference without ``path`` names a coordinate system
    defined in the same metadata document.
    """
    for key in ("input", "output"):
        ref: CoordinateReference | None = getattr(transform, key)
        if ref is None or (ref.name is None and ref.path is None):
            ctx.error(
                "ngff.transforms.input-output",
                [*at, key] if ref is not None else at,
                f"The transformation has no {key!r} coordinate system.",
                section,
            )
        elif ref.name is None:
            ctx.error(
                "ngff.transforms.input-output",
                [*at, key],
                f"{key.capitalize()} has a path ({ref.path!r}) but no coordinate system "
                "'name'; both input and output MUST name a coordinate system.",
                section,
            )
        elif ref.path is None and ref.name not in systems:
            ctx.error(
                "ngff.transforms.unknown-coordinate-system",
                [*at, key, "name"],
                f"{key.capitalize()} {ref.name!r} names no coordinate system of this "
                f"document (known: {', '.join(sorted(systems)) or 'none'}).",
                section,
            )


def check_transformation_dimensions(
    ctx: Context, transform: TransformationBase, at: Tokens, n_in: int, n_out: int
) -> None:
    """Ensure vector and permutation parameters have one value per axis.

    Spec: coordinateTransformations — "Parameter values MUST be compatible with input and
    output space dimensionality".
    """
    if isinstance(transform, Scale | Translation):
        values = transform.scale if isinstance(transform, Scale) else transform.translation
        if values is not None and not len(values) == n_in == n_out:
            ctx.error(
                f"ngff.transforms.{transform.type}-length",
                [*at, transform.type],
                f"Expected {n_in} values (input) for {n_out} output axes. Got {len(values)}.",
                _SECTION,
            )
    elif isinstance(transform, Affine | Rotation):
        _check_matrix_size(ctx, transform, at, n_in, n_out)
    elif isinstance(transform, MapAxis) and len(transform.mapAxis) != n_out:
        ctx.error(
            "ngff.transforms.map-axis",
            [*at, "mapAxis"],
            f"Expected one index per output axis ({n_out}). Got {len(transform.mapAxis)}.",
            _SECTION,
        )
    elif isinstance(transform, MapAxis) and max(transform.mapAxis) >= n_in:
        ctx.error(
            "ngff.transforms.map-axis",
            [*at, "mapAxis"],
            f"Expected input axis indices below {n_in}. Got {transform.mapAxis}.",
            _SECTION,
        )


def _check_matrix_size(
    ctx: Context, transform: Affine | Rotation, at: Tokens, n_in: int, n_out: int
) -> None:
    """Compare an inline affine (M x N+1) or rotation (N x N) with its coordinate systems."""
    if isinstance(transform, Affine):
        matrix, rows, cols = transform.affine, n_out, n_in + 1
        shape = "(M)x(N+1)"
    else:
        matrix, rows, cols = transform.rotation, n_in, n_in
        shape = "NxN"
        if n_in != n_out:
            ctx.error(
                "ngff.transforms.matrix-size",
                at,
                f"A rotation maps N axes to N axes. Got an input of {n_in} and an output "
                f"of {n_out} axes.",
                transform.type,
            )
            return
    if matrix is None:
        return
    got = (len(matrix), len(matrix[0]) if matrix else 0)
    if got != (rows, cols):
        ctx.error(
            "ngff.transforms.matrix-size",
            [*at, transform.type],
            f"Expected a {shape} matrix of {rows}x{cols} for {n_in} input and {n_out} output "
            f"axes. Got {got[0]}x{got[1]}.",
            transform.type,
        )


def _orthonormal(matrix: list[list[float]], tolerance: float = 1e-6) -> bool:
    """Whether a square matrix has orthonormal rows (so columns) and determinant one."""
    n = len(matrix)
    for i in range(n):
        for j in range(n):
            dot = sum(matrix[i][k] * matrix[j][k] for k in range(n))
            if abs(dot - (1.0 if i == j else 0.0)) > tolerance:
                return False
    return abs(_determinant(matrix) - 1.0) <= tolerance


def _determinant(matrix: list[list[float]]) -> float:
    """Return the determinant, by Gaussian elimination (matrices of at most 5 rows)."""
    m = [list(row) for row in matrix]
    n, det = len(m), 1.0
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(m[r][c]))
        if m[pivot][c] == 0:
            return 0.0
        if pivot != c:
            m[c], m[pivot] = m[pivot], m[c]
            det = -det
        det *= m[c][c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            m[r] = [a - f * b for a, b in zip(m[r], m[c], strict=True)]
    return det


def check_parameter_values(ctx: Context, transform: TransformationBase, at: Tokens) -> None:
    """Check inline parameters, here or nested in a sequence, bijection or the like.

    Spec: scale — "Values in the `scale` array SHOULD be non-zero; in that case, `scale`
    transformations are invertible." rotation — "Rotations are stored as `NxN` matrices,
    see below, and MUST have determinant equal to one, with orthonormal rows and columns."
    """
    for inner, tokens in walk_transformations(transform, at):
        if isinstance(inner, Rotation) and inner.rotation and not _orthonormal(inner.rotation):
            ctx.error(
                "ngff.transforms.rotation",
                [*tokens, "rotation"],
                "Expected a rotation matrix: orthonormal rows and columns, determinant 1.",
                "rotation",
            )
        if isinstance(inner, Scale) and inner.scale is not None:
            for i, value in enumerate(inner.scale):
                if value == 0:
                    ctx.should(
                        "ngff.transforms.scale-zero",
                        [*tokens, "scale", i],
                        "A scale factor of 0 makes the transformation non-invertible; the "
                        "spec recommends non-zero values.",
                        "scale",
                    )


def _parameter_count(transform: TransformationBase) -> int | None:
    """Return the length of a child's inline parameter array (scale, translation), if any."""
    if isinstance(transform, Scale) and transform.scale is not None:
        return len(transform.scale)
    if isinstance(transform, Translation) and transform.translation is not None:
        return len(transform.translation)
    return None


def check_by_dimension(
    ctx: Context, transform: ByDimension, at: Tokens, n_in: int, n_out: int
) -> None:
    """Ensure a byDimension maps existing axes and covers each output axis exactly once.

    Spec: byDimension — "The `inputAxes` and `outputAxes` arrays of each item MUST have the
    same length as that transformation's parameter arrays." "Every axis name in a child
    transformation's input_axes MUST
    correspond to ... this parent object's input coordinate system. Every axis ... in the
    parent byDimension's output coordinate system MUST appear in exactly one child
    transformation's output_axes".
    """
    seen: dict[int, int] = {}
    for i, item in enumerate(transform.transformations):
        where = [*at, "transformations", i]
        for key, axes, n in (
            ("inputAxes", item.inputAxes, n_in),
            ("outputAxes", item.outputAxes, n_out),
        ):
            bad = [a for a in axes if a >= n]
            if bad:
                ctx.error(
                    "ngff.transforms.by-dimension",
                    [*where, key],
                    f"Axis indices {bad} do not exist in a {n}-dimensional coordinate system.",
                    "byDimension",
                )
        n_params = _parameter_count(item.transformation)
        for key, axes in (("inputAxes", item.inputAxes), ("outputAxes", item.outputAxes)):
            if n_params is not None and len(axes) != n_params:
                ctx.error(
                    "ngff.transforms.by-dimension-length",
                    [*where, key],
                    f"Expected {n_params} axes, one per parameter of the child "
                    f"{item.transformation.type}. Got {len(axes)}.",
                    "byDimension",
                )
        for a in item.outputAxes:
            if a in seen:
                ctx.error(
                    "ngff.transforms.by-dimension",
                    [*where, "outputAxes"],
                    f"Output axis {a} is already produced by transformation {seen[a]}.",
                    "byDimension",
                )
            seen.setdefault(a, i)
    missing = sorted(set(range(n_out)) - set(seen))
    if missing:
        ctx.error(
            "ngff.transforms.by-dimension",
            [*at, "transformations"],
            f"Output axes {missing} are produced by no child transformation.",
            "byDimension",
        )
