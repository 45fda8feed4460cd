"""Glue Python-shell job: convert the CSV objects under an S3 prefix to Parquet with a column mapping.

Runs on AWS Glue Python shell (Python 3.9, ``library-set: analytics`` for pyarrow) and in the local
Glue; it needs boto3, pyarrow and Glue's ``awsglue.utils``. Job arguments (``--KEY value``, as Glue
passes them, read with ``getResolvedOptions``):

``--INPUT_PATH``      s3://bucket/prefix/ holding the CSV objects (header row, UTF-8).
``--OUTPUT_PATH``     s3://bucket/prefix/ receiving one ``<name>.parquet`` per CSV object (rerun overwrites).
``--INPUT_KEYS``      optional JSON list of keys under ``--INPUT_PATH``: convert only these objects (e.g. the
                      ones S3 event notifications reported) instead of every object there.
``--COLUMN_MAPPING``  optional JSON list of ``[source, source_type, target, target_type]`` (Glue's
                      ApplyMapping); default: the seed's mapping (deviceid string, uuid long, appid long,
                      country string, year/month/day/hour long). Unmapped columns are dropped.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from awsglue.utils import getResolvedOptions

DEFAULT_MAPPING = [
    ("deviceid", "string", "deviceid", "string"),
    ("uuid", "long", "uuid", "long"),
    ("appid", "long", "appid", "long"),
    ("country", "string", "country", "string"),
    ("year", "long", "year", "long"),
    ("month", "long", "month", "long"),
    ("day", "long", "day", "long"),
    ("hour", "long", "hour", "long"),
]
# Glue (Spark) type names of ApplyMapping -> Arrow types.
ARROW_TYPES = {
    "string": pa.string(),
    "long": pa.int64(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "short": pa.int16(),
    "smallint": pa.int16(),
    "byte": pa.int8(),
    "tinyint": pa.int8(),
    "double": pa.float64(),
    "float": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/prefix`` into bucket and prefix.

    :param uri: an S3 URI.
    """
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    return bucket, prefix


def parse_mapping(text: str) -> list[tuple[str, str, str, str]]:
    """The column mapping: four-item lists/tuples ``(source, source_type, target, target_type)``.

    :param text: JSON text, or empty for the default mapping.
    """
    if not text:
        return DEFAULT_MAPPING
    mapping = [tuple(item) for item in json.loads(text)]
    for item in mapping:
        if len(item) != 4 or item[3].lower() not in ARROW_TYPES:
            raise ValueError(
                f"bad COLUMN_MAPPING entry {item!r}: want [source, type, target, one of {sorted(ARROW_TYPES)}]"
            )
    return mapping


def apply_mapping(table: pa.Table, mapping: list[tuple[str, str, str, str]], source: str) -> pa.Table:
    """Select, rename and cast columns like Glue's ApplyMapping.

    :param table: the CSV read with every column as string.
    :param mapping: the column mapping.
    :param source: the object's URI, for error messages.
    """
    columns, names = [], []
    for src, _src_type, dst, dst_type in mapping:
        if src not in table.column_names:
            raise ValueError(
                f"column {src!r} of the mapping is missing in {source} (columns: {table.column_names})"
            )
        try:
            columns.append(pc.cast(table[src], ARROW_TYPES[dst_type.lower()]))
        except pa.ArrowInvalid as err:
            raise ValueError(f"cannot convert column {src!r} of {source} to {dst_type}: {err}") from err
        names.append(dst)
    return pa.table(columns, names=names)


def parse_keys(text: str, input_path: str) -> list[str]:
    """The ``--INPUT_KEYS`` list: S3 keys, each under ``input_path``, in order and without repeats.

    :param text: a JSON list of keys.
    :param input_path: the input S3 prefix the keys must be under.
    """
    _, in_prefix = split_s3_uri(input_path)
    keys = json.loads(text)
    if not isinstance(keys, list) or not keys or not all(isinstance(key, str) for key in keys):
        raise ValueError(f"INPUT_KEYS must be a non-empty JSON list of S3 keys, got {text!r}")
    outside = [key for key in keys if not key.startswith(in_prefix) or key.endswith("/")]
    if outside:
        raise ValueError(f"INPUT_KEYS not under {input_path}: {outside}")
    return list(dict.fromkeys(keys))


