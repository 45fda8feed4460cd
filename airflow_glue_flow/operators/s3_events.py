"""Operator that sets up S3 event notifications to an SQS queue idempotently (queue, policy, bucket config)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context

from airflow_glue_flow.hooks.s3_events import DEFAULT_CONFIG_ID, S3EventQueueHook, queue_name_of


class S3EventQueueDeployOperator(AwsBaseOperator[S3EventQueueHook]):
    """Make a bucket send its S3 event notifications for a folder to an SQS queue.

    Creates the queue if missing, adds the queue policy statement that lets ``s3.amazonaws.com`` send
    the bucket's events, and adds (or replaces) one entry of the bucket's notification configuration;
    each is read first and written only when it differs, so it can run on every DAG run.

    :param bucket: the bucket whose events are sent (must exist).
    :param queue_url: the queue's URL; its last path segment is the queue name.
    :param prefix: only keys under this folder (S3 filter rule ``prefix``).
    :param suffix: only keys ending so (S3 filter rule ``suffix``); empty for all.
    :param events: the event types, default ``s3:ObjectCreated:*``.
    :param config_id: the ``Id`` of the notification configuration entry this operator owns.
    :return: ``{"queue": outcome, "notification": outcome, "queue_arn": arn}``; outcome ``created``,
        ``updated`` or ``unchanged``.
    """

    aws_hook_class = S3EventQueueHook
    template_fields: Sequence[str] = aws_template_fields(
        "bucket", "queue_url", "prefix", "suffix", "events", "config_id"
    )

    def __init__(
        self,
        *,
        bucket: str,
        queue_url: str,
        prefix: str = "",
        suffix: str = "",
        events: Sequence[str] = ("s3:ObjectCreated:*",),
        config_id: str = DEFAULT_CONFIG_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bucket, self.queue_url, self.config_id = bucket, queue_url, config_id
        # The notification's filter: event types and the key's prefix and suffix rules.
        self.events, self.prefix, self.suffix = list(events), prefix, suffix

    def execute(self, context: Context) -> dict[str, str]:
        queue_arn, queue = self.hook.ensure_queue(queue_name_of(self.queue_url), self.bucket)
        notification = self.hook.ensure_notification(
            self.bucket, self.config_id, queue_arn, prefix=self.prefix, suffix=self.suffix, events=self.events
        )
        self.log.info(
            "S3 events of s3://%s/%s go to %s: queue %s, notification %s",
            self.bucket,
            self.prefix,
            queue_arn,
            queue,
            notification,
        )
        return {"queue": queue, "notification": notification, "queue_arn": queue_arn}
