"""Operator that deploys a flow's Glue resources (databases, scripts, crawlers, jobs) idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context

from airflow_glue_flow.encoding.bundle import package_zip
from airflow_glue_flow.hooks.deploy import GlueDeployHook


class GlueDeployOperator(AwsBaseOperator[GlueDeployHook]):
    """Create or update the Glue resources a flow needs, so no console setup is needed.

    Runs as a flow's first (setup) task; each resource is read first and written only when it differs.

    :param databases: catalog database names to create if missing.
    :param scripts: ``{"path/to/local/script.py": "s3://bucket/key.py"}``; a relative local path is
        resolved against the DAG file's folder. Uploaded only when the bytes differ. (The S3 URI is the
        value because Airflow renders templates in dict values, not in keys.)
    :param py_packages: ``{"airflow_glue_flow.encoding": "s3://bucket/key.zip"}``: each installed package is
        zipped (its sources and its parents' ``__init__.py``) for a job's ``--extra-py-files`` and uploaded
        only when the bytes differ.
    :param crawlers: CreateCrawler requests, created or updated.
    :param jobs: CreateJob requests, created or updated.
    :param buckets: S3 buckets to create if missing (handy for a fresh local Glue).
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the clients (templated).
    :param botocore_config: botocore configuration of the Glue client.
    :return: ``{"databases": {name: outcome}, "scripts": {...}, "crawlers": {...}, "jobs": {...}}``
        with outcome ``created``, ``updated`` or ``unchanged``.
    """

    aws_hook_class = GlueDeployHook
    template_fields: Sequence[str] = aws_template_fields(
        "databases", "scripts", "py_packages", "crawlers", "jobs", "buckets"
    )

    def __init__(
        self,
        *,
        databases: Sequence[str] = (),
        scripts: dict[str, str] | None = None,
        py_packages: dict[str, str] | None = None,
        crawlers: Sequence[dict[str, Any]] = (),
        jobs: Sequence[dict[str, Any]] = (),
        buckets: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        # aws_conn_id="aws_default", region_name, verify and botocore_config are AwsBaseOperator's; it
        # builds the hook from them on first use, never at DAG parse time.
        super().__init__(**kwargs)
        self.databases = list(databases)
        self.scripts = dict(scripts or {})
        self.py_packages = dict(py_packages or {})
        self.crawlers = list(crawlers)
        self.jobs = list(jobs)
        self.buckets = list(buckets)

    def _script_path(self, path: str) -> Path:
        local = Path(path)
        if not local.is_absolute() and self.dag is not None and self.dag.fileloc:
            local = Path(self.dag.fileloc).parent / local
        return local

    def execute(self, context: Context) -> dict[str, dict[str, str]]:
        for bucket in self.buckets:
            self.hook.ensure_bucket(bucket)
        report: dict[str, dict[str, str]] = {
            "databases": {name: self.hook.ensure_database(name) for name in self.databases},
            "scripts": {
                uri: self.hook.ensure_object(self._script_path(path).read_bytes(), uri)
                for path, uri in self.scripts.items()
            },
            "py_packages": {
                uri: self.hook.ensure_object(package_zip(name), uri) for name, uri in self.py_packages.items()
            },
            "crawlers": {spec["Name"]: self.hook.ensure_crawler(spec) for spec in self.crawlers},
            "jobs": {spec["Name"]: self.hook.ensure_job(spec) for spec in self.jobs},
        }
        self.log.info("Glue resources: %s", report)
        return report
