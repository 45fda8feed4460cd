"""A crawler's Configuration JSON in the local Glue, through plain boto3 clients.

Options: https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html
One schema per include path (the example below is AWS's): https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html
"""

from __future__ import annotations

import json

import pytest

from test_glue.crawler.crawls import columns, create_crawler, run_crawl, tables

pytestmark = pytest.mark.slow

COMBINE = {"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}}


@pytest.mark.parametrize("combine", [False, True], ids=["default", "combine"])
def test_combine_compatible_schemas_makes_one_table(glue_client, s3_client, bucket, unique, combine):
    s3_client.put_object(Bucket=bucket, Key="table1/year=2017/data1.json", Body=b'{"A": 1, "B": 2}\n')
    s3_client.put_object(Bucket=bucket, Key="table1/year=2018/data2.json", Body=b'{"C": 3, "D": 4}\n')
    name, database = unique("crawler"), unique("db")
    extra = {"Configuration": json.dumps(COMBINE)} if combine else {}
    create_crawler(glue_client, name, [f"s3://{bucket}/table1/"], database, **extra)

    run_crawl(glue_client, name)

    found = tables(glue_client, database)
    if combine:
        assert sorted(found) == ["table1"]
        assert columns(found["table1"]) == [
            ("a", "bigint"),
            ("b", "bigint"),
            ("c", "bigint"),
            ("d", "bigint"),
        ]
        assert found["table1"]["PartitionKeys"] == [{"Name": "year", "Type": "string"}]
    else:
        assert sorted(found) == ["year_2017", "year_2018"]


def test_merge_new_columns_only_adds_columns(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="ev/a.json", Body=b'{"a": 1, "b": 2}\n')
    name, database = unique("crawler"), unique("db")
    config = {"Version": 1.0, "CrawlerOutput": {"Tables": {"AddOrUpdateBehavior": "MergeNewColumns"}}}
    create_crawler(glue_client, name, [f"s3://{bucket}/ev/"], database, Configuration=json.dumps(config))
    run_crawl(glue_client, name)
    s3_client.put_object(Bucket=bucket, Key="ev/a.json", Body=b'{"a": 1, "b": "x", "c": true}\n')

    run_crawl(glue_client, name)

    table = glue_client.get_table(DatabaseName=database, Name="ev")["Table"]
    assert columns(table) == [("a", "bigint"), ("b", "bigint"), ("c", "boolean")]


@pytest.mark.parametrize("inherit", [False, True], ids=["default", "inherit-from-table"])
def test_inherit_from_table_gives_old_partitions_the_new_schema(
    glue_client, s3_client, bucket, unique, inherit
):
    s3_client.put_object(Bucket=bucket, Key="ev/month=01/a.json", Body=b'{"a": 1, "b": 2, "c": 3}\n')
    name, database = unique("crawler"), unique("db")
    config = {"Version": 1.0, "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}}}
    extra = {"Configuration": json.dumps(config)} if inherit else {}
    create_crawler(glue_client, name, [f"s3://{bucket}/ev/"], database, **extra)
    run_crawl(glue_client, name)
    s3_client.put_object(Bucket=bucket, Key="ev/month=02/a.json", Body=b'{"a": 1, "b": 2, "c": 3, "d": 4}\n')

    run_crawl(glue_client, name)

    assert sorted(tables(glue_client, database)) == ["ev"]
    partition = glue_client.get_partition(DatabaseName=database, TableName="ev", PartitionValues=["01"])
    old = [c["Name"] for c in partition["Partition"]["StorageDescriptor"]["Columns"]]
    assert old == (["a", "b", "c", "d"] if inherit else ["a", "b", "c"])


def test_table_threshold_fails_a_crawl_that_finds_more_tables(glue_client, s3_client, bucket, unique):
    for key, body in (
        ("a.csv", b"a,b\nx,1\ny,2\n"),
        ("b.json", b'{"z": 1}\n'),
        ("c.csv", b"c,d,e\nx,2,3\ny,5,6\n"),
    ):
        s3_client.put_object(Bucket=bucket, Key=f"mixed/{key}", Body=body)
    name, database = unique("crawler"), unique("db")
    config = {"Version": 1.0, "CrawlerOutput": {"Tables": {"TableThreshold": 2}}}
    create_crawler(glue_client, name, [f"s3://{bucket}/mixed/"], database, Configuration=json.dumps(config))

    last = run_crawl(glue_client, name)["LastCrawl"]

    assert last["Status"] == "FAILED"
    assert "table threshold value provided: 2" in last["ErrorMessage"]


def test_options_the_local_glue_does_not_apply_fail_the_crawl_naming_them(
    glue_client, s3_client, bucket, unique
):
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"a,b\nx,1\n")
    name = unique("crawler")
    config = {"Version": 1.0, "Grouping": {"TableLevelConfiguration": 3}}
    create_crawler(glue_client, name, [f"s3://{bucket}/in/"], unique("db"), Configuration=json.dumps(config))

    last = run_crawl(glue_client, name)["LastCrawl"]

    assert last["Status"] == "FAILED"
    assert "Grouping.TableLevelConfiguration" in last["ErrorMessage"]
