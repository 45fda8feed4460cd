"""Wait for one Glue crawl in the triggerer (deferrable mode of the crawler sensor)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_glue_flow.crawl_check import parse_utc
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
from airflow_glue_flow.triggers.base import GlueFlowAwsTrigger


class GlueCrawlerReadyTrigger(GlueFlowAwsTrigger[GlueCrawlerFlowHook]):
    """Run the sensor's check loop asynchronously and fire one event with its outcome.

    The event is ``{"status": "success", "glue_state": "SUCCEEDED", "summary": {...}}`` or an error
    payload from :meth:`airflow_glue_flow.exceptions.GlueFlowError.to_event` plus ``glue_state``
    (``FAILED``/``CANCELLED`` for a failed crawl, ``None`` for a timeout or a missing crawler).

    :param crawler_name: the crawler.
    :param started_after: ISO UTC start of the crawl to wait for; ``None`` accepts the last crawl.
    :param wait_time: seconds to wait before each check.
    :param max_attempts: number of checks (one GetCrawler call each).
    :param aws_conn_id: Airflow AWS connection id.
    :param region_name: AWS region.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    """

    hook_class = GlueCrawlerFlowHook
    trigger_fields = ("crawler_name", "started_after", "wait_time", "max_attempts")

    def __init__(
        self,
        *,
        crawler_name: str,
        started_after: str | None,
        wait_time: float,
        max_attempts: int,
        **aws: Any,
    ) -> None:
        super().__init__(**aws)
        self.crawler_name = crawler_name
        self.started_after = started_after
        self.wait_time = wait_time
        self.max_attempts = max_attempts

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Run the check loop and yield its single outcome."""
        started_after = parse_utc(self.started_after) if self.started_after else None
        async with self.async_clients("glue") as clients:
            event = await self.hook.wait_for_crawl_async(
                clients["glue"], self.crawler_name, started_after, self.wait_time, self.max_attempts
            )
        yield TriggerEvent(event)
