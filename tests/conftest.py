"""Test-wide setup: an isolated Airflow home with a migrated SQLite database, and helpers to run DAGs."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from pathlib import Path

from tests.support.owner_watch import owner_watch

# Airflow reads its configuration at import time, so the isolated home must exist before any import.
_HOME = Path(tempfile.mkdtemp(prefix="glue-flow-airflow-home-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
# Also when the run is killed outright (SIGKILL), which skips atexit.
owner_watch().remove_tree(_HOME)
# A run stopped with SIGTERM (a CI timeout, a supervisor) ends as Ctrl-C does: fixtures tear down (local
# Glue servers stop and remove their folders) and the home above goes at exit. By default SIGTERM ends
# the process at once and leaves all of them behind.
signal.signal(signal.SIGTERM, signal.default_int_handler)
(_HOME / "dags").mkdir()
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# The local Glue's default credentials: it refuses requests signed with any others.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_SESSION_TOKEN", None)
# Keep boto3 away from any real credentials or config on the machine.
os.environ["AWS_CONFIG_FILE"] = str(_HOME / "aws-config")
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(_HOME / "aws-credentials")

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402
from unittest import mock  # noqa: E402

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
# One local Glue server for the whole session, whichever test folder asks for it.
pytest_plugins = ["glue_flow_local.pytest_plugin", "tests.local_glue", "tests.support.aws_calls"]


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Migrate the isolated Airflow metadata database once per test session."""
    from tests.support.airflow_internals import migrate_db

    migrate_db()
    return _HOME


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_models() -> Iterator[None]:
    """One botocore data loader for every botocore session the tests make, per data path.

    moto's mock_aws drops boto3's default session and every Airflow hook makes a session of its own, so
    each new client parsed botocore's JSON models again (0.1 s a client, seconds over the run). botocore
    already hands the same loaded models to every client of one session; this shares them between
    sessions as well. A test that changes a loaded model (monkeypatch) puts it back as before.
    """
    import botocore.loaders
    import botocore.session

    loaders: dict[str | None, Any] = {}

    def create_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return loaders[search_path_string]

    with mock.patch.object(botocore.session, "create_loader", create_loader):
        yield


@pytest.fixture
def aws_default(monkeypatch: pytest.MonkeyPatch) -> str:
    """``aws_default`` as an AWS connection without endpoint, for tests that fake or mock the AWS API."""
    from tests.support.fakes import set_aws_connection

    return set_aws_connection(monkeypatch, region_name="us-east-1")


@pytest.fixture
def moto_s3(aws_default: str) -> Iterator[Any]:
    """An S3 client of moto's in-process AWS, which serves ``aws_default`` too while the test runs."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def run_dag(airflow_db):
    """Run a DAG object with ``dag.test()`` and return the finished DagRun.

    ``dag.test()`` needs the DAG serialized in the metadata database; DAGs built inside a test are
    not in any DAG bundle, so they are written there first, as the DAG processor would. When no task is
    ready, the run checks again at once instead of after dag.test()'s one-second wait.
    """
    from tests.support.airflow_internals import one_execution_api, quick_idle_polls, write_dag_to_db

    def _run(dag, conf: dict | None = None):
        write_dag_to_db(dag)
        with quick_idle_polls(), one_execution_api():
            return dag.test(run_conf=conf)

    return _run


@pytest.fixture
def task_errors() -> Iterator[dict[str, BaseException]]:
    """task_id -> the exception its (last) try ended with, as dag.test's in-process runner saw it."""
    from tests.support.airflow_internals import recording_task_errors

    with recording_task_errors() as errors:
        yield errors


def task_states(dag_run) -> dict[str, str | None]:
    """Map task id to final state for a finished DagRun."""
    return {ti.task_id: (str(ti.state) if ti.state else None) for ti in dag_run.get_task_instances()}
