"""Relationalize on a Spark DataFrame: nested structs flatten into ``a.b`` columns, and each array moves
to its own table ``<root>_<column>`` with columns ``id`` (the join key left in the parent), ``index`` and
``<column>.val`` (or ``<column>.val.<field>`` for structs), recursively, as Glue names them."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, StructType


def _q(name: str) -> Column:
    return F.col(f"`{name}`")


def _flat_columns(dtype: DataType, name: str, value: Column) -> list[Column]:
    if isinstance(dtype, StructType) and dtype.fields:
        out: list[Column] = []
        for field in dtype.fields:
            out.extend(_flat_columns(field.dataType, f"{name}.{field.name}", value.getField(field.name)))
        return out
    return [value.alias(name)]


def _flatten(df: DataFrame) -> DataFrame:
    columns: list[Column] = []
    for field in df.schema.fields:
        columns.extend(_flat_columns(field.dataType, field.name, _q(field.name)))
    return df.select(*columns)


def relationalize(df: DataFrame, root: str) -> dict[str, DataFrame]:
    """The frames Relationalize yields, by name: ``root`` first, then one per array column.

    :param df: the frame.
    :param root: the root table's name.
    """
    tables: dict[str, DataFrame] = {}
    _pivot(_flatten(df), root, root, tables)
    return tables


def _pivot(flat: DataFrame, name: str, root: str, tables: dict[str, DataFrame]) -> None:
    arrays = {f.name: f.dataType for f in flat.schema.fields if isinstance(f.dataType, ArrayType)}
    if not arrays:
        tables[name] = flat
        return
    # One key per parent row, shared by all its arrays (Glue numbers the join keys from 1).
    keyed = flat.withColumn("__row", F.row_number().over(Window.orderBy(F.monotonically_increasing_id())))
    parent = keyed.select(
        *[F.col("__row").cast("long").alias(c) if c in arrays else _q(c) for c in flat.columns]
    )
    tables[name] = parent
    for column, array in arrays.items():
        element = array.elementType
        exploded = keyed.select(
            F.col("__row").cast("long").alias("id"), F.posexplode(_q(column)).alias("index", "__val")
        )
        values = _flat_columns(element, f"{column}.val", F.col("__val"))
        child = exploded.select("id", F.col("index").cast("int").alias("index"), *values)
        _pivot(child, f"{root}_{column}", root, tables)
