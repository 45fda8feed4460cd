"""Reading and writing S3 data as Glue's s3 connection does, with Spark's file sources (``s3://`` paths
are mapped by the local Glue's Hadoop configuration)."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from ._bookmarks import current
from ._unsupported import unsupported

FORMATS = {"csv": "csv", "json": "json", "parquet": "parquet", "glueparquet": "parquet", "orc": "orc"}
# Options that tune how AWS groups or lists files; the data read is the same without them.
_TUNING = {"groupFiles", "groupSize", "recurse", "useS3ListImplementation", "maxBand", "maxFilesInBand"}


def spark_format(fmt: str | None) -> str:
    """The Spark source for a Glue format name.

    :param fmt: e.g. ``csv`` or ``parquet``.
    """
    name = (fmt or "").lower()
    if name not in FORMATS:
        unsupported(f"format {fmt!r}", "the local Glue reads and writes csv, json, parquet and orc on S3")
    return FORMATS[name]


def list_files(spark: SparkSession, paths: list[str]) -> list[tuple[str, int]]:
    """Every data file under ``paths`` (recursively; names starting with ``_`` or ``.`` are skipped as
    Spark does), with its modification time in milliseconds.

    :param spark: the session.
    :param paths: files or folders.
    """
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "the SparkContext is stopped"  # py4j's JVM view is set while it runs
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    found: list[tuple[str, int]] = []
    for path in paths:
        hpath = jvm.org.apache.hadoop.fs.Path(path)
        fs = hpath.getFileSystem(conf)
        if not fs.exists(hpath):
            continue
        it = fs.listFiles(hpath, True)
        while it.hasNext():
            status = it.next()
            name = status.getPath().getName()
            if not name.startswith(("_", ".")):
                found.append((status.getPath().toString(), int(status.getModificationTime())))
    return sorted(found)


def is_file(spark: SparkSession, path: str) -> bool:
    """Whether ``path`` is one file (not a folder, not missing).

    :param spark: the session.
    :param path: a file or folder.
    """
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "the SparkContext is stopped"
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    return bool(hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).isFile(hpath))


def _reader_options(fmt: str, options: dict[str, Any]) -> dict[str, str]:
    if fmt == "csv":
        out = {
            "sep": str(options.get("separator", ",")),
            "header": str(bool(options.get("withHeader", False))).lower(),
            "multiLine": str(bool(options.get("multiLine", False))).lower(),
        }
        quote = options.get("quoteChar", '"')
        out["quote"] = "\u0000" if str(quote) == "-1" else str(quote)
        if "escaper" in options:
            out["escape"] = str(options["escaper"])
        return out
    if fmt == "json":
        if options.get("jsonPath"):
            unsupported("format_options jsonPath")
        return {"multiLine": str(bool(options.get("multiline", options.get("multiLine", False)))).lower()}
    return {}


def read(
    spark: SparkSession,
    paths: list[str],
    fmt: str,
    format_options: dict[str, Any] | None = None,
    *,
    transformation_ctx: str = "",
    schema: StructType | str | None = None,
    base_path: str | None = None,
    exclusions: list[str] | None = None,
    empty_schema: str | None = None,
) -> DataFrame:
    """Read the files under ``paths`` that the job's bookmark has not seen yet.

    :param spark: the session.
    :param paths: files or folders.
    :param fmt: the Spark format.
    :param format_options: Glue's format options.
    :param transformation_ctx: the bookmark key.
    :param schema: the schema (a catalog table's); inferred when None.
    :param base_path: the root that partition folders (``key=value``) are found below.
    :param exclusions: glob patterns of files to leave out.
    :param empty_schema: the schema of the frame when there is no file to read and ``schema`` is None.
    """
    files = list_files(spark, paths)
    if exclusions:
        files = [f for f in files if not any(fnmatch.fnmatch(f[0], pattern) for pattern in exclusions)]
    chosen = current().select(transformation_ctx, files)
    if not chosen:
        schema = schema if schema is not None else empty_schema
        if schema is None:
            return spark.createDataFrame([], StructType([]))
        return spark.createDataFrame([], schema if isinstance(schema, StructType) else _ddl(spark, schema))
    reader = spark.read.format(fmt).options(**_reader_options(fmt, format_options or {}))
    if fmt == "csv" and schema is None:
        reader = reader.option("inferSchema", "true")
    if schema is not None:
        reader = reader.schema(schema)
    if base_path and not is_file(spark, base_path):
        # A table whose location is one file (the crawler makes them for a folder of mixed formats) has
        # no partition folders below it, and Spark takes only a folder as basePath.
        reader = reader.option("basePath", base_path)
    df = reader.load(chosen)
    if fmt == "csv" and schema is None:
        from ._csv_choices import with_inferred_choices

        df = with_inferred_choices(df)
    if fmt == "json" and schema is None:
        from ._choices import find_choices, read_with_choices

        multi_line = _reader_options(fmt, format_options or {})["multiLine"] == "true"
        choices = find_choices(spark, chosen, multi_line)
        if choices:
            df = read_with_choices(spark, chosen, df, choices, multi_line)
    if fmt == "csv" and not (format_options or {}).get("withHeader") and schema is None:
        # Glue names header-less CSV columns col0, col1, ...
        df = df.toDF(*[f"col{i}" for i in range(len(df.columns))])
    return df


def _ddl(spark: SparkSession, ddl: str) -> StructType:
    return spark.createDataFrame([], ddl).schema


def connection_paths(connection_options: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(paths, exclusion globs) of an s3 source's connection_options.

    :param connection_options: Glue's connection options.
    """
    paths = connection_options.get("paths") or (
        [connection_options["path"]] if "path" in connection_options else []
    )
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise ValueError("connection_options of an s3 source need 'paths' (a list of s3:// locations)")
    exclusions = connection_options.get("exclusions") or []
    if isinstance(exclusions, str):
        exclusions = json.loads(exclusions)
    return list(paths), list(exclusions)


def write(
    df: DataFrame,
    path: str,
    fmt: str,
    format_options: dict[str, Any] | None = None,
    partition_keys: list[str] | None = None,
) -> None:
    """Append the frame's rows as new files under ``path`` (Glue's s3 sink adds files, writes no
    ``_SUCCESS`` marker).

    :param df: the rows.
    :param path: the s3:// folder.
    :param fmt: the Spark format.
    :param format_options: Glue's format options.
    :param partition_keys: columns that become ``key=value`` folders.
    """
    if not df.columns:
        # A frame without fields holds no records (a bookmarked read with no new file gives one): Glue's
        # sink writes nothing and the run goes on, where Spark's file writers refuse an empty schema.
        return
    options = format_options or {}
    if fmt in ("csv", "json"):
        from ._choices import as_text

        df = as_text(df)
    writer = df.write.mode("append").format(fmt)
    if fmt == "csv":
        writer = writer.option("sep", str(options.get("separator", ","))).option(
            "header", str(bool(options.get("writeHeader", True))).lower()
        )
        if "quoteChar" in options:
            writer = writer.option("quote", str(options["quoteChar"]))
    elif fmt in ("parquet", "orc") and options.get("compression"):
        writer = writer.option("compression", str(options["compression"]).lower())
    if partition_keys:
        writer = writer.partitionBy(*partition_keys)
    conf = df.sparkSession.sparkContext._jsc.hadoopConfiguration()
    key = "mapreduce.fileoutputcommitter.marksuccessfuljobs"
    previous = conf.get(key)
    conf.set(key, "false")
    try:
        writer.save(path)
    finally:
        if previous is None:
            conf.unset(key)
        else:
            conf.set(key, previous)
