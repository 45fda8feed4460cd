"""Crawler schedules through the server's Glue API (the test server's Glue minutes last 1 s).

- CreateCrawler ``Schedule``, UpdateCrawlerSchedule, StartCrawlerSchedule, StopCrawlerSchedule and the
  schedule ``State`` in GetCrawler: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-scheduler.html
- AWS's cron expressions: https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from test_glue.crawler.crawls import create_crawler

pytestmark = pytest.mark.slow
EVERY_MINUTE = "cron(* * * * ? *)"


def wait_for_scheduled_crawl(
    glue: Any, name: str, after: Any = None, timeout: float = 30.0
) -> dict[str, Any]:
    """Poll GetCrawler until a crawl (one started after ``after``) has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler: dict[str, Any] = glue.get_crawler(Name=name)["Crawler"]
        last = crawler.get("LastCrawl")
        if crawler["State"] == "READY" and last and (after is None or last["StartTime"] > after):
            return crawler
        time.sleep(0.1)
    raise AssertionError(f"crawler {name} was not started by its schedule within {timeout}s")


def test_a_scheduled_crawler_crawls_on_its_own_until_its_schedule_is_stopped(
    glue_client: Any, s3_client: Any, bucket: str, unique: Any
) -> None:
    name, database = unique("scheduled"), unique("db")
    glue_client.create_database(DatabaseInput={"Name": database})
    s3_client.put_object(Bucket=bucket, Key="landing/orders/part-0.csv", Body=b"id,total\n1,9.5\n2,3.0\n")
    create_crawler(glue_client, name, [f"s3://{bucket}/landing/orders/"], database, Schedule=EVERY_MINUTE)

    crawled = wait_for_scheduled_crawl(glue_client, name)  # nobody called StartCrawler

    assert crawled["Schedule"] == {"ScheduleExpression": EVERY_MINUTE, "State": "SCHEDULED"}
    assert crawled["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue_client.get_table(DatabaseName=database, Name="orders")["Table"]["Name"] == "orders"

    glue_client.stop_crawler_schedule(CrawlerName=name)
    stopped = glue_client.get_crawler(Name=name)["Crawler"]
    assert stopped["Schedule"]["State"] == "NOT_SCHEDULED"
    if stopped["State"] != "READY":  # a crawl under way goes on
        stopped = wait_for_scheduled_crawl(glue_client, name)
    time.sleep(3)  # three Glue minutes
    assert glue_client.get_crawler(Name=name)["Crawler"]["LastCrawl"] == stopped["LastCrawl"]

    glue_client.update_crawler_schedule(CrawlerName=name, Schedule="cron(*/2 * * * ? *)")
    glue_client.start_crawler_schedule(CrawlerName=name)
    again = wait_for_scheduled_crawl(glue_client, name, after=stopped["LastCrawl"]["StartTime"])
    assert again["Schedule"] == {"ScheduleExpression": "cron(*/2 * * * ? *)", "State": "SCHEDULED"}
    glue_client.stop_crawler_schedule(CrawlerName=name)


def test_schedules_that_are_not_aws_cron_are_refused_naming_the_crawler(
    glue_client: Any, bucket: str, unique: Any
) -> None:
    name = unique("badly-scheduled")
    with pytest.raises(ClientError) as created:
        create_crawler(glue_client, name, [f"s3://{bucket}/x/"], "db", Schedule="cron(0 3 * * *)")
    assert created.value.response["Error"]["Code"] == "InvalidInputException"
    assert name in created.value.response["Error"]["Message"]

    create_crawler(glue_client, name, [f"s3://{bucket}/x/"], "db")
    with pytest.raises(ClientError) as updated:
        glue_client.update_crawler_schedule(CrawlerName=name, Schedule="rate(5 minutes)")
    assert updated.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as started:
        glue_client.start_crawler_schedule(CrawlerName=name)
    assert started.value.response["Error"]["Code"] == "NoScheduleException"
    assert "Schedule" not in glue_client.get_crawler(Name=name)["Crawler"]
