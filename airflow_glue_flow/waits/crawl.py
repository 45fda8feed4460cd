"""The wait for one Glue crawl, written once: the seed's bounded check loop as pure decisions.

``max_attempts`` times: wait ``wait_time`` seconds, make ONE GetCrawler call and decide with
:func:`~airflow_glue_flow.crawl_check.check_crawl`. On success one GetCrawlerMetrics call completes the
summary. :func:`~airflow_glue_flow.waits.drive.drive` runs it in the worker, and
:func:`~airflow_glue_flow.waits.drive.drive_async` in the triggerer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.crawl_check import (
    CrawlCheck,
    check_crawl,
    crawl_summary,
    error_event,
    failure_event,
    success_event,
    timeout_event,
)
from airflow_glue_flow.exceptions import GlueCrawlerNotFoundError, GlueFlowError
from airflow_glue_flow.hooks.aws_errors import api_call_error, error_code, error_message
from airflow_glue_flow.waits.drive import Request, Step, WaitLog


def aws_error(crawler_name: str, operation: str, error: ClientError | BotoCoreError) -> GlueFlowError:
    """Turn a failed Glue call (after botocore's own retries) into an error that names the crawler.

    :param crawler_name: the crawler.
    :param operation: the Glue API operation, e.g. ``"GetCrawler"``.
    :param error: what botocore raised.
    """
    if isinstance(error, ClientError) and error_code(error) == "EntityNotFoundException":
        return GlueCrawlerNotFoundError(crawler_name, error_message(error))
    return api_call_error("crawler", crawler_name, operation, error)


class CrawlWait:
    """Pure decisions of the wait for the crawl of ``crawler_name`` that started at ``started_after``.

    It ends with :func:`~airflow_glue_flow.crawl_check.success_event`, ``failure_event``,
    ``timeout_event`` or ``error_event`` (a missing crawler, a GetCrawler call that failed).

    :param crawler_name: the crawler.
    :param started_after: UTC start of the crawl (``None``: whatever crawl is last).
    :param wait_time: seconds to wait before each check.
    :param max_attempts: number of checks (one GetCrawler call each) before giving up.
    :param log: logger for progress (the task's or the trigger's).
    """

    def __init__(
        self,
        crawler_name: str,
        started_after: datetime | None,
        wait_time: float,
        max_attempts: int,
        log: WaitLog,
    ) -> None:
        self.crawler_name, self.started_after = crawler_name, started_after
        self.wait_time, self.max_attempts, self.log = wait_time, max_attempts, log
        self.checks = 0
        self.check = CrawlCheck("waiting", "UNKNOWN")

    def first(self) -> Step:
        """The first check, after one ``wait_time``."""
        return self._read_crawler()

    def _read_crawler(self) -> Step:
        return Step.call(Request("glue", "get_crawler", {"Name": self.crawler_name}), self.wait_time)

    def advance(self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None) -> Step:
        """Decide from the answer to the last call (GetCrawler, or GetCrawlerMetrics after success)."""
        if self.check.outcome == "succeeded":
            return self._on_metrics(response, error)
        if error is not None:
            return Step.end(error_event(aws_error(self.crawler_name, "GetCrawler", error)))
        assert response is not None
        self.checks += 1
        self.check = check_crawl(response["Crawler"], self.started_after)
        self.log.info(
            "Check %d/%d: crawler %s is %s",
            self.checks,
            self.max_attempts,
            self.crawler_name,
            self.check.state,
        )
        if self.check.outcome == "succeeded":
            return Step.call(Request("glue", "get_crawler_metrics", {"CrawlerNameList": [self.crawler_name]}))
        if self.check.outcome == "failed":
            return Step.end(failure_event(self.crawler_name, self.check))
        if self.checks >= self.max_attempts:
            return Step.end(timeout_event(self.crawler_name, self.check, self.max_attempts, self.wait_time))
        return self._read_crawler()

    def _on_metrics(self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None) -> Step:
        metrics = None
        if error is not None:
            # The metrics only enrich the summary (e.g. no glue:GetCrawlerMetrics permission).
            self.log.warning("Could not read metrics of crawler %s: %s", self.crawler_name, error)
        elif response is not None:
            metrics = next(iter(response.get("CrawlerMetricsList") or []), None)
        return Step.end(success_event(crawl_summary(self.crawler_name, self.check, metrics)))
