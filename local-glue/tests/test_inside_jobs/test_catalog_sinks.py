"""Glue Studio's catalog-updating sinks: getSink(enableUpdateCatalog=True, updateBehavior, partitionKeys) +
setCatalogInfo + setFormat + writeFrame, and write_dynamic_frame.from_catalog with enableUpdateCatalog.

AWS's page: https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html (a sink with setCatalogInfo
creates the table when it is missing; UPDATE_IN_DATABASE updates the schema, LOG keeps it; new partitions
are added; the partition keys must be the table's, in the same order).
"""

from __future__ import annotations

from typing import Any

import pytest

from .lake import moto_catalog, mount_bucket

pytestmark = pytest.mark.slow


def _frame(glue_context: Any, rows: list[tuple[Any, ...]], schema: str) -> Any:
    from awsglue.dynamicframe import DynamicFrame  # type: ignore[import-not-found]

    return DynamicFrame.fromDF(glue_context.spark_session.createDataFrame(rows, schema), glue_context, "f")


def _partitions(client: Any, table: str) -> list[tuple[list[str], str]]:
    found = client.get_partitions(DatabaseName="db", TableName=table)["Partitions"]
    return sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in found)


def test_glue_studio_sink_creates_the_table_and_its_partitions(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket, folder = mount_bucket(glue_context, tmp_path)
    frame = _frame(glue_context, [(1, "a", "2024"), (2, "b", "2025")], "id bigint, name string, year string")
    with moto_catalog(monkeypatch) as client:
        sink = glue_context.getSink(
            path=f"s3://{bucket}/out/",
            connection_type="s3",
            updateBehavior="UPDATE_IN_DATABASE",
            partitionKeys=["year"],
            enableUpdateCatalog=True,
            transformation_ctx="sink",
        )
        sink.setCatalogInfo(catalogDatabase="db", catalogTableName="people")
        sink.setFormat("glueparquet", compression="snappy")
        sink.writeFrame(frame)
        table = client.get_table(DatabaseName="db", Name="people")["Table"]
        partitions = _partitions(client, "people")
        read = glue_context.create_dynamic_frame.from_catalog(database="db", table_name="people")
        rows = sorted((r.asDict() for r in read.toDF().collect()), key=lambda r: r["id"])
    assert table["Parameters"]["classification"] == "parquet"
    assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/out/"
    assert table["StorageDescriptor"]["Columns"] == [
        {"Name": "id", "Type": "bigint"},
        {"Name": "name", "Type": "string"},
    ]
    assert table["PartitionKeys"] == [{"Name": "year", "Type": "string"}]
    assert partitions == [
        (["2024"], f"s3://{bucket}/out/year=2024/"),
        (["2025"], f"s3://{bucket}/out/year=2025/"),
    ]
    assert sorted(p.name for p in (folder / "out").iterdir()) == ["year=2024", "year=2025"]
    assert rows == [{"id": 1, "name": "a", "year": "2024"}, {"id": 2, "name": "b", "year": "2025"}]


def test_sink_update_behavior_log_keeps_the_schema_and_adds_partitions(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket, _ = mount_bucket(glue_context, tmp_path)
    first = _frame(glue_context, [(1, "2024")], "id bigint, year string")
    wider = _frame(glue_context, [(2, "x", "2025")], "id bigint, extra string, year string")
    with moto_catalog(monkeypatch) as client:
        for frame, behavior in ((first, "UPDATE_IN_DATABASE"), (wider, "LOG")):
            sink = glue_context.getSink(
                connection_type="s3",
                path=f"s3://{bucket}/t/",
                enableUpdateCatalog=True,
                updateBehavior=behavior,
                partitionKeys=["year"],
            )
            sink.setFormat("json")
            sink.setCatalogInfo(catalogDatabase="db", catalogTableName="t")
            sink.writeFrame(frame)
        columns = client.get_table(DatabaseName="db", Name="t")["Table"]["StorageDescriptor"]["Columns"]
        assert [c["Name"] for c in columns] == ["id"]
        assert [v for v, _ in _partitions(client, "t")] == [["2024"], ["2025"]]
        # UPDATE_IN_DATABASE then takes the frame's columns.
        sink = glue_context.getSink(
            connection_type="s3", path=f"s3://{bucket}/t/", enableUpdateCatalog=True, partitionKeys=["year"]
        )
        sink.setFormat("json")
        sink.setCatalogInfo(catalogDatabase="db", catalogTableName="t")
        sink.writeFrame(wider)
        columns = client.get_table(DatabaseName="db", Name="t")["Table"]["StorageDescriptor"]["Columns"]
        assert [c["Name"] for c in columns] == ["id", "extra"]
        # Other partition keys than the table's are refused, naming both.
        sink = glue_context.getSink(
            connection_type="s3", path=f"s3://{bucket}/t/", enableUpdateCatalog=True, partitionKeys=["id"]
        )
        sink.setFormat("json")
        sink.setCatalogInfo(catalogDatabase="db", catalogTableName="t")
        with pytest.raises(ValueError, match=r"partitionKeys \['id'\].*\['year'\] of table db.t"):
            sink.writeFrame(wider)


def test_write_from_catalog_with_enable_update_catalog_adds_partitions_and_columns(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket, _ = mount_bucket(glue_context, tmp_path)
    frame = _frame(glue_context, [(1, 9.5, "eu")], "id bigint, price double, region string")
    with moto_catalog(monkeypatch) as client:
        client.create_table(
            DatabaseName="db",
            TableInput={
                "Name": "sales",
                "Parameters": {"classification": "parquet"},
                "StorageDescriptor": {
                    "Location": f"s3://{bucket}/sales/",
                    "Columns": [{"Name": "id", "Type": "bigint"}],
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    },
                },
                "PartitionKeys": [{"Name": "region", "Type": "string"}],
            },
        )
        glue_context.write_dynamic_frame.from_catalog(
            frame=frame,
            database="db",
            table_name="sales",
            additional_options={"enableUpdateCatalog": True, "partitionKeys": ["region"]},
        )
        table = client.get_table(DatabaseName="db", Name="sales")["Table"]
        assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "price"]
        assert _partitions(client, "sales") == [(["eu"], f"s3://{bucket}/sales/region=eu/")]
        with pytest.raises(ValueError, match="updateBehavior 'MERGE'"):
            glue_context.write_dynamic_frame.from_catalog(
                frame=frame,
                database="db",
                table_name="sales",
                additional_options={"enableUpdateCatalog": True, "updateBehavior": "MERGE"},
            )
