"""Choice types in CSV: a column whose values are numbers in some records and text in others.

Glue's CSV reader types each value, so such a column is a choice, e.g. ``choice<long,string>`` for the
"Provider Id" column of AWS's Medicare example, which a crawled table declares ``bigint``:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html
Spark's CSV reader instead widens the column to string (schema inferred) or reads the text as null (schema
given). Here the text of each value decides: a column with both numbers and other text becomes a choice
struct (see :mod:`._choices`), so no value is lost and ``resolveChoice`` gives Glue's shapes.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from ._choices import choice_struct

_LONG = r"^\s*[-+]?[0-9]+\s*$"
_DOUBLE = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
#: Catalog (Hive) numeric types -> Glue's type names.
_NUMERIC = {"bigint": "long", "int": "int", "smallint": "short", "tinyint": "byte", "double": "double"}
_NUMERIC.update({"float": "float", "long": "long", "integer": "int"})


def _choice(value: Column, number: str) -> Column:
    """The struct of a number member and a string member; each value under its own."""
    numeric = value.rlike(_DOUBLE)
    return F.when(value.isNull(), F.lit(None)).otherwise(
        F.struct(
            F.when(numeric, value.cast(choice_struct([number]).fields[0].dataType)).alias(number),
            F.when(~numeric, value).alias("string"),
        )
    )


def _kinds(df: DataFrame, names: list[str]) -> dict[str, tuple[int, int, int]]:
    """(whole numbers, other numbers, other text) per column, counted in one pass."""
    if not names:
        return {}
    aggregates = []
    for i, name in enumerate(names):
        value = F.col(f"`{name}`")
        aggregates += [
            F.count(F.when(value.rlike(_LONG), 1)).alias(f"l{i}"),
            F.count(F.when(~value.rlike(_LONG) & value.rlike(_DOUBLE), 1)).alias(f"d{i}"),
            F.count(F.when(~value.rlike(_DOUBLE), 1)).alias(f"s{i}"),
        ]
    row = df.agg(*aggregates).first()
    assert row is not None  # an aggregate without grouping has one row
    return {name: (row[f"l{i}"], row[f"d{i}"], row[f"s{i}"]) for i, name in enumerate(names)}


def with_inferred_choices(df: DataFrame) -> DataFrame:
    """A frame read with Spark's inference, its string columns holding numbers and text made choices
    (``choice<long,string>`` or ``choice<double,string>``).

    :param df: the frame.
    """
    strings = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
    out = df
    for name, (whole, other, text) in _kinds(df, strings).items():
        if text and (whole or other):
            number = "double" if other else "long"
            out = out.withColumn(
                name, _choice(F.col(f"`{name}`"), number).alias(name, metadata={"glueChoice": True})
            )
    return out


def with_catalog_types(df: DataFrame, columns: list[tuple[str, str]]) -> DataFrame:
    """A frame read as text, each column cast to its catalog type; a numeric column whose records also
    hold other text becomes ``choice<type,string>`` instead of reading that text as null.

    :param df: the frame, catalog columns read as strings.
    :param columns: (name, catalog type) of each column.
    """
    numeric = [n for n, t in columns if t.lower() in _NUMERIC]
    counts = _kinds(df, numeric)
    out = df
    for name, kind in columns:
        value = F.col(f"`{name}`")
        if name in counts and counts[name][2]:
            column = _choice(value, _NUMERIC[kind.lower()]).alias(name, metadata={"glueChoice": True})
        else:
            column = value.cast(kind)
        out = out.withColumn(name, column)
    return out
