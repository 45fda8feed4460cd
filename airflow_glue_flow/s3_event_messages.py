"""Read the object keys out of S3 event notifications that reached Airflow through an SQS queue.

An ``AssetWatcher`` on the queue (``MessageQueueTrigger(scheme="sqs")``, which runs the amazon provider's
``SqsSensorTrigger``) turns each batch of received messages into an asset event whose ``extra`` is
``{"from_trigger": True, "payload": {"status": "success", "message_batch": [<SQS message>, ...]}}``.
Each message ``Body`` is S3's event message (``Records[]``), or the ``s3:TestEvent`` S3 sends when a
notification configuration is written. Message structure:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus


@dataclass
class LandedObjects:
    """What a run's S3 events say landed: the keys to process, and what was left out and why."""

    keys: list[str] = field(default_factory=list)
    #: ``(what, why)`` for every record or message that is not a new object under the watched folder.
    ignored: list[tuple[str, str]] = field(default_factory=list)


def sqs_messages(asset_events: Iterable[Any]) -> list[Mapping[str, Any]]:
    """The SQS messages carried by asset events a message-queue watcher created, oldest event first.

    :param asset_events: the run's triggering asset events (objects with ``extra``, or their dicts).
    """
    messages: list[Mapping[str, Any]] = []
    for event in asset_events:
        extra = event.get("extra") if isinstance(event, Mapping) else getattr(event, "extra", None)
        payload = (extra or {}).get("payload") or {}
        messages.extend(payload.get("message_batch") or [])
    return messages


def landed_objects(messages: Iterable[Mapping[str, Any]], bucket: str, prefix: str) -> LandedObjects:
    """The keys of objects created under ``s3://bucket/prefix`` that the messages report, in order, once.

    Test events, removals and other event types, other buckets and keys outside ``prefix`` are listed in
    ``ignored`` with the reason; a message that is not an S3 event message is too (a queue can receive
    other senders' messages, and the trigger has already deleted it from the queue).

    :param messages: SQS messages (dicts with ``MessageId`` and ``Body``).
    :param bucket: the bucket the flow reads.
    :param prefix: the folder new files land in.
    """
    landed = LandedObjects()
    # The keys already in ``landed.keys``: a membership test in the list made a batch of n events O(n²).
    seen: set[str] = set()
    for message in messages:
        message_id = str(message.get("MessageId", "?"))
        try:
            body = json.loads(message.get("Body") or "")
        except ValueError:
            landed.ignored.append((f"message {message_id}", "its body is not JSON"))
            continue
        if not isinstance(body, dict):
            landed.ignored.append((f"message {message_id}", "its body is not a JSON object"))
            continue
        if body.get("Event") == "s3:TestEvent":
            landed.ignored.append(
                (f"message {message_id}", f"the s3:TestEvent of bucket {body.get('Bucket')}")
            )
            continue
        records = body.get("Records")
        if not isinstance(records, list):
            landed.ignored.append((f"message {message_id}", "it is not an S3 event message (no Records)"))
            continue
        for record in records:
            _take(record, message_id, bucket, prefix, landed, seen)
    return landed


def _take(
    record: Any, message_id: str, bucket: str, prefix: str, landed: LandedObjects, seen: set[str]
) -> None:
    s3 = record.get("s3") if isinstance(record, dict) else None
    if not isinstance(s3, dict) or record.get("eventSource") != "aws:s3":
        landed.ignored.append((f"message {message_id}", "a record that is not an S3 event"))
        return
    # AWS: compare the major version only; a new major version may change fields this code reads.
    if str(record.get("eventVersion", "")).split(".")[0] != "2":
        landed.ignored.append((f"message {message_id}", f"S3 event version {record.get('eventVersion')}"))
        return
    record_bucket = (s3.get("bucket") or {}).get("name", "")
    key = unquote_plus((s3.get("object") or {}).get("key", ""))
    where = f"s3://{record_bucket}/{key}"
    event_name = str(record.get("eventName", ""))
    if not event_name.startswith("ObjectCreated:"):
        landed.ignored.append((where, f"{event_name} is not an object creation"))
    elif record_bucket != bucket:
        landed.ignored.append((where, f"not in the flow's bucket {bucket}"))
    elif not key.startswith(prefix) or key == prefix:
        landed.ignored.append((where, f"not under the flow's folder {prefix}"))
    elif key not in seen:
        seen.add(key)
        landed.keys.append(key)
