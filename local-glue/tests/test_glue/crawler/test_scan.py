"""Tables and partitions a crawl makes from S3 folders, through plain boto3 clients against the local Glue.

AWS's rules: https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html (one
table with partitions when schemas are alike, separate tables when not; ``partition_0``, ...) and
https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html (UNKNOWN when no classifier matches).
"""

from __future__ import annotations

import pytest

from test_glue.crawler.crawls import columns, create_crawler, run_crawl, tables

pytestmark = pytest.mark.slow

CSV = b"device,hits\niphone,1\nandroid,3\n"


def test_hive_folders_become_partition_keys_and_partitions(glue_client, s3_client, bucket, unique):
    for year, month in (("2024", "01"), ("2024", "02"), ("2025", "01")):
        s3_client.put_object(Bucket=bucket, Key=f"events/year={year}/month={month}/part.csv", Body=CSV)
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/events/"], database)

    assert run_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"

    table = glue_client.get_table(DatabaseName=database, Name="events")["Table"]
    assert table["PartitionKeys"] == [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}]
    partitions = glue_client.get_partitions(DatabaseName=database, TableName="events")["Partitions"]
    assert sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions) == [
        (["2024", "01"], f"s3://{bucket}/events/year=2024/month=01/"),
        (["2024", "02"], f"s3://{bucket}/events/year=2024/month=02/"),
        (["2025", "01"], f"s3://{bucket}/events/year=2025/month=01/"),
    ]
    assert table["Parameters"]["objectCount"] == "3"
    # Each partition carries its own counts, as a crawler writes them.
    counts = {
        tuple(p["Values"]): (p["Parameters"]["objectCount"], p["Parameters"]["recordCount"])
        for p in partitions
    }
    assert counts == dict.fromkeys([("2024", "01"), ("2024", "02"), ("2025", "01")], ("1", "2"))
    assert partitions[0]["StorageDescriptor"]["SerdeInfo"] == table["StorageDescriptor"]["SerdeInfo"]


def test_plain_folders_become_partition_0_and_partition_1(glue_client, s3_client, bucket, unique):
    for day in ("2024/01", "2024/02"):
        s3_client.put_object(Bucket=bucket, Key=f"logs/{day}/part.csv", Body=CSV)
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/logs/"], database)

    run_crawl(glue_client, name)

    table = glue_client.get_table(DatabaseName=database, Name="logs")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["partition_0", "partition_1"]
    partitions = glue_client.get_partitions(DatabaseName=database, TableName="logs")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["2024", "01"], ["2024", "02"]]


def test_incompatible_files_in_one_folder_become_one_table_each(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="mixed/a.csv", Body=b"a,b\nx,1\ny,2\n")
    s3_client.put_object(Bucket=bucket, Key="mixed/b.json", Body=b'{"a": 1}\n')
    s3_client.put_object(Bucket=bucket, Key="mixed/c.csv", Body=b"c,d,e\nx,2,3\ny,5,6\n")
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/mixed/"], database)

    crawler = run_crawl(glue_client, name)

    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    found = tables(glue_client, database)
    assert sorted(found) == ["a_csv", "b_json", "c_csv"]
    assert found["b_json"]["Parameters"]["classification"] == "json"
    assert found["a_csv"]["StorageDescriptor"]["Location"] == f"s3://{bucket}/mixed/a.csv"
    metrics = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 3


def test_folders_with_different_schemas_become_separate_tables(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="lake/sales/part.csv", Body=b"item,price\na,1.5\nb,2\n")
    s3_client.put_object(Bucket=bucket, Key="lake/users/part.json", Body=b'{"id": 1, "name": "x"}\n')
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/lake/"], database, prefix="raw_")

    run_crawl(glue_client, name)

    found = tables(glue_client, database)
    assert sorted(found) == ["raw_sales", "raw_users"]
    assert found["raw_sales"]["StorageDescriptor"]["Location"] == f"s3://{bucket}/lake/sales/"
    assert found["raw_sales"]["PartitionKeys"] == []
    assert columns(found["raw_users"]) == [("id", "bigint"), ("name", "string")]


@pytest.mark.parametrize(
    "body",
    ["名前,数\nあ,1\nい,2\n".encode("cp932"), b"\x00\x01\x02binary"],
    ids=["cp932", "binary"],
)
def test_unreadable_objects_give_an_unknown_table_and_the_crawl_succeeds(
    glue_client, s3_client, bucket, unique, body
):
    s3_client.put_object(Bucket=bucket, Key="odd/x.dat", Body=body)
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/odd/"], database)

    crawler = run_crawl(glue_client, name)

    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    table = glue_client.get_table(DatabaseName=database, Name="odd")["Table"]
    assert table["Parameters"]["classification"] == "UNKNOWN"
    assert table["StorageDescriptor"]["Columns"] == []


def test_empty_path_succeeds_without_tables(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="empty/", Body=b"")
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/empty/"], database)

    assert run_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"
    assert tables(glue_client, database) == {}


@pytest.mark.parametrize(
    ("object_key", "body", "feature"),
    [
        ("x/a.xml", b"<rows><row a='1'/></rows>", "XML classifier"),
        ("x/a.lz4", b"\x04\x22\x4d\x18data", "lz4"),
    ],
    ids=["xml", "lz4"],
)
def test_formats_the_local_glue_cannot_read_fail_the_crawl_naming_them(
    glue_client, s3_client, bucket, unique, object_key, body, feature
):
    s3_client.put_object(Bucket=bucket, Key=object_key, Body=body)
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/x/"], database)

    last = run_crawl(glue_client, name)["LastCrawl"]

    assert last["Status"] == "FAILED"
    assert feature in last["ErrorMessage"] and object_key in last["ErrorMessage"]
