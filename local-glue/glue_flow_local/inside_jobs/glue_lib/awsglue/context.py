"""GlueContext for the local Glue: Glue's readers and writers over a local Spark session.

Sources and sinks are Amazon S3 (``connection_type="s3"``) in csv, json, parquet or orc, and Data
Catalog tables stored that way. Any other connection type, format or API raises NotSupportedLocally
naming it.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from pyspark.context import SparkContext
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from . import _catalog, _catalog_sink, _s3io
from ._csv_choices import with_catalog_types
from ._facades import _DataFrameReader, _DynamicFrameReader, _DynamicFrameWriter
from ._runtime import write_note
from ._signatures import same_parameters
from ._unsupported import NamedMissingAttributes, unsupported
from .dynamicframe import DynamicFrame


class GlueContext(NamedMissingAttributes):
    """Entry point of a Glue Spark script.

    :param sparkContext: the SparkContext (the active one, or a new one, when None).
    """

    def __init__(self, sparkContext: SparkContext | None = None, **options: Any) -> None:  # noqa: N803
        self._sc = sparkContext or SparkContext.getOrCreate()
        self.spark_session = SparkSession.getActiveSession() or SparkSession(self._sc)
        self.sparkSession = self.spark_session
        self.create_dynamic_frame = _DynamicFrameReader(self)
        self.write_dynamic_frame = _DynamicFrameWriter(self)
        self.create_data_frame = _DataFrameReader(self)
        write_note(self._sc.version)
        if "--enable-glue-datacatalog" in sys.argv:
            from ._spark_catalog import register_catalog

            register_catalog(self.spark_session)

    # Sources

    def create_dynamic_frame_from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        """A catalog table's rows, located, parsed and typed as the table says."""
        df = self._read_table(
            database, table_name, transformation_ctx, push_down_predicate, additional_options, catalog_id
        )
        return DynamicFrame(df, self, table_name or "")

    @same_parameters(create_dynamic_frame_from_catalog)
    def create_data_frame_from_catalog(self, *args: Any, **kwargs: Any) -> DataFrame:
        """As :meth:`create_dynamic_frame_from_catalog`, as a Spark DataFrame."""
        return self.create_dynamic_frame_from_catalog(*args, **kwargs).toDF()

    def _read_table(
        self,
        database: str | None,
        table_name: str | None,
        transformation_ctx: str,
        push_down_predicate: str,
        additional_options: dict[str, Any] | None,
        catalog_id: str | None,
    ) -> DataFrame:
        if not database or not table_name:
            raise ValueError("from_catalog needs database and table_name")
        table = _catalog.get_table(database, table_name, catalog_id)
        descriptor = table.get("StorageDescriptor") or {}
        location = descriptor.get("Location") or ""
        if not location.startswith(("s3://", "s3a://", "s3n://")):
            unsupported(
                f"Reading table {database}.{table_name} at {location or '(no location)'}",
                "only S3 tables are read locally",
            )
        fmt = _catalog.table_format(table)
        columns = list(descriptor.get("Columns") or [])
        partitions = list(table.get("PartitionKeys") or [])
        options = dict(additional_options or {})
        ddl = _catalog.columns_ddl(columns + partitions) if columns else None
        exclusions = _s3io.connection_paths({"paths": [location], **options})[1]
        if fmt == "csv":
            df = self._read_csv_table(table, location, columns, transformation_ctx, options)
        elif fmt == "json":
            # Schema-on-read: each JSON record keeps its own fields, under their own names (a crawled
            # table's columns are lower-case, the records' keys need not be) and types; the catalog's
            # columns only shape a read that finds no file. AWS's DynamicFrame page:
            # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html
            df = _s3io.read(
                self.spark_session,
                [location],
                fmt,
                {},
                transformation_ctx=transformation_ctx,
                base_path=location,
                exclusions=exclusions,
                empty_schema=ddl,
            )
        else:
            df = _s3io.read(
                self.spark_session,
                [location],
                fmt,
                {},
                transformation_ctx=transformation_ctx,
                schema=_catalog.columns_ddl(columns) if columns else None,
                base_path=location,
                exclusions=exclusions,
            )
        for key in partitions:
            if key["Name"] in df.columns:
                df = df.withColumn(key["Name"], df[f"`{key['Name']}`"].cast(key.get("Type") or "string"))
        if push_down_predicate:
            df = df.where(push_down_predicate)
        return df

    def _read_csv_table(
        self,
        table: dict[str, Any],
        location: str,
        columns: list[dict[str, Any]],
        ctx: str,
        options: dict[str, Any],
    ) -> DataFrame:
        spark_options = _catalog.table_read_options(table, "csv")
        format_options = {
            "separator": spark_options["sep"],
            "withHeader": spark_options["header"] == "true",
            "quoteChar": spark_options.get("quote", '"'),
        }
        # The values are read as text, then typed by the catalog; numbers mixed with text make a choice.
        text = [{"Name": c["Name"], "Type": "string"} for c in columns]
        df = _s3io.read(
            self.spark_session,
            [location],
            "csv",
            format_options,
            transformation_ctx=ctx,
            schema=_catalog.columns_ddl(text) if columns else None,
            base_path=location,
            exclusions=_s3io.connection_paths({"paths": [location], **options})[1],
        )
        return with_catalog_types(df, [(c["Name"], c.get("Type") or "string") for c in columns])

    def create_dynamic_frame_from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        **kwargs: Any,
    ) -> DynamicFrame:
        """Rows of S3 files in ``format``, schema inferred from the data."""
        _require_s3(connection_type, "create_dynamic_frame.from_options")
        paths, exclusions = _s3io.connection_paths(connection_options or {})
        df = _s3io.read(
            self.spark_session,
            paths,
            _s3io.spark_format(format),
            format_options,
            transformation_ctx=transformation_ctx,
            exclusions=exclusions,
        )
        if push_down_predicate:
            df = df.where(push_down_predicate)
        return DynamicFrame(df, self, "")

    @same_parameters(create_dynamic_frame_from_options)
    def create_data_frame_from_options(self, *args: Any, **kwargs: Any) -> DataFrame:
        """As :meth:`create_dynamic_frame_from_options`, as a Spark DataFrame."""
        return self.create_dynamic_frame_from_options(*args, **kwargs).toDF()

    def create_dynamic_frame_from_rdd(
        self,
        data: Any,
        name: str,
        schema: Any = None,
        sample_ratio: float | None = None,
        transformation_ctx: str = "",
    ) -> DynamicFrame:
        """A frame from an RDD or list of rows."""
        return DynamicFrame(self.spark_session.createDataFrame(data, schema, sample_ratio), self, name)

    def get_catalog_schema_as_spark_schema(
        self, database: str | None = None, table_name: str | None = None, catalog_id: str | None = None
    ) -> StructType:
        """A catalog table's columns and partition keys as a Spark schema."""
        table = _catalog.get_table(database or "", table_name or "", catalog_id)
        columns = list((table.get("StorageDescriptor") or {}).get("Columns") or []) + list(
            table.get("PartitionKeys") or []
        )
        return self.spark_session.createDataFrame([], _catalog.columns_ddl(columns)).schema

    # Sinks

    def write_dynamic_frame_from_options(
        self,
        frame: DynamicFrame,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        transformation_ctx: str = "",  # noqa: A002
    ) -> DynamicFrame:
        """Add the frame's rows as new files under ``connection_options["path"]``."""
        _require_s3(connection_type, "write_dynamic_frame.from_options")
        options = connection_options or {}
        if not options.get("path"):
            raise ValueError("connection_options of an s3 sink need 'path'")
        _s3io.write(
            _as_df(frame),
            options["path"],
            _s3io.spark_format(format),
            format_options,
            options.get("partitionKeys"),
        )
        return frame

    def write_dynamic_frame_from_catalog(
        self,
        frame: DynamicFrame,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        additional_options: dict[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        """Add the frame's rows to a catalog table's location, in its format and partitions; with
        ``additional_options={"enableUpdateCatalog": True, ...}`` then update the table's schema and add its
        new partitions (see :mod:`._catalog_sink`)."""
        options = dict(additional_options or {})
        table = _catalog.get_table(database or "", table_name or "", catalog_id)
        location = (table.get("StorageDescriptor") or {}).get("Location") or ""
        fmt = _catalog.table_format(table)
        spark_options = _catalog.table_read_options(table, fmt)
        format_options = (
            {"separator": spark_options["sep"], "writeHeader": spark_options["header"] == "true"}
            if fmt == "csv"
            else {}
        )
        keys = [k["Name"] for k in table.get("PartitionKeys") or []] or options.get("partitionKeys")
        update = _catalog_sink.enabled(options)
        if update:
            behavior = _catalog_sink.update_behavior(options)
            _catalog_sink.classification(fmt, database or "", table_name or "")
            _catalog_sink.check_partition_keys(table, list(options.get("partitionKeys") or keys or []))
        df = _as_df(frame)
        _s3io.write(df, location, fmt, format_options, keys)
        if update:
            _catalog_sink.update_catalog(
                df,
                database=database or "",
                table_name=table_name or "",
                catalog_id=catalog_id,
                location=location,
                fmt=fmt,
                partition_keys=list(keys or []),
                behavior=behavior,
                header=bool(format_options.get("writeHeader")),
                table=table,
            )
        return frame

    def getSource(
        self,
        connection_type: str,
        format: str | None = None,
        transformation_ctx: str = "",  # noqa: N802, A002
        push_down_predicate: str = "",
        **options: Any,
    ) -> Any:
        """A source whose ``getFrame()`` reads ``options['paths']`` (s3 only)."""
        from .data_source import DataSource

        _require_s3(connection_type, "getSource")
        return DataSource(self, options, format, transformation_ctx, push_down_predicate)

    def getSink(
        self, connection_type: str, format: str | None = None, transformation_ctx: str = "", **options: Any
    ) -> Any:  # noqa: N802, A002
        """A sink whose ``writeFrame(frame)`` writes to ``options['path']`` (s3 only)."""
        from .data_sink import DataSink

        _require_s3(connection_type, "getSink")
        return DataSink(self, options, format, transformation_ctx)

    def get_logger(self) -> logging.Logger:
        """A logger whose lines go to the driver log (the run's error stream), as Glue's does."""
        logger = logging.getLogger("GlueLogger")
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s GlueLogger: %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        return logger

    def currentTimeMillis(self) -> int:  # noqa: N802
        return int(time.time() * 1000)


def _require_s3(connection_type: str, api: str) -> None:
    if (connection_type or "").lower() != "s3":
        unsupported(
            f"{api} with connection_type {connection_type!r}", "the local Glue reads and writes only s3"
        )


def _as_df(frame: Any) -> DataFrame:
    if isinstance(frame, DynamicFrame):
        return frame.toDF()
    if isinstance(frame, DataFrame):
        return frame
    raise TypeError(f"Expected a DynamicFrame, got {type(frame).__name__}")
