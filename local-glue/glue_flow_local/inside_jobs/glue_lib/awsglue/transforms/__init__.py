"""The Glue transforms scripts import with ``from awsglue.transforms import *``.

Each delegates to the DynamicFrame method of the same meaning; a transform AWS has that this library
lacks (ErrorsAsDynamicFrame: a local run keeps no error records) raises NotSupportedLocally naming it when
called.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from .._unsupported import unsupported
from .reshape import FlatMap, MapToCollection, SplitRows, Unbox, UnnestFrame
from .transform import GlueTransform


class ApplyMapping(GlueTransform):
    """Keep only the mapped fields, each renamed and cast: ``(source, source_type, target, target_type)``."""

    def __call__(
        self,
        frame: Any,
        mappings: list[tuple[Any, ...]],
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.apply_mapping(mappings, case_sensitive, transformation_ctx)


class ResolveChoice(GlueTransform):
    """Resolve choice types with ``specs`` or one ``choice`` (``make_struct``, ``make_cols``,
    ``cast:type``, ``project:type``, ``match_catalog``)."""

    def __call__(
        self,
        frame: Any,
        specs: Any = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        catalog_id: str | None = None,
    ) -> Any:
        return frame.resolveChoice(
            specs=specs,
            choice=choice,
            database=database,
            table_name=table_name,
            transformation_ctx=transformation_ctx,
            info=info,
            stageThreshold=stageThreshold,
            totalThreshold=totalThreshold,
            catalog_id=catalog_id,
        )


class DropNullFields(GlueTransform):
    """Drop every field that is null in all records."""

    def __call__(
        self,
        frame: Any,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        from .. import _frames

        return frame._new(_frames.drop_null_fields(frame.toDF()))


class SelectFields(GlueTransform):
    """Keep only ``paths``."""

    def __call__(
        self,
        frame: Any,
        paths: str | Iterable[str],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.select_fields(paths, transformation_ctx)


class DropFields(GlueTransform):
    """Drop ``paths``."""

    def __call__(
        self,
        frame: Any,
        paths: str | Iterable[str],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.drop_fields(paths, transformation_ctx)


class RenameField(GlueTransform):
    """Rename ``old_name`` to ``new_name``."""

    def __call__(
        self,
        frame: Any,
        old_name: str,
        new_name: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.rename_field(old_name, new_name, transformation_ctx)


class SplitFields(GlueTransform):
    """Two frames: ``name1`` with ``paths``, ``name2`` with the rest."""

    def __call__(
        self,
        frame: Any,
        paths: str | Iterable[str],
        name1: str | None = None,
        name2: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        base = frame.name or "frame"
        return frame.split_fields(paths, name1 or f"{base}1", name2 or f"{base}2", transformation_ctx)


class Join(GlueTransform):
    """Inner equality join of two frames on ``keys1`` = ``keys2``."""

    def __call__(
        self,
        frame1: Any,
        frame2: Any,
        keys1: str | Iterable[str],
        keys2: str | Iterable[str],
        transformation_ctx: str = "",
    ) -> Any:
        return frame1.join(keys1, keys2, frame2, transformation_ctx)


class Filter(GlueTransform):
    """The records for which ``f(record)`` is true."""

    def __call__(
        self,
        frame: Any,
        f: Callable[[Any], bool],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.filter(f, transformation_ctx)


class Map(GlueTransform):
    """Each record through ``f(record)``."""

    def __call__(
        self,
        frame: Any,
        f: Callable[[Any], Any],
        preservesPartitioning: bool = False,  # noqa: N803
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.map(f, transformation_ctx)


class Relationalize(GlueTransform):
    """Flatten structs and move each array to its own frame; returns a DynamicFrameCollection."""

    def __call__(
        self,
        frame: Any,
        staging_path: str | None = None,
        name: str = "roottable",
        options: Any = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.relationalize(name, staging_path, options, transformation_ctx)


class Spigot(GlueTransform):
    """Write a sample of the frame to ``path``; the frame passes through."""

    def __call__(
        self,
        frame: Any,
        path: str,
        options: dict[str, Any] | None,
        transformation_ctx: str = "",
    ) -> Any:
        return frame.spigot(path, options, transformation_ctx)


class SelectFromCollection(GlueTransform):
    """The frame named ``key`` of a DynamicFrameCollection."""

    def __call__(self, dfc: Any, key: str, transformation_ctx: str = "") -> Any:
        return dfc.select(key, transformation_ctx)


class Repartition(GlueTransform):
    def __call__(
        self,
        frame: Any,
        num_partitions: int,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.repartition(num_partitions, transformation_ctx)


class Coalesce(GlueTransform):
    def __call__(
        self,
        frame: Any,
        num_partitions: int,
        shuffle: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.coalesce(num_partitions, shuffle, transformation_ctx)


class Union(GlueTransform):
    def __call__(
        self,
        frame1: Any,
        frame2: Any,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame1.union(frame2, transformation_ctx)


def _signature(parameters: str) -> inspect.Signature:
    """The signature of ``def f(<parameters>)``: positional parameters with literal defaults, ``**kwargs``."""
    args = ast.parse(f"def f({parameters}): pass").body[0].args  # type: ignore[attr-defined]
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    defaults = [inspect.Parameter.empty] * (len(args.args) - len(args.defaults)) + [
        ast.literal_eval(default) for default in args.defaults
    ]
    out = [inspect.Parameter(a.arg, kind, default=d) for a, d in zip(args.args, defaults, strict=True)]
    if args.kwarg:
        out.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(out)


def _not_local(name: str, parameters: str) -> type[GlueTransform]:
    """A transform this library lacks: called with awsglue's ``parameters``, it raises NotSupportedLocally
    naming it; called with others, the TypeError awsglue's own raises."""
    signature = _signature(parameters)

    def call(self: GlueTransform, *args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{name}.__call__() {err}") from None
        unsupported(f"awsglue.transforms.{name}")

    call.__signature__ = _signature(f"self, {parameters}")  # type: ignore[attr-defined]
    return type(name, (GlueTransform,), {"__call__": call, "__doc__": f"{name}: not available locally."})


# With the parameters of its class in awslabs/aws-glue-libs' awsglue/transforms.
ErrorsAsDynamicFrame = _not_local("ErrorsAsDynamicFrame", "frame")

ALL_TRANSFORMS: set[type[GlueTransform]] = {
    ApplyMapping,
    ResolveChoice,
    DropNullFields,
    SelectFields,
    DropFields,
    RenameField,
    SplitFields,
    Join,
    Filter,
    Map,
    Relationalize,
    Spigot,
    SelectFromCollection,
    Repartition,
    Coalesce,
    Union,
    Unbox,
    UnnestFrame,
    SplitRows,
    MapToCollection,
    FlatMap,
    ErrorsAsDynamicFrame,
}
__all__ = ["GlueTransform", *sorted(t.__name__ for t in ALL_TRANSFORMS)]
