"""Glue field paths (``a.b.c``, with backticks around names that contain dots) on Spark DataFrames."""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StructType

#: Glue type names that Spark's type parser spells differently.
_TYPE_ALIASES = {"long": "bigint", "integer": "int", "short": "smallint", "byte": "tinyint"}


def split_path(path: str) -> list[str]:
    """``a.`b.c`.d`` -> ``["a", "b.c", "d"]``.

    :param path: a Glue field path.
    """
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in path:
        if char == "`":
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def spark_type(glue_type: str) -> str:
    """The Spark SQL type name for a Glue type name (``long`` -> ``bigint``).

    :param glue_type: e.g. ``long``, ``string``, ``decimal(10,2)``.
    """
    name = glue_type.strip()
    return _TYPE_ALIASES.get(name.lower(), name)


def find(schema: StructType, parts: list[str], case_sensitive: bool = False) -> list[str] | None:
    """The real names along ``parts`` in ``schema`` (matching case-insensitively unless asked), or None.

    :param schema: the frame's schema.
    :param parts: the split path.
    :param case_sensitive: match names exactly.
    """
    names: list[str] = []
    current: DataType = schema
    for part in parts:
        if not isinstance(current, StructType):
            return None
        match = next(
            (
                f
                for f in current.fields
                if f.name == part or (not case_sensitive and f.name.lower() == part.lower())
            ),
            None,
        )
        if match is None:
            return None
        names.append(match.name)
        current = match.dataType
    return names


def column(names: list[str]) -> Column:
    """The column at a resolved path.

    :param names: real field names, outermost first.
    """
    expr = F.col(f"`{names[0]}`")
    for name in names[1:]:
        expr = expr.getField(name)
    return expr


def nest(columns: list[tuple[list[str], Column]]) -> list[Column]:
    """Top-level columns from (target path, value) pairs: dotted targets become structs, in first-seen order.

    :param columns: ``[(["a", "b"], value), ...]``.
    """
    order: list[str] = []
    groups: dict[str, Any] = {}
    for parts, value in columns:
        head = parts[0]
        if head not in groups:
            order.append(head)
            groups[head] = [] if len(parts) > 1 else value
        if len(parts) > 1 and isinstance(groups[head], list):
            groups[head].append((parts[1:], value))
        elif len(parts) > 1 or isinstance(groups[head], list):
            raise ValueError(f"Field {head} is mapped both as a value and as a struct")
        else:
            groups[head] = value
    out = []
    for head in order:
        value = groups[head]
        out.append((F.struct(*nest(value)) if isinstance(value, list) else value).alias(head))
    return out


def leaf_paths(schema: StructType, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every non-struct field's path, outermost name first.

    :param schema: a struct schema.
    :param prefix: the path to ``schema`` itself.
    """
    paths: list[tuple[str, ...]] = []
    for field in schema.fields:
        path = (*prefix, field.name)
        if isinstance(field.dataType, StructType) and field.dataType.fields:
            paths.extend(leaf_paths(field.dataType, path))
        else:
            paths.append(path)
    return paths


def drop(df: DataFrame, paths: list[tuple[str, ...]]) -> DataFrame:
    """Drop fields at resolved paths; a struct left with no field goes too.

    :param df: the frame.
    :param paths: resolved paths.
    """
    tops = {p[0] for p in paths if len(p) == 1}
    nested: dict[str, list[tuple[str, ...]]] = {}
    for p in paths:
        if len(p) > 1 and p[0] not in tops:
            nested.setdefault(p[0], []).append(p[1:])
    out = df.drop(*tops) if tops else df
    for head, subpaths in nested.items():
        field = next(f for f in out.schema.fields if f.name == head)
        kept = _prune(field.dataType, subpaths)
        if kept is None:
            out = out.drop(head)
        else:
            # Paths resolve below a field only through structs, so this field is one.
            assert isinstance(field.dataType, StructType), field
            out = out.withColumn(head, _rebuild(F.col(f"`{head}`"), field.dataType, subpaths))
    return out


def _prune(dtype: DataType, paths: list[tuple[str, ...]]) -> DataType | None:
    if not isinstance(dtype, StructType):
        return dtype
    fields = []
    for field in dtype.fields:
        own = [p[1:] for p in paths if p[0] == field.name]
        if any(len(p) == 0 for p in own):
            continue
        sub = _prune(field.dataType, own) if own else field.dataType
        if sub is not None:
            fields.append(field)
    return StructType(fields) if fields else None


def _rebuild(value: Column, dtype: StructType, paths: list[tuple[str, ...]]) -> Column:
    members = []
    for field in dtype.fields:
        own = [p[1:] for p in paths if p[0] == field.name]
        if any(len(p) == 0 for p in own):
            continue
        child = value.getField(field.name)
        if own and isinstance(field.dataType, StructType):
            if _prune(field.dataType, own) is None:
                continue
            child = _rebuild(child, field.dataType, own)
        members.append(child.alias(field.name))
    return F.struct(*members)
