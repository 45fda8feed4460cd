"""What the S3 store honours: the conditional requests the conversion relies on, learnt by asking it.

A store that ignores a condition answers as if it held, so the only honest way to know is to send a
condition that must fail and look at the answer. :func:`probe_conditions` does that once per run on
an object of its own, under the archive prefix, and removes it again.

AWS: conditional deletes (``If-Match`` on DeleteObject, the per-key ``ETag`` in DeleteObjects),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html; conditional writes
(``If-None-Match`` on PutObject, CompleteMultipartUpload and CopyObject),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from airflow_glue_flow.encoding.s3io import error_text, is_precondition_failed

PROBE_FOLDER = ".glueflow-probe/"
"""Folder under the archive prefix where the probe object lives for the few requests of the probe."""
# An ETag no object of the probe can have (the probe's body is not empty, so its MD5 is not this).
_WRONG_ETAG = '"00000000000000000000000000000000"'


@dataclass(frozen=True)
class StoreConditions:
    """Which conditional requests the store honours; ``why_not`` says what the probe saw otherwise."""

    conditional_delete: bool
    copy_if_none_match: bool
    put_if_none_match: bool
    why_not: str = ""


def sends(client: Any, operation: str, member: str) -> bool:
    """Whether this botocore can send ``member`` with ``operation`` (older releases lack conditions)."""
    model = client.meta.service_model
    if operation == "DeleteObjects":
        return member in model.shape_for("ObjectIdentifier").members
    return member in model.operation_model(operation).input_shape.members


def probe_conditions(client: Any, bucket: str, prefix: str) -> StoreConditions:
    """Send each condition the conversion relies on so that it must fail, and see whether it did.

    :param prefix: where the probe object may be written (the archive prefix).
    """
    folder = prefix + PROBE_FOLDER
    key = folder + uuid.uuid4().hex
    source = {"Bucket": bucket, "Key": key}
    problems: list[str] = []
    client.put_object(Bucket=bucket, Key=key, Body=b"conditional request probe")
    try:
        put_ok = _refused(
            problems,
            "PutObject If-None-Match",
            lambda: client.put_object(
                Bucket=bucket, Key=key, Body=b"conditional request probe", IfNoneMatch="*"
            ),
            sendable=sends(client, "PutObject", "IfNoneMatch"),
        )
        copy_ok = _refused(
            problems,
            "CopyObject If-None-Match",
            lambda: client.copy_object(
                CopySource=source,
                Bucket=bucket,
                Key=key,
                IfNoneMatch="*",
                MetadataDirective="REPLACE",  # a copy onto itself must change something to be legal
                Metadata={"probe": "copy"},
            ),
            sendable=sends(client, "CopyObject", "IfNoneMatch"),
        )
        delete_ok = _delete_refused(client, bucket, key, problems)
    finally:
        _remove_probe(client, bucket, folder)
    return StoreConditions(delete_ok, copy_ok, put_ok, "; ".join(problems))


def _refused(problems: list[str], name: str, call: Any, *, sendable: bool) -> bool:
    if not sendable:
        problems.append(f"this botocore cannot send {name}")
        return False
    try:
        call()
    except Exception as exc:
        if is_precondition_failed(exc):
            return True
        problems.append(f"{name} answered {error_text(exc)}")
        return False
    problems.append(f"{name} on an existing key was not refused")
    return False


def _delete_refused(client: Any, bucket: str, key: str, problems: list[str]) -> bool:
    name = "DeleteObjects with a per-key ETag"
    if not sends(client, "DeleteObjects", "ETag"):
        problems.append(f"this botocore cannot send {name}")
        return False
    try:
        response = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key, "ETag": _WRONG_ETAG}], "Quiet": True}
        )
    except Exception as exc:
        problems.append(f"{name} answered {error_text(exc)}")
        return False
    codes = [e.get("Code", "") for e in response.get("Errors", []) if e.get("Key") == key]
    if codes and codes[0] in ("PreconditionFailed", "412"):
        return True
    problems.append(f"{name} answered {codes[0]}" if codes else f"{name} deleted on a wrong ETag")
    return False


def _remove_probe(client: Any, bucket: str, folder: str) -> None:
    # The probe folder holds only probe objects (this run's, or one a crashed run left behind), so
    # removing them all unconditionally loses nothing; a failure here loses nothing either.
    with contextlib.suppress(Exception):
        listed = client.list_objects_v2(Bucket=bucket, Prefix=folder).get("Contents", [])
        if listed:
            objects = [{"Key": o["Key"]} for o in listed]
            client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
