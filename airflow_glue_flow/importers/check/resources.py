"""The resources both sides of a check run against: the S3 state they start from, and injected faults.

Each side starts from the same S3 state: :func:`s3_snapshot` is taken before the first side runs, and
:func:`s3_restore` puts it back after each side (objects the side wrote or changed are put back, objects
it created are deleted). Faults are injected through the Glue API, so the same check runs against any
endpoint: a job fails because its script is replaced, for the scenario, by one that exits with an error
(:func:`failing_job`, UpdateJob); a crawl fails because its crawler's targets are replaced by an S3 path
in a bucket that does not exist, which a crawl cannot read (:func:`failing_crawler`, UpdateCrawler).
Both are put back as they were when the scenario ends.
https://docs.aws.amazon.com/glue/latest/webapi/API_UpdateJob.html
https://docs.aws.amazon.com/glue/latest/webapi/API_UpdateCrawler.html
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The bucket that holds the failing script (left out of every S3 comparison).
FAULT_BUCKET = "glue-flow-check-faults"
#: The S3 path a failing crawler is pointed at: its bucket is never created.
UNREADABLE_TARGET = "s3://glue-flow-check-no-such-bucket/unreadable/"
#: The script a failing job runs.
FAILING_SCRIPT = b"raise SystemExit('glue-flow import --check: injected fault, this job run fails')\n"
#: JobUpdate's fields (https://docs.aws.amazon.com/glue/latest/webapi/API_JobUpdate.html) GetJob returns.
_JOB_UPDATE_FIELDS = (
    "Description",
    "LogUri",
    "Role",
    "ExecutionProperty",
    "Command",
    "DefaultArguments",
    "NonOverridableArguments",
    "Connections",
    "MaxRetries",
    "Timeout",
    "MaxCapacity",
    "WorkerType",
    "NumberOfWorkers",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "ExecutionClass",
)

#: (bucket, key) -> the object's bytes; (bucket, "") stands for the bucket itself (no key is empty).
S3State = dict[tuple[str, str], bytes]


def s3_snapshot(s3: Any) -> S3State:
    """Every bucket but :data:`FAULT_BUCKET`, and every object in them with its bytes."""
    state: S3State = {}
    for bucket in sorted(b["Name"] for b in s3.list_buckets().get("Buckets", [])):
        if bucket == FAULT_BUCKET:
            continue
        state[(bucket, "")] = b""
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                state[(bucket, item["Key"])] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return state


def s3_changes(before: S3State, after: S3State) -> dict[str, str]:
    """``s3://bucket/key`` -> ``written <sha256[:12]>`` or ``deleted``, for each object or bucket that
    differs (a bucket as ``s3://bucket/``)."""
    changes = {}
    for place in sorted(set(before) | set(after)):
        uri = f"s3://{place[0]}/{place[1]}"
        if place not in after:
            changes[uri] = "deleted"
        elif place not in before and not place[1]:
            changes[uri] = "created"
        elif before.get(place) != after[place]:
            changes[uri] = f"written {hashlib.sha256(after[place]).hexdigest()[:12]}"
    return changes


def _create_bucket(s3: Any, bucket: str) -> None:
    """CreateBucket in the client's region (outside us-east-1 it must be named as the location)."""
    region = s3.meta.region_name
    where = (
        {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **where)


def s3_restore(s3: Any, snapshot: S3State) -> None:
    """Put S3 back as ``snapshot`` found it: delete new objects and buckets, put back the others."""
    now = s3_snapshot(s3)
    for bucket, key in snapshot:
        if not key and (bucket, key) not in now:
            _create_bucket(s3, bucket)
    for bucket, key in now:
        if key and (bucket, key) not in snapshot:
            s3.delete_object(Bucket=bucket, Key=key)
    for (bucket, key), body in snapshot.items():
        if key and now.get((bucket, key)) != body:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    for bucket, key in now:
        if not key and (bucket, key) not in snapshot:
            s3.delete_bucket(Bucket=bucket)


@contextmanager
def failing_job(glue: Any, s3: Any, name: str) -> Iterator[None]:
    """While open, job ``name`` runs :data:`FAILING_SCRIPT` (its definition is put back after)."""
    job = glue.get_job(JobName=name)["Job"]
    original = {key: job[key] for key in _JOB_UPDATE_FIELDS if key in job}
    try:
        _create_bucket(s3, FAULT_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_object(Bucket=FAULT_BUCKET, Key="failing_job.py", Body=FAILING_SCRIPT)
    command = {**original["Command"], "ScriptLocation": f"s3://{FAULT_BUCKET}/failing_job.py"}
    glue.update_job(JobName=name, JobUpdate={**original, "Command": command})
    try:
        yield
    finally:
        glue.update_job(JobName=name, JobUpdate=original)


@contextmanager
def failing_crawler(glue: Any, name: str) -> Iterator[None]:
    """While open, crawler ``name`` crawls :data:`UNREADABLE_TARGET` (its targets are put back after)."""
    targets = glue.get_crawler(Name=name)["Crawler"]["Targets"]
    glue.update_crawler(Name=name, Targets={"S3Targets": [{"Path": UNREADABLE_TARGET}]})
    try:
        yield
    finally:
        glue.update_crawler(Name=name, Targets=targets)


def remove_fault_bucket(s3: Any) -> None:
    """Delete :data:`FAULT_BUCKET` and the failing script, when a job fault made them."""
    try:
        s3.delete_object(Bucket=FAULT_BUCKET, Key="failing_job.py")
        s3.delete_bucket(Bucket=FAULT_BUCKET)
    except s3.exceptions.NoSuchBucket:
        pass
