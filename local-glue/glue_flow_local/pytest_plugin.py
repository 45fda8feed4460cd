"""pytest fixtures for a local Glue: ``pytest_plugins = ["glue_flow_local.pytest_plugin"]`` in a conftest.

One server (a ``glue-flow-local serve`` subprocess, :class:`~glue_flow_local.testing.LocalGlue`) serves the
whole test session; each test gets its own bucket and unique names, so tests do not see each other's
resources. Before any test marked ``slow`` runs, the Python environments of Python-shell jobs are built
(the first build takes minutes; done here, it counts against no test's timeout).
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from glue_flow_local.testing import LocalGlue


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the Python environments of Python-shell jobs when slow tests are about to run."""
    if any(item.get_closest_marker("slow") for item in session.items):
        from glue_flow_local.glue.jobs.env import JobEnvironmentError, warm

        try:
            warm()
        except JobEnvironmentError as err:  # the job runs that need it fail with this message
            warnings.warn(f"job environments not built: {err}", stacklevel=1)


@pytest.fixture(scope="session")
def local_glue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalGlue]:
    """One local Glue server for the whole session (crawls of 1 s at least, Glue minutes of 1 s)."""
    with LocalGlue(state_dir=tmp_path_factory.mktemp("local-glue")) as glue:
        yield glue


@pytest.fixture(scope="session")
def boto3_session() -> boto3.session.Session:
    """One boto3 session for the tests' clients: it loads each service model once (0.1 s CPU a client).

    Each client still gets its own copy of the event hooks, so what a test registers on its client
    stays with that client.
    """
    return boto3.session.Session()


@pytest.fixture
def glue_client(local_glue: LocalGlue, boto3_session: boto3.session.Session) -> Any:
    """A plain boto3 Glue client pointed at the local Glue."""
    return local_glue.client("glue", session=boto3_session)


@pytest.fixture
def s3_client(local_glue: LocalGlue, boto3_session: boto3.session.Session) -> Any:
    """A plain boto3 S3 client pointed at the local Glue."""
    return local_glue.client("s3", session=boto3_session)


@pytest.fixture
def logs_client(local_glue: LocalGlue, boto3_session: boto3.session.Session) -> Any:
    """A plain boto3 CloudWatch Logs client pointed at the local Glue."""
    return local_glue.client("logs", session=boto3_session)


@pytest.fixture
def bucket(s3_client: Any) -> str:
    """A new, empty bucket (the server is shared, so every test gets its own)."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Make a name unique within the shared server: ``unique("crawler")`` -> ``crawler_1a2b3c4d``."""
    return lambda base: f"{base}_{uuid.uuid4().hex[:8]}"


def require_spark() -> None:
    """Skip a test that runs a Spark job where Java or pyspark is missing; on CI (``CI`` set, where both
    are installed) their absence fails it instead."""
    if os.environ.get("CI"):
        assert shutil.which("java"), "CI installs Java (scripts/dev.py DEBIAN_PACKAGES)"
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    pytest.importorskip("pyspark")
