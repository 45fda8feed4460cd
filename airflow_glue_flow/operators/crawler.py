"""Start a Glue crawler from Airflow (the seed's "Submit Crawler Job", without a Lambda)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, get_args

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from airflow_glue_flow.exceptions import GlueTaskParameterError
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook, IfRunning
from airflow_glue_flow.links.glue import GlueCrawlerLink

if TYPE_CHECKING:
    from airflow.sdk import Context

IF_RUNNING_CHOICES: tuple[IfRunning, ...] = get_args(IfRunning)


def _check_if_running(task_id: str, value: object) -> IfRunning:
    """``value`` as an ``if_running`` choice; anything else is a parameter error naming the task."""
    for choice in IF_RUNNING_CHOICES:
        if value == choice:
            return choice
    raise GlueTaskParameterError(task_id, "if_running", repr(value), "must be 'wait' or 'fail'")


class GlueCrawlerStartOperator(AwsBaseOperator[GlueCrawlerFlowHook]):
    """Start a crawl of an existing Glue crawler and return which crawl it is.

    The returned XCom ``{"crawler_name", "started_at", "adopted"}`` tells
    :class:`~airflow_glue_flow.operators.crawler_wait.GlueCrawlerWaitOperator` this crawl from earlier ones
    (``started_at`` is the ISO-8601 UTC start time of the crawl started or adopted).

    :param crawler_name: name of the crawler (templated).
    :param if_running: what to do when the crawler is already crawling (templated): ``"wait"`` adopts that
        crawl (a retry after a lost StartCrawler response lands here too); ``"fail"`` raises
        :class:`~airflow_glue_flow.exceptions.GlueCrawlerRunningError`.
    :param aws_conn_id: Airflow AWS connection id (templated).
    :param region_name: AWS region; the connection's when ``None`` (templated).
    :param verify: SSL certificate verification for the client (templated).
    :param botocore_config: botocore client configuration, e.g. ``{"retries": {"mode": "standard"}}``.
    """

    # No ``glue_resource_type``: starting a crawl has no final crawl state, so a conditional trigger
    # must watch the GlueCrawlerWaitOperator (which pushes SUCCEEDED/FAILED/CANCELLED), not this task.
    aws_hook_class = GlueCrawlerFlowHook
    template_fields: Sequence[str] = aws_template_fields("crawler_name", "if_running")
    operator_extra_links = (GlueCrawlerLink(),)
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        crawler_name: str,
        if_running: str = "wait",
        **kwargs: Any,
    ) -> None:
        # aws_conn_id="aws_default", region_name, verify and botocore_config are AwsBaseOperator's; it
        # builds the hook from them on first use, never at DAG parse time.
        super().__init__(**kwargs)
        if "{{" not in str(if_running):
            _check_if_running(self.task_id, if_running)
        self.crawler_name = crawler_name
        self.if_running = if_running

    def execute(self, context: Context) -> dict[str, Any]:
        if_running = _check_if_running(self.task_id, self.if_running)
        GlueCrawlerLink.persist_for_task(context, self, crawler_name=self.crawler_name)
        return self.hook.start_crawl(self.crawler_name, if_running)
