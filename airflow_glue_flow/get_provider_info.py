"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_glue_flow import __version__
from airflow_glue_flow.triggers.options import OPTIONS, SECTION


def get_provider_info() -> dict[str, Any]:
    """Describe this provider: its hooks, operators, sensors, triggers, extra links and config options."""
    return {
        "package-name": "airflow-glue-flow",
        "name": "Glue Flow",
        "description": "Orchestrate AWS Glue crawlers and jobs: crawler polling with attempt limits, "
        "job runs that fail honestly, Glue-Workflow-style ALL/ANY triggers, S3 encoding conversion, "
        "and a local Glue that really runs crawls and Python-shell jobs.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "AWS Glue (Glue Flow)",
                "external-doc-url": "https://docs.aws.amazon.com/glue/",
                "tags": ["aws"],
            }
        ],
        "hooks": [
            {
                "integration-name": "AWS Glue (Glue Flow)",
                "python-modules": [
                    "airflow_glue_flow.hooks.crawler",
                    "airflow_glue_flow.hooks.job",
                    "airflow_glue_flow.hooks.deploy",
                    "airflow_glue_flow.hooks.s3_events",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": "AWS Glue (Glue Flow)",
                "python-modules": [
                    "airflow_glue_flow.operators.crawler",
                    "airflow_glue_flow.operators.crawler_wait",
                    "airflow_glue_flow.operators.job",
                    "airflow_glue_flow.operators.job_cleanup",
                    "airflow_glue_flow.operators.failure_guard",
                    "airflow_glue_flow.operators.encoding",
                    "airflow_glue_flow.operators.deploy",
                    "airflow_glue_flow.operators.s3_events",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "AWS Glue (Glue Flow)",
                "python-modules": ["airflow_glue_flow.sensors.conditional"],
            }
        ],
        "triggers": [
            {
                "integration-name": "AWS Glue (Glue Flow)",
                "python-modules": [
                    "airflow_glue_flow.triggers.crawler",
                    "airflow_glue_flow.triggers.job",
                ],
            }
        ],
        "extra-links": [
            "airflow_glue_flow.links.glue.GlueCrawlerLink",
            "airflow_glue_flow.links.glue.GlueJobRunLink",
        ],
        "config": {
            SECTION: {
                "description": "Options of the Glue Flow provider's triggers (both act on the whole triggerer).",
                "options": {
                    name: {
                        "description": description,
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "True",
                        "default": str(default),
                    }
                    for name, (description, default) in OPTIONS.items()
                },
            }
        },
    }
