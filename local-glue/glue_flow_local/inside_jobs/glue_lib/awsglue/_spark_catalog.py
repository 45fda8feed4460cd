"""``--enable-glue-datacatalog``: the Data Catalog's databases and S3 tables become Spark SQL tables."""

from __future__ import annotations

import sys
from typing import Any

from pyspark.sql import SparkSession

from . import _catalog


def _pages(client: Any, operation: str, key: str, **request: Any) -> list[dict[str, Any]]:
    return [item for page in client.get_paginator(operation).paginate(**request) for item in page[key]]


def register_catalog(spark: SparkSession) -> None:
    """Create every catalog database, and every csv/json/parquet/orc table on S3, in the session's catalog;
    a table that cannot be created is named in a warning on the driver log.

    :param spark: the session.
    """
    client = _catalog.glue_client()
    for database in _pages(client, "get_databases", "DatabaseList"):
        db = database["Name"]
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{db}`")
        for table in _pages(client, "get_tables", "TableList", DatabaseName=db):
            try:
                _register(spark, db, table)
            except Exception as err:  # noqa: BLE001 - one unreadable table must not hide the others
                # Named on the driver log, so a query of it failing later is explained.
                print(
                    f"WARN local Glue: table {db}.{table['Name']} is not visible to spark.sql: {err}",
                    file=sys.stderr,
                )


def _register(spark: SparkSession, db: str, table: dict[str, Any]) -> None:
    descriptor = table.get("StorageDescriptor") or {}
    location = descriptor.get("Location") or ""
    if not location.startswith("s3://"):
        raise ValueError(f"its location {location or '(none)'} is not on S3")
    fmt = _catalog.table_format({**table, "DatabaseName": db})
    columns = list(descriptor.get("Columns") or []) + list(table.get("PartitionKeys") or [])
    options = _catalog.table_read_options(table, fmt)
    options_sql = ", ".join(f"'{k}' '{v}'" for k, v in options.items())
    partitioned = ", ".join(f"`{k['Name']}`" for k in table.get("PartitionKeys") or [])
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS `{db}`.`{table['Name']}` ({_catalog.columns_ddl(columns)}) USING {fmt}"
        + (f" OPTIONS ({options_sql})" if options_sql else "")
        + (f" PARTITIONED BY ({partitioned})" if partitioned else "")
        + f" LOCATION '{location}'"
    )
    if partitioned:
        spark.sql(f"ALTER TABLE `{db}`.`{table['Name']}` RECOVER PARTITIONS")
