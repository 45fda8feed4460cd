"""Extra links from Glue tasks to the AWS Glue console."""

from __future__ import annotations

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink


class GlueCrawlerLink(BaseAwsLink):
    """Link to a crawler's page in the Glue console (persist with ``crawler_name``)."""

    name = "AWS Glue Crawler"
    key = "glue_crawler"
    format_str = (
        BASE_AWS_CONSOLE_LINK
        + "/glue/home?region={region_name}#/v2/data-catalog/crawlers/view/{crawler_name}"
    )


class GlueJobRunLink(BaseAwsLink):
    """Link to a job run's page in Glue Studio (persist with ``job_name`` and ``job_run_id``)."""

    name = "AWS Glue Job Run"
    key = "glue_job_run"
    format_str = (
        BASE_AWS_CONSOLE_LINK + "/gluestudio/home?region={region_name}#/job/{job_name}/run/{job_run_id}"
    )
