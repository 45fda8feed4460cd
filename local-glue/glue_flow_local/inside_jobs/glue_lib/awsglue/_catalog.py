"""Data Catalog look-ups of a job run: tables come from the Glue endpoint the job's boto3 is set up for."""

from __future__ import annotations

from typing import Any

from ._unsupported import unsupported

#: Hive SerDe / input format names -> the Spark source that reads them.
_SERDE_FORMATS = {
    "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe": "csv",
    "org.apache.hadoop.hive.serde2.OpenCSVSerde": "csv",
    "org.openx.data.jsonserde.JsonSerDe": "json",
    "org.apache.hive.hcatalog.data.JsonSerDe": "json",
    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe": "parquet",
    "org.apache.hadoop.hive.ql.io.orc.OrcSerde": "orc",
}
_CLASSIFICATIONS = {"csv": "csv", "json": "json", "parquet": "parquet", "orc": "orc"}


def glue_client() -> Any:
    import boto3

    return boto3.client("glue")


def get_table(database: str, table_name: str, catalog_id: str | None = None) -> dict[str, Any]:
    """GetTable of one catalog table (AWS's EntityNotFoundException when it is missing).

    :param database: the database name.
    :param table_name: the table name.
    :param catalog_id: the catalog id (account), when not the caller's.
    """
    if not database or not table_name:
        raise ValueError("Both database and table_name are required to read a catalog table")
    request: dict[str, Any] = {"DatabaseName": database, "Name": table_name}
    if catalog_id:
        request["CatalogId"] = catalog_id
    return glue_client().get_table(**request)["Table"]


def table_format(table: dict[str, Any]) -> str:
    """The Spark format that reads a catalog table's files (csv, json, parquet or orc).

    :param table: the table, as GetTable returns it.
    """
    params = table.get("Parameters") or {}
    descriptor = table.get("StorageDescriptor") or {}
    classification = str(params.get("classification") or "").lower()
    if classification in _CLASSIFICATIONS:
        return _CLASSIFICATIONS[classification]
    serde = (descriptor.get("SerdeInfo") or {}).get("SerializationLibrary") or ""
    if serde in _SERDE_FORMATS:
        return _SERDE_FORMATS[serde]
    unsupported(
        f"Reading table {table.get('DatabaseName')}.{table.get('Name')} "
        f"(classification {classification or 'none'}, SerDe {serde or 'none'})",
        "only csv, json, parquet and orc tables on S3 are read locally",
    )


def table_read_options(table: dict[str, Any], fmt: str) -> dict[str, str]:
    """Spark reader options for a catalog table's files: delimiter, header and quoting for CSV.

    :param table: the table, as GetTable returns it.
    :param fmt: the format :func:`table_format` returned.
    """
    if fmt != "csv":
        return {}
    params = table.get("Parameters") or {}
    serde = (table.get("StorageDescriptor") or {}).get("SerdeInfo") or {}
    serde_params = serde.get("Parameters") or {}
    options = {
        "sep": serde_params.get("separatorChar") or serde_params.get("field.delim") or ",",
        "header": "true" if str(params.get("skip.header.line.count") or "0") != "0" else "false",
    }
    if "quoteChar" in serde_params:
        options["quote"] = serde_params["quoteChar"]
    if "escapeChar" in serde_params:
        options["escape"] = serde_params["escapeChar"]
    return options


def columns_ddl(columns: list[dict[str, Any]]) -> str:
    """A Spark DDL schema string for catalog columns (Hive type names read as Spark SQL types).

    :param columns: ``[{"Name": ..., "Type": ...}, ...]``.
    """
    return ", ".join(f"`{c['Name']}` {c.get('Type') or 'string'}" for c in columns)
