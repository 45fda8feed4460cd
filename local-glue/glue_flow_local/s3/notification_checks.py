"""``PutBucketNotificationConfiguration`` checked as Amazon S3 checks it, before moto stores anything.

S3 validates every destination when the configuration is put and stores nothing if one fails: each queue
must exist in the bucket's Region, must be a standard (not FIFO) queue, and its policy must let
``s3.amazonaws.com`` send messages from this bucket (``InvalidArgument``: "Unable to validate the
following destination configurations", with one ``ArgumentName``/``ArgumentValue`` pair per queue).
Filter rules are ``prefix`` or ``suffix``, each at most once; two configurations that share an event type
must not both match one key. SNS and Lambda destinations are refused by name: the local Glue delivers to
SQS and EventBridge (:mod:`.eventbridge`) only. :class:`S3NotificationChecks` also records each S3 write's request id, caller and
address for the event messages (:mod:`.s3_notifications`) and answers with that request id.
"""

from __future__ import annotations

import io
import itertools
import os
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from glue_flow_local.protocol.auth import access_key_of, credential_scope
from glue_flow_local.protocol.errors import S3Error
from glue_flow_local.s3.request_context import RequestInfo, requests
from glue_flow_local.sqs.policy import UnsupportedPolicy, s3_may_send

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_UNABLE_TO_VALIDATE = "Unable to validate the following destination configurations"
_OVERLAP = "Configurations overlap. Configurations on the same bucket cannot share a common event type."
_NO_PERMISSION = (
    "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
)
_OTHER_DESTINATIONS = {
    "TopicConfiguration": "Amazon SNS topics",
    "CloudFunctionConfiguration": "AWS Lambda functions",
}


@dataclass(frozen=True)
class QueueConfig:
    """One ``QueueConfiguration``: the queue ARN, its event types and its key filter."""

    arn: str
    events: tuple[str, ...]
    prefix: str = ""
    suffix: str = ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element, name: str) -> list[str]:
    return [(child.text or "") for child in element if _local(child.tag) == name]


def _invalid(message: str, **extra: str) -> S3Error:
    return S3Error("InvalidArgument", message, 400, **extra)


def parse_queue_configurations(body: bytes) -> list[QueueConfig]:
    """The queue configurations of a ``NotificationConfiguration`` document, filter rules checked.

    :raises S3Error: malformed XML, a filter rule S3 refuses, or a destination other than SQS.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
            400,
        ) from None
    configs = []
    for element in root:
        kind = _local(element.tag)
        if kind in _OTHER_DESTINATIONS:
            raise S3Error(
                "NotImplemented",
                "The local Glue delivers S3 event notifications to Amazon SQS queues and Amazon EventBridge "
                "only, not to "
                f"{_OTHER_DESTINATIONS[kind]} ({kind})",
                501,
            )
        if kind != "QueueConfiguration":
            continue
        rules: dict[str, str] = {}
        for rule in (r for r in element.iter() if _local(r.tag) == "FilterRule"):
            name = "".join(_text(rule, "Name"))
            if name not in ("prefix", "suffix"):
                raise _invalid("FilterRule name must be either prefix or suffix", ArgumentName=name)
            if name in rules:
                raise _invalid(f"Cannot specify more than one {name} rule in a filter.", ArgumentName=name)
            rules[name] = "".join(_text(rule, "Value"))
        configs.append(QueueConfig("".join(_text(element, "Queue")), tuple(_text(element, "Event")), **rules))
    return configs


def _share_event_type(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    def family(event: str) -> str:
        return event.rsplit(":", 1)[0]

    return any(x == y or ("*" in (x[-1], y[-1]) and family(x) == family(y)) for x in a for y in b)


def check_overlaps(configs: list[QueueConfig]) -> None:
    """S3 refuses two configurations that share an event type and whose filters can match one key."""
    for a, b in itertools.combinations(configs, 2):
        if not _share_event_type(a.events, b.events):
            continue
        prefixes_overlap = a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)
        suffixes_overlap = a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)
        if prefixes_overlap and suffixes_overlap:
            raise _invalid(_OVERLAP)


def check_destinations(configs: list[QueueConfig], bucket: Any) -> None:
    """Each queue exists in the bucket's Region, is a standard queue, and lets S3 send from this bucket.

    :param configs: the queue configurations.
    :param bucket: moto's bucket.
    :raises S3Error: ``InvalidArgument`` naming each queue S3 could not validate, and why.
    """
    from moto.sqs.models import sqs_backends

    problems: list[tuple[str, str]] = []
    for arn in dict.fromkeys(c.arn for c in configs):
        parts = arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs" or parts[3] != bucket.region_name:
            problems.append((arn, "The destination queue is not in the bucket's Region"))
            continue
        queue = sqs_backends[parts[4]][parts[3]].queues.get(parts[5])
        if queue is None:
            problems.append((arn, "The destination queue does not exist"))
        elif queue.fifo_queue:
            problems.append((arn, "FIFO queues are not supported as S3 event notification destinations"))
        else:
            try:
                allowed = s3_may_send(queue.policy, arn, f"arn:aws:s3:::{bucket.name}", bucket.account_id)
            except UnsupportedPolicy as unsupported:
                raise S3Error("NotImplemented", f"Queue policy of {arn}: {unsupported}", 501) from None
            if not allowed:
                problems.append((arn, _NO_PERMISSION))
    if problems:
        extra = {}
        for number, (arn, reason) in enumerate(problems, 1):
            extra[f"ArgumentName{number}"] = arn
            extra[f"ArgumentValue{number}"] = reason
        raise _invalid(_UNABLE_TO_VALIDATE, **extra)


def _bucket(environ: dict[str, Any], name: str) -> Any:
    """moto's bucket, or None when missing (moto then answers NoSuchBucket itself)."""
    from moto.iam.models import get_account_id_from
    from moto.s3.models import s3_backends

    account = os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(access_key_of(environ))
    return s3_backends[account]["aws"].buckets.get(name)


class S3NotificationChecks:
    """WSGI middleware in front of moto's S3: checks notification configurations, records S3 writes.

    :param inner: the WSGI application that serves S3 (moto).
    """

    def __init__(self, inner: WsgiApp) -> None:
        self._inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = credential_scope(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        if scope is None or scope.service != "s3" or method not in ("PUT", "POST", "DELETE"):
            return self._inner(environ, start_response)
        path = environ.get("PATH_INFO", "").lstrip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method == "PUT" and "notification" in query and path and "/" not in path:
            try:
                self._check(environ, path)
            except S3Error as refusal:
                return refusal.respond(start_response)
        info = RequestInfo(
            request_id=secrets.token_hex(8).upper(),
            host_id=secrets.token_urlsafe(48),
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            principal_id=f"AWS:{scope.access_key}",
        )

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # S3 answers with the request id its event messages carry.
            kept = [
                (n, v)
                for n, v in headers
                if n.lower() not in ("x-amz-request-id", "x-amz-id-2", "x-amzn-requestid")
            ]
            return start_response(
                status, [*kept, ("x-amz-request-id", info.request_id), ("x-amz-id-2", info.host_id)], exc_info
            )

        with requests.current(info):
            return [b"".join(self._inner(environ, respond))]

    def _check(self, environ: dict[str, Any], bucket_name: str) -> None:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        bucket = _bucket(environ, bucket_name)
        if bucket is None:
            return
        configs = parse_queue_configurations(body)
        check_overlaps(configs)
        check_destinations(configs, bucket)
