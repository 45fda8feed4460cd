"""boto3 clients the local Glue uses to call itself (its crawls and job runs go through the same API)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

#: The credentials the local Glue accepts unless it is started with others.
DEFAULT_ACCESS_KEY_ID = "testing"
DEFAULT_SECRET_ACCESS_KEY = "testing"


def local_client(endpoint_url: str, service: str, region: str) -> Any:
    """A boto3 client for one service of the local Glue.

    :param endpoint_url: the local Glue's URL.
    :param service: ``s3``, ``glue`` or ``logs``.
    :param region: the region whose state the client reads and writes.
    """
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=DEFAULT_ACCESS_KEY_ID,
        aws_secret_access_key=DEFAULT_SECRET_ACCESS_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2, "mode": "standard"}),
    )
