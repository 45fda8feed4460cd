"""One Airflow deployment (docker-compose.yaml's services, without Docker), shared by every test module
of this folder: it starts once, before the first of them, and stops after the last."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glue_flow_local.clients import local_client
from tests.deployment.api import AirflowApi
from tests.deployment.postgres import throwaway_cluster
from tests.deployment.services import BIN, SERVERS, ComposeProcesses, wait_for
from tests.support.owner_watch import owner_watch

#: DAGs of the tests themselves, deployed beside the mounted dags/ folder.
TEST_DAGS = tuple(sorted((Path(__file__).parent / "dags").glob("*.py")))
READY_DAGS = ("glue_etl_flow", "glue_etl_event_flow", "glue_crawler_job_chain", "glue_workflow_flow")
#: What dags/glue_etl_flow.py reads when parsed: the event-driven DAG's watcher polls its queue every
#: second, and the runs S3 events start (which take the params' defaults) use the Python-shell job with
#: checks every 4 s (the tests' manual runs pass their own params).
DAG_ENV = {
    "GLUE_FLOW_EVENT_POLL_SECONDS": "1",
    "GLUE_FLOW_PARAMS": json.dumps({"job_type": "pythonshell", "wait_time": 4, "max_attempts": 30}),
}


@dataclass
class Deployment:
    """The running services: the REST API, boto3 clients of the local Glue, and the service logs."""

    api: AirflowApi
    processes: ComposeProcesses
    glue: Any
    s3: Any

    @property
    def glue_url(self) -> str:
        return self.processes.glue_url

    def land(self, bucket: str, prefix: str, csv: Path | None = None) -> None:
        """`glue-flow sample upload`, the README's command for landing data (the sample, or ``csv``)."""
        argv = [str(BIN / "glue-flow"), "sample", "upload", "--endpoint-url", self.glue_url]
        argv += ["--bucket", bucket, "--prefix", prefix, *(["--file", str(csv)] if csv else [])]
        subprocess.run(argv, check=True, capture_output=True)

    def job_runs(self, job_name: str) -> list[dict[str, Any]]:
        """GetJobRuns of ``job_name``, newest first."""
        return self.glue.get_job_runs(JobName=job_name)["JobRuns"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this folder's ``test_zz_*`` checks after its other tests, whichever module holds them: they read
    the logs of everything the deployment ran."""
    here = Path(__file__).parent
    last = [item for item in items if item.path.is_relative_to(here) and item.name.startswith("test_zz_")]
    if not last:
        return
    rest = [item for item in items if item not in last]
    ours = [i for i, item in enumerate(rest) if item.path.is_relative_to(here)]
    at = ours[-1] + 1 if ours else items.index(last[0])
    items[:] = rest[:at] + last + rest[at:]


#: Fixtures whose names start so start DAG runs (see runs_started_together).
STARTER_PREFIX = "started_"


@pytest.fixture(scope="module")
def runs_started_together(request: pytest.FixtureRequest) -> None:
    """Start the DAG runs of all the module's selected tests (their ``started_*`` fixtures, in the order
    the tests ask for them) when the first of those tests begins: the runs go on side by side while the
    tests check them one after another, so they take about as long as the longest, not the sum."""
    wanted: dict[str, None] = {}
    for item in request.session.items:
        if getattr(item, "module", None) is request.module:
            wanted.update(dict.fromkeys(n for n in item.fixturenames if n.startswith(STARTER_PREFIX)))
    for name in wanted:
        request.getfixturevalue(name)


@pytest.fixture(scope="package")
def deployment() -> Iterator[Deployment]:
    """Postgres, the local Glue, airflow-init, then the four Airflow servers, each healthy by its
    compose healthcheck. Everything is stopped and the temp dir removed, also when a test fails."""
    # Not under pytest's tmp_path: that folder is private to the user, and Postgres may run as another.
    base = Path(tempfile.mkdtemp(prefix="glue-flow-deployment-"))
    base.chmod(0o755)
    removal = owner_watch().remove_tree(base)  # if this test run is killed outright
    print(f"deployment in {base}", flush=True)
    try:
        (base / "postgres").mkdir()
        with throwaway_cluster(base / "postgres") as sql_alchemy_conn:
            processes = ComposeProcesses(
                base / "compose", sql_alchemy_conn, extra_dags=TEST_DAGS, dag_env=DAG_ENV
            )
            try:
                yield _start(processes)
            finally:
                processes.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
        owner_watch().cancel(removal)


def _start(processes: ComposeProcesses) -> Deployment:
    processes.start_local_glue()
    processes.wait_healthy("local-glue")
    processes.run_init()
    for service in SERVERS:
        processes.start(service)
    # Docker runs the healthchecks side by side; so does this.
    with ThreadPoolExecutor(len(SERVERS)) as pool:
        list(pool.map(processes.wait_healthy, SERVERS))
    api = AirflowApi(f"http://127.0.0.1:{processes.api_port}")
    expected = {*READY_DAGS, *(path.stem for path in TEST_DAGS)}

    def parsed() -> set[str]:
        return {dag["dag_id"] for dag in api.call("GET", "/dags", params={"limit": 100})["dags"]}

    wait_for(
        lambda: parsed() >= expected,
        timeout=120,
        message=lambda: (
            f"DAGs {expected - parsed()} not parsed\n{processes.log_tail('airflow-dag-processor')}"
        ),
    )
    return Deployment(
        api=api,
        processes=processes,
        glue=local_client(processes.glue_url, "glue", "us-east-1"),
        s3=local_client(processes.glue_url, "s3", "us-east-1"),
    )
