"""boto3 clients the local Glue uses to call itself (its crawls and job runs go through the same API)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from glue_flow_local.settings import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, Credentials

__all__ = ["DEFAULT_ACCESS_KEY_ID", "DEFAULT_SECRET_ACCESS_KEY", "local_client", "server_client"]


def local_client(
    endpoint_url: str,
    service: str,
    region: str,
    credentials: Credentials | None = None,
    session: boto3.session.Session | None = None,
) -> Any:
    """A boto3 client for one service of the local Glue.

    :param endpoint_url: the local Glue's URL.
    :param service: ``s3``, ``glue`` or ``logs``.
    :param region: the region whose state the client reads and writes.
    :param credentials: the server's credentials (default: the default ones).
    :param session: the boto3 session to create it from (default: a new one). A session loads each
        service model once, so a caller making many clients saves about 0.1 s of CPU per client.
    """
    credentials = credentials or Credentials()
    return (session or boto3.session.Session()).client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2, "mode": "standard"}),
    )


@lru_cache(maxsize=64)
def server_client(endpoint_url: str, service: str, region: str, credentials: Credentials) -> Any:
    """The boto3 client the server's own crawls and job runs share, per service and region.

    boto3 clients are thread-safe; building one per crawl or run loads the service model again and
    grew the server by megabytes per run.

    :param endpoint_url: the local Glue's URL.
    :param service: ``s3``, ``glue`` or ``logs``.
    :param region: the region.
    :param credentials: the server's credentials.
    """
    return local_client(endpoint_url, service, region, credentials)
