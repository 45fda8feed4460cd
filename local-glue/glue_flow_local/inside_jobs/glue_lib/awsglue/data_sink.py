"""DataSink, as ``GlueContext.getSink`` returns it."""

from __future__ import annotations

from typing import Any

from . import _catalog_sink
from ._unsupported import NamedMissingAttributes, unsupported


def _as_df(frame: Any) -> Any:
    return frame.toDF() if hasattr(frame, "toDF") else frame


class DataSink(NamedMissingAttributes):
    """An s3 sink; ``setFormat``, optionally ``setCatalogInfo``, then ``writeFrame``."""

    def __init__(self, glue_context: Any, options: dict[str, Any], fmt: str | None, ctx: str) -> None:
        self._glue_context = glue_context
        self._options = options
        self._format = fmt
        self._format_options: dict[str, Any] = {}
        self._ctx = ctx
        self._catalog: tuple[str, str, str | None] | None = None

    def setFormat(self, format: str, **options: Any) -> None:  # noqa: N802, A002
        self._format = format
        self._format_options = options

    def setCatalogInfo(
        self, catalogDatabase: str, catalogTableName: str, catalogId: str | None = None
    ) -> None:  # noqa: N802, N803
        """The table that ``writeFrame`` creates or updates when the sink has ``enableUpdateCatalog``."""
        self._catalog = (catalogDatabase, catalogTableName, catalogId)

    def writeFrame(self, dynamic_frame: Any, info: str = "") -> Any:  # noqa: N802
        """Write the frame; with ``enableUpdateCatalog`` and catalog info, then create or update the table
        and add its new partitions (https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html)."""
        update = _catalog_sink.enabled(self._options) and self._catalog is not None
        table: dict[str, Any] | None = None
        if update:
            assert self._catalog is not None
            database, table_name, catalog_id = self._catalog
            behavior = _catalog_sink.update_behavior(self._options)
            fmt = _catalog_sink.classification(self._format or "", database, table_name)
            if fmt == "avro":
                unsupported("DataSink with format avro", "the local Glue writes csv, json, parquet and orc")
            table = _catalog_sink.existing_table(database, table_name, catalog_id)
            keys = list(self._options.get("partitionKeys") or [])
            if table is not None:
                _catalog_sink.check_partition_keys(table, keys)
        out = self._glue_context.write_dynamic_frame_from_options(
            dynamic_frame, "s3", self._options, self._format, self._format_options, self._ctx
        )
        if update:
            header = fmt == "csv" and bool(self._format_options.get("writeHeader", True))
            _catalog_sink.update_catalog(
                _as_df(dynamic_frame),
                database=database,
                table_name=table_name,
                catalog_id=catalog_id,
                location=str(self._options.get("path") or ""),
                fmt=fmt,
                partition_keys=keys,
                behavior=behavior,
                header=header,
                table=table,
            )
        return out
