"""Fixtures that start the local Glue the way ``docker compose`` does: ``glue-flow local serve``, and
helpers that set resources up in it.

Importable outside a test session (``bench/bench_spark.py`` uses the set-up helpers): it does not import
``tests.conftest``, whose import sets up the test session's Airflow home and environment.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from airflow_glue_flow.local import LocalGlueProcess
from airflow_glue_flow.local.settings import ServerOptions
from tests.fakes import set_aws_connection

REPO_ROOT = Path(__file__).resolve().parent.parent

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


def crawl_csv(
    glue: Any,
    s3: Any,
    bucket: str,
    *,
    database: str,
    crawler: str,
    body: bytes | None = None,
    key: str = "se2/in0/csvlog.csv",
    table_prefix: str = "se2_",
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Land a CSV object, crawl its folder into the catalog (table ``table_prefix`` + folder name, as
    the seed's ``se2_in0``), and return the crawler once the crawl SUCCEEDED.

    :param glue: a boto3 Glue client.
    :param s3: a boto3 S3 client.
    :param bucket: an existing bucket.
    :param database: the catalog database, created unless it exists.
    :param crawler: the name of the crawler to create.
    :param body: the CSV's bytes; the seed's 19 rows by default.
    :param key: where the CSV lands; the crawler's target is its folder.
    :param table_prefix: the crawler's TablePrefix.
    :param timeout: seconds to wait for the crawl.
    """
    s3.put_object(Bucket=bucket, Key=key, Body=SEED_CSV_PATH.read_bytes() if body is None else body)
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except glue.exceptions.AlreadyExistsException:
        pass
    glue.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=database,
        TablePrefix=table_prefix,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/{key.rsplit('/', 1)[0]}/"}]},
    )
    glue.start_crawler(Name=crawler)
    crawled = wait_for_crawl(glue, crawler, timeout)
    assert crawled["LastCrawl"]["Status"] == "SUCCEEDED", crawled["LastCrawl"]
    return crawled


def create_spark_job(
    glue: Any, s3: Any, bucket: str, name: str, script: bytes, *, key: str = "", **default_arguments: str
) -> None:
    """Upload a script to ``s3://bucket/<key>`` (``scripts/<name>.py`` by default) and create a Glue 5.0
    Spark (``glueetl``) job running it on two G.1X workers.

    :param glue: a boto3 Glue client.
    :param s3: a boto3 S3 client.
    :param bucket: the bucket for the script.
    :param name: the job name.
    :param script: the script's bytes.
    :param key: the script's key.
    :param default_arguments: the job's DefaultArguments (``**{"--TempDir": "s3://..."}``).
    """
    key = key or f"scripts/{name}.py"
    s3.put_object(Bucket=bucket, Key=key, Body=script)
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/{key}", "PythonVersion": "3"},
        GlueVersion="5.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        DefaultArguments=default_arguments,
    )


def process_gone(pid: int) -> bool:
    """Whether a process has ended (no longer exists, or is a zombie waiting to be reaped).

    :param pid: the process id.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def require_spark() -> None:
    """Skip a test that runs a Spark job where Java or pyspark is missing; on CI (which installs both,
    see scripts/dev.py) their absence fails it instead."""
    if os.environ.get("CI"):
        assert shutil.which("java"), "CI installs Java (scripts/dev.py DEBIAN_PACKAGES)"
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    pytest.importorskip("pyspark")
