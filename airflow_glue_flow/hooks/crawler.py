"""Start a Glue crawl (or adopt the running one) and wait for it with the seed's bounded check loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.crawl_check import (
    CrawlCheck,
    as_utc,
    check_crawl,
    crawl_summary,
    error_event,
    failure_event,
    success_event,
    timeout_event,
)
from airflow_glue_flow.exceptions import GlueCrawlerNotFoundError, GlueCrawlerRunningError, GlueFlowError
from airflow_glue_flow.hooks.aws_errors import api_call_error, error_code, error_message
from airflow_glue_flow.states import CRAWL_FAILURE_STATES, CRAWL_SUCCESS_STATE, CRAWLER_READY

IfRunning = Literal["wait", "fail"]
_FINISHED_STATUSES = CRAWL_FAILURE_STATES | {CRAWL_SUCCESS_STATE}


def aws_error(crawler_name: str, operation: str, error: ClientError | BotoCoreError) -> GlueFlowError:
    """Turn a failed Glue call (after botocore's own retries) into an error that names the crawler.

    :param crawler_name: the crawler.
    :param operation: the Glue API operation, e.g. ``"GetCrawler"``.
    :param error: what botocore raised.
    """
    if isinstance(error, ClientError) and error_code(error) == "EntityNotFoundException":
        return GlueCrawlerNotFoundError(crawler_name, error_message(error))
    return api_call_error("crawler", crawler_name, operation, error)


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


class GlueCrawlerFlowHook(GlueCrawlerHook):
    """Glue crawler hook that starts crawls idempotently and waits for one crawl with a bounded loop.

    The wait loops (:meth:`wait_for_crawl` and :meth:`wait_for_crawl_async`) do the same thing: ``max_attempts``
    times, wait ``wait_time`` seconds, make ONE GetCrawler call and decide with
    :func:`airflow_glue_flow.crawl_check.check_crawl`. Both return a trigger-event-shaped dict, so the sensor
    finishes the same way whether it waited itself or in the triggerer.
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

    def read_crawl_metrics(self, crawler_name: str) -> dict[str, Any] | None:
        """The crawler's GetCrawlerMetrics entry, or ``None`` when it cannot be read (e.g. no permission).

        :param crawler_name: the crawler.
        """
        try:
            response = self.glue_client.get_crawler_metrics(CrawlerNameList=[crawler_name])
        except (ClientError, BotoCoreError) as error:
            self.log.warning("Could not read metrics of crawler %s: %s", crawler_name, error)
            return None
        return next(iter(response.get("CrawlerMetricsList") or []), None)

    async def read_crawler_async(self, client: Any, crawler_name: str) -> dict[str, Any]:
        """One GetCrawler call on an async client from :meth:`get_async_conn`.

        :param client: an open aiobotocore Glue client.
        :param crawler_name: the crawler.
        :raises GlueCrawlerNotFoundError: the crawler does not exist.
        """
        try:
            return (await client.get_crawler(Name=crawler_name))["Crawler"]
        except (ClientError, BotoCoreError) as error:
            raise aws_error(crawler_name, "GetCrawler", error) from error

    async def read_crawl_metrics_async(self, client: Any, crawler_name: str) -> dict[str, Any] | None:
        """Async :meth:`read_crawl_metrics`.

        :param client: an open aiobotocore Glue client.
        :param crawler_name: the crawler.
        """
        try:
            response = await client.get_crawler_metrics(CrawlerNameList=[crawler_name])
        except (ClientError, BotoCoreError) as error:
            self.log.warning("Could not read metrics of crawler %s: %s", crawler_name, error)
            return None
        return next(iter(response.get("CrawlerMetricsList") or []), None)

    def _log_check(self, crawler_name: str, attempt: int, max_attempts: int, check: CrawlCheck) -> None:
        self.log.info("Check %d/%d: crawler %s is %s", attempt, max_attempts, crawler_name, check.state)

    def wait_for_crawl(
        self,
        crawler_name: str,
        started_after: datetime | None,
        wait_time: float,
        max_attempts: int,
        sleep: Callable[[float], None] | None = None,
    ) -> dict[str, Any]:
        """Wait for the crawl that started at ``started_after``; return the outcome as an event payload.

        :param crawler_name: the crawler.
        :param started_after: UTC start of the crawl (``None``: whatever crawl is last).
        :param wait_time: seconds to wait before each check.
        :param max_attempts: number of checks (one GetCrawler call each) before giving up.
        :param sleep: how to wait (default :func:`time.sleep`).
        """
        check = CrawlCheck("waiting", "UNKNOWN")
        try:
            for attempt in range(1, max_attempts + 1):
                (sleep or time.sleep)(wait_time)
                check = check_crawl(self.read_crawler(crawler_name), started_after)
                self._log_check(crawler_name, attempt, max_attempts, check)
                if check.outcome == "succeeded":
                    metrics = self.read_crawl_metrics(crawler_name)
                    return success_event(crawl_summary(crawler_name, check, metrics))
                if check.outcome == "failed":
                    return failure_event(crawler_name, check)
        except GlueFlowError as error:
            return error_event(error)
        return timeout_event(crawler_name, check, max_attempts, wait_time)

    async def wait_for_crawl_async(
        self,
        client: Any,
        crawler_name: str,
        started_after: datetime | None,
        wait_time: float,
        max_attempts: int,
    ) -> dict[str, Any]:
        """Async :meth:`wait_for_crawl` on one open aiobotocore Glue client (used by the trigger).

        :param client: an open aiobotocore Glue client.
        :param crawler_name: the crawler.
        :param started_after: UTC start of the crawl (``None``: whatever crawl is last).
        :param wait_time: seconds to wait before each check.
        :param max_attempts: number of checks (one GetCrawler call each) before giving up.
        """
        check = CrawlCheck("waiting", "UNKNOWN")
        try:
            for attempt in range(1, max_attempts + 1):
                await asyncio.sleep(wait_time)
                check = check_crawl(await self.read_crawler_async(client, crawler_name), started_after)
                self._log_check(crawler_name, attempt, max_attempts, check)
                if check.outcome == "succeeded":
                    metrics = await self.read_crawl_metrics_async(client, crawler_name)
                    return success_event(crawl_summary(crawler_name, check, metrics))
                if check.outcome == "failed":
                    return failure_event(crawler_name, check)
        except GlueFlowError as error:
            return error_event(error)
        return timeout_event(crawler_name, check, max_attempts, wait_time)
