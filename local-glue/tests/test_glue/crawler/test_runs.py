"""Crawl runs in the local Glue, through plain boto3 clients: states, stop, metrics, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from local_glue_support import MIN_CRAWL_SECONDS, SEED_COLUMNS, log_messages, wait_for_crawl
from local_glue_support import SEED_CSV_PATH as SEED_CSV

pytestmark = pytest.mark.slow


def _columns(table: dict) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def _crawler(glue, name: str, path: str, database: str = "se2", prefix: str | None = "se2_") -> None:
    kwargs = {"TablePrefix": prefix} if prefix is not None else {}
    glue.create_crawler(
        Name=name, Role="glue-role", DatabaseName=database, Targets={"S3Targets": [{"Path": path}]}, **kwargs
    )


def test_seed_csv_crawl_gives_the_seed_schema(glue_client, s3_client, logs_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="se2/in0/", Body=b"")
    s3_client.put_object(Bucket=bucket, Key="se2/in0/csvlog.csv", Body=SEED_CSV.read_bytes())
    name, database = unique("se2_in0"), unique("se2")
    _crawler(glue_client, name, f"s3://{bucket}/se2/in0/", database=database)

    glue_client.start_crawler(Name=name)
    assert glue_client.get_crawler(Name=name)["Crawler"]["State"] == "RUNNING"
    crawler = wait_for_crawl(glue_client, name)

    last = crawler["LastCrawl"]
    assert last["Status"] == "SUCCEEDED"
    assert "ErrorMessage" not in last
    assert (last["LogGroup"], last["LogStream"]) == ("/aws-glue/crawlers", name)
    table = glue_client.get_table(DatabaseName=database, Name="se2_in0")["Table"]
    assert _columns(table) == SEED_COLUMNS
    descriptor = table["StorageDescriptor"]
    assert descriptor["Location"] == f"s3://{bucket}/se2/in0/"
    assert descriptor["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert descriptor["SerdeInfo"]["Parameters"] == {"field.delim": ","}
    assert table["Parameters"]["classification"] == "csv"
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert table["Parameters"]["recordCount"] == "19"
    assert table["PartitionKeys"] == []
    metrics = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert (metrics["TablesCreated"], metrics["TablesUpdated"]) == (1, 0)
    messages = log_messages(logs_client, "/aws-glue/crawlers", name)
    assert any(f"Created table se2_in0 in database {database}" in m for m in messages)
    assert all(m.startswith(f"[{last['MessagePrefix']}]") for m in messages)


def test_second_crawl_updates_the_table(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="logs/a.csv", Body=b"name,count\nx,1\ny,2\n")
    name, database = unique("crawler"), unique("db")
    _crawler(glue_client, name, f"s3://{bucket}/logs", database=database, prefix=None)
    glue_client.start_crawler(Name=name)
    wait_for_crawl(glue_client, name)
    s3_client.put_object(Bucket=bucket, Key="logs/b.csv", Body=b"name,count\nz,1.5\nw,2\n")

    glue_client.start_crawler(Name=name)
    crawler = wait_for_crawl(glue_client, name)

    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    table = glue_client.get_table(DatabaseName=database, Name="logs")["Table"]
    assert _columns(table) == [("name", "string"), ("count", "double")]
    metrics = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert (metrics["TablesCreated"], metrics["TablesUpdated"]) == (0, 1)


def test_json_lines_are_classified_as_json(glue_client, s3_client, bucket, unique):
    lines = [
        {"id": 1, "score": 1.5, "ok": True, "name": "a", "tags": ["x"], "geo": {"lat": 1.0}},
        {"id": 2, "score": 2, "ok": False, "name": None, "tags": [], "geo": {"lat": 2.5}},
    ]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    s3_client.put_object(Bucket=bucket, Key="json/in/data.json", Body=body)
    name, database = unique("crawler"), unique("db")
    _crawler(glue_client, name, f"s3://{bucket}/json/in/", database=database, prefix="")

    glue_client.start_crawler(Name=name)
    assert wait_for_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"

    table = glue_client.get_table(DatabaseName=database, Name="in")["Table"]
    assert _columns(table) == [
        ("id", "bigint"),
        ("score", "double"),
        ("ok", "boolean"),
        ("name", "string"),
        ("tags", "array<string>"),
        ("geo", "struct<lat:double>"),
    ]
    assert table["Parameters"]["classification"] == "json"
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.openx.data.jsonserde.JsonSerDe"
    )


def test_start_while_running_raises_crawler_running_and_stop_cancels(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"a,b\nx,1\n")
    name, database = unique("crawler"), unique("db")
    _crawler(glue_client, name, f"s3://{bucket}/in/", database=database)
    glue_client.start_crawler(Name=name)

    with pytest.raises(glue_client.exceptions.CrawlerRunningException, match="already started"):
        glue_client.start_crawler(Name=name)
    glue_client.stop_crawler(Name=name)
    # https://docs.aws.amazon.com/glue/latest/webapi/API_StopCrawler.html: a stopping crawl is STOPPING.
    assert glue_client.get_crawler(Name=name)["Crawler"]["State"] == "STOPPING"
    with pytest.raises(glue_client.exceptions.CrawlerStoppingException):
        glue_client.stop_crawler(Name=name)
    crawler = wait_for_crawl(glue_client, name)

    assert crawler["LastCrawl"]["Status"] == "CANCELLED"
    with pytest.raises(glue_client.exceptions.CrawlerNotRunningException):
        glue_client.stop_crawler(Name=name)
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_table(DatabaseName=database, Name="se2_in")


def test_unknown_crawler_is_entity_not_found(glue_client):
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.start_crawler(Name="no-such-crawler")
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_crawler(Name="no-such-crawler")


def test_new_crawler_is_ready_without_last_crawl(glue_client, bucket, unique):
    name = unique("crawler")
    _crawler(glue_client, name, f"s3://{bucket}/x/")

    crawler = glue_client.get_crawler(Name=name)["Crawler"]

    assert crawler["State"] == "READY"
    assert "LastCrawl" not in crawler


def test_seed_fixture_is_the_seed_csv():
    text = Path(SEED_CSV).read_text(encoding="utf-8")
    rows = text.splitlines()
    assert rows[0] == "deviceid,uuid,appid,country,year,month,day,hour"
    assert len(rows) == 20


def test_batch_get_crawlers_and_get_crawlers_show_the_real_state(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"a,b\nx,1\n")
    running, idle = unique("running"), unique("idle")
    _crawler(glue_client, running, f"s3://{bucket}/in/", database=unique("db"))
    _crawler(glue_client, idle, f"s3://{bucket}/in/", database=unique("db"))
    glue_client.start_crawler(Name=running)

    batch = glue_client.batch_get_crawlers(CrawlerNames=[running, idle, "no-such-crawler"])
    listed = {c["Name"]: c["State"] for c in glue_client.get_crawlers(MaxResults=1000)["Crawlers"]}

    assert {c["Name"]: c["State"] for c in batch["Crawlers"]} == {running: "RUNNING", idle: "READY"}
    assert batch["CrawlersNotFound"] == ["no-such-crawler"]
    assert (listed[running], listed[idle]) == ("RUNNING", "READY")
    assert wait_for_crawl(glue_client, running)["LastCrawl"]["Status"] == "SUCCEEDED"


def test_crawler_metrics_follow_the_crawls(glue_client, s3_client, bucket, unique):
    # https://docs.aws.amazon.com/glue/latest/webapi/API_CrawlerMetrics.html
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"a,b\nx,1\n")
    name = unique("crawler")
    _crawler(glue_client, name, f"s3://{bucket}/in/", database=unique("db"))
    glue_client.start_crawler(Name=name)
    first = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    wait_for_crawl(glue_client, name)
    glue_client.start_crawler(Name=name)
    second = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    wait_for_crawl(glue_client, name)
    done = glue_client.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]

    assert first["StillEstimating"] is True
    assert second["StillEstimating"] is False and second["TimeLeftSeconds"] >= 0
    # The local Glue's crawls last at least the configured minimum (the tests' server sets it).
    assert done["LastRuntimeSeconds"] >= MIN_CRAWL_SECONDS
    assert done["MedianRuntimeSeconds"] >= MIN_CRAWL_SECONDS
    assert (done["TablesCreated"], done["TablesUpdated"], done["StillEstimating"]) == (0, 0, False)


@pytest.mark.parametrize(
    ("extra", "feature"),
    [
        ({"Targets": {"JdbcTargets": [{"ConnectionName": "c", "Path": "db/%"}]}}, "JdbcTargets"),
        ({"RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVENT_MODE"}}, "CRAWL_EVENT_MODE"),
    ],
    ids=["jdbc", "event-mode"],
)
def test_what_the_local_glue_cannot_crawl_fails_naming_it(
    glue_client, s3_client, bucket, unique, extra, feature
):
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"a,b\nx,1\n")
    name = unique("crawler")
    targets = {"S3Targets": [{"Path": f"s3://{bucket}/in/"}], **extra.pop("Targets", {})}
    glue_client.create_crawler(Name=name, Role="r", DatabaseName=unique("db"), Targets=targets, **extra)

    glue_client.start_crawler(Name=name)
    last = wait_for_crawl(glue_client, name)["LastCrawl"]

    assert last["Status"] == "FAILED"
    assert feature in last["ErrorMessage"]
