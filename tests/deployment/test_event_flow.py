"""glue_etl_event_flow in the deployment: the README's commands, then a run the scheduler starts on S3 events.

``glue-flow events setup`` points the bucket's notifications at the queue, the DAG is unpaused through
the REST API, and ``glue-flow sample upload`` lands a file. The triggerer's asset watcher receives S3's
event, the scheduler creates an asset-triggered run, and the run converts and loads that file and no
other. The runs take the params' defaults (the deployment sets the Python-shell job: conftest.DAG_ENV).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.deployment.api import FINISHED_RUN_STATES
from tests.deployment.services import BIN, wait_for

pytestmark = pytest.mark.slow

EVENT_DAG = "glue_etl_event_flow"
#: The README's values (the params' defaults).
BUCKET, RAW, INPUT, OUTPUT = "glue-flow-demo", "se2/raw/in0/", "se2/in0/", "se2/out0/"
#: Where `glue-flow sample upload` puts the sample by default.
LANDED = f"{RAW}csvlog.csv"


def test_an_upload_starts_an_asset_triggered_run_that_loads_exactly_that_file(deployment):
    api = deployment.api
    setup = [str(BIN / "glue-flow"), "events", "setup", "--endpoint-url", deployment.glue_url]
    setup += ["--bucket", BUCKET, "--prefix", RAW]
    subprocess.run(setup, check=True, capture_output=True)
    # Something already under input_prefix that no event names: the run must not load it.
    deployment.s3.put_object(Bucket=BUCKET, Key=f"{INPUT}earlier.csv", Body=b"deviceid,uuid\nx,1\n")
    api.unpause(EVENT_DAG)
    try:
        deployment.land(BUCKET, RAW)

        run = wait_for(
            lambda: _run_that_took(api, LANDED),
            timeout=300,
            interval=2,
            message=lambda: (
                f"no run took {LANDED}: {_runs_and_states(api)}\n"
                + deployment.processes.log_tail("airflow-triggerer")
            ),
        )
    finally:
        api.call("PATCH", f"/dags/{EVENT_DAG}", json={"is_paused": True})

    run_id = run["dag_run_id"]
    states = api.task_states(EVENT_DAG, run_id)
    assert run["run_type"] == "asset_triggered"
    assert run["state"] == "success", states
    assert states["csv_to_parquet"] == states["publish"] == "success"
    events = api.call("GET", f"/dags/{EVENT_DAG}/dagRuns/{run_id}/upstreamAssetEvents")["asset_events"]
    assert {event["name"] for event in events} == {"glue_flow_landing_events"}
    assert api.xcom(EVENT_DAG, run_id, "check_new_input") == [f"{INPUT}csvlog.csv"]
    [job_run] = deployment.job_runs("se2_job0")
    assert job_run["JobRunState"] == "SUCCEEDED"
    assert json.loads(job_run["Arguments"]["--INPUT_KEYS"]) == [f"{INPUT}csvlog.csv"]
    listed = deployment.s3.list_objects_v2(Bucket=BUCKET, Prefix=OUTPUT).get("Contents", [])
    assert [o["Key"] for o in listed] == [f"{OUTPUT}_MANIFEST.json", f"{OUTPUT}csvlog.parquet"]
    # A run of its own for the s3:TestEvent that writing the configuration sends (when the watcher received
    # it before the upload's event) names nothing and skips the flow.
    for other in api.runs(EVENT_DAG):
        if other["dag_run_id"] != run_id:
            other_states = api.task_states(EVENT_DAG, other["dag_run_id"])
            assert other["state"] == "success", other_states
            assert other_states["convert_encoding"] == other_states["csv_to_parquet"] == "skipped"


def _run_that_took(api: Any, key: str) -> dict[str, Any] | None:
    """The finished run whose events named ``key`` (None while there is none)."""
    for run in api.runs(EVENT_DAG):
        if run["state"] in FINISHED_RUN_STATES and key in _landed_keys(api, run["dag_run_id"]):
            return run
    return None


def _landed_keys(api: Any, run_id: str) -> list[str]:
    """landed_keys' XCom; a run whose events named nothing skipped the flow and pushed none (404)."""
    path = f"/dags/{EVENT_DAG}/dagRuns/{run_id}/taskInstances/landed_keys/xcomEntries/return_value"
    response = api.http.get(path, params={"deserialize": True})
    if response.status_code == 404:
        return []
    assert response.is_success, f"GET {path}: {response.status_code} {response.text}"
    return response.json()["value"]


def _runs_and_states(api: Any) -> list[tuple[str, str, dict[str, str | None]]]:
    return [
        (run["dag_run_id"], run["state"], api.task_states(EVENT_DAG, run["dag_run_id"]))
        for run in api.runs(EVENT_DAG)
    ]
