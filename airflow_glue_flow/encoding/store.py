"""What the S3 store honours: the conditional requests the conversion relies on, learnt by asking it.

A store that ignores a condition answers as if it held, so the only honest way to know is to send a
condition that must fail and look at the answer. :func:`probe_conditions` does that once per run on the
first object the run has converted: its converted copy, which the run writes anyway. Each probe request,
if the store ignores its condition, leaves that copy as it was (a put or copy of its own bytes and
metadata) or removes it (the delete), and the run then writes it again; nothing else is ever written,
so a crash at any point leaves nothing but the conversion's own outputs, which a rerun completes.

AWS: conditional deletes (``If-Match`` on DeleteObject, the per-key ``ETag`` in DeleteObjects),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html; conditional writes
(``If-None-Match`` on PutObject, CompleteMultipartUpload and CopyObject),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_glue_flow.encoding.s3io import error_text, head_or_none, is_precondition_failed

PROBE_ETAG = '"00000000000000000000000000000000"'
"""The ETag the delete probe names: an all-zero MD5, which the probed object does not have."""


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


def probe_conditions(
    client: Any, bucket: str, key: str, size: int, part_size: int
) -> tuple[StoreConditions, bool]:
    """Send each condition the conversion relies on so that it must fail, and see whether it did.

    The probe runs on ``key``, a converted object this run has just written and verified (its source is
    still in place). A PutObject and a CopyObject with ``If-None-Match: *`` on it must be refused; a store
    that ignores the condition rewrites it with its own bytes and metadata, so they are sent only when it
    is one PutObject (``size`` under ``part_size``) and are otherwise taken as not honoured, which costs
    a HeadObject per object, never safety. A DeleteObjects naming it with a wrong ETag must be refused;
    a store that ignores the ETag deletes it, and the caller writes it again.

    :param key: the probed converted object.
    :param size: its size in bytes.
    :param part_size: the run's multipart threshold.
    :return: what the store honours, and whether the probe deleted ``key`` (the caller writes it again).
    """
    problems: list[str] = []
    put_ok = copy_ok = False
    if size >= part_size:
        problems.append(
            "If-None-Match on PutObject and CopyObject not probed: the first converted object "
            f"({size} bytes) is a multipart one, rewriting it to probe would cost a second upload"
        )
    else:
        put_ok, copy_ok = _probe_writes(client, bucket, key, problems)
    delete_ok = _delete_refused(client, bucket, key, problems)
    deleted = not delete_ok and head_or_none(client, bucket, key) is None
    return StoreConditions(delete_ok, copy_ok, put_ok, "; ".join(problems)), deleted


def _probe_writes(client: Any, bucket: str, key: str, problems: list[str]) -> tuple[bool, bool]:
    """PutObject and CopyObject with ``If-None-Match: *`` on ``key``, each carrying its bytes and metadata."""
    try:
        got = client.get_object(Bucket=bucket, Key=key)
        body = got["Body"].read()
    except Exception as exc:
        problems.append(f"If-None-Match not probed: reading {key} answered {error_text(exc)}")
        return False, False
    same = {"Metadata": got.get("Metadata", {})}
    if got.get("ContentType"):
        same["ContentType"] = got["ContentType"]
    put_ok = _refused(
        problems,
        "PutObject If-None-Match",
        lambda: client.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*", **same),
        sendable=sends(client, "PutObject", "IfNoneMatch"),
    )
    copy_ok = _refused(
        problems,
        "CopyObject If-None-Match",
        lambda: client.copy_object(
            CopySource={"Bucket": bucket, "Key": key},
            Bucket=bucket,
            Key=key,
            IfNoneMatch="*",
            MetadataDirective="REPLACE",  # a copy onto itself is legal only when it replaces metadata
            **same,
        ),
        sendable=sends(client, "CopyObject", "IfNoneMatch"),
    )
    return put_ok, copy_ok


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
            Bucket=bucket, Delete={"Objects": [{"Key": key, "ETag": PROBE_ETAG}], "Quiet": True}
        )
    except Exception as exc:
        problems.append(f"{name} answered {error_text(exc)}")
        return False
    codes = [e.get("Code", "") for e in response.get("Errors", []) if e.get("Key") == key]
    if codes and codes[0] in ("PreconditionFailed", "412"):
        return True
    problems.append(f"{name} answered {codes[0]}" if codes else f"{name} deleted on a wrong ETag")
    return False
