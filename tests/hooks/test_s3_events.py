"""S3EventQueueHook and ``glue-flow events setup`` against the local Glue: queue, policy, bucket configuration.

What S3 needs before it sends events to a queue (the queue policy for ``s3.amazonaws.com``):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
PutBucketNotificationConfiguration replaces the whole configuration, so the hook writes it back whole:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from airflow_glue_flow.hooks.s3_events import S3EventQueueHook

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "airflow_glue_flow.cli"]


@pytest.fixture
def hook(aws_conn_id: str) -> S3EventQueueHook:
    return S3EventQueueHook(aws_conn_id=aws_conn_id)


def _queue_url(unique: Any) -> str:
    return f"https://sqs.us-east-1.amazonaws.com/123456789012/{unique('landing')}"


def test_setup_creates_once_then_changes_nothing_and_keeps_other_configurations(
    hook, s3_client, bucket, unique
):
    other_arn, _ = hook.ensure_queue(unique("other"), bucket)
    assert hook.ensure_notification(bucket, "someone-elses", other_arn, prefix="logs/") == "created"
    name = unique("landing")

    arn, created = hook.ensure_queue(name, bucket)
    first = hook.ensure_notification(bucket, "glue-flow-landing", arn, prefix="raw/", suffix=".csv")
    again = (
        hook.ensure_queue(name, bucket)[1],
        hook.ensure_notification(bucket, "glue-flow-landing", arn, prefix="raw/", suffix=".csv"),
    )
    moved = hook.ensure_notification(bucket, "glue-flow-landing", arn, prefix="landing/")

    assert (created, first, again, moved) == ("created", "created", ("unchanged", "unchanged"), "updated")
    configs = {
        c["Id"]: c
        for c in s3_client.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    }
    assert set(configs) == {"someone-elses", "glue-flow-landing"}
    assert configs["glue-flow-landing"]["Filter"]["Key"]["FilterRules"] == [
        {"Name": "prefix", "Value": "landing/"}
    ]


def test_a_second_bucket_gets_its_own_policy_statement_and_the_first_keeps_its_own(hook, s3_client, unique):
    sqs = hook.get_conn()
    buckets = [unique("one").replace("_", "-"), unique("two").replace("_", "-")]
    name = unique("shared")
    for bucket in buckets:
        s3_client.create_bucket(Bucket=bucket)
        arn, _ = hook.ensure_queue(name, bucket)
        hook.ensure_notification(bucket, "glue-flow-landing", arn, prefix="raw/")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    sources = [s["Condition"]["ArnLike"]["aws:SourceArn"] for s in policy["Statement"]]
    assert sources == [f"arn:aws:s3:::{b}" for b in buckets]


def test_the_cli_sets_up_the_local_glue_so_an_upload_reaches_the_queue(local_glue, s3_client, unique):
    queue_url = _queue_url(unique)
    # A fresh local Glue has no bucket: the command creates it, as the flow's deploy task would.
    bucket = unique("events").replace("_", "-")
    command = [*CLI, "events", "setup", "--endpoint-url", local_glue.endpoint_url, "--bucket", bucket]
    command += ["--prefix", "raw/", "--queue-url", queue_url]

    def outcomes() -> list[str]:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
        # Airflow's own log lines go to stdout too; the command's report is its last three lines.
        assert out[-3].startswith(f"bucket s3://{bucket}: "), out
        assert out[-2].startswith("queue arn:aws:sqs:") and out[-1].startswith(f"s3://{bucket}/raw/ "), out
        return [line.rsplit(": ", 1)[1] for line in out[-3:]]

    first, second = outcomes(), outcomes()

    assert first == ["created", "created", "created"]
    assert second == ["unchanged", "unchanged", "unchanged"]
    s3_client.put_object(Bucket=bucket, Key="raw/a.csv", Body=b"x")
    sqs = local_glue.client("sqs")
    bodies = []
    for _ in range(10):
        bodies += [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get(
                "Messages", []
            )
        ]
        if any("Records" in b for b in bodies):
            break
    assert [b.get("Event") for b in bodies if "Event" in b] == ["s3:TestEvent"]
    assert [b["Records"][0]["s3"]["object"]["key"] for b in bodies if "Records" in b] == ["raw/a.csv"]
