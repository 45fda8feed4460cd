"""The DataFrame work behind DynamicFrame transforms (a local DynamicFrame sits on a Spark DataFrame)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import NullType, StringType, StructType

from ._choices import cast, choice_columns, make_cols, project, wrap
from ._paths import column, drop, find, leaf_paths, nest, spark_type, split_path
from ._unsupported import unsupported

_RESOLVE_ACTIONS = ("cast", "project", "make_cols", "make_struct", "match_catalog")


class DynamicRecord(dict[str, Any]):
    """One record handed to ``Map`` and ``Filter`` functions: a dict of its fields (public as
    ``awsglue.dynamicframe.DynamicRecord``, as in AWS's library)."""


def as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def apply_mapping(df: DataFrame, mappings: list[tuple[Any, ...]], case_sensitive: bool = False) -> DataFrame:
    """Keep only the mapped fields, each cast to its target type under its target name.

    A mapping is ``(source, target)``, ``(source, target, target_type)`` or
    ``(source, source_type, target, target_type)``; a source field the frame lacks yields no field, as in
    Glue, where each record carries its own fields.

    :param df: the frame.
    :param mappings: the mapping tuples.
    :param case_sensitive: match source names exactly.
    """
    if isinstance(mappings, tuple):
        mappings = [mappings]
    targets: list[tuple[list[str], Any]] = []
    choices = choice_columns(df)
    for mapping in mappings:
        if not isinstance(mapping, tuple):
            raise TypeError(f"Mapping must be specified as a tuple. Got {mapping!r}")
        if len(mapping) == 4:
            source, _, target, target_type = mapping
        elif len(mapping) == 3:
            source, target, target_type = mapping
        elif len(mapping) == 2:
            (source, target), target_type = mapping, None
        else:
            raise ValueError(
                f"Mapping tuple must be of length 2, 3, or 4. Got tuple of length {len(mapping)}"
            )
        names = find(df.schema, split_path(source), case_sensitive)
        if names is None:
            continue
        value = column(names)
        members = choices.get(names[0]) if len(names) == 1 else None
        if target_type and members:
            value = cast(value, members, target_type)  # each record's own value, converted
        elif target_type:
            value = value.cast(spark_type(target_type))
        targets.append((split_path(target), value))
    return df.select(*nest(targets))


def resolve_choice(
    df: DataFrame,
    specs: list[tuple[str, str]] | tuple[str, str] | None,
    choice: str,
    catalog_columns: list[dict[str, Any]] | None,
) -> DataFrame:
    """Resolve choice types by spec (``cast:type``, ``project:type``, ``make_cols``, ``make_struct``) or for
    every field (``choice``, including ``match_catalog``).

    A choice column (see :mod:`._choices`) gets Glue's shapes: ``make_cols`` splits it into
    ``name_type`` columns, ``make_struct`` keeps one struct of its members, ``cast`` converts every
    member, ``project`` keeps one member's values. A field that is not a choice is left as it is by
    ``make_cols`` and ``make_struct``, and converted by ``cast`` and ``project``; ``match_catalog`` casts
    each field to its catalog column's type.

    :param df: the frame.
    :param specs: ``[(path, action), ...]``.
    :param choice: the action for every field.
    :param catalog_columns: the catalog table's columns, for ``match_catalog``.
    """
    if specs is None and not choice:
        raise ValueError("Parameter specs and option are both missing, add one.")
    if specs is not None and choice:
        raise ValueError("Parameter specs and option are both specified, choose one.")
    if isinstance(specs, tuple):
        specs = [specs]
    if choice:
        if choice.lower() == "match_catalog":
            return _match_catalog(df, catalog_columns)
        specs = [(f"`{name}`", choice) for name in df.columns]
    for path, action in specs or []:
        kind, _, target = action.partition(":")
        kind = kind.lower()
        if kind not in _RESOLVE_ACTIONS or kind == "match_catalog":
            raise ValueError(f"Unknown ResolveChoice action {action!r} for {path}")
        if kind in ("cast", "project") and not target:
            raise ValueError(f"ResolveChoice action {action!r} for {path} needs a type, e.g. {kind}:long")
        _refuse_nested_choice(df, path, kind)
        names = find(df.schema, split_path(path))
        if names is None:
            continue
        members = choice_columns(df).get(names[0]) if len(names) == 1 else None
        if members is not None:
            df = _resolve_member(df, names[0], members, kind, target)
        elif kind in ("cast", "project"):
            df = _replace(df, names, column(names).cast(spark_type(target)))
    return df


def _refuse_nested_choice(df: DataFrame, path: str, kind: str) -> None:
    """Refuse, naming the path, what the local frame cannot give Glue's shape for: an array path
    (``a[].b``), and ``make_cols`` / ``make_struct`` / ``project`` on a nested string field (where Spark
    widened values of several types to text, and Glue would have kept a choice)."""
    if "[]" in path:
        unsupported(f"ResolveChoice on the array path {path!r}", "choice types inside arrays are not kept")
    parts = split_path(path)
    if len(parts) < 2 or kind == "cast":
        return
    names = find(df.schema, parts)
    if names is not None and isinstance(_type_at(df.schema, tuple(names)), StringType):
        unsupported(
            f"ResolveChoice {kind} on the nested field {path!r}",
            "choice types are kept for top-level fields only; a cast: action works on it",
        )


def _resolve_member(df: DataFrame, name: str, members: list[str], kind: str, target: str) -> DataFrame:
    value = F.col(f"`{name}`")
    if kind == "make_cols":
        return make_cols(df, name, members)
    if kind == "make_struct":
        # A new struct of the members: a resolved field, no longer a choice (an alias would keep the
        # choice's column metadata, and text sinks would write each record's value instead of the struct).
        struct = F.struct(*[value.getField(k).alias(k) for k in members])
        return df.withColumn(name, F.when(value.isNotNull(), struct))
    resolved = cast(value, members, target) if kind == "cast" else project(value, members, target)
    return df.withColumn(name, resolved)


def _match_catalog(df: DataFrame, catalog_columns: list[dict[str, Any]] | None) -> DataFrame:
    if catalog_columns is None:
        raise ValueError("ResolveChoice with match_catalog needs database and table_name")
    types = {c["Name"].lower(): c.get("Type") or "string" for c in catalog_columns}
    choices = choice_columns(df)
    out = []
    for name in df.columns:
        value = F.col(f"`{name}`")
        target = types.get(name.lower())
        if target is None:
            out.append(value)
        elif name in choices:
            out.append(cast(value, choices[name], target).alias(name))
        else:
            out.append(value.cast(target).alias(name))
    return df.select(*out)


def _replace(df: DataFrame, names: list[str], value: Any) -> DataFrame:
    if len(names) == 1:
        return df.withColumn(names[0], value)
    head = column(names[:1])
    return df.withColumn(names[0], _with_field(head, names[1:], value))


def _with_field(struct: Any, names: list[str], value: Any) -> Any:
    return struct.withField(".".join(f"`{n}`" if "." in n else n for n in names), value)


def drop_null_fields(df: DataFrame) -> DataFrame:
    """Drop every field that is null in all records (Glue's NullType fields), nested struct fields too.

    :param df: the frame.
    """
    paths = leaf_paths(df.schema)
    if not paths:
        return df
    null_typed = [p for p in paths if isinstance(_type_at(df.schema, p), NullType)]
    counted = [p for p in paths if p not in null_typed]
    counts = (
        df.select(*[F.count(column(list(p))).alias(str(i)) for i, p in enumerate(counted)]).first()
        if counted
        else None
    )
    empty = [p for i, p in enumerate(counted) if counts is not None and counts[i] == 0]
    return drop(df, null_typed + empty)


def _type_at(schema: StructType, path: tuple[str, ...]) -> Any:
    current: Any = schema
    for name in path:
        current = next(f for f in current.fields if f.name == name).dataType
    return current


def select_fields(df: DataFrame, paths: str | Iterable[str]) -> DataFrame:
    """Keep only ``paths`` (top-level or nested); a path the frame lacks is skipped.

    :param df: the frame.
    :param paths: field paths.
    """
    targets = []
    for path in as_list(paths):
        names = find(df.schema, split_path(path))
        if names is not None:
            targets.append((names, column(names)))
    return df.select(*nest(targets))


def drop_fields(df: DataFrame, paths: str | Iterable[str]) -> DataFrame:
    """Drop ``paths`` (top-level or nested); a path the frame lacks is skipped.

    :param df: the frame.
    :param paths: field paths.
    """
    resolved = [find(df.schema, split_path(p)) for p in as_list(paths)]
    return drop(df, [tuple(n) for n in resolved if n is not None])


def rename_field(df: DataFrame, old_name: str, new_name: str) -> DataFrame:
    """Rename one field; a nested field stays in its struct.

    :param df: the frame.
    :param old_name: the field's path.
    :param new_name: the new path (same parent for a nested field).
    """
    names = find(df.schema, split_path(old_name))
    if names is None:
        return df
    target = split_path(new_name)
    if len(names) == 1 and len(target) == 1:
        return df.withColumnRenamed(names[0], target[0])
    if target[:-1] != names[:-1]:
        unsupported("RenameField to another struct", f"{old_name} -> {new_name}")
    moved = _replace(df, [*names[:-1], target[-1]], column(names))
    return drop(moved, [tuple(names)])


def join(
    left: DataFrame, right: DataFrame, keys1: str | Iterable[str], keys2: str | Iterable[str]
) -> DataFrame:
    """Inner equality join on ``keys1`` = ``keys2``; every field of both frames is kept.

    :param left: the first frame.
    :param right: the second frame.
    :param keys1: key paths of the first frame.
    :param keys2: key paths of the second frame.
    """
    k1, k2 = as_list(keys1), as_list(keys2)
    if len(k1) != len(k2):
        raise ValueError(f"Join needs as many keys on each side, got {k1} and {k2}")
    a, b = left.alias("frame1"), right.alias("frame2")
    condition = None
    for x, y in zip(k1, k2, strict=True):
        term = F.col(f"frame1.{x}") == F.col(f"frame2.{y}")
        condition = term if condition is None else condition & term
    return a.join(b, condition, "inner")


def split_fields(df: DataFrame, paths: str | Iterable[str]) -> tuple[DataFrame, DataFrame]:
    """(the frame with only ``paths``, the frame without them).

    :param df: the frame.
    :param paths: field paths.
    """
    return select_fields(df, paths), drop_fields(df, paths)


def map_records(df: DataFrame, f: Callable[[Any], Any]) -> DataFrame:
    """Apply ``f`` to each record (a dict); records for which ``f`` raises or returns None are dropped as
    errors, as Glue counts them. The result's schema is inferred from what ``f`` returns.

    :param df: the frame.
    :param f: record -> record.
    """
    choices = choice_columns(df)

    def apply(row: Any) -> list[dict[str, Any]]:
        try:
            result = f(_record(row, list(choices)))
        except Exception:  # noqa: BLE001 - Glue turns a failing record into an error record
            return []
        if not result:
            return []
        record = dict(result)
        for name, kinds in choices.items():
            if name in record and not isinstance(record[name], dict):
                record[name] = wrap(record[name], kinds)  # still a choice: its members again
        return [record]

    rdd = df.rdd.flatMap(apply)
    if rdd.isEmpty():
        return df.sparkSession.createDataFrame([], StructType([]))
    # With choices, every record decides the members' types (a member may be null in the first ones).
    out = df.sparkSession.createDataFrame(rdd.map(_to_row), samplingRatio=1.0 if choices else None)
    for name in choices:
        if name in out.columns and isinstance(out.schema[name].dataType, StructType):
            out = out.withColumn(name, F.col(f"`{name}`").alias(name, metadata={"glueChoice": True}))
    return out


def _record(row: Any, choices: list[str]) -> Any:
    """The record a function sees: a choice field holds its own value, not the struct of its members."""
    record = DynamicRecord(row.asDict(recursive=True))
    for name in choices:
        members = record.get(name)
        if isinstance(members, dict):
            record[name] = next((v for v in members.values() if v is not None), None)
    return record


def _to_row(record: dict[str, Any]) -> Any:
    from pyspark.sql import Row

    return Row(**{k: _to_row(v) if isinstance(v, dict) else v for k, v in record.items()})


def filter_records(df: DataFrame, f: Callable[[Any], bool]) -> DataFrame:
    """Keep the records for which ``f`` is true; a record on which ``f`` raises is dropped (Glue counts
    it as an error record, never in the output).

    :param df: the frame.
    :param f: record -> bool.
    """
    choices = list(choice_columns(df))

    def keep(row: Any) -> bool:
        try:
            return bool(f(_record(row, choices)))
        except Exception:  # noqa: BLE001 - Glue drops a failing record as an error record
            return False

    return df.sparkSession.createDataFrame(df.rdd.filter(keep), df.schema)
