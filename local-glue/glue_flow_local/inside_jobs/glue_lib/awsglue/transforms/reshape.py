"""Unbox, UnnestFrame, SplitRows, MapToCollection and FlatMap (awslabs/aws-glue-libs' awsglue/transforms
unbox.py, unnest_frame.py, field_transforms.py, collection_transforms.py)."""

from __future__ import annotations

from typing import Any

from .transform import delegate, glue_transform


def _unbox(a: dict[str, Any]) -> Any:
    """parses the JSON string field at ``path`` into a struct (``frame.unbox``)."""
    return a.pop("frame").unbox(**a.pop("options"), **a)


def _unnest(a: dict[str, Any]) -> Any:
    """moves nested struct fields to the top level, named ``a.b`` (``frame.unnest``)."""
    return a.pop("frame").unnest(**a)


def _split_rows(a: dict[str, Any]) -> Any:
    """splits off the rows meeting ``comparison_dict`` (``{"age": {">": 10, "<": 20}}``) as ``name1``."""
    return a.pop("frame").split_rows(**{**a, "info": a["info"] or ""})


def _flat_map(a: dict[str, Any]) -> Any:
    """applies ``BaseTransform`` to each frame of a collection (passed as its ``frame_name`` argument) and
    gathers the results in one collection."""
    base, frame_name, base_kwargs = a["BaseTransform"], a["frame_name"], a["base_kwargs"]

    def apply_inner(frame: Any, ctx: str) -> Any:
        return base.apply(**{**base_kwargs, frame_name: frame, "transformation_ctx": ctx})

    return a["dfc"].flatmap(apply_inner, a["transformation_ctx"])


Unbox = glue_transform("Unbox", _unbox)
UnnestFrame = glue_transform("UnnestFrame", _unnest)
SplitRows = glue_transform("SplitRows", _split_rows)
MapToCollection = glue_transform("MapToCollection", delegate("map", "callable", on="dfc"))
FlatMap = glue_transform("FlatMap", _flat_map)
