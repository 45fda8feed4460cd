"""Object keys read from S3 event notifications that reached Airflow through an SQS asset watcher.

S3's message (URL-encoded keys, ``s3:TestEvent``, compare the major ``eventVersion`` only):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
The asset event a watcher's trigger creates: ``extra = {"from_trigger": True, "payload": <event payload>}``,
and SqsSensorTrigger's payload is ``{"status": "success", "message_batch": [<messages>]}``.
"""

from __future__ import annotations

import json
import random
from types import SimpleNamespace
from typing import Any

from airflow_glue_flow.s3_event_messages import landed_objects, sqs_messages


def _record(
    key: str, *, bucket: str = "landing", event: str = "ObjectCreated:Put", version: str = "2.1"
) -> dict:
    return {
        "eventVersion": version,
        "eventSource": "aws:s3",
        "eventName": event,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }


def _message(body: Any, message_id: str = "m1") -> dict[str, Any]:
    return {"MessageId": message_id, "Body": body if isinstance(body, str) else json.dumps(body)}


def test_keys_are_decoded_kept_in_order_and_once():
    messages = [
        _message({"Records": [_record("raw/year%3D2024/%E5%A3%B2%E4%B8%8A+1.csv")]}, "m1"),
        _message(
            {"Records": [_record("raw/b.csv"), _record("raw/year%3D2024/%E5%A3%B2%E4%B8%8A+1.csv")]}, "m2"
        ),
    ]
    landed = landed_objects(messages, "landing", "raw/")
    assert landed.keys == ["raw/year=2024/売上 1.csv", "raw/b.csv"]
    assert landed.ignored == []


def test_a_key_is_kept_once_at_its_first_creation_event():
    # A key URL-encoded two ways is one key; a removal before the creation does not place it.
    records = [
        _record("raw/b.csv", event="ObjectRemoved:Delete"),
        _record("raw/c.csv"),
        _record("raw/a+1.csv"),
        _record("raw/c.csv"),
        _record("raw/b.csv"),
        _record("raw/a%201.csv"),
        _record("raw/c.csv", event="ObjectCreated:Copy"),
        _record("raw/b.csv"),
    ]
    landed = landed_objects(
        [_message({"Records": records[:4]}), _message({"Records": records[4:]})], "landing", "raw/"
    )
    assert landed.keys == ["raw/c.csv", "raw/a 1.csv", "raw/b.csv"]
    assert landed.ignored == [("s3://landing/raw/b.csv", "ObjectRemoved:Delete is not an object creation")]


def test_a_large_batch_with_many_repeated_keys_keeps_each_key_once_in_first_seen_order():
    # 50,000 records naming 5,000 keys (an object overwritten many times between two runs), 25 per message.
    rng = random.Random(20241130)
    names = [f"raw/day={n % 31}/part {n}.csv" for n in range(5_000)]
    picked = [rng.choice(names) for _ in range(50_000)]
    records = [_record(name.replace(" ", "+")) for name in picked]
    messages = [_message({"Records": records[i : i + 25]}, f"m{i}") for i in range(0, len(records), 25)]

    landed = landed_objects(messages, "landing", "raw/")

    assert landed.keys == list(dict.fromkeys(picked))
    assert len(landed.keys) == len(set(picked)) > 4_900
    assert landed.ignored == []


def test_what_is_not_a_new_object_in_the_folder_is_listed_with_the_reason():
    messages = [
        _message({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "landing"}, "test"),
        _message("not json", "junk"),
        _message({"hello": "world"}, "other"),
        _message(
            {
                "Records": [
                    _record("raw/gone.csv", event="ObjectRemoved:Delete"),
                    _record("raw/a.csv", bucket="elsewhere"),
                    _record("archive/a.csv"),
                    _record("raw/"),
                    _record("raw/v3.csv", version="3.0"),
                    {"eventSource": "aws:sqs"},
                ]
            },
            "records",
        ),
    ]
    landed = landed_objects(messages, "landing", "raw/")
    assert landed.keys == []
    reasons = dict(landed.ignored[:3])
    assert "s3:TestEvent" in reasons["message test"]
    assert "not JSON" in reasons["message junk"]
    assert "no Records" in reasons["message other"]
    rest = landed.ignored[3:]
    assert [what for what, _ in rest] == [
        "s3://landing/raw/gone.csv",
        "s3://elsewhere/raw/a.csv",
        "s3://landing/archive/a.csv",
        "s3://landing/raw/",
        "message records",
        "message records",
    ]
    assert "ObjectRemoved:Delete is not an object creation" in rest[0][1]
    assert "version 3.0" in rest[4][1]


def test_messages_come_from_every_triggering_asset_event_in_order():
    first = SimpleNamespace(extra={"from_trigger": True, "payload": {"message_batch": [_message({}, "a")]}})
    second = {
        "extra": {"from_trigger": True, "payload": {"message_batch": [_message({}, "b"), _message({}, "c")]}}
    }
    manual = SimpleNamespace(extra={})
    assert [m["MessageId"] for m in sqs_messages([first, manual, second])] == ["a", "b", "c"]
