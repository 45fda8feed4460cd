"""Catalog-updating S3 sinks (``enableUpdateCatalog``): after the write, the job creates or updates the
table's schema and adds the partitions it wrote, as AWS documents in "Updating the schema, and adding new
partitions in the Data Catalog using AWS Glue ETL jobs":
https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html

- ``updateBehavior`` is ``UPDATE_IN_DATABASE`` (the default: the table's columns become the frame's) or
  ``LOG`` (the schema stays; new partitions are still added).
- A sink with ``setCatalogInfo`` creates the table when it does not exist yet, at the sink's path.
- The partition keys passed must be the table's, in the same order.
- Only S3 targets in json, csv, avro or parquet (``glueparquet``) are supported.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame

from ._catalog import glue_client

#: classification -> (SerDe, InputFormat, OutputFormat), as the crawler and Glue's writers store them.
_TEXT = (
    "org.apache.hadoop.mapred.TextInputFormat",
    "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
)
_STORAGE = {
    "json": ("org.openx.data.jsonserde.JsonSerDe", *_TEXT),
    "csv": ("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", *_TEXT),
    "parquet": (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    ),
}
_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")


def enabled(options: dict[str, Any]) -> bool:
    """Whether the options ask for catalog updates (``enableUpdateCatalog`` true, or ``"true"``).

    :param options: the sink's options.
    """
    return str(options.get("enableUpdateCatalog", "")).lower() == "true"


def update_behavior(options: dict[str, Any]) -> str:
    """The sink's ``updateBehavior``, checked.

    :param options: the sink's options.
    """
    behavior = str(options.get("updateBehavior") or "UPDATE_IN_DATABASE").upper()
    if behavior not in _BEHAVIORS:
        raise ValueError(f"updateBehavior {options.get('updateBehavior')!r}: it is UPDATE_IN_DATABASE or LOG")
    return behavior


def classification(fmt: str, database: str, table_name: str) -> str:
    """The table classification a catalog-updating sink of ``fmt`` writes.

    :param fmt: the sink's format (Glue's name).
    :param database: for the message.
    :param table_name: for the message.
    """
    name = fmt.lower()
    name = "parquet" if name == "glueparquet" else name
    if name not in _STORAGE and name != "avro":
        raise ValueError(
            f"Cannot update table {database}.{table_name} from a {fmt} sink: enableUpdateCatalog supports "
            "only json, csv, avro and parquet (glueparquet)"
        )
    return name


def existing_table(database: str, table_name: str, catalog_id: str | None) -> dict[str, Any] | None:
    """The table, or None when the catalog has no such table.

    :param database: the database.
    :param table_name: the table.
    :param catalog_id: the catalog, when not the caller's.
    """
    client = glue_client()
    request: dict[str, Any] = {"DatabaseName": database, "Name": table_name}
    if catalog_id:
        request["CatalogId"] = catalog_id
    try:
        table: dict[str, Any] = client.get_table(**request)["Table"]
    except client.exceptions.EntityNotFoundException:
        return None
    return table


def check_partition_keys(table: dict[str, Any], keys: list[str]) -> None:
    """Refuse partition keys that are not the table's, in its order.

    :param table: the table.
    :param keys: the sink's partition keys.
    """
    own = [k["Name"] for k in table.get("PartitionKeys") or []]
    if own and [k.lower() for k in keys] != [k.lower() for k in own]:
        raise ValueError(
            f"partitionKeys {keys} of the sink differ from the partition keys {own} of table "
            f"{table.get('DatabaseName')}.{table['Name']}: they must be the same, in the same order"
        )


def update_catalog(
    df: DataFrame,
    *,
    database: str,
    table_name: str,
    catalog_id: str | None,
    location: str,
    fmt: str,
    partition_keys: list[str],
    behavior: str,
    header: bool,
    table: dict[str, Any] | None,
) -> None:
    """Create or update the table after a write, then add the partitions the frame's rows fill.

    :param df: the frame written.
    :param database: the database.
    :param table_name: the table.
    :param catalog_id: the catalog, when not the caller's.
    :param location: the table's S3 folder.
    :param fmt: the classification (:func:`classification`).
    :param partition_keys: the partition columns.
    :param behavior: ``UPDATE_IN_DATABASE`` or ``LOG``.
    :param header: whether CSV files start with a header line.
    :param table: the table as it was, or None to create it.
    """
    client = glue_client()
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    keys = [next((n for n in types if n.lower() == k.lower()), k) for k in partition_keys]
    columns = [{"Name": n, "Type": t} for n, t in types.items() if n not in keys]
    extra = {"CatalogId": catalog_id} if catalog_id else {}
    if table is None or behavior == "UPDATE_IN_DATABASE":
        table_input = _table_input(table, table_name, location, fmt, columns, keys, types, header)
        if table is None:
            client.create_table(DatabaseName=database, TableInput=table_input, **extra)
        else:
            client.update_table(DatabaseName=database, TableInput=table_input, **extra)
    if keys and df.columns:
        _add_partitions(client, df, database, table_name, location, keys, extra, (fmt, header))


def _storage(location: str, fmt: str, columns: list[dict[str, Any]], header: bool) -> dict[str, Any]:
    serde, input_format, output_format = _STORAGE.get(fmt, ("", "", ""))
    serde_info: dict[str, Any] = {"SerializationLibrary": serde} if serde else {}
    if fmt == "csv":
        serde_info["Parameters"] = {"field.delim": ","}
    descriptor: dict[str, Any] = {"Location": location, "Columns": columns, "SerdeInfo": serde_info}
    if input_format:
        descriptor.update(InputFormat=input_format, OutputFormat=output_format)
    return descriptor


def _table_input(
    table: dict[str, Any] | None,
    table_name: str,
    location: str,
    fmt: str,
    columns: list[dict[str, Any]],
    keys: list[str],
    types: dict[str, str],
    header: bool,
) -> dict[str, Any]:
    parameters = dict((table or {}).get("Parameters") or {})
    parameters["classification"] = fmt
    if fmt == "csv" and header:
        parameters["skip.header.line.count"] = "1"
    own_keys = list((table or {}).get("PartitionKeys") or [])
    return {
        "Name": table_name,
        "TableType": (table or {}).get("TableType") or "EXTERNAL_TABLE",
        "Parameters": parameters,
        "StorageDescriptor": _storage(location, fmt, columns, header),
        "PartitionKeys": own_keys or [{"Name": k, "Type": types.get(k, "string")} for k in keys],
    }


def _add_partitions(
    client: Any,
    df: DataFrame,
    database: str,
    table_name: str,
    location: str,
    keys: list[str],
    extra: dict[str, Any],
    storage: tuple[str, bool],
) -> None:
    fmt, header = storage
    values = sorted(
        {
            tuple("" if v is None else str(v) for v in row)
            for row in df.select(*[f"`{k}`" for k in keys]).collect()
        }
    )
    columns = [
        {"Name": f.name, "Type": f.dataType.simpleString()} for f in df.schema.fields if f.name not in keys
    ]
    base = location.rstrip("/")
    inputs = [
        {
            "Values": list(vals),
            "StorageDescriptor": _storage(
                base + "/" + "/".join(f"{k}={v}" for k, v in zip(keys, vals, strict=True)) + "/",
                fmt,
                columns,
                header,
            ),
        }
        for vals in values
    ]
    for start in range(0, len(inputs), 100):  # BatchCreatePartition takes at most 100 partitions
        response = client.batch_create_partition(
            DatabaseName=database,
            TableName=table_name,
            PartitionInputList=inputs[start : start + 100],
            **extra,
        )
        failed = [
            e
            for e in response.get("Errors") or []
            if (e.get("ErrorDetail") or {}).get("ErrorCode") != "AlreadyExistsException"
        ]
        if failed:
            detail = failed[0].get("ErrorDetail") or {}
            raise RuntimeError(
                f"Adding partition {failed[0].get('PartitionValues')} to table {database}.{table_name} failed: "
                f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
            )
