"""Idempotent deployment of Glue databases, crawlers, jobs and job scripts."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook

Outcome = Literal["created", "updated", "unchanged"]


def _differs(wanted: dict[str, Any], current: dict[str, Any]) -> bool:
    """True when a key the caller set has another value in Glue (keys the caller left out are Glue's)."""
    return any(current.get(key) != value for key, value in wanted.items() if key not in ("Name", "Tags"))


class GlueDeployHook(AwsBaseHook):
    """Create or update Glue resources so that a fresh account or local Glue needs no manual setup.

    Every ``ensure_*`` method is idempotent: it reads the resource first and writes only what differs,
    so running a flow's deploy step on every DAG run costs a few reads.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "glue"
        super().__init__(*args, **kwargs)

    def ensure_database(self, name: str, description: str = "") -> Outcome:
        """Create the catalog database ``name`` unless it exists.

        :param name: database name.
        :param description: description set when the database is created.
        """
        try:
            self.conn.get_database(Name=name)
            return "unchanged"
        except self.conn.exceptions.EntityNotFoundException:
            self.conn.create_database(DatabaseInput={"Name": name, "Description": description})
            self.log.info("Created Glue database %s", name)
            return "created"

    def ensure_crawler(self, spec: dict[str, Any]) -> Outcome:
        """Create the crawler described by ``spec`` (CreateCrawler keyword arguments) or update it.

        :param spec: CreateCrawler request, e.g. ``{"Name": ..., "Role": ..., "DatabaseName": ...,
            "Targets": {"S3Targets": [{"Path": "s3://bucket/prefix/"}]}}``.
        """
        name = spec["Name"]
        try:
            current = self.conn.get_crawler(Name=name)["Crawler"]
        except self.conn.exceptions.EntityNotFoundException:
            self.conn.create_crawler(**spec)
            self.log.info("Created Glue crawler %s", name)
            return "created"
        if not _differs(spec, current):
            return "unchanged"
        self.conn.update_crawler(**{k: v for k, v in spec.items() if k != "Tags"})
        self.log.info("Updated Glue crawler %s", name)
        return "updated"

    def ensure_job(self, spec: dict[str, Any]) -> Outcome:
        """Create the job described by ``spec`` (CreateJob keyword arguments) or update it.

        :param spec: CreateJob request, e.g. ``{"Name": ..., "Role": ..., "Command": {"Name": "pythonshell",
            "ScriptLocation": "s3://...", "PythonVersion": "3.9"}, "DefaultArguments": {...}}``.
        """
        name = spec["Name"]
        try:
            current = self.conn.get_job(JobName=name)["Job"]
        except self.conn.exceptions.EntityNotFoundException:
            self.conn.create_job(**spec)
            self.log.info("Created Glue job %s", name)
            return "created"
        if not _differs(spec, current):
            return "unchanged"
        update = {k: v for k, v in spec.items() if k not in ("Name", "Tags")}
        self.conn.update_job(JobName=name, JobUpdate=update)
        self.log.info("Updated Glue job %s", name)
        return "updated"

    @property
    def s3(self) -> S3Hook:
        """S3 hook on the same connection and region."""
        return S3Hook(
            aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify, config=self.config
        )

    def ensure_bucket(self, name: str) -> Outcome:
        """Create the S3 bucket ``name`` unless it exists.

        :param name: bucket name.
        """
        if self.s3.check_for_bucket(name):
            return "unchanged"
        self.s3.create_bucket(bucket_name=name, region_name=self.region_name)
        self.log.info("Created S3 bucket %s", name)
        return "created"

    def ensure_object(self, data: bytes, s3_uri: str) -> Outcome:
        """Upload ``data`` to ``s3_uri`` unless the object there already holds exactly these bytes.

        :param data: object body (a job script).
        :param s3_uri: ``s3://bucket/key`` destination.
        """
        bucket, key = S3Hook.parse_s3_url(s3_uri)
        s3 = self.s3
        head = s3.head_object(key=key, bucket_name=bucket)
        # A single-part upload's ETag is the MD5 of its body, which is what this method writes.
        if head is not None and head.get("ETag", "").strip('"') == hashlib.md5(data).hexdigest():
            return "unchanged"
        s3.load_bytes(data, key=key, bucket_name=bucket, replace=True)
        self.log.info("Uploaded %d bytes to %s", len(data), s3_uri)
        return "created" if head is None else "updated"
