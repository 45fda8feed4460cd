"""Extra links from Glue tasks to the AWS Glue console, or to the local Glue's console.

When the task's connection points at the local Glue (an ``endpoint_url`` on a loopback address), the
links open the read-only pages the local Glue serves under ``/_console/`` instead of the AWS console,
where the crawler or run would not exist. ``GLUE_FLOW_CONSOLE_URL`` sets that base explicitly, for
deployments where Airflow reaches the local Glue by another name than the browser does (docker-compose:
``http://local-glue:4566`` for Airflow, ``http://127.0.0.1:4566/_console`` for the browser).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink

from glue_flow_local.settings import CONSOLE_PREFIX

#: Environment variable: the base URL of the local Glue console the links open (overrides the endpoint).
CONSOLE_URL_ENV = "GLUE_FLOW_CONSOLE_URL"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def local_console_url(operator: Any) -> str | None:
    """The local Glue console's base URL for ``operator``'s connection, or None for AWS.

    :param operator: an operator with an AWS ``hook`` (``AwsBaseOperator``).
    """
    if os.environ.get(CONSOLE_URL_ENV):
        return os.environ[CONSOLE_URL_ENV].rstrip("/")
    hook = getattr(operator, "hook", None)
    endpoint = hook.conn_config.get_service_endpoint_url("glue") if hook is not None else None
    if not endpoint or urlsplit(endpoint).hostname not in _LOOPBACK:
        return None
    return endpoint.rstrip("/") + CONSOLE_PREFIX


class _GlueLink(BaseAwsLink):
    """A Glue console link that opens the local Glue's console when the task ran against it."""

    local_path: ClassVar[str]

    def format_link(self, **kwargs: Any) -> str:
        console = kwargs.get("console_url")
        if not console:
            return super().format_link(**kwargs)
        try:
            values = {k: quote(str(v), safe="") for k, v in kwargs.items() if v is not None}
            return console + self.local_path.format(**values)
        except KeyError:
            return ""

    @classmethod
    def persist(
        cls, context: Any, operator: Any, region_name: str, aws_partition: str, **kwargs: Any
    ) -> None:
        """Store the link's values, with the local console's URL when the task ran against the local Glue."""
        console = local_console_url(operator)
        if console:  # links of tasks that ran on AWS keep exactly the amazon provider's values
            kwargs.setdefault("console_url", console)
        super().persist(
            context=context, operator=operator, region_name=region_name, aws_partition=aws_partition, **kwargs
        )

    @classmethod
    def persist_for_task(cls, context: Any, operator: Any, **kwargs: Any) -> None:
        """:meth:`persist` with the region and partition of the task's own hook.

        :param context: the task's context.
        :param operator: the task (an ``AwsBaseOperator`` or ``AwsBaseSensor``).
        :param kwargs: the link's values (``crawler_name``; ``job_name`` and ``job_run_id``).
        """
        cls.persist(
            context=context,
            operator=operator,
            region_name=operator.hook.conn_region_name,
            aws_partition=operator.hook.conn_partition,
            **kwargs,
        )


class GlueCrawlerLink(_GlueLink):
    """Link to a crawler's page in the Glue console (persist with ``crawler_name``)."""

    name = "AWS Glue Crawler"
    key = "glue_crawler"
    format_str = (
        BASE_AWS_CONSOLE_LINK
        + "/glue/home?region={region_name}#/v2/data-catalog/crawlers/view/{crawler_name}"
    )
    local_path = "/crawlers/{crawler_name}?region={region_name}"


class GlueJobRunLink(_GlueLink):
    """Link to a job run's page in Glue Studio (persist with ``job_name`` and ``job_run_id``)."""

    name = "AWS Glue Job Run"
    key = "glue_job_run"
    format_str = (
        BASE_AWS_CONSOLE_LINK + "/gluestudio/home?region={region_name}#/job/{job_name}/run/{job_run_id}"
    )
    local_path = "/jobs/{job_name}/runs/{job_run_id}?region={region_name}"
