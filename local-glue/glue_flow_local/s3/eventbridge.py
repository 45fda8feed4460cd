"""S3 events to Amazon EventBridge, for buckets with ``EventBridgeConfiguration``, as S3 sends them.

Each object-created or object-deleted event becomes an EventBridge event (``source`` ``aws.s3``,
``detail-type`` ``Object Created`` / ``Object Deleted``) matched against the enabled rules moto keeps.
A rule target that is a Glue workflow (``arn:aws:glue:<region>:<account>:workflow/<name>``) reaches the
workflow's EVENT trigger (:data:`workflow_targets`); other targets go to moto's delivery.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
https://docs.aws.amazon.com/glue/latest/dg/starting-workflow-eventbridge.html
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from glue_flow_local.s3.request_context import requests

log = logging.getLogger(__name__)
#: Receivers of events for Glue workflow targets: (region, workflow name, event) each.
workflow_targets: list[Callable[[str, str, dict[str, Any]], None]] = []
_REASONS = {
    "s3:ObjectCreated:Put": ("Object Created", "PutObject"),
    "s3:ObjectCreated:Post": ("Object Created", "PostObject"),
    "s3:ObjectCreated:Copy": ("Object Created", "CopyObject"),
    "s3:ObjectCreated:CompleteMultipartUpload": ("Object Created", "CompleteMultipartUpload"),
    "s3:ObjectRemoved:Delete": ("Object Deleted", "DeleteObject"),
    "s3:ObjectRemoved:DeleteMarkerCreated": ("Object Deleted", "DeleteObject"),
}


def eventbridge_event(account_id: str, event_name: str, bucket: Any, key: Any) -> dict[str, Any] | None:
    """The EventBridge event S3 sends for one S3 event, or None for an event S3 does not send there."""
    if event_name not in _REASONS:
        return None
    detail_type, reason = _REASONS[event_name]
    info = requests.get()
    obj: dict[str, Any] = {"key": key.name, "sequencer": f"{int(datetime.now(UTC).timestamp() * 1e6):X}"}
    if detail_type == "Object Created":
        obj.update({"size": key.size, "etag": key.etag.strip('"')})
    if getattr(key, "version_id", None) and key.version_id != "null":
        obj["version-id"] = key.version_id
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": bucket.region_name,
        "resources": [f"arn:aws:s3:::{bucket.name}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": info.request_id,
            "requester": account_id,
            "source-ip-address": info.source_ip,
            "reason": reason,
        },
    }


def send_to_eventbridge(account_id: str, event_name: str, bucket: Any, key: Any) -> None:
    """Deliver one S3 event to the default event bus's matching rules (nothing when none match)."""
    event = eventbridge_event(account_id, event_name, bucket, key)
    if event is None:
        return
    from moto.events.models import events_backends

    backend = events_backends[account_id][bucket.region_name]
    message: Any = event  # moto's EventMessageType is this dict
    for bus in list(backend.event_buses.values()):
        for rule in list(bus.rules.values()):
            if rule.state != "ENABLED" or not rule.event_pattern.matches_event(message):
                continue
            others = []
            for target in rule.targets:
                parts = str(target.get("Arn", "")).split(":", 5)
                if len(parts) == 6 and parts[2] == "glue" and parts[5].startswith("workflow/"):
                    for receiver in workflow_targets:
                        receiver(parts[3], parts[5].split("/", 1)[1], event)
                else:
                    others.append(target)
            if others:
                rest = copy.copy(rule)
                rest.targets = others
                try:
                    rest.send_to_targets(message)
                except Exception:  # noqa: BLE001 - as in AWS, a failed delivery does not fail the S3 request
                    log.exception("EventBridge rule %s: delivering an S3 event", rule.name)
