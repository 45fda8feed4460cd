"""Crawler schedules on a fake clock, with a recording Glue client in place of the server's API.

- A crawler's ``Schedule`` is AWS's six-field cron, UTC; its schedule State is SCHEDULED or NOT_SCHEDULED
  (StartCrawlerSchedule / StopCrawlerSchedule): https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-scheduler.html
  and https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
- A scheduled start while the crawler still runs fails with CrawlerRunningException and that start is
  skipped: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-crawling.html#aws-glue-api-crawler-crawling-StartCrawler
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from glue_flow_local.glue.crawler.schedules import CrawlerSchedules
from glue_flow_local.glue.workflows.clock import GlueClock
from glue_flow_local.protocol.errors import GlueApiError
from test_glue.workflows.test_engine import FakeTime

REGION = "us-east-1"


class RecordingCrawlers:
    """GetCrawlers answered from a list; StartCrawler recorded, refused while ``busy``."""

    def __init__(self, *crawlers: dict[str, Any]) -> None:
        self.crawlers = list(crawlers)
        self.started: list[str] = []
        self.refused: list[str] = []
        self.busy: set[str] = set()

    def get_paginator(self, name: str) -> Any:
        assert name == "get_crawlers"
        crawlers = self.crawlers
        return type("Pages", (), {"paginate": lambda self: [{"Crawlers": list(crawlers)}]})()

    def start_crawler(self, Name: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
        if Name in self.busy:
            self.refused.append(Name)
            error = {
                "Error": {
                    "Code": "CrawlerRunningException",
                    "Message": f"Crawler with name {Name} has already started",
                }
            }
            raise ClientError(error, "StartCrawler")  # type: ignore[arg-type]
        self.started.append(Name)
        self.busy.add(Name)
        return {}


def schedules_at(glue: RecordingCrawlers, wall: datetime) -> tuple[CrawlerSchedules, FakeTime]:
    fake = FakeTime()
    schedules = CrawlerSchedules(lambda region: glue, GlueClock(60.0, wall=lambda: wall, monotonic=fake))
    schedules.watch(REGION)
    schedules.shutdown()  # the test drives the ticks itself
    return schedules, fake


def crawler(name: str, schedule: str) -> dict[str, Any]:
    return {"Name": name, "Schedule": {"ScheduleExpression": schedule, "State": "SCHEDULED"}}


def test_a_scheduled_crawler_starts_at_its_cron_times_and_a_start_while_running_is_skipped() -> None:
    glue = RecordingCrawlers(crawler("landing", "cron(0 3 * * ? *)"))
    schedules, fake = schedules_at(glue, datetime(2026, 12, 7, 2, 58, tzinfo=UTC))

    schedules.tick()  # 02:58: learns the next time, 03:00
    fake.value = 90  # 02:59:30
    schedules.tick()
    assert glue.started == []
    fake.value = 120  # 03:00
    schedules.tick()
    assert glue.started == ["landing"]
    fake.value = 24 * 3600 + 120  # the next day at 03:00, the crawl still running: this start is skipped
    schedules.tick()
    assert (glue.started, glue.refused) == (["landing"], ["landing"])
    glue.busy.clear()
    fake.value = 2 * 24 * 3600 + 120  # the day after, at 03:00: it starts again
    schedules.tick()
    assert glue.started == ["landing", "landing"]


def test_a_stopped_schedule_does_not_start_the_crawler_until_started_again() -> None:
    glue = RecordingCrawlers(crawler("landing", "cron(*/5 * * * ? *)"))
    schedules, fake = schedules_at(glue, datetime(2026, 12, 7, 2, 58, tzinfo=UTC))
    answers = {"GetCrawler": {"Crawler": glue.crawlers[0]}}
    actions = schedules.actions(lambda environ, action, request: answers[action])
    environ: dict[str, Any] = {}

    actions["StopCrawlerSchedule"](environ, REGION, {"CrawlerName": "landing"})
    assert schedules.decorate(REGION, glue.crawlers[0])["Schedule"]["State"] == "NOT_SCHEDULED"
    schedules.tick()
    fake.value = 180  # 03:01, past 03:00
    schedules.tick()
    assert glue.started == []

    actions["StartCrawlerSchedule"](environ, REGION, {"CrawlerName": "landing"})
    assert schedules.decorate(REGION, glue.crawlers[0])["Schedule"]["State"] == "SCHEDULED"
    schedules.tick()  # 03:01: next time 03:05, not the 03:00 missed while NOT_SCHEDULED
    assert glue.started == []
    fake.value = 420  # 03:05
    schedules.tick()
    assert glue.started == ["landing"]


def test_schedule_state_changes_refused_as_aws_refuses_them() -> None:
    glue = RecordingCrawlers(crawler("landing", "cron(0 3 * * ? *)"), {"Name": "adhoc"})
    schedules, _ = schedules_at(glue, datetime(2026, 12, 7, tzinfo=UTC))
    by_name = {c["Name"]: c for c in glue.crawlers}
    actions = schedules.actions(lambda environ, action, request: {"Crawler": by_name[request["Name"]]})

    def code(action: str, name: str) -> str:
        with pytest.raises(GlueApiError) as caught:
            actions[action]({}, REGION, {"CrawlerName": name})
        assert name in caught.value.message
        return caught.value.code

    assert code("StartCrawlerSchedule", "landing") == "SchedulerRunningException"
    assert code("StartCrawlerSchedule", "adhoc") == "NoScheduleException"
    assert code("StopCrawlerSchedule", "adhoc") == "SchedulerNotRunningException"
    actions["StopCrawlerSchedule"]({}, REGION, {"CrawlerName": "landing"})
    assert code("StopCrawlerSchedule", "landing") == "SchedulerNotRunningException"
    assert "Schedule" not in schedules.decorate(REGION, by_name["adhoc"])
