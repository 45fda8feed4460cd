"""Where a ``glue-flow`` command acts: the local Glue (``--endpoint-url``) or AWS (``--conn-id``).

Either way the command goes through the amazon provider's hooks and an Airflow AWS connection, as the
DAGs do: for ``--endpoint-url`` a connection of its own is defined for the command's duration (in the
environment, as ``AIRFLOW_CONN_<ID>``), with the local Glue's key pair, and the hooks address S3 path-style.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

#: The connection id a command uses for ``--endpoint-url``.
ENDPOINT_CONN_ID = "glue_flow_cli_endpoint"
#: Environment variables of the key pair the local Glue accepts (the same ones its server reads), and the
#: pair it accepts unless started with another.
ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV = (
    "GLUE_FLOW_LOCAL_ACCESS_KEY_ID",
    "GLUE_FLOW_LOCAL_SECRET_ACCESS_KEY",
)
DEFAULT_KEY = "testing"


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--endpoint-url``, ``--conn-id`` and ``--region`` to a command's parser."""
    parser.add_argument(
        "--endpoint-url", default=None, help="the local Glue's URL, e.g. http://localhost:4566 (default: AWS)"
    )
    parser.add_argument(
        "--conn-id", default="aws_default", help="Airflow AWS connection used without --endpoint-url"
    )
    parser.add_argument("--region", default=None, help="AWS region (default: the connection's)")


def endpoint_connection(endpoint_url: str, region: str | None) -> dict[str, object]:
    """The Airflow AWS connection (as JSON fields) that reaches the endpoint at ``endpoint_url``.

    :param endpoint_url: the local Glue's URL.
    :param region: the region (default us-east-1).
    """
    return {
        "conn_type": "aws",
        "login": os.environ.get(ACCESS_KEY_ID_ENV) or DEFAULT_KEY,
        "password": os.environ.get(SECRET_ACCESS_KEY_ENV) or DEFAULT_KEY,
        "extra": {"endpoint_url": endpoint_url, "region_name": region or "us-east-1"},
    }


@contextmanager
def aws_hook_arguments(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """The keyword arguments of the command's amazon-provider hooks, valid while the block runs.

    For ``--endpoint-url`` the connection is defined for the block, and S3 is addressed path-style: a
    host such as ``localhost`` or ``local-glue`` has no bucket subdomains.

    :param args: the command's options (``endpoint_url``, ``conn_id``, ``region``).
    """
    if not args.endpoint_url:
        yield {"aws_conn_id": args.conn_id, "region_name": args.region}
        return
    connection = json.dumps(endpoint_connection(args.endpoint_url, args.region))
    with mock.patch.dict(os.environ, {f"AIRFLOW_CONN_{ENDPOINT_CONN_ID.upper()}": connection}):
        yield {
            "aws_conn_id": ENDPOINT_CONN_ID,
            "region_name": args.region,
            "config": {"s3": {"addressing_style": "path"}},
        }
