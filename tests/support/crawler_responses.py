"""Scripted Glue crawler responses for states moto cannot produce (FAILED, CANCELLED, stale READY)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

CRAWLER = "se2_in0"
#: Start of "this" crawl in unit tests.
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
METRICS = {
    "CrawlerName": CRAWLER,
    "LastRuntimeSeconds": 42.5,
    "MedianRuntimeSeconds": 40.0,
    "TablesCreated": 1,
    "TablesUpdated": 2,
    "TablesDeleted": 0,
}


def crawler(
    state: str = "READY",
    status: str | None = None,
    start: datetime | None = None,
    error: str = "",
    elapsed_ms: int = 0,
) -> dict[str, Any]:
    """A GetCrawler ``Crawler`` member."""
    body: dict[str, Any] = {"Name": CRAWLER, "State": state, "CrawlElapsedTime": elapsed_ms}
    if start is not None:
        body["LastCrawl"] = {
            "Status": status or "SUCCEEDED",
            "StartTime": start,
            "LogGroup": "/aws-glue/crawlers",
            "LogStream": CRAWLER,
            "MessagePrefix": "abc-123",
        }
        if error:
            body["LastCrawl"]["ErrorMessage"] = error
    return body


def client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def not_found(operation: str = "GetCrawler") -> ClientError:
    return client_error(
        "EntityNotFoundException", f"Crawler entry with name {CRAWLER} does not exist", operation
    )


Reply = dict[str, Any] | Exception | Callable[[], dict[str, Any]]


class ScriptedGlue:
    """Stand-in for a boto3 Glue client: answers GetCrawler from a script and records every call.

    :param crawls: one reply per GetCrawler call: a ``Crawler`` dict, a callable making one (for
        replies relative to the moment of the call) or an exception to raise.
    :param start_error: raised by StartCrawler.
    :param metrics: GetCrawlerMetrics entry, or an exception to raise.
    """

    def __init__(
        self,
        crawls: list[Reply] | None = None,
        start_error: Exception | None = None,
        metrics: dict[str, Any] | Exception = METRICS,
    ) -> None:
        self.script = list(crawls or [])
        self.start_error = start_error
        self.metrics = metrics
        self.calls: list[str] = []

    def start_crawler(self, Name: str) -> dict[str, Any]:
        self.calls.append("StartCrawler")
        if self.start_error is not None:
            raise self.start_error
        return {}

    def get_crawler(self, Name: str) -> dict[str, Any]:
        self.calls.append("GetCrawler")
        assert self.script, "more GetCrawler calls than scripted"
        reply = self.script.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return {"Crawler": reply() if callable(reply) else reply}

    def get_crawler_metrics(self, CrawlerNameList: list[str]) -> dict[str, Any]:
        self.calls.append("GetCrawlerMetrics")
        if isinstance(self.metrics, Exception):
            raise self.metrics
        return {"CrawlerMetricsList": [self.metrics]}

    def count(self, operation: str) -> int:
        return self.calls.count(operation)


class AsyncScriptedGlue:
    """The aiobotocore flavour of :class:`ScriptedGlue` (an async context manager with async calls)."""

    def __init__(self, glue: ScriptedGlue) -> None:
        self.glue = glue
        self.entered = 0

    async def __aenter__(self) -> AsyncScriptedGlue:
        self.entered += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_crawler(self, Name: str) -> dict[str, Any]:
        return self.glue.get_crawler(Name=Name)

    async def get_crawler_metrics(self, CrawlerNameList: list[str]) -> dict[str, Any]:
        return self.glue.get_crawler_metrics(CrawlerNameList=CrawlerNameList)


def now_plus(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


#: Outcome scripts shared by the sync/deferrable parity tests: name -> GetCrawler replies after T0.
OUTCOMES: dict[str, list[Reply]] = {
    "succeeded": [crawler("RUNNING"), crawler("READY", "SUCCEEDED", T0 + timedelta(seconds=1))],
    "failed": [crawler("READY", "FAILED", T0 + timedelta(seconds=1), error="Access denied to s3://b/k")],
    "cancelled": [crawler("STOPPING"), crawler("READY", "CANCELLED", T0 + timedelta(seconds=1))],
    "stale_then_succeeded": [
        crawler("READY", "SUCCEEDED", T0 - timedelta(days=1)),
        crawler("RUNNING"),
        crawler("READY", "SUCCEEDED", T0 + timedelta(seconds=2)),
    ],
    "never_ready": [crawler("RUNNING"), crawler("RUNNING"), crawler("RUNNING")],
    "stale_forever": [crawler("READY", "FAILED", T0 - timedelta(hours=3))] * 3,
    "deleted": [crawler("RUNNING"), not_found()],
    "denied": [crawler("RUNNING"), client_error("AccessDeniedException", "no glue:GetCrawler", "GetCrawler")],
}
