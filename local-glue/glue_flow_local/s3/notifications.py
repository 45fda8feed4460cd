"""S3 event notifications to SQS queues, sent the way Amazon S3 sends them.

moto keeps a bucket's notification configuration and calls ``moto.s3.notifications.send_event`` on every
object write, but its message lacks fields S3 sends (``sequencer``, ``userIdentity``,
``responseElements``, the bucket's ``ownerIdentity``), encodes ``/`` in keys as ``%2F``, and its test
event lacks ``RequestId`` / ``HostId``. :func:`install` makes moto send S3's messages instead
(:func:`event_record`, :func:`s3_test_event`). The configuration itself is checked as S3 checks it by
:mod:`.s3_notification_checks`, which also records the request each event message repeats.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from glue_flow_local.s3.request_context import requests

if TYPE_CHECKING:
    from moto.s3.notifications import S3NotificationEvent

#: Event types whose messages use version 2.3 of the structure; all other events use 2.1.
_V23_EVENTS = ("s3:ObjectAcl:", "s3:ObjectTagging:", "s3:LifecycleTransition", "s3:IntelligentTiering")


_sequence = itertools.count(1)


def _event_time() -> str:
    """ISO-8601 with milliseconds, as S3 writes ``eventTime`` (1970-01-01T00:00:00.000Z)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def encoded_key(key: str) -> str:
    """The object key as S3 puts it in event messages: form-URL-encoded (space -> ``+``), ``/`` kept."""
    return quote_plus(key, safe="/")


def event_record(event_name: str, bucket: Any, key: Any, configuration_id: str) -> dict[str, Any]:
    """One ``Records[]`` entry of S3's event message.

    :param event_name: the event type with its ``s3:`` prefix, e.g. ``s3:ObjectCreated:Put``.
    :param bucket: moto's bucket.
    :param key: moto's key (or delete marker).
    :param configuration_id: the ``Id`` of the notification configuration that matched.
    """
    info = requests.get()
    obj: dict[str, Any] = {"key": encoded_key(key.name)}
    if event_name.startswith("s3:ObjectCreated:"):
        obj.update(size=key.size, eTag=key.etag.strip('"'))
    if bucket.is_versioned and getattr(key, "version_id", None):
        obj["versionId"] = key.version_id
    if event_name.startswith(("s3:ObjectCreated:", "s3:ObjectRemoved:")):
        # Greater means later for the same key; a server-wide counter keeps that true.
        obj["sequencer"] = f"{int(datetime.now(UTC).timestamp() * 1000):012X}{next(_sequence):08X}"
    return {
        "eventVersion": "2.3" if event_name.startswith(_V23_EVENTS) else "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": _event_time(),
        "eventName": event_name.removeprefix("s3:"),
        "userIdentity": {"principalId": info.principal_id},
        "requestParameters": {"sourceIPAddress": info.source_ip},
        "responseElements": {"x-amz-request-id": info.request_id, "x-amz-id-2": info.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": bucket.account_id},
                "arn": f"arn:aws:s3:::{bucket.name}",
            },
            "object": obj,
        },
    }


def s3_test_event(bucket_name: str) -> dict[str, Any]:
    """The message S3 sends to each destination when a notification configuration is stored."""
    info = requests.get()
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": _event_time(),
        "Bucket": bucket_name,
        "RequestId": info.request_id,
        "HostId": info.host_id,
    }


def _send(account_id: str, queue_arn: str, message: dict[str, Any]) -> None:
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    try:
        queue_backend = sqs_backends[account or account_id][region]
        queue_backend.send_message(queue_name=name, message_body=json.dumps(message))
    except Exception:  # noqa: BLE001 - as in S3, a queue deleted after configuration loses the event
        return


# Takes moto's send_event's place, so it has its signature (moto passes its S3NotificationEvent enum).
def _send_event(account_id: str, event_name: S3NotificationEvent, bucket: Any, key: Any) -> None:
    configuration = bucket.notification_configuration
    if configuration is None or key is None:
        return
    event = str(getattr(event_name, "value", event_name))
    if event == "s3:ObjectCreated:Put" and getattr(key, "multipart", None) is not None:
        return  # moto stores a completed multipart upload with a PUT; S3 sends CompleteMultipartUpload only
    for notification in configuration.queue:
        if notification.matches(event, key.name):
            record = event_record(event, bucket, key, notification.id)
            _send(account_id, notification.arn, {"Records": [record]})
    if getattr(configuration, "event_bridge", None) is not None:
        from glue_flow_local.s3.eventbridge import send_to_eventbridge

        send_to_eventbridge(account_id, event, bucket, key)


def _send_test_event(account_id: str, bucket: Any) -> None:
    for arn in sorted({n.arn for n in bucket.notification_configuration.queue}):
        _send(account_id, arn, s3_test_event(bucket.name))


def install() -> None:
    """Make moto deliver S3's event messages (idempotent; moto's backends are process-wide anyway)."""
    from moto.s3 import notifications

    notifications.send_event = _send_event
    notifications.send_test_event = _send_test_event
