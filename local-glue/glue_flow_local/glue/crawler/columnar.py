"""Glue's built-in Avro, ORC and Parquet classifiers: the schema comes from the file itself.

AWS reads Avro's schema at the start of the file, ORC's file metadata and Parquet's footer
(https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html). pyarrow reads Parquet and ORC,
fastavro reads Avro; their types map to the Hive types the Data Catalog holds.
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pyarrow as pa
import pyarrow.orc as pa_orc
import pyarrow.parquet as pq

from glue_flow_local.glue.crawler.csv_json import ObjectSchema, column_name

_AVRO_MAGIC = b"Obj\x01"
_ORC_MAGIC = b"ORC"
_PARQUET_MAGIC = b"PAR1"
_AVRO_PRIMITIVES = {
    "boolean": "boolean",
    "int": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "bytes": "binary",
    "string": "string",
    "enum": "string",
    "fixed": "binary",
    "null": "string",
}
_AVRO_LOGICAL = {
    "date": "date",
    "timestamp-millis": "timestamp",
    "timestamp-micros": "timestamp",
    "local-timestamp-millis": "timestamp",
    "local-timestamp-micros": "timestamp",
}


def sniff(body: bytes) -> str | None:
    """The columnar format whose magic bytes the object starts (and for Parquet ends) with.

    :param body: the raw object bytes.
    :returns: ``avro``, ``orc``, ``parquet`` or ``None``.
    """
    if body.startswith(_AVRO_MAGIC):
        return "avro"
    if body.startswith(_ORC_MAGIC):
        return "orc"
    if body.startswith(_PARQUET_MAGIC) and body.endswith(_PARQUET_MAGIC) and len(body) > 8:
        return "parquet"
    return None


def classify_columnar(kind: str, body: bytes) -> ObjectSchema | None:
    """Read the schema of an Avro, ORC or Parquet object.

    :param kind: what :func:`sniff` returned.
    :param body: the raw object bytes.
    :returns: the schema, or ``None`` when the file cannot be read (the classifier does not match).
    """
    try:
        if kind == "parquet":
            parquet = pq.ParquetFile(io.BytesIO(body))
            return _arrow_schema("parquet", parquet.schema_arrow, parquet.metadata.num_rows)
        if kind == "orc":
            orc = pa_orc.ORCFile(io.BytesIO(body))
            return _arrow_schema("orc", orc.schema, orc.nrows)
        return _avro_schema(body)
    except (OSError, ValueError, pa.ArrowException, EOFError, StopIteration):
        return None


def arrow_type(kind: pa.DataType) -> str:
    """The Hive type of one Arrow type, as the crawler writes it to the catalog.

    :param kind: an Arrow data type.
    """
    if pa.types.is_dictionary(kind):
        return arrow_type(kind.value_type)
    simple = [
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_int8, "tinyint"),
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "int"),
        (pa.types.is_int64, "bigint"),
        (pa.types.is_uint8, "smallint"),
        (pa.types.is_uint16, "int"),
        (pa.types.is_uint32, "bigint"),
        (pa.types.is_uint64, "bigint"),
        (pa.types.is_float16, "float"),
        (pa.types.is_float32, "float"),
        (pa.types.is_float64, "double"),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_binary, "binary"),
        (pa.types.is_large_binary, "binary"),
        (pa.types.is_fixed_size_binary, "binary"),
    ]
    for check, name in simple:
        if check(kind):
            return name
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision},{kind.scale})"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return f"array<{arrow_type(kind.value_type)}>"
    if pa.types.is_map(kind):
        return f"map<{arrow_type(kind.key_type)},{arrow_type(kind.item_type)}>"
    if pa.types.is_struct(kind):
        fields = [
            f"{column_name(kind.field(i).name)}:{arrow_type(kind.field(i).type)}"
            for i in range(kind.num_fields)
        ]
        return f"struct<{','.join(fields)}>"
    return "string"


def avro_type(schema: Any) -> str:
    """The Hive type of one Avro schema node (a ``["null", X]`` union is ``X``).

    :param schema: a parsed Avro schema (name, dict or list).
    """
    if isinstance(schema, list):
        branches = [branch for branch in schema if branch != "null"]
        return avro_type(branches[0]) if len(branches) == 1 else "string"
    if isinstance(schema, str):
        return _AVRO_PRIMITIVES.get(schema, "string")
    logical = schema.get("logicalType")
    if logical == "decimal":
        return f"decimal({schema['precision']},{schema.get('scale', 0)})"
    if logical in _AVRO_LOGICAL:
        return _AVRO_LOGICAL[logical]
    kind = schema.get("type")
    if kind == "record":
        fields = [f"{column_name(f['name'])}:{avro_type(f['type'])}" for f in schema["fields"]]
        return f"struct<{','.join(fields)}>"
    if kind == "array":
        return f"array<{avro_type(schema['items'])}>"
    if kind == "map":
        return f"map<string,{avro_type(schema['values'])}>"
    return avro_type(kind)


def _arrow_schema(classification: str, schema: pa.Schema, rows: int) -> ObjectSchema:
    columns = [(column_name(f.name), arrow_type(f.type)) for f in schema]
    return ObjectSchema(classification, columns, {}, record_count=rows)


def _avro_schema(body: bytes) -> ObjectSchema:
    reader = fastavro.reader(io.BytesIO(body))
    schema = reader.writer_schema
    literal = reader.metadata.get("avro.schema") or json.dumps(schema, separators=(",", ":"))
    rows = sum(1 for _ in reader)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return ObjectSchema("avro", [("col0", avro_type(schema))], {}, record_count=rows)
    columns = [(column_name(f["name"]), avro_type(f["type"])) for f in schema["fields"]]
    # AvroSerDe reads rows with the writer's schema, which the crawler stores with the table.
    properties = {"avro.schema.literal": literal}
    return ObjectSchema("avro", columns, properties, record_count=rows)
