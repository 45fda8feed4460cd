"""One Airflow deployment (docker-compose.yaml's services, without Docker) for the deployment tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.local.clients import local_client
from tests.deployment.api import AirflowApi
from tests.deployment.postgres import throwaway_cluster
from tests.deployment.services import SERVERS, ComposeProcesses, wait_for

#: DAGs of the tests themselves, deployed beside the mounted dags/ folder.
TEST_DAGS = tuple(sorted((Path(__file__).parent / "dags").glob("*.py")))
READY_DAGS = ("glue_etl_flow", "glue_crawler_job_chain", "glue_workflow_flow")


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


@pytest.fixture(scope="package")
def deployment() -> Iterator[Deployment]:
    """Postgres, the local Glue, airflow-init, then the four Airflow servers, each healthy by its
    compose healthcheck. Everything is stopped and the temp dir removed, also when a test fails."""
    # Not under pytest's tmp_path: that folder is private to the user, and Postgres may run as another.
    base = Path(tempfile.mkdtemp(prefix="glue-flow-deployment-"))
    base.chmod(0o755)
    try:
        (base / "postgres").mkdir()
        with throwaway_cluster(base / "postgres") as sql_alchemy_conn:
            processes = ComposeProcesses(base / "compose", sql_alchemy_conn, extra_dags=TEST_DAGS)
            try:
                yield _start(processes)
            finally:
                processes.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


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
