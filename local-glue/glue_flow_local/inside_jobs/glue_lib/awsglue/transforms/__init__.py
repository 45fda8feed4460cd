"""The Glue transforms scripts import with ``from awsglue.transforms import *``.

Each takes exactly the parameters of its class in awslabs/aws-glue-libs' awsglue/transforms (the table
in :mod:`.transform`) and delegates to the DynamicFrame method of the same meaning; a transform AWS has
that this library lacks (ErrorsAsDynamicFrame: a local run keeps no error records) raises
NotSupportedLocally naming it when called.
"""

from __future__ import annotations

from typing import Any

from .._unsupported import unsupported
from .reshape import FlatMap, MapToCollection, SplitRows, Unbox, UnnestFrame
from .transform import GlueTransform, delegate, glue_transform


def _resolve_choice(a: dict[str, Any]) -> Any:
    """resolves choice types with ``specs`` or one ``choice`` (``make_struct``, ``make_cols``,
    ``cast:type``, ``project:type``, ``match_catalog``): ``frame.resolveChoice``."""
    return a.pop("frame").resolveChoice(**a)


def _drop_null_fields(a: dict[str, Any]) -> Any:
    """drops every field that is null in all records."""
    from .. import _frames

    return a["frame"]._new(_frames.drop_null_fields(a["frame"].toDF()))


def _split_fields(a: dict[str, Any]) -> Any:
    """two frames: ``name1`` with ``paths``, ``name2`` with the rest (``frame.split_fields``)."""
    frame, name1, name2 = a["frame"], a["name1"], a["name2"]
    base = frame.name or "frame"
    return frame.split_fields(a["paths"], name1 or f"{base}1", name2 or f"{base}2", a["transformation_ctx"])


def _not_local(a: dict[str, Any]) -> Any:
    """not available locally (a local run keeps no error records): raises NotSupportedLocally."""
    unsupported("awsglue.transforms.ErrorsAsDynamicFrame")


ApplyMapping = glue_transform("ApplyMapping", delegate("apply_mapping", "mappings", "case_sensitive"))
ResolveChoice = glue_transform("ResolveChoice", _resolve_choice)
DropNullFields = glue_transform("DropNullFields", _drop_null_fields)
SelectFields = glue_transform("SelectFields", delegate("select_fields", "paths"))
DropFields = glue_transform("DropFields", delegate("drop_fields", "paths"))
RenameField = glue_transform("RenameField", delegate("rename_field", "old_name", "new_name"))
SplitFields = glue_transform("SplitFields", _split_fields)
Join = glue_transform("Join", delegate("join", "keys1", "keys2", "frame2", on="frame1"))
Filter = glue_transform("Filter", delegate("filter", "f"))
Map = glue_transform("Map", delegate("map", "f"))
Relationalize = glue_transform("Relationalize", delegate("relationalize", "name", "staging_path", "options"))
Spigot = glue_transform("Spigot", delegate("spigot", "path", "options"))
SelectFromCollection = glue_transform("SelectFromCollection", delegate("select", "key", on="dfc"))
Repartition = glue_transform("Repartition", delegate("repartition", "num_partitions"))
Coalesce = glue_transform("Coalesce", delegate("coalesce", "num_partitions", "shuffle"))
Union = glue_transform("Union", delegate("union", "frame2", on="frame1"))
ErrorsAsDynamicFrame = glue_transform("ErrorsAsDynamicFrame", _not_local)

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
