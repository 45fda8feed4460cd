"""The provider's tests against the local Glue: the Airflow connections that point at it, and the seed
data helpers. The server and its boto3 clients are the fixtures of :mod:`glue_flow_local.pytest_plugin`
(``local_glue``, ``glue_client``, ``s3_client``, ``logs_client``, ``bucket``, ``unique``).

Importable outside a test session: it does not import ``tests.conftest``, whose import sets up the test
session's Airflow home and environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glue_flow_local import testing
from glue_flow_local.pytest_plugin import require_spark  # noqa: F401
from glue_flow_local.testing import (  # noqa: F401  # the provider's tests import these from here
    CRAWL_DONE,
    JOB_DONE,
    MIN_CRAWL_SECONDS,
    SLEEPING_SCRIPT,
    TIMEOUT_UNIT_SECONDS,
    LocalGlue,
    create_python_job,
    create_spark_job,
    log_messages,
    process_gone,
    wait_for_crawl,
    wait_for_run,
)
from tests.support.fakes import set_aws_connection

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The seed's 19-row CSV (UTF-8).
SEED_CSV_PATH = REPO_ROOT / "dags" / "data" / "csvlog.csv"
#: The catalog columns Glue's built-in CSV classifier gives the seed CSV.
SEED_COLUMNS = [
    ("deviceid", "string"),
    ("uuid", "bigint"),
    ("appid", "bigint"),
    ("country", "string"),
    ("year", "bigint"),
    ("month", "bigint"),
    ("day", "bigint"),
    ("hour", "bigint"),
]


@pytest.fixture
def aws_conn_id(local_glue: LocalGlue, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow AWS connection (from the environment) to the local Glue; returns its id."""
    return set_aws_connection(
        monkeypatch,
        "glue_local",
        login="testing",
        region_name=local_glue.region,
        endpoint_url=local_glue.endpoint_url,
    )


@pytest.fixture
def local_aws_default(local_glue: LocalGlue, monkeypatch: pytest.MonkeyPatch) -> str:
    """``aws_default`` pointed at the local Glue: the only difference from running a DAG against AWS."""
    return set_aws_connection(
        monkeypatch, region_name=local_glue.region, endpoint_url=local_glue.endpoint_url
    )


def crawl_csv(glue: Any, s3: Any, bucket: str, *, body: bytes | None = None, **kwargs: Any) -> dict[str, Any]:
    """:func:`glue_flow_local.testing.crawl_csv` with the seed's 19 rows as the default CSV."""
    return testing.crawl_csv(
        glue, s3, bucket, body=SEED_CSV_PATH.read_bytes() if body is None else body, **kwargs
    )
