"""What a crawl writes to the Data Catalog, through plain boto3 clients against the local Glue.

Table parameters: https://docs.aws.amazon.com/glue/latest/dg/table-properties-crawler.html
SchemaChangePolicy: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-glue-crawler-schemachangepolicy.html
RecrawlPolicy: https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html
"""

from __future__ import annotations

import bz2
import gzip
import io
import threading

import pyarrow as pa
import pyarrow.orc as pa_orc
import pyarrow.parquet as pq
import pytest
from local_glue_support import wait_for_crawl

from test_glue.crawler.crawls import columns, create_crawler, run_crawl, tables

pytestmark = pytest.mark.slow

CSV = b"name,count\nx,1\ny,2\n"
ARROW = pa.table({"id": pa.array([1, 2], pa.int64()), "name": pa.array(["a", "b"])})


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(ARROW, out)
    return out.getvalue()


def _orc() -> bytes:
    out = io.BytesIO()
    pa_orc.write_table(ARROW, out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("key", "make", "classification", "compression", "serde"),
    [
        (
            "d.parquet",
            _parquet,
            "parquet",
            "none",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        ),
        ("d.orc", _orc, "orc", "none", "org.apache.hadoop.hive.ql.io.orc.OrcSerde"),
        (
            "d.csv.gz",
            lambda: gzip.compress(CSV),
            "csv",
            "gzip",
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        ),
        (
            "d.csv.bz2",
            lambda: bz2.compress(CSV),
            "csv",
            "bzip2",
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        ),
    ],
    ids=["parquet", "orc", "gzip", "bzip2"],
)
def test_each_format_gets_its_classification_compression_and_serde(
    glue_client, s3_client, bucket, unique, key, make, classification, compression, serde
):
    s3_client.put_object(Bucket=bucket, Key=f"data/{key}", Body=make())
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/data/"], database)

    assert run_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"

    table = glue_client.get_table(DatabaseName=database, Name="data")["Table"]
    assert table["Parameters"]["classification"] == classification
    assert table["Parameters"]["compressionType"] == compression
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == serde
    expected = (
        [("id", "bigint"), ("name", "string")]
        if classification != "csv"
        else [("name", "string"), ("count", "bigint")]
    )
    assert columns(table) == expected


