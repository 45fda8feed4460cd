"""Fixtures that start the local Glue the way ``docker compose`` does: ``glue-flow local serve``."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from airflow_glue_flow.local import LocalGlueProcess
from airflow_glue_flow.local.settings import ServerOptions
from tests.conftest import REPO_ROOT
from tests.fakes import set_aws_connection

#: The seed's 19-row CSV (UTF-8).
SEED_CSV_PATH = REPO_ROOT / "dags" / "data" / "csvlog.csv"
#: A Python-shell job script that logs one line, then outlives any short Timeout or waits to be stopped.
SLEEPING_SCRIPT = b"""
import time
print("sleeping", flush=True)
time.sleep(60)
"""
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

#: Shortest crawl in the tests' server: long enough to observe RUNNING and stop a crawl.
MIN_CRAWL_SECONDS = 1.0
#: One Glue timeout "minute" lasts this many seconds in the tests' server.
TIMEOUT_UNIT_SECONDS = 1.0
CRAWL_DONE = "READY"
JOB_DONE = frozenset({"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED"})


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the Python environments of Python-shell jobs before the slow tests run.

    The first build (the ``analytics`` library set especially) takes minutes; done here, it counts
    against no test's timeout and no job run waits for it. Later sessions find them built.
    """
    if any(item.get_closest_marker("slow") for item in session.items):
        from airflow_glue_flow.local.job_env import JobEnvironmentError, warm

        try:
            warm()
        except JobEnvironmentError as err:  # the job runs that need it fail with this message
            warnings.warn(f"job environments not built: {err}", stacklevel=1)


@pytest.fixture(scope="session")
def local_glue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalGlueProcess]:
    """One local Glue server (a ``glue-flow local serve`` subprocess) for the whole session."""
    with LocalGlueProcess.start(
        state_dir=tmp_path_factory.mktemp("local-glue"),
        options=ServerOptions(min_crawl_seconds=MIN_CRAWL_SECONDS, timeout_unit_seconds=TIMEOUT_UNIT_SECONDS),
    ) as glue:
        yield glue


@pytest.fixture(scope="session")
def boto3_session() -> boto3.session.Session:
    """One boto3 session for the tests' clients: it loads each service model once (0.1 s CPU a client).

    Each client still gets its own copy of the event hooks, so what a test registers on its client
    stays with that client.
    """
    return boto3.session.Session()


@pytest.fixture
def glue_client(local_glue: LocalGlueProcess, boto3_session: boto3.session.Session) -> Any:
    """A plain boto3 Glue client pointed at the local Glue."""
    return local_glue.client("glue", session=boto3_session)


@pytest.fixture
def s3_client(local_glue: LocalGlueProcess, boto3_session: boto3.session.Session) -> Any:
    """A plain boto3 S3 client pointed at the local Glue."""
    return local_glue.client("s3", session=boto3_session)


@pytest.fixture
def logs_client(local_glue: LocalGlueProcess, boto3_session: boto3.session.Session) -> Any:
    """A plain boto3 CloudWatch Logs client pointed at the local Glue."""
    return local_glue.client("logs", session=boto3_session)


@pytest.fixture
def aws_conn_id(local_glue: LocalGlueProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow AWS connection (from the environment) to the local Glue; returns its id."""
    return set_aws_connection(
        monkeypatch,
        "glue_local",
        login="testing",
        region_name=local_glue.region,
        endpoint_url=local_glue.endpoint_url,
    )


@pytest.fixture
def local_aws_default(local_glue: LocalGlueProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    """``aws_default`` pointed at the local Glue: the only difference from running a DAG against AWS."""
    return set_aws_connection(
        monkeypatch, region_name=local_glue.region, endpoint_url=local_glue.endpoint_url
    )


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


def wait_for_crawl(glue: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GetCrawler until READY with a LastCrawl, and return the crawler.

    :param glue: a boto3 Glue client.
    :param name: the crawler name.
    :param timeout: seconds before giving up.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler["State"] == CRAWL_DONE and "LastCrawl" in crawler:
            return crawler
        time.sleep(0.05)
    raise AssertionError(f"crawler {name} still {crawler['State']} after {timeout}s")


def wait_for_run(glue: Any, job: str, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GetJobRun until the run is in a terminal state, and return it.

    :param glue: a boto3 Glue client.
    :param job: the job name.
    :param run_id: the run id.
    :param timeout: seconds before giving up.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in JOB_DONE:
            return run
        time.sleep(0.05)
    raise AssertionError(f"job run {run_id} of {job} still {run['JobRunState']} after {timeout}s")


def log_messages(logs: Any, group: str, stream: str) -> list[str]:
    """Every message of one CloudWatch Logs stream, oldest first.

    :param logs: a boto3 CloudWatch Logs client.
    :param group: the log group.
    :param stream: the log stream.
    """
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    return [event["message"] for event in events]


def create_python_job(glue: Any, s3: Any, bucket: str, name: str, script: bytes, **extra: Any) -> None:
    """Upload a script to ``s3://bucket/scripts/<name>.py`` and create a Python-shell 3.9 job running it.

    :param glue: a boto3 Glue client.
    :param s3: a boto3 S3 client.
    :param bucket: the bucket for the script.
    :param name: the job name.
    :param script: the script's bytes.
    :param extra: more CreateJob parameters (e.g. ``DefaultArguments``).
    """
    s3.put_object(Bucket=bucket, Key=f"scripts/{name}.py", Body=script)
    command = {
        "Name": "pythonshell",
        "ScriptLocation": f"s3://{bucket}/scripts/{name}.py",
        "PythonVersion": "3.9",
    }
    glue.create_job(Name=name, Role="glue-role", Command=command, MaxCapacity=0.0625, **extra)


def process_gone(pid: int) -> bool:
    """Whether a process has ended (no longer exists, or is a zombie waiting to be reaped).

    :param pid: the process id.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
