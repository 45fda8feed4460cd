"""The DataFrame work behind Unbox, UnnestFrame and SplitRows.

AWS's transform pages: Unbox https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-Unbox.html,
UnnestFrame https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-UnnestFrame.html,
SplitRows https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-SplitRows.html
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructType

from ._frames import _replace
from ._paths import column, find, split_path
from ._unsupported import unsupported

_COMPARATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}


def unbox(df: DataFrame, path: str, fmt: str) -> DataFrame:
    """The string field at ``path`` parsed as JSON into a struct (its schema inferred from the values);
    a value that is not JSON becomes null.

    :param df: the frame.
    :param path: the string field.
    :param fmt: ``json`` (other formats are refused by name).
    """
    if (fmt or "").lower() != "json":
        unsupported(f"Unbox with format {fmt!r}", "the local Glue unboxes json strings")
    names = find(df.schema, split_path(path))
    if names is None:
        return df
    value = column(names)
    texts = df.select(value.alias("v")).where(F.col("v").isNotNull()).rdd.map(lambda row: row[0])
    if texts.isEmpty():
        return df
    schema = df.sparkSession.read.json(texts).schema
    schema = StructType([f for f in schema.fields if f.name != "_corrupt_record"])
    return _replace(df, names, F.from_json(value.cast(StringType()), schema))


def unnest(df: DataFrame) -> DataFrame:
    """Every nested struct field moved to the top level, named by its path (``a.b``); arrays stay.

    :param df: the frame.
    """
    columns: list[Column] = []

    def walk(schema: StructType, prefix: list[str]) -> None:
        for field in schema.fields:
            path = [*prefix, field.name]
            if isinstance(field.dataType, StructType) and field.dataType.fields:
                walk(field.dataType, path)
            else:
                columns.append(column(path).alias(".".join(path)))

    walk(df.schema, [])
    return df.select(*columns)


def split_rows(df: DataFrame, comparison_dict: dict[str, dict[str, Any]]) -> tuple[DataFrame, DataFrame]:
    """(the rows meeting every comparison, the other rows); a row whose field is missing or null meets
    none.

    :param df: the frame.
    :param comparison_dict: ``{path: {comparator: value, ...}, ...}``, e.g. ``{"age": {">": 10, "<": 20}}``.
    """
    condition: Column = F.lit(True)
    for path, comparisons in comparison_dict.items():
        names = find(df.schema, split_path(path))
        for comparator, value in comparisons.items():
            if comparator not in _COMPARATORS:
                raise ValueError(
                    f"SplitRows comparator {comparator!r} for {path}: use one of {', '.join(_COMPARATORS)}"
                )
            term = F.lit(False) if names is None else _COMPARATORS[comparator](column(names), F.lit(value))
            condition = condition & term
    met = F.coalesce(condition, F.lit(False))
    return df.where(met), df.where(~met)
