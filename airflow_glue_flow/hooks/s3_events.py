"""Idempotent set-up of S3 event notifications to an SQS queue: the queue, its policy, the bucket's config.

What S3 needs before it sends a bucket's events to a queue (a standard queue whose policy lets the
service principal ``s3.amazonaws.com`` send messages from that bucket, then the bucket's notification
configuration naming the queue) is created here, reading first and writing only what differs. The
bucket's other notification configurations are kept: ``PutBucketNotificationConfiguration`` replaces the
whole configuration, so it is always written back whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook

Outcome = Literal["created", "updated", "unchanged"]

#: glue_etl_event_flow's queue unless ``GLUE_FLOW_EVENT_QUEUE_URL`` names another.
DEFAULT_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/glue-flow-landing"
#: The ``Id`` of the bucket notification configuration entry the flow owns.
DEFAULT_CONFIG_ID = "glue-flow-landing"

#: The configuration kinds GetBucketNotificationConfiguration returns (all written back on a change).
_CONFIG_KINDS = (
    "TopicConfigurations",
    "QueueConfigurations",
    "LambdaFunctionConfigurations",
    "EventBridgeConfiguration",
)


def queue_name_of(queue_url: str) -> str:
    """``https://sqs.us-east-1.amazonaws.com/123456789012/landing`` -> ``landing``."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    if not name:
        raise ValueError(f"not an SQS queue URL: {queue_url!r}")
    return name


def s3_send_statement(queue_arn: str, bucket: str, account: str) -> dict[str, Any]:
    """The queue policy statement that lets S3 send the bucket's event notifications (and only those).

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
    """
    return {
        "Sid": f"S3EventsFrom-{bucket}",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {
            "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
            "StringEquals": {"aws:SourceAccount": account},
        },
    }


def queue_configuration(
    config_id: str, queue_arn: str, events: Sequence[str], prefix: str = "", suffix: str = ""
) -> dict[str, Any]:
    """One ``QueueConfigurations`` entry as S3 returns it (filter rules only when set)."""
    config: dict[str, Any] = {"Id": config_id, "QueueArn": queue_arn, "Events": list(events)}
    rules = [
        {"Name": name, "Value": value} for name, value in (("prefix", prefix), ("suffix", suffix)) if value
    ]
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


def _normalised(config: dict[str, Any]) -> dict[str, Any]:
    rules = (config.get("Filter") or {}).get("Key", {}).get("FilterRules", [])
    return {
        "QueueArn": config.get("QueueArn"),
        "Events": sorted(config.get("Events", [])),
        "Rules": sorted((r["Name"].lower(), r["Value"]) for r in rules),
    }


def ensure_bucket(s3: Any, bucket: str) -> bool:
    """Create ``bucket`` unless it exists (a fresh local Glue has none); True when it was created.

    :param s3: a boto3 S3 client.
    :param bucket: the bucket's name.
    """
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
    region = s3.meta.region_name
    # S3 refuses a LocationConstraint of us-east-1 and needs one everywhere else.
    location = (
        {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    return True


class S3EventQueueHook(AwsBaseHook):
    """Create the SQS queue that receives a bucket's S3 event notifications, and point the bucket at it.

    Takes the amazon provider's usual hook arguments (``aws_conn_id``, ``region_name``, ``verify``,
    ``config``); the S3 calls use the same connection.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "sqs"
        super().__init__(*args, **kwargs)

    def _s3(self) -> Any:
        return S3Hook(
            aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify, config=self.config
        ).get_conn()

    def ensure_bucket(self, bucket: str) -> Outcome:
        """Create ``bucket`` unless it exists (a fresh local Glue or account has none, and S3 refuses a
        notification configuration for a missing bucket); ``created`` or ``unchanged``."""
        return "created" if ensure_bucket(self._s3(), bucket) else "unchanged"

    def ensure_queue(self, name: str, bucket: str) -> tuple[str, Outcome]:
        """Create queue ``name`` if missing and let S3 send ``bucket``'s events to it.

        Other statements of the queue policy are kept; this bucket's statement is added or replaced.

        :param name: the queue name (a standard queue: S3 does not send to FIFO queues).
        :param bucket: the bucket whose events the queue receives.
        :return: the queue ARN and ``created``, ``updated`` (policy changed) or ``unchanged``.
        """
        sqs = self.get_conn()
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            outcome: Outcome = "unchanged"
        except sqs.exceptions.QueueDoesNotExist:
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            outcome = "created"
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "Policy"])[
            "Attributes"
        ]
        arn = attributes["QueueArn"]
        wanted = s3_send_statement(arn, bucket, arn.split(":")[4])
        policy = json.loads(attributes.get("Policy") or '{"Version": "2012-10-17", "Statement": []}')
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        if wanted not in statements:
            policy["Statement"] = [s for s in statements if s.get("Sid") != wanted["Sid"]] + [wanted]
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
            outcome = "updated" if outcome == "unchanged" else outcome
        return arn, outcome

    def ensure_notification(
        self,
        bucket: str,
        config_id: str,
        queue_arn: str,
        *,
        prefix: str = "",
        suffix: str = "",
        events: Sequence[str] = ("s3:ObjectCreated:*",),
    ) -> Outcome:
        """Make the bucket send ``events`` for keys under ``prefix`` (ending in ``suffix``) to the queue.

        The entry with ``Id`` ``config_id`` is added or replaced; the bucket's other configurations stay.
        S3 sends an ``s3:TestEvent`` to the queue whenever the configuration is written.

        :return: ``created``, ``updated`` or ``unchanged``.
        """
        s3 = self._s3()
        current = s3.get_bucket_notification_configuration(Bucket=bucket)
        configuration = {kind: current[kind] for kind in _CONFIG_KINDS if kind in current}
        queues = configuration.get("QueueConfigurations", [])
        wanted = queue_configuration(config_id, queue_arn, events, prefix, suffix)
        existing = next((q for q in queues if q.get("Id") == config_id), None)
        if existing is not None and _normalised(existing) == _normalised(wanted):
            return "unchanged"
        configuration["QueueConfigurations"] = [q for q in queues if q.get("Id") != config_id] + [wanted]
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
        return "created" if existing is None else "updated"
