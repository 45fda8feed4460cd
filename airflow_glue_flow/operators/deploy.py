"""Operator that deploys a flow's Glue resources (databases, scripts, crawlers, jobs) idempotently."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context

from airflow_glue_flow.hooks.deploy import GlueDeployHook


class GlueDeployOperator(AwsBaseOperator[GlueDeployHook]):
    """Create or update the Glue resources a flow needs, so no console setup is needed.

    Runs as a flow's first (setup) task; each resource is read first and written only when it differs.

    :param databases: catalog database names to create if missing.
    :param scripts: ``{"path/to/local/script.py": "s3://bucket/key.py"}``; a relative local path is
        resolved against the DAG file's folder. Uploaded only when the bytes differ. (The S3 URI is the
        value because Airflow renders templates in dict values, not in keys.) A path to a Python package
        folder is uploaded as a zip of it (see :func:`package_zip`), for a job's ``--extra-py-files``.
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
        "databases", "scripts", "crawlers", "jobs", "buckets"
    )

    def __init__(
        self,
        *,
        databases: Sequence[str] = (),
        scripts: dict[str, str] | None = None,
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
        report = {
            "databases": {name: self.hook.ensure_database(name) for name in self.databases},
            "scripts": {
                uri: self.hook.ensure_object(_file_or_package(self._script_path(path)), uri)
                for path, uri in self.scripts.items()
            },
            "crawlers": {spec["Name"]: self.hook.ensure_crawler(spec) for spec in self.crawlers},
            "jobs": {spec["Name"]: self.hook.ensure_job(spec) for spec in self.jobs},
        }
        self.log.info("Glue resources: %s", report)
        return report


def _file_or_package(path: Path) -> bytes:
    return package_zip(path) if path.is_dir() else path.read_bytes()


def package_zip(folder: Path) -> bytes:
    """A zip of a Python package folder that a Glue job imports with ``--extra-py-files``.

    It holds the package's ``.py`` files and the ``__init__.py`` of each package above it, with the
    paths the imports need (``airflow_glue_flow/__init__.py``, ``airflow_glue_flow/encoding/...``).
    The bytes depend only on the files' contents, so an unchanged package is not uploaded again.

    :param folder: the package folder (it has an ``__init__.py``).
    """
    parents, above = [], folder.parent
    while (above / "__init__.py").is_file():
        parents.append(above / "__init__.py")
        above = above.parent
    files = [p for p in sorted(folder.rglob("*.py")) if "__pycache__" not in p.parts]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in [*reversed(parents), *files]:
            # A fixed timestamp: the same files give the same bytes.
            info = zipfile.ZipInfo(path.relative_to(above).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
