"""Write a crawl's table plans to the Data Catalog: tables, partitions, table parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_glue_flow.local.crawling.scan import TablePlan

TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


@dataclass
class CrawlOutcome:
    """Counts a finished crawl reports through GetCrawlerMetrics."""

    tables_created: int = 0
    tables_updated: int = 0
    tables_deleted: int = 0


def write_table(
    glue: Any, database: str, plan: TablePlan, crawler: dict[str, Any], log: Callable[[str], None]
) -> str:
    """Create or update the planned table and its partitions in the catalog.

    :param glue: a boto3 Glue client.
    :param database: the crawler's DatabaseName (created when missing, as Glue does).
    :param plan: the table plan.
    :param crawler: the crawler definition (name, SchemaChangePolicy).
    :param log: writes one crawl log line.
    :returns: ``created``, ``updated`` or ``unchanged``.
    """
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database})
        log(f"INFO : Created database {database}")
    table_input = _table_input(plan, crawler["Name"])
    try:
        glue.get_table(DatabaseName=database, Name=plan.name)
        exists = True
    except glue.exceptions.EntityNotFoundException:
        exists = False
    update_behavior = (crawler.get("SchemaChangePolicy") or {}).get("UpdateBehavior", "UPDATE_IN_DATABASE")
    if not exists:
        glue.create_table(DatabaseName=database, TableInput=table_input)
        log(f"INFO : Created table {plan.name} in database {database}")
        outcome = "created"
    elif update_behavior == "LOG":
        log(f"INFO : Table {plan.name} in database {database} not updated: SchemaChangePolicy is LOG")
        outcome = "unchanged"
    else:
        glue.update_table(DatabaseName=database, TableInput=table_input)
        log(f"INFO : Updated table {plan.name} in database {database}")
        outcome = "updated"
    _write_partitions(glue, database, plan, table_input["StorageDescriptor"], log)
    return outcome


def _write_partitions(
    glue: Any, database: str, plan: TablePlan, descriptor: dict[str, Any], log: Callable[[str], None]
) -> None:
    if not plan.partitions:
        return
    existing: set[tuple[str, ...]] = set()
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=plan.name):
        existing.update(tuple(part["Values"]) for part in page["Partitions"])
    new = [
        {"Values": list(values), "StorageDescriptor": {**descriptor, "Location": location}}
        for values, location in sorted(plan.partitions.items())
        if values not in existing
    ]
    for start in range(0, len(new), 100):
        glue.batch_create_partition(
            DatabaseName=database, TableName=plan.name, PartitionInputList=new[start : start + 100]
        )
    if new:
        log(f"INFO : Created {len(new)} partitions in table {plan.name}")


def _table_input(plan: TablePlan, crawler_name: str) -> dict[str, Any]:
    schema = plan.schema
    parameters = {
        "classification": schema.classification,
        "compressionType": "none",
        "typeOfData": "file",
        "objectCount": str(plan.object_count),
        "recordCount": str(schema.record_count),
        "sizeKey": str(plan.size),
        "averageRecordSize": str(plan.size // max(schema.record_count, 1)),
        "CrawlerSchemaSerializerVersion": "1.0",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "UPDATED_BY_CRAWLER": crawler_name,
    }
    if schema.classification == "csv":
        delimiter = schema.properties["delimiter"]
        quoted = schema.properties["areColumnsQuoted"] == "true"
        parameters.update(
            {
                "delimiter": delimiter,
                "areColumnsQuoted": schema.properties["areColumnsQuoted"],
                "columnsOrdered": "true",
            }
        )
        if schema.properties["header"] == "true":
            parameters["skip.header.line.count"] = "1"
        serde = (
            {
                "SerializationLibrary": OPEN_CSV_SERDE,
                "Parameters": {"separatorChar": delimiter, "quoteChar": schema.properties["quoteChar"]},
            }
            if quoted
            else {"SerializationLibrary": LAZY_SIMPLE_SERDE, "Parameters": {"field.delim": delimiter}}
        )
    else:
        serde = {
            "SerializationLibrary": JSON_SERDE,
            "Parameters": {"paths": ",".join(n for n, _ in schema.columns)},
        }
    return {
        "Name": plan.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": name, "Type": "string"} for name in plan.partition_keys],
        "StorageDescriptor": {
            "Columns": [{"Name": name, "Type": kind} for name, kind in schema.columns],
            "Location": plan.location,
            "InputFormat": TEXT_INPUT_FORMAT,
            "OutputFormat": TEXT_OUTPUT_FORMAT,
            "Compressed": False,
            "NumberOfBuckets": -1,
            "SerdeInfo": serde,
            "Parameters": dict(parameters),
            "StoredAsSubDirectories": False,
        },
    }
