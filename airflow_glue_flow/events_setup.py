"""``glue-flow events setup``: the one-time set-up of ``glue_etl_event_flow``'s S3 event notifications.

The event-driven DAG's watcher reads the queue from the moment the DAG is unpaused, so the queue (and the
bucket's notification configuration that fills it) must exist first. This command creates both
(and the bucket, when missing), idempotently, in the local Glue (``--endpoint-url``) or in AWS (the Airflow connection ``--conn-id``, or
boto3's usual credentials); the DAG's ``deploy_notifications`` task then keeps them in step on every run.
"""

from __future__ import annotations

import argparse
import json
import os
from unittest import mock

from airflow_glue_flow.hooks.s3_events import DEFAULT_CONFIG_ID, DEFAULT_QUEUE_URL
from airflow_glue_flow.sample import DEFAULT_BUCKET, DEFAULT_PREFIX, add_target_arguments

_LOCAL_CONN_ID = "glue_flow_events_local"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``glue-flow events setup``."""
    parser.add_argument(
        "--bucket", default=DEFAULT_BUCKET, help="bucket whose uploads start runs (default %(default)s)"
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="folder watched (default %(default)s)")
    parser.add_argument("--suffix", default="", help="only keys ending so, e.g. .csv (default: all)")
    parser.add_argument(
        "--queue-url",
        default=os.environ.get("GLUE_FLOW_EVENT_QUEUE_URL", DEFAULT_QUEUE_URL),
        help="the queue (default: GLUE_FLOW_EVENT_QUEUE_URL, else %(default)s)",
    )
    add_target_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Create the queue, its policy and the bucket's notification configuration; print what changed."""
    from airflow_glue_flow.hooks.s3_events import S3EventQueueHook, queue_name_of

    conn_id, env = args.conn_id, {}
    if args.endpoint_url:
        # The local Glue is reached through an Airflow connection of its own, as the DAGs reach it.
        from glue_flow_local.settings import Credentials

        credentials = Credentials.from_env()
        extra = {"endpoint_url": args.endpoint_url, "region_name": args.region or "us-east-1"}
        connection = {
            "conn_type": "aws",
            "login": credentials.access_key_id,
            "password": credentials.secret_access_key,
            "extra": extra,
        }
        conn_id, env = _LOCAL_CONN_ID, {f"AIRFLOW_CONN_{_LOCAL_CONN_ID.upper()}": json.dumps(connection)}
    with mock.patch.dict(os.environ, env):
        hook = S3EventQueueHook(aws_conn_id=conn_id, region_name=args.region)
        bucket = hook.ensure_bucket(args.bucket)
        queue_arn, queue = hook.ensure_queue(queue_name_of(args.queue_url), args.bucket)
        notification = hook.ensure_notification(
            args.bucket, DEFAULT_CONFIG_ID, queue_arn, prefix=args.prefix, suffix=args.suffix
        )
    print(f"bucket s3://{args.bucket}: {bucket}")
    print(f"queue {queue_arn}: {queue}")
    print(f"s3://{args.bucket}/{args.prefix} ObjectCreated events -> queue: {notification}")
    return 0
