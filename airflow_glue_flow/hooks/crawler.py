"""Start a Glue crawl (or adopt the running one) and wait for it with the seed's bounded check loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.crawl_check import as_utc
from airflow_glue_flow.exceptions import GlueCrawlerRunningError
from airflow_glue_flow.hooks.aws_errors import StandardRetriesMixin, error_code, error_message
from airflow_glue_flow.states import CRAWL_FAILURE_STATES, CRAWL_SUCCESS_STATE, CRAWLER_READY
from airflow_glue_flow.waits.crawl import CrawlWait, aws_error
from airflow_glue_flow.waits.drive import drive

IfRunning = Literal["wait", "fail"]
_FINISHED_STATUSES = CRAWL_FAILURE_STATES | {CRAWL_SUCCESS_STATE}


def running_crawl_start(crawler: dict[str, Any], now: datetime) -> datetime:
    """Best estimate of when the crawl a crawler is running (or just finished) started, in UTC.

    :param crawler: the ``Crawler`` member of a GetCrawler response read after CrawlerRunningException.
    :param now: the current UTC time.
    """
    last = crawler.get("LastCrawl") or {}
    last_start = last.get("StartTime")
    if last_start is not None:
        # READY here means the crawl that refused our start has just finished: LastCrawl is that crawl.
        # Glue emulators also show the running crawl in LastCrawl with a status that is not final yet.
        if crawler.get("State") == CRAWLER_READY or last.get("Status") not in _FINISHED_STATUSES:
            return as_utc(last_start)
    elapsed_ms = crawler.get("CrawlElapsedTime") or 0
    if elapsed_ms > 0:
        return now - timedelta(milliseconds=elapsed_ms)
    return now


class GlueCrawlerFlowHook(StandardRetriesMixin, GlueCrawlerHook):
    """Glue crawler hook that starts crawls idempotently and waits for one crawl with a bounded loop.

    The wait is :class:`~airflow_glue_flow.waits.crawl.CrawlWait`: :meth:`wait_for_crawl` drives it here,
    :class:`~airflow_glue_flow.triggers.crawler.GlueCrawlerReadyTrigger` in the triggerer. Both end with the
    same trigger-event-shaped dict, so the sensor finishes the same way wherever it waited.
    """

    def start_crawl(self, crawler_name: str, if_running: IfRunning = "wait") -> dict[str, Any]:
        """Start a crawl, or adopt the one already running.

        :param crawler_name: the crawler.
        :param if_running: ``"wait"`` adopts a crawl already running; ``"fail"`` raises
            :class:`~airflow_glue_flow.exceptions.GlueCrawlerRunningError`.
        :return: ``{"crawler_name", "started_at" (ISO UTC), "adopted"}``.
        :raises GlueCrawlerNotFoundError: the crawler does not exist.
        :raises GlueFlowError: StartCrawler or GetCrawler failed otherwise (AWS's code and message).
        """
        started_at = datetime.now(UTC)
        try:
            self.start_crawler(crawler_name)
        except (ClientError, BotoCoreError) as error:
            if not isinstance(error, ClientError) or error_code(error) != "CrawlerRunningException":
                raise aws_error(crawler_name, "StartCrawler", error) from error
            crawler = self.read_crawler(crawler_name)
            state = str(crawler.get("State") or "RUNNING")
            if if_running == "fail":
                raise GlueCrawlerRunningError(crawler_name, state, error_message(error)) from error
            started_at = running_crawl_start(crawler, datetime.now(UTC))
            self.log.info(
                "Crawler %s is already %s; adopting the crawl that started at %s",
                crawler_name,
                state,
                started_at.isoformat(),
            )
            return {"crawler_name": crawler_name, "started_at": started_at.isoformat(), "adopted": True}
        self.log.info("Started crawler %s at %s", crawler_name, started_at.isoformat())
        return {"crawler_name": crawler_name, "started_at": started_at.isoformat(), "adopted": False}

    def read_crawler(self, crawler_name: str) -> dict[str, Any]:
        """One GetCrawler call.

        :param crawler_name: the crawler.
        :raises GlueCrawlerNotFoundError: the crawler does not exist.
        """
        try:
            return self.glue_client.get_crawler(Name=crawler_name)["Crawler"]
        except (ClientError, BotoCoreError) as error:
            raise aws_error(crawler_name, "GetCrawler", error) from error

    def wait_for_crawl(
        self,
        crawler_name: str,
        started_after: datetime | None,
        wait_time: float,
        max_attempts: int,
        sleep: Callable[[float], None] | None = None,
    ) -> dict[str, Any]:
        """Wait here for the crawl that started at ``started_after``; return the outcome as an event payload.

        The decisions are :class:`~airflow_glue_flow.waits.crawl.CrawlWait`'s, shared with the trigger.

        :param crawler_name: the crawler.
        :param started_after: UTC start of the crawl (``None``: whatever crawl is last).
        :param wait_time: seconds to wait before each check.
        :param max_attempts: number of checks (one GetCrawler call each) before giving up.
        :param sleep: how to wait (default :func:`time.sleep`).
        """
        wait = CrawlWait(crawler_name, started_after, wait_time, max_attempts, self.log)
        return drive(wait.first(), wait.advance, {"glue": self.glue_client}, sleep or time.sleep)
