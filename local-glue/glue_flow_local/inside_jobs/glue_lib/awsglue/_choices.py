"""Choice types: a field whose records hold values of more than one type.

Glue's JSON reader keeps each value's own type, and a field with, say, numbers in some records and strings
in others gets the choice type ``choice<int,string>`` (AWS's DynamicFrame page, "choice type"). Spark's
JSON reader widens such a field to string instead, and the JSON number ``12`` and the string ``"12"``
can no longer be told apart. So the local reader looks at each record's own value: a top-level field with
values of more than one primitive type becomes a struct column with one member per type (the shape
``toDF()`` and ``make_struct`` give on Glue), and the frame remembers which columns are choices, so that
``resolveChoice`` can ``cast``, ``project``, ``make_cols`` or ``make_struct`` them as Glue does:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-ResolveChoice.html
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from ._paths import spark_type

#: Glue's names of the primitive types a JSON value has, in the order a choice lists them.
_ORDER = ("boolean", "int", "long", "double", "string")


def glue_type(value: Any) -> str | None:
    """The Glue type name of one JSON value, or None for null and for structs and arrays.

    :param value: a value ``json.loads`` returned.
    """
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return None


def _records(text: str, multi_line: bool) -> list[dict[str, Any]]:
    if not multi_line:
        text = text.strip()
        if not text:
            return []
        try:
            loaded = json.loads(text)
        except ValueError:
            return []
        return [loaded] if isinstance(loaded, dict) else []
    try:
        loaded = json.loads(text)
    except ValueError:
        return []
    items = loaded if isinstance(loaded, list) else [loaded]
    return [item for item in items if isinstance(item, dict)]


def _texts(spark: SparkSession, files: list[str]) -> Any:
    """(file, text) of each file."""
    return spark.sparkContext.wholeTextFiles(",".join(files))


def _lines(text: str, multi_line: bool) -> list[str]:
    return [text] if multi_line else text.splitlines()


def partition_values(path: str) -> dict[str, str]:
    """The ``key=value`` folders of a file's path.

    :param path: the file's path.
    """
    folders = path.rsplit("/", 1)[0].split("/")
    return dict(f.split("=", 1) for f in folders if "=" in f)


def find_choices(spark: SparkSession, files: list[str], multi_line: bool) -> dict[str, list[str]]:
    """The top-level fields of JSON ``files`` whose values have more than one type: name -> Glue types.

    :param spark: the session.
    :param files: the JSON files.
    :param multi_line: whether each file is one JSON document (``multiline``).
    """

    def typed(pair: tuple[str, str]) -> list[tuple[str, str]]:
        pairs = []
        for line in _lines(pair[1], multi_line):
            for record in _records(line, multi_line):
                for name, value in record.items():
                    kind = glue_type(value)
                    if kind is not None:
                        pairs.append((name, kind))
        return pairs

    seen: dict[str, set[str]] = {}
    for name, kind in _texts(spark, files).flatMap(typed).distinct().collect():
        seen.setdefault(name, set()).add(kind)
    out = {}
    for name, kinds in seen.items():
        # Numbers widen to one numeric type (int, then long, then double), as the inferred schema does.
        numeric = [k for k in ("double", "long", "int") if k in kinds]
        merged = (kinds - {"int", "long", "double"}) | set(numeric[:1])
        if len(merged) > 1:
            out[name] = [k for k in _ORDER if k in merged]
    return out


def _member(value: Any, kinds: list[str]) -> str:
    kind = glue_type(value) or "string"
    if kind in ("int", "long", "double"):
        return next((k for k in ("int", "long", "double") if k in kinds), kind)
    return kind


def wrap(value: Any, kinds: list[str]) -> dict[str, Any] | None:
    """A value as a choice's members: under its own type, the other members null (None stays None).

    :param value: a record's value of the field.
    :param kinds: the choice's members.
    """
    if value is None:
        return None
    member = _member(value, kinds) if glue_type(value) else "string"
    return {k: value if k == member else None for k in [*kinds, *([member] if member not in kinds else [])]}


def read_with_choices(
    spark: SparkSession,
    files: list[str],
    inferred: DataFrame,
    choices: dict[str, list[str]],
    multi_line: bool,
) -> DataFrame:
    """The records of JSON ``files`` with each choice field as a struct of one member per type (marked
    ``glueChoice`` in its metadata), and the partition columns of ``inferred``.

    :param spark: the session.
    :param files: the JSON files.
    :param inferred: the frame Spark's reader inferred (its schema gives the other fields' types).
    :param choices: :func:`find_choices`' result.
    :param multi_line: whether each file is one JSON document.
    """
    keys = {k for f in files for k in partition_values(f)} & set(inferred.columns)

    def tagged(pair: tuple[str, str]) -> list[str]:
        out = []
        folders = {k: v for k, v in partition_values(pair[0]).items() if k in keys}
        for line in _lines(pair[1], multi_line):
            for record in _records(line, multi_line):
                for name in choices:
                    if record.get(name) is not None:
                        record[name] = {_member(record[name], choices[name]): record[name]}
                out.append(json.dumps({**folders, **record}))
        return out

    fields = [
        StructField(f.name, choice_struct(choices[f.name]), True, {"glueChoice": True})
        if f.name in choices
        else StructField(f.name, StringType() if f.name in keys else f.dataType, True)
        for f in inferred.schema.fields
    ]
    df = spark.read.schema(StructType(fields)).json(_texts(spark, files).flatMap(tagged))
    for f in inferred.schema.fields:
        if f.name in keys:
            df = df.withColumn(f.name, F.col(f"`{f.name}`").cast(f.dataType))
    return df


def choice_columns(df: DataFrame) -> dict[str, list[str]]:
    """The frame's choice columns: name -> member types.

    :param df: the frame.
    """
    return {
        f.name: [m.name for m in f.dataType.fields]
        for f in df.schema.fields
        if f.metadata.get("glueChoice") and isinstance(f.dataType, StructType)
    }


def choice_struct(kinds: list[str]) -> StructType:
    """The struct that holds a choice's values, one member per type.

    :param kinds: Glue type names.
    """
    from pyspark.sql.types import _parse_datatype_string

    return StructType([StructField(k, _parse_datatype_string(spark_type(k)), True) for k in kinds])


def cast(value: Column, kinds: list[str], target: str) -> Column:
    """``cast:target``: every member converted to ``target``, the member already of that type first.

    :param value: the choice's struct column.
    :param kinds: its members.
    :param target: a Glue type name.
    """
    spark_target = spark_type(target)
    order = sorted(kinds, key=lambda k: k != target.lower())
    return F.coalesce(*[value.getField(k).cast(spark_target) for k in order])


def project(value: Column, kinds: list[str], target: str) -> Column:
    """``project:target``: the member of that type only; records holding another type get null.

    :param value: the choice's struct column.
    :param kinds: its members.
    :param target: a Glue type name.
    """
    if target.lower() in kinds:
        return value.getField(target.lower())
    return F.lit(None).cast(spark_type(target))


def make_cols(df: DataFrame, name: str, kinds: list[str]) -> DataFrame:
    """``make_cols``: the choice ``name`` replaced, in place, by one column per type, ``name_type``.

    :param df: the frame.
    :param name: the choice column.
    :param kinds: its members.
    """
    columns: list[Column] = []
    for field in df.columns:
        if field == name:
            columns.extend(F.col(f"`{name}`").getField(k).alias(f"{name}_{k}") for k in kinds)
        else:
            columns.append(F.col(f"`{field}`"))
    return df.select(*columns)


def as_text(df: DataFrame) -> DataFrame:
    """The frame with each choice column as the text of each record's own value, for text sinks (CSV,
    JSON), which write a record's value, not the struct of its members.

    :param df: the frame.
    """
    choices = choice_columns(df)
    if not choices:
        return df
    return df.select(
        *[
            F.coalesce(*[F.col(f"`{n}`").getField(k).cast("string") for k in choices[n]]).alias(n)
            if n in choices
            else F.col(f"`{n}`")
            for n in df.columns
        ]
    )
