"""Wait for one Glue crawl in the triggerer (deferrable mode of the crawler sensor)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from airflow_glue_flow.crawl_check import parse_utc
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from airflow_glue_flow.triggers.base import GlueFlowAwsTrigger

if TYPE_CHECKING:  # imported off the triggerer's loop when a wait runs (see triggers.base)
    from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook  # noqa: F401 - the quoted base class names it

#: The modules a crawl wait runs on, imported in a worker thread when it starts.
WAIT_MODULES = ("airflow_glue_flow.waits.crawl", "airflow_glue_flow.waits.drive")


class GlueCrawlerReadyTrigger(GlueFlowAwsTrigger["GlueCrawlerFlowHook"]):
    """Run the sensor's wait (:class:`~airflow_glue_flow.waits.crawl.CrawlWait`) and fire one event.

    The event is ``{"status": "success", "glue_state": "SUCCEEDED", "summary": {...}}`` or an error
    payload from :meth:`airflow_glue_flow.exceptions.GlueFlowError.to_event` plus ``glue_state``
    (``FAILED``/``CANCELLED`` for a failed crawl, ``None`` for a timeout or a missing crawler). With
    ``end_from_trigger`` a success ends the task here instead, with the summary as its return value and
    ``glue_state`` pushed, as the sensor does.

    :param crawler_name: the crawler.
    :param started_after: ISO UTC start of the crawl to wait for; ``None`` accepts the last crawl.
    :param wait_time: seconds to wait before each check.
    :param max_attempts: number of checks (one GetCrawler call each).
    :param aws_conn_id: Airflow AWS connection id.
    :param region_name: AWS region.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    :param end_from_trigger: end the task from the triggerer on success.
    """

    hook_path = "airflow_glue_flow.hooks.crawler.GlueCrawlerFlowHook"
    trigger_fields = ("crawler_name", "started_after", "wait_time", "max_attempts")

    # The keyword arguments are the trigger_fields, stored as attributes of the same names, which
    # serialize() returns: the repetition is the serialization contract.
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
        """Run the wait and yield its single outcome."""
        crawl_wait, waits = await self.load(*WAIT_MODULES)
        started_after = parse_utc(self.started_after) if self.started_after else None
        wait = crawl_wait.CrawlWait(
            self.crawler_name, started_after, self.wait_time, self.max_attempts, self.log
        )
        async with self.async_clients("glue") as clients:
            event = await waits.drive_async(wait.first(), wait.advance, clients)
        yield await self.outcome(event, event.get("summary"), {GLUE_STATE_XCOM_KEY: event.get("glue_state")})
