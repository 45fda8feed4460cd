"""Wait for a Glue crawl with the seed's bounded loop: wait, read, decide, count, give up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from airflow_glue_flow.compat import conf
from airflow_glue_flow.crawl_check import parse_utc
from airflow_glue_flow.exceptions import GlueFlowError, GlueTaskParameterError
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
from airflow_glue_flow.links.glue import GlueCrawlerLink
from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from airflow_glue_flow.operators.params import coerce_count, coerce_seconds, is_template
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from airflow_glue_flow.triggers.base import task_aws_fields
from airflow_glue_flow.triggers.crawler import GlueCrawlerReadyTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context


def coerce_started_after(task_id: str, value: Any) -> datetime | None:
    """``started_after`` as an aware UTC datetime, or ``None``.

    :param task_id: the task, for the error message.
    :param value: ``None``, a datetime or an ISO-8601 string.
    :raises GlueTaskParameterError: not a datetime or ISO-8601 string.
    """
    if value is None:
        return None
    try:
        if not isinstance(value, (str, datetime)):
            raise TypeError
        return parse_utc(value)
    except (TypeError, ValueError):
        raise GlueTaskParameterError(
            task_id, "started_after", repr(value), "is not an ISO-8601 date-time (e.g. 2024-05-01T10:00:00Z)"
        ) from None


class GlueCrawlerWaitOperator(AwsBaseOperator[GlueCrawlerFlowHook]):
    """Wait for one crawl of a Glue crawler to finish, with a fixed number of checks.

    The loop is the seed's: ``max_attempts`` times, wait ``wait_time`` seconds, read the crawler with ONE
    GetCrawler call and decide:

    * READY and this crawl's ``LastCrawl.Status`` is SUCCEEDED: success; returns a summary (status,
      start/end, duration, tables created/updated/deleted) and pushes ``glue_state`` SUCCEEDED;
    * READY and FAILED or CANCELLED: pushes ``glue_state`` and raises
      :class:`~airflow_glue_flow.exceptions.GlueCrawlFailedError` (AWS's error message, log group/stream);
    * otherwise the check is counted; after ``max_attempts`` checks
      :class:`~airflow_glue_flow.exceptions.GlueCrawlTimeoutError`.

    A READY left over from an earlier crawl (``LastCrawl.StartTime`` before ``started_after``, less a
    10 s clock skew tolerance) is still waiting, never success.

    It is a plain operator, not a ``BaseSensorOperator``: the attempt count is the only limit, so Airflow's
    sensor ``timeout``, ``soft_fail`` and reschedule mode cannot change the outcome. Use
    ``deferrable=True`` to wait in the triggerer instead of a worker slot; the outcomes and errors are
    the same.

    :param crawler_name: name of the crawler (templated).
    :param wait_time: seconds to wait before each check (templated; strings are accepted).
    :param max_attempts: number of checks before giving up (templated; strings are accepted).
    :param started_after: ISO-8601 string or datetime of the crawl's start (templated), e.g.
        ``"{{ ti.xcom_pull('start_crawler')['started_at'] }}"``. When ``None``, the start is read from the
        XCom of a directly upstream :class:`~airflow_glue_flow.operators.crawler.GlueCrawlerStartOperator`
        of the same crawler; without one, the crawler's last crawl counts whatever its start time.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param end_from_trigger: in deferrable mode, end the task from the triggerer when the crawl succeeds
        (pushing the same XComs), so no worker resumes it; a failure still resumes the task, which raises
        the error the sync mode raises.
    :param aws_conn_id: Airflow AWS connection id (templated).
    :param region_name: AWS region; the connection's when ``None`` (templated).
    :param verify: SSL certificate verification for the client (templated).
    :param botocore_config: botocore client configuration.
    """

    glue_resource_type: ClassVar[str] = "crawler"
    aws_hook_class = GlueCrawlerFlowHook
    template_fields: Sequence[str] = aws_template_fields(
        "crawler_name", "wait_time", "max_attempts", "started_after"
    )
    operator_extra_links = (GlueCrawlerLink(),)
    ui_color = "#e6f1f2"

    def __init__(
        self,
        *,
        crawler_name: str,
        wait_time: float | str = 60,
        max_attempts: int | str = 3,
        started_after: str | datetime | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        end_from_trigger: bool = True,
        **kwargs: Any,
    ) -> None:
        # aws_conn_id="aws_default", region_name, verify and botocore_config are AwsBaseOperator's; it
        # builds the hook from them on first use, never at DAG parse time.
        super().__init__(**kwargs)
        # Literal values are checked when the DAG file is parsed; templates once they are rendered.
        if not is_template(wait_time):
            coerce_seconds(self.task_id, "wait_time", wait_time)
        if not is_template(max_attempts):
            coerce_count(self.task_id, "max_attempts", max_attempts)
        if not is_template(started_after):
            coerce_started_after(self.task_id, started_after)
        self.crawler_name, self.started_after = crawler_name, started_after
        # The seed's bounded loop: max_attempts checks, wait_time seconds apart; here or in the triggerer.
        self.wait_time, self.max_attempts = wait_time, max_attempts
        self.deferrable, self.end_from_trigger = deferrable, end_from_trigger

    def execute(self, context: Context) -> dict[str, Any]:
        wait_time = coerce_seconds(self.task_id, "wait_time", self.wait_time)
        max_attempts = coerce_count(self.task_id, "max_attempts", self.max_attempts)
        started_after = coerce_started_after(self.task_id, self.started_after)
        if started_after is None:
            started_after = self._started_after_from_upstream(context)
        GlueCrawlerLink.persist_for_task(context, self, crawler_name=self.crawler_name)
        self.log.info(
            "Waiting for crawler %s (crawl started %s): %d checks, %g s apart",
            self.crawler_name,
            started_after.isoformat() if started_after else "at any time",
            max_attempts,
            wait_time,
        )
        if self.deferrable:
            self.defer(
                trigger=GlueCrawlerReadyTrigger(
                    crawler_name=self.crawler_name,
                    started_after=started_after.isoformat() if started_after else None,
                    wait_time=wait_time,
                    max_attempts=max_attempts,
                    **task_aws_fields(self),
                ),
                method_name="execute_complete",
            )
        event = self.hook.wait_for_crawl(self.crawler_name, started_after, wait_time, max_attempts)
        return self._finish(context, event)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Finish after the trigger fired: return the summary or raise the error it carried."""
        return self._finish(context, event)

    def _finish(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        glue_state = event.get("glue_state")
        if glue_state:
            # Pushed before raising: downstream conditions read the crawl's state even when this task fails.
            context["ti"].xcom_push(key=GLUE_STATE_XCOM_KEY, value=glue_state)
        if event.get("status") == "success":
            summary = event["summary"]
            self.log.info("Crawler %s crawl %s: %s", self.crawler_name, glue_state, summary)
            return summary
        raise GlueFlowError.from_event(event)

    def _started_after_from_upstream(self, context: Context) -> datetime | None:
        for task in self.upstream_list:
            if not isinstance(task, GlueCrawlerStartOperator):
                continue
            started = context["ti"].xcom_pull(task_ids=task.task_id)
            if isinstance(started, dict) and started.get("crawler_name") == self.crawler_name:
                self.log.info("Waiting for the crawl %s started (XCom of %s)", started, task.task_id)
                return coerce_started_after(self.task_id, started.get("started_at"))
        self.log.warning(
            "No started_after and no upstream GlueCrawlerStartOperator for crawler %s: "
            "its last crawl counts whatever its start time",
            self.crawler_name,
        )
        return None
