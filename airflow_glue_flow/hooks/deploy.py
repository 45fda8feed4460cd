"""Idempotent deployment of Glue databases, crawlers, jobs and job scripts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Literal

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook

Outcome = Literal["created", "updated", "unchanged"]

#: Maps the caller owns whole: a key removed from the spec must be removed in Glue too, so these
#: compare exactly instead of key by key.
_WHOLE_MAPS = frozenset({"DefaultArguments", "NonOverridableArguments"})
#: Request keys that are not part of the definition GetJob/GetCrawler return.
_NOT_DEFINITION = frozenset({"Name", "JobName", "Tags"})


def _role_name(value: Any) -> Any:
    """``arn:aws:iam::123:role/path/name`` -> ``path/name``: Glue accepts either and may return either."""
    if isinstance(value, str) and value.startswith("arn:") and ":role/" in value:
        return value.split(":role/", 1)[1]
    return value


def _same(wanted: Any, current: Any) -> bool:
    """True when ``current`` (what Glue returns) holds everything ``wanted`` (what the caller set).

    Dicts compare only the keys the caller set, recursively, because Glue fills in defaults the caller
    never wrote (``Exclusions: []``, ``PythonVersion``, ``Timeout: 2880``...). A key Glue leaves out
    matches an empty value. Lists compare item by item; numbers compare by value (``1`` == ``1.0``).
    """
    if isinstance(wanted, Mapping):
        current = current if isinstance(current, Mapping) else {}
        return all(_same(value, current.get(key)) for key, value in wanted.items())
    if isinstance(wanted, list | tuple):
        current = list(current or [])
        return len(wanted) == len(current) and all(_same(w, c) for w, c in zip(wanted, current, strict=True))
    if current is None:
        return wanted in (None, "", [], {})
    if isinstance(wanted, bool) or isinstance(current, bool):
        return wanted is current
    if isinstance(wanted, int | float) and isinstance(current, int | float):
        return float(wanted) == float(current)
    return wanted == current


def changed_fields(spec: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The top-level fields of a Create* request whose value differs from what Glue returns.

    :param spec: the CreateJob / CreateCrawler request the caller wrote.
    :param current: the ``Job`` / ``Crawler`` that GetJob / GetCrawler return, with Glue's defaults.
    """
    changed = []
    for key, value in spec.items():
        if key in _NOT_DEFINITION:
            continue
        if key in _WHOLE_MAPS:
            same = dict(value or {}) == dict(current.get(key) or {})
        elif key == "Role":
            same = _role_name(value) == _role_name(current.get(key))
        else:
            same = _same(value, current.get(key))
        if not same:
            changed.append(key)
    return changed


class GlueDeployHook(AwsBaseHook):
    """Create or update Glue resources so that a fresh account or local Glue needs no manual setup.

    Every ``ensure_*`` method is idempotent: it reads the resource first and writes only the fields the
    caller set that differ from Glue's, so running a flow's deploy step on every DAG run costs a few
    reads and no writes. Tags given in a spec are the resource's whole tag set and are kept in step with
    TagResource / UntagResource; a spec without ``Tags`` leaves the tags alone.
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
        return self._ensure(
            "crawler",
            spec,
            get=lambda: self.conn.get_crawler(Name=name)["Crawler"],
            create=lambda: self.conn.create_crawler(**spec),
            update=lambda: self.conn.update_crawler(**{k: v for k, v in spec.items() if k != "Tags"}),
        )

    def ensure_job(self, spec: dict[str, Any]) -> Outcome:
        """Create the job described by ``spec`` (CreateJob keyword arguments) or update it.

        UpdateJob replaces the whole definition, so the update sends every field of ``spec``, not only
        the changed ones.

        :param spec: CreateJob request, e.g. ``{"Name": ..., "Role": ..., "Command": {"Name": "pythonshell",
            "ScriptLocation": "s3://...", "PythonVersion": "3.9"}, "DefaultArguments": {...}}``.
        """
        name = spec["Name"]
        update = {k: v for k, v in spec.items() if k not in _NOT_DEFINITION}
        return self._ensure(
            "job",
            spec,
            get=lambda: self.conn.get_job(JobName=name)["Job"],
            create=lambda: self.conn.create_job(**spec),
            update=lambda: self.conn.update_job(JobName=name, JobUpdate=update),
        )

    def _ensure(
        self,
        kind: Literal["crawler", "job"],
        spec: dict[str, Any],
        *,
        get: Callable[[], dict[str, Any]],
        create: Callable[[], object],
        update: Callable[[], object],
    ) -> Outcome:
        """Create the resource, or update it when a field ``spec`` sets differs; then sync its tags."""
        name = spec["Name"]
        try:
            current = get()
        except self.conn.exceptions.EntityNotFoundException:
            create()
            self.log.info("Created Glue %s %s", kind, name)
            return "created"
        changed = changed_fields(spec, current)
        if changed:
            update()
            self.log.info("Updated Glue %s %s: %s", kind, name, ", ".join(changed))
        tags_changed = self._sync_tags(kind, name, spec.get("Tags"))
        return "updated" if changed or tags_changed else "unchanged"

    def _sync_tags(self, kind: str, name: str, wanted: Mapping[str, str] | None) -> bool:
        """Make the resource's tags exactly ``wanted``; None leaves them alone. True when anything changed."""
        if wanted is None:
            return False
        arn = f"arn:{self.conn_partition}:glue:{self.conn_region_name}:{self.account_id}:{kind}/{name}"
        current = self.conn.get_tags(ResourceArn=arn).get("Tags") or {}
        to_add = {k: v for k, v in wanted.items() if current.get(k) != v}
        to_remove = sorted(set(current) - set(wanted))
        if to_add:
            self.conn.tag_resource(ResourceArn=arn, TagsToAdd=to_add)
        if to_remove:
            self.conn.untag_resource(ResourceArn=arn, TagsToRemove=to_remove)
        if to_add or to_remove:
            self.log.info("Tags of Glue %s %s: set %s, removed %s", kind, name, sorted(to_add), to_remove)
        return bool(to_add or to_remove)

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
