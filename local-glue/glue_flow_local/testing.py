"""A local Glue for tests, and the helpers that set resources up in it and wait for them.

:class:`LocalGlue` is to this package what moto's ``ThreadedMotoServer`` is to moto: start it, point
boto3 at :attr:`LocalGlue.endpoint_url` (or take :meth:`LocalGlue.client`), stop it. It runs the server
as ``glue-flow-local serve`` in a subprocess (moto's state is process-wide, so the test process keeps its
own ``mock_aws`` free), with crawls and Glue timeout minutes shortened for tests::

    with LocalGlue() as glue:
        glue.client("glue").start_crawler(Name="c")
        wait_for_crawl(glue.client("glue"), "c")

Nothing here imports pytest or any test framework.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from glue_flow_local.process import LocalGlueProcess
from glue_flow_local.server import DEFAULT_HOST
from glue_flow_local.settings import Credentials, ServerOptions

if TYPE_CHECKING:
    import boto3

__all__ = [
    "CRAWL_DONE",
    "JOB_DONE",
    "MIN_CRAWL_SECONDS",
    "SLEEPING_SCRIPT",
    "TIMEOUT_UNIT_SECONDS",
    "LocalGlue",
    "crawl_csv",
    "create_python_job",
    "create_spark_job",
    "log_messages",
    "process_gone",
    "wait_for_crawl",
    "wait_for_run",
]

#: Shortest crawl in a test server: long enough to observe RUNNING and stop a crawl.
MIN_CRAWL_SECONDS = 1.0
#: One Glue timeout "minute" lasts this many seconds in a test server.
TIMEOUT_UNIT_SECONDS = 1.0
#: The crawler state a finished crawl leaves.
CRAWL_DONE = "READY"
#: The job run states a run ends in.
JOB_DONE = frozenset({"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED"})
#: A Python-shell job script that logs one line, then outlives any short Timeout or waits to be stopped.
SLEEPING_SCRIPT = b"""
import time
print("sleeping", flush=True)
time.sleep(60)
"""


class LocalGlue:
    """A local Glue server in a subprocess, for one test session or one script.

    :param state_dir: its state folder (default: a temporary folder, removed by :meth:`stop`).
    :param min_crawl_seconds: the shortest crawl.
    :param timeout_unit_seconds: seconds one Glue timeout minute lasts.
    :param credentials: what requests must be signed with (default: ``testing`` / ``testing``).
    :param host: the address to bind.
    :param port: the port (0: a free one).
    :param sfn_time_scale: seconds one Step Functions second lasts (Wait states, Retry intervals).
    """

    #: Once started: the URL to give boto3 as ``endpoint_url``.
    endpoint_url: str
    #: Once started: the region its clients use (``AWS_DEFAULT_REGION``, else us-east-1).
    region: str
    #: Once started: the server's state folder.
    state_dir: Path
    #: Once started: what requests to it must be signed with.
    credentials: Credentials

    def __init__(
        self,
        *,
        state_dir: str | Path | None = None,
        min_crawl_seconds: float = MIN_CRAWL_SECONDS,
        timeout_unit_seconds: float = TIMEOUT_UNIT_SECONDS,
        credentials: Credentials | None = None,
        host: str = DEFAULT_HOST,
        sfn_time_scale: float | None = None,
        port: int = 0,
    ) -> None:
        self._state_dir = state_dir
        self._options = ServerOptions(
            min_crawl_seconds=min_crawl_seconds,
            timeout_unit_seconds=timeout_unit_seconds,
            credentials=credentials,
            sfn_time_scale=sfn_time_scale,
        )
        self._host = host
        self._port = port
        self._process: LocalGlueProcess | None = None

    def start(self) -> LocalGlue:
        """Start the server and wait for its URL; returns self. Starting a started server does nothing."""
        if self._process is None:
            self._process = LocalGlueProcess.start(
                host=self._host, port=self._port, state_dir=self._state_dir, options=self._options
            )
            self.endpoint_url = self._process.endpoint_url
            self.region = self._process.region
            self.state_dir = self._process.state_dir
            self.credentials = self._process.credentials
        return self

    def stop(self) -> None:
        """Stop the server and the job runs it started; remove the state folder it made."""
        if self._process is not None:
            self._process.stop()
            self._process = None

    @property
    def process(self) -> LocalGlueProcess:
        """The running server's handle.

        :raises RuntimeError: when the server is not started.
        """
        if self._process is None:
            raise RuntimeError("the local Glue is not started: call LocalGlue.start() first")
        return self._process

    def client(
        self, service: str, region: str | None = None, session: boto3.session.Session | None = None
    ) -> Any:
        """A boto3 client for ``s3``, ``glue``, ``logs`` or ``sqs`` of this local Glue.

        :param service: the service name.
        :param region: the region (default: :attr:`region`).
        :param session: the boto3 session to create it from (default: a new one).
        """
        return self.process.client(service, region, session)

    def __enter__(self) -> LocalGlue:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def wait_for_crawl(glue: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GetCrawler until READY with a LastCrawl, and return the crawler.

    :param glue: a boto3 Glue client.
    :param name: the crawler name.
    :param timeout: seconds before giving up.
    :raises AssertionError: naming the crawler and its state, when the timeout passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        crawler: dict[str, Any] = glue.get_crawler(Name=name)["Crawler"]
        if crawler["State"] == CRAWL_DONE and "LastCrawl" in crawler:
            return crawler
        if time.monotonic() >= deadline:
            raise AssertionError(f"crawler {name} still {crawler['State']} after {timeout}s")
        time.sleep(0.05)


def wait_for_run(glue: Any, job: str, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GetJobRun until the run is in a terminal state, and return it.

    :param glue: a boto3 Glue client.
    :param job: the job name.
    :param run_id: the run id.
    :param timeout: seconds before giving up.
    :raises AssertionError: naming the job, the run and its state, when the timeout passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in JOB_DONE:
            return run
        if time.monotonic() >= deadline:
            raise AssertionError(f"job run {run_id} of {job} still {run['JobRunState']} after {timeout}s")
        time.sleep(0.05)


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
    body: bytes,
    key: str = "se2/in0/csvlog.csv",
    table_prefix: str = "se2_",
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Land a CSV object, crawl its folder into the catalog (table ``table_prefix`` + folder name, e.g.
    ``se2_in0``), and return the crawler once the crawl SUCCEEDED.

    :param glue: a boto3 Glue client.
    :param s3: a boto3 S3 client.
    :param bucket: an existing bucket.
    :param database: the catalog database, created unless it exists.
    :param crawler: the name of the crawler to create.
    :param body: the CSV's bytes.
    :param key: where the CSV lands; the crawler's target is its folder.
    :param table_prefix: the crawler's TablePrefix.
    :param timeout: seconds to wait for the crawl.
    :raises AssertionError: naming the crawler, when its crawl did not succeed.
    """
    s3.put_object(Bucket=bucket, Key=key, Body=body)
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
    if crawled["LastCrawl"]["Status"] != "SUCCEEDED":
        raise AssertionError(f"crawl of crawler {crawler} ended {crawled['LastCrawl']}")
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