def convert(
    s3: Any,
    input_path: str,
    output_path: str,
    mapping: list[tuple[str, str, str, str]],
    keys: list[str] | None = None,
) -> int:
    """Convert every CSV object under ``input_path`` (or only ``keys``); returns the number of rows written.

    :param s3: a boto3 S3 client.
    :param input_path: the input S3 prefix.
    :param output_path: the output S3 prefix.
    :param mapping: the column mapping.
    :param keys: the objects to convert (see :func:`parse_keys`); None lists ``input_path``.
    """
    in_bucket, in_prefix = split_s3_uri(input_path)
    out_bucket, out_prefix = split_s3_uri(output_path)
    if out_prefix and not out_prefix.endswith("/"):
        out_prefix += "/"
    total = 0
    if keys is None:
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=in_bucket, Prefix=in_prefix):
            keys += [
                obj["Key"]
                for obj in page.get("Contents", [])
                if not obj["Key"].endswith("/") and obj["Size"] > 0
            ]
    if not keys:
        raise ValueError(f"no CSV objects under {input_path}")
    for key in keys:
        source = f"s3://{in_bucket}/{key}"
        body = s3.get_object(Bucket=in_bucket, Key=key)["Body"].read()
        table = pacsv.read_csv(
            io.BytesIO(body),
            convert_options=pacsv.ConvertOptions(
                column_types={src: pa.string() for src, _, _, _ in mapping}, strings_can_be_null=True
            ),
        )
        mapped = apply_mapping(table, mapping, source)
        # DropNullFields: a column with no value at all is left out, as in the Glue Spark job.
        keep = [name for name in mapped.column_names if mapped[name].null_count < mapped.num_rows]
        mapped = mapped.select(keep)
        name = key.rsplit("/", 1)[-1].rsplit(".", 1)[0] + ".parquet"
        buffer = io.BytesIO()
        pq.write_table(mapped, buffer)
        s3.put_object(Bucket=out_bucket, Key=out_prefix + name, Body=buffer.getvalue())
        schema = ", ".join(f"{f.name} {f.type}" for f in mapped.schema)
        print(
            f"converted {source} -> s3://{out_bucket}/{out_prefix}{name}: {mapped.num_rows} rows, schema {schema}"
        )
        total += mapped.num_rows
    return total


def main(argv: list[str]) -> None:
    """Run the job.

    :param argv: ``sys.argv``.
    """
    args = getResolvedOptions(argv, ["JOB_NAME", "INPUT_PATH", "OUTPUT_PATH"])
    # getResolvedOptions requires every name it is given: read the optional one only when passed.
    names = [name for name in ("COLUMN_MAPPING", "INPUT_KEYS") if f"--{name}" in argv]
    optional = getResolvedOptions(argv, names) if names else {}
    mapping = parse_mapping(optional.get("COLUMN_MAPPING", ""))
    keys = parse_keys(optional["INPUT_KEYS"], args["INPUT_PATH"]) if "INPUT_KEYS" in optional else None
    run_id = args.get("JOB_RUN_ID") or "-"
    what = f"{len(keys)} object(s) under " if keys is not None else ""
    print(f"job {args['JOB_NAME']} run {run_id}: {what}{args['INPUT_PATH']} -> {args['OUTPUT_PATH']}")
    total = convert(boto3.client("s3"), args["INPUT_PATH"], args["OUTPUT_PATH"], mapping, keys)
    print(f"done: {total} rows written")


if __name__ == "__main__":
    main(sys.argv)
