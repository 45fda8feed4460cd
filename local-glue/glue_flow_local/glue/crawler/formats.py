"""What a crawler writes for each format: input/output formats, SerDe and table parameters.

The parameters are those AWS's crawlers set (classification, compressionType, typeOfData, objectCount,
recordCount, averageRecordSize, sizeKey, UPDATED_BY_CRAWLER, and for CSV delimiter, areColumnsQuoted,
columnsOrdered and skip.header.line.count); see
https://docs.aws.amazon.com/glue/latest/dg/table-properties-crawler.html. The SerDe is the one
Athena documents per format (https://docs.aws.amazon.com/athena/latest/ug/supported-serdes.html).
"""

from __future__ import annotations

from typing import Any

from glue_flow_local.glue.crawler.scan import TablePlan

TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
# classification -> (InputFormat, OutputFormat, SerDe) of the self-describing formats.
_BINARY_FORMATS = {
    "parquet": (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    ),
    "orc": (
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    ),
    "avro": (
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
    ),
}


def table_parameters(plan: TablePlan, crawler_name: str, crawl_id: str) -> dict[str, str]:
    """The table (and storage descriptor) parameters a crawler writes.

    :param plan: the table plan.
    :param crawler_name: the crawler (``UPDATED_BY_CRAWLER``).
    :param crawl_id: this crawl's id (``CRAWL_RUN_ID``).
    """
    schema = plan.schema
    parameters = {
        "classification": schema.classification,
        "compressionType": schema.compression,
        "typeOfData": "file",
        "objectCount": str(plan.object_count),
        "recordCount": str(schema.record_count),
        "sizeKey": str(plan.size),
        "averageRecordSize": str(plan.size // max(schema.record_count, 1)),
        "CrawlerSchemaSerializerVersion": "1.0",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "UPDATED_BY_CRAWLER": crawler_name,
        "CRAWL_RUN_ID": crawl_id,
    }
    if schema.classification == "csv":
        parameters.update(
            {
                "delimiter": schema.properties["delimiter"],
                "areColumnsQuoted": schema.properties["areColumnsQuoted"],
                "columnsOrdered": "true",
            }
        )
        if schema.properties["header"] == "true":
            parameters["skip.header.line.count"] = "1"
    return parameters


def storage_descriptor(plan: TablePlan, parameters: dict[str, str]) -> dict[str, Any]:
    """The table's StorageDescriptor: columns, location, formats and SerDe for its classification.

    :param plan: the table plan.
    :param parameters: the table parameters (copied into the descriptor, as crawlers do).
    """
    schema = plan.schema
    descriptor: dict[str, Any] = {
        "Columns": [{"Name": name, "Type": kind} for name, kind in schema.columns],
        "Location": plan.location,
        "Compressed": schema.compression != "none",
        "NumberOfBuckets": -1,
        "Parameters": dict(parameters),
        "StoredAsSubDirectories": False,
    }
    if schema.classification in _BINARY_FORMATS:
        input_format, output_format, serde = _BINARY_FORMATS[schema.classification]
        serde_parameters = {"serialization.format": "1"}
        if "avro.schema.literal" in schema.properties:
            serde_parameters = {"avro.schema.literal": schema.properties["avro.schema.literal"]}
        descriptor.update(
            InputFormat=input_format,
            OutputFormat=output_format,
            SerdeInfo={"SerializationLibrary": serde, "Parameters": serde_parameters},
        )
    elif schema.classification in ("csv", "json"):
        descriptor.update(
            InputFormat=TEXT_INPUT_FORMAT, OutputFormat=TEXT_OUTPUT_FORMAT, SerdeInfo=_text_serde(plan)
        )
    return descriptor


def _text_serde(plan: TablePlan) -> dict[str, Any]:
    schema = plan.schema
    if schema.classification == "json":
        return {
            "SerializationLibrary": JSON_SERDE,
            "Parameters": {"paths": ",".join(n for n, _ in schema.columns)},
        }
    delimiter = schema.properties["delimiter"]
    chosen = schema.properties.get("serde")
    quoted = schema.properties["areColumnsQuoted"] == "true"
    if chosen == "OpenCSVSerDe" or (chosen is None and quoted):
        return {
            "SerializationLibrary": OPEN_CSV_SERDE,
            "Parameters": {"separatorChar": delimiter, "quoteChar": schema.properties["quoteChar"]},
        }
    return {"SerializationLibrary": LAZY_SIMPLE_SERDE, "Parameters": {"field.delim": delimiter}}
