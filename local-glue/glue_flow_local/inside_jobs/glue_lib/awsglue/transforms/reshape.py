"""Unbox, UnnestFrame, SplitRows, MapToCollection and FlatMap, with the parameters of their classes in
awslabs/aws-glue-libs' awsglue/transforms (unbox.py, unnest_frame.py, field_transforms.py,
collection_transforms.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .transform import GlueTransform


class Unbox(GlueTransform):
    """Parse the JSON string field at ``path`` into a struct."""

    def __call__(
        self,
        frame: Any,
        path: str,
        format: str,  # noqa: A002
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        **options: Any,
    ) -> Any:
        return frame.unbox(path, format, transformation_ctx, info, stageThreshold, totalThreshold, **options)


class UnnestFrame(GlueTransform):
    """Move nested struct fields to the top level, named ``a.b``."""

    def __call__(
        self,
        frame: Any,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.unnest(transformation_ctx, info, stageThreshold, totalThreshold)


class SplitRows(GlueTransform):
    """Split off the rows meeting ``comparison_dict`` (``{"age": {">": 10, "<": 20}}``) as ``name1``."""

    def __call__(
        self,
        frame: Any,
        comparison_dict: dict[str, dict[str, Any]],
        name1: str = "frame1",
        name2: str = "frame2",
        transformation_ctx: str = "",
        info: str | None = None,
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> Any:
        return frame.split_rows(
            comparison_dict, name1, name2, transformation_ctx, info or "", stageThreshold, totalThreshold
        )


class MapToCollection(GlueTransform):
    """Each frame of a collection through ``callable(frame, transformation_ctx)``."""

    def __call__(self, dfc: Any, callable: Callable[..., Any], transformation_ctx: str = "") -> Any:  # noqa: A002
        return dfc.map(callable, transformation_ctx)


class FlatMap(GlueTransform):
    """Apply ``BaseTransform`` to each frame of a collection (passed as its ``frame_name`` argument) and
    gather the results in one collection."""

    def __call__(
        self,
        dfc: Any,
        BaseTransform: Any,  # noqa: N803
        frame_name: str,
        transformation_ctx: str = "",
        **base_kwargs: Any,
    ) -> Any:
        def apply_inner(frame: Any, ctx: str) -> Any:
            return BaseTransform.apply(**{**base_kwargs, frame_name: frame, "transformation_ctx": ctx})

        return dfc.flatmap(apply_inner, transformation_ctx)
