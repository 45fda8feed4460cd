"""Where a ``glue-flow`` command acts: an Airflow connection to ``--endpoint-url`` for the command's hooks."""

from __future__ import annotations

import argparse
import json
import os

from airflow_glue_flow.cli.target import ENDPOINT_CONN_ID, aws_hook_arguments

ENV = f"AIRFLOW_CONN_{ENDPOINT_CONN_ID.upper()}"


def _args(**kwargs: str | None) -> argparse.Namespace:
    return argparse.Namespace(**{"endpoint_url": None, "conn_id": "aws_default", "region": None, **kwargs})


def test_without_an_endpoint_the_hooks_use_the_named_connection():
    with aws_hook_arguments(_args(conn_id="prod", region="eu-west-1")) as arguments:
        assert arguments == {"aws_conn_id": "prod", "region_name": "eu-west-1"}
        assert ENV not in os.environ


def test_an_endpoint_gets_a_connection_with_the_local_glue_key_pair_for_the_block_only(monkeypatch):
    monkeypatch.setenv("GLUE_FLOW_LOCAL_ACCESS_KEY_ID", "AKIDLOCAL")
    monkeypatch.delenv("GLUE_FLOW_LOCAL_SECRET_ACCESS_KEY", raising=False)

    with aws_hook_arguments(_args(endpoint_url="http://local-glue:4566")) as arguments:
        connection = json.loads(os.environ[ENV])

    assert ENV not in os.environ
    assert arguments == {
        "aws_conn_id": ENDPOINT_CONN_ID,
        "region_name": None,
        # local-glue has no bucket subdomains: S3 is addressed path-style.
        "config": {"s3": {"addressing_style": "path"}},
    }
    assert connection == {
        "conn_type": "aws",
        "login": "AKIDLOCAL",
        "password": "testing",
        "extra": {"endpoint_url": "http://local-glue:4566", "region_name": "us-east-1"},
    }