def test_csv_table_has_the_parameters_a_crawler_writes(glue_client, s3_client, bucket, unique):
    body = b'city,pop\n"Tokyo, JP",14\n"Paris, FR",2\n'
    s3_client.put_object(Bucket=bucket, Key="cities/a.csv", Body=body)
    s3_client.put_object(Bucket=bucket, Key="cities/b.csv", Body=body)
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/cities/"], database)

    run_crawl(glue_client, name)

    table = glue_client.get_table(DatabaseName=database, Name="cities")["Table"]
    parameters = table["Parameters"]
    assert {k: parameters[k] for k in ("classification", "compressionType", "delimiter", "typeOfData")} == {
        "classification": "csv",
        "compressionType": "none",
        "delimiter": ",",
        "typeOfData": "file",
    }
    assert parameters["skip.header.line.count"] == "1"
    assert parameters["areColumnsQuoted"] == "true"
    assert (parameters["objectCount"], parameters["recordCount"]) == ("2", "4")
    assert parameters["sizeKey"] == str(2 * len(body))
    assert parameters["averageRecordSize"] == str(2 * len(body) // 4)
    assert parameters["UPDATED_BY_CRAWLER"] == name
    serde = table["StorageDescriptor"]["SerdeInfo"]
    assert serde == {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
        "Parameters": {"separatorChar": ",", "quoteChar": '"'},
    }


@pytest.mark.parametrize(
    ("update", "delete", "keep_count", "gone", "metrics"),
    [
        ("UPDATE_IN_DATABASE", "DELETE_FROM_DATABASE", "double", None, (0, 1, 1)),
        ("UPDATE_IN_DATABASE", "DEPRECATE_IN_DATABASE", "double", "deprecated", (0, 2, 0)),
        ("LOG", "LOG", "bigint", "kept", (0, 0, 0)),
    ],
)
def test_second_crawl_follows_the_schema_change_policy(
    glue_client, s3_client, bucket, unique, update, delete, keep_count, gone, metrics
):
    s3_client.put_object(Bucket=bucket, Key="keep/a.csv", Body=CSV)
    s3_client.put_object(Bucket=bucket, Key="gone/a.csv", Body=CSV)
    name, database = unique("crawler"), unique("db")
    paths = [f"s3://{bucket}/keep/", f"s3://{bucket}/gone/"]
    policy = {"UpdateBehavior": update, "DeleteBehavior": delete}
    create_crawler(glue_client, name, paths, database, SchemaChangePolicy=policy)
    run_crawl(glue_client, name)
    s3_client.delete_object(Bucket=bucket, Key="gone/a.csv")
    s3_client.put_object(Bucket=bucket, Key="keep/a.csv", Body=b"name,count\nz,1.5\nw,2\n")

    assert run_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"

    found = tables(glue_client, database)
    assert columns(found["keep"]) == [("name", "string"), ("count", keep_count)]
    if gone is None:
        assert "gone" not in found
    else:
        # DEPRECATE_IN_DATABASE marks the table with the time it was found gone (epoch milliseconds).
        marked = found["gone"]["Parameters"].get("DEPRECATED_BY_CRAWLER", "")
        assert marked.isdigit() == (gone == "deprecated")
    reported = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert (reported["TablesCreated"], reported["TablesUpdated"], reported["TablesDeleted"]) == metrics


def test_delete_from_database_drops_partitions_whose_folder_is_gone(glue_client, s3_client, bucket, unique):
    for month in ("01", "02"):
        s3_client.put_object(Bucket=bucket, Key=f"ev/month={month}/a.csv", Body=CSV)
    name, database = unique("crawler"), unique("db")
    policy = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DELETE_FROM_DATABASE"}
    create_crawler(glue_client, name, [f"s3://{bucket}/ev/"], database, SchemaChangePolicy=policy)
    run_crawl(glue_client, name)
    s3_client.delete_object(Bucket=bucket, Key="ev/month=01/a.csv")

    run_crawl(glue_client, name)

    partitions = glue_client.get_partitions(DatabaseName=database, TableName="ev")["Partitions"]
    assert [p["Values"] for p in partitions] == [["02"]]


def test_crawl_new_folders_only_reads_only_new_folders(glue_client, s3_client, logs_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="ev/month=01/a.csv", Body=CSV)
    name, database = unique("crawler"), unique("db")
    create_crawler(
        glue_client,
        name,
        [f"s3://{bucket}/ev/"],
        database,
        SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
    )
    run_crawl(glue_client, name)
    s3_client.put_object(Bucket=bucket, Key="ev/month=02/a.csv", Body=CSV)
    # A full crawl would see this JSON and split the folder into tables; an incremental one never reads it.
    s3_client.put_object(Bucket=bucket, Key="ev/month=01/b.json", Body=b'{"other": 1}\n')

    assert run_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"

    assert sorted(tables(glue_client, database)) == ["ev"]
    partitions = glue_client.get_partitions(DatabaseName=database, TableName="ev")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["01"], ["02"]]


def test_concurrent_crawls_into_one_new_database_all_succeed(glue_client, s3_client, bucket, unique):
    # Crawlers started at once must not race on creating the database or a shared table.
    database = unique("db")
    names = []
    for index in range(6):
        s3_client.put_object(Bucket=bucket, Key=f"t{index}/a.csv", Body=CSV)
        names.append(unique(f"c{index}"))
        create_crawler(glue_client, names[-1], [f"s3://{bucket}/t{index}/"], database)
    s3_client.put_object(Bucket=bucket, Key="shared/a.csv", Body=CSV)
    for index in range(3):
        names.append(unique(f"s{index}"))
        create_crawler(glue_client, names[-1], [f"s3://{bucket}/shared/"], database)
    threads = [threading.Thread(target=glue_client.start_crawler, kwargs={"Name": n}) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = {n: wait_for_crawl(glue_client, n)["LastCrawl"] for n in names}

    assert {n: last["Status"] for n, last in statuses.items()} == dict.fromkeys(names, "SUCCEEDED"), statuses
    assert sorted(tables(glue_client, database)) == sorted([f"t{i}" for i in range(6)] + ["shared"])


def test_same_table_name_from_another_location_gets_a_hash_suffix(glue_client, s3_client, bucket, unique):
    # AWS appends a hash to the name of a table whose name is taken by another location.
    s3_client.put_object(Bucket=bucket, Key="x/in0/a.csv", Body=CSV)
    s3_client.put_object(Bucket=bucket, Key="y/in0/a.csv", Body=CSV)
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/x/in0/", f"s3://{bucket}/y/in0/"], database)

    run_crawl(glue_client, name)
    run_crawl(glue_client, name)

    found = tables(glue_client, database)
    assert len(found) == 2
    assert found["in0"]["StorageDescriptor"]["Location"] == f"s3://{bucket}/x/in0/"
    (other,) = (t for n, t in found.items() if n != "in0")
    assert (
        other["Name"].startswith("in0_") and other["StorageDescriptor"]["Location"] == f"s3://{bucket}/y/in0/"
    )
