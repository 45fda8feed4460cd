"""GlueJobRunOperator end to end against the local Glue: real runs of Python-shell scripts over HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG, task

from airflow_glue_flow.compat import AirflowTaskTimeout, TaskDeferred
from airflow_glue_flow.exceptions import (
    GlueFlowError,
    GlueJobRunFailedError,
    GlueJobRunTimeoutError,
)
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.conftest import task_states
from tests.local_glue import SLEEPING_SCRIPT, create_python_job
from tests.support.fakes import FakeTI, patch_sleep
from tests.support.job_operator import TAG, first_event_of, operator

# --- end to end against the local Glue (real runs of Python-shell scripts over HTTP) ---------------

FAILING_SCRIPT = b"""
import sys
print("reading s3://bucket/in0/csvlog.csv")
sys.stderr.write("a warning on stderr\\n")
raise ValueError("bad row 7")
"""


@pytest.fixture
def local_job(aws_conn_id, glue_client, s3_client, bucket, unique):
    """Create Python-shell jobs in the local Glue; the ``glue_local`` connection points at it."""

    def create(script: bytes, **job: Any) -> str:
        name = unique("job")
        create_python_job(glue_client, s3_client, bucket, name, script, **job)
        return name

    return create, glue_client


def local_operator(job_name: str, **kwargs: Any) -> GlueJobRunOperator:
    return operator(
        **{
            "job_name": job_name,
            "aws_conn_id": "glue_local",
            "poll_interval": 0.2,
            "max_attempts": 150,
            **kwargs,
        }
    )


@pytest.mark.slow
def test_local_glue_failed_run_in_sync_mode_with_verbose_logs(local_job, capsys):
    create, _ = local_job
    ti = FakeTI()
    with pytest.raises(GlueJobRunFailedError) as raised:
        local_operator(create(FAILING_SCRIPT), verbose=True).execute({"ti": ti})
    assert raised.value.fields["state"] == "FAILED"
    assert str(raised.value).endswith("ended FAILED: ValueError: bad row 7")
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "FAILED"
    out = capsys.readouterr().out
    assert "reading s3://bucket/in0/csvlog.csv" in out and "a warning on stderr" in out


@pytest.mark.slow
@pytest.mark.parametrize("script", [FAILING_SCRIPT, b"print('ok')\n"], ids=["failed", "succeeded"])
def test_local_glue_deferrable_dag_run(local_job, run_dag, script, request, capsys):
    create, _ = local_job
    job_name = create(script)
    expected = "FAILED" if script is FAILING_SCRIPT else "SUCCEEDED"
    dag_id = f"glue_local_{request.node.callspec.id}"
    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False) as dag:
        run_job = local_operator(job_name, deferrable=True, verbose=True)

        @task(trigger_rule="all_done")
        def check_state(ti=None) -> None:
            if (state := ti.xcom_pull(task_ids="run_job", key=GLUE_STATE_XCOM_KEY)) != expected:
                raise ValueError(f"glue_state is {state!r}")

        run_job >> check_state()
    dr = run_dag(dag)
    run_job_state = "success" if expected == "SUCCEEDED" else "failed"
    assert task_states(dr) == {"run_job": run_job_state, "check_state": "success"}
    # verbose: the trigger copied the run's CloudWatch lines (read with the async Logs client).
    out = capsys.readouterr().out
    assert (
        ("a warning on stderr" in out)
        if expected == "FAILED"
        else ("Glue Job Run /aws-glue/python-jobs/output" in out)
    )


@pytest.mark.slow
def test_local_glue_timeout_then_retry_reattaches_then_kill_stops_the_run(local_job):
    create, glue = local_job
    job_name = create(SLEEPING_SCRIPT)
    with pytest.raises(GlueJobRunTimeoutError):
        local_operator(job_name, max_attempts=3).execute({"ti": FakeTI()})
    [first] = glue.get_job_runs(JobName=job_name)["JobRuns"]

    retry = local_operator(job_name)
    with patch_sleep(side_effect=AirflowTaskTimeout()):
        with pytest.raises(AirflowTaskTimeout):
            retry.execute({"ti": FakeTI(try_number=2)})
        retry.on_kill()

    assert [r["Id"] for r in glue.get_job_runs(JobName=job_name)["JobRuns"]] == [first["Id"]]
    assert first["Arguments"][RUN_TAG_ARGUMENT] == TAG
    deadline = time.monotonic() + 30
    while (
        state := glue.get_job_run(JobName=job_name, RunId=first["Id"])["JobRun"]["JobRunState"]
    ) != "STOPPED":
        assert time.monotonic() < deadline, f"run still {state}"
        time.sleep(0.05)


def run_local(op: GlueJobRunOperator, deferrable: bool) -> tuple[Any, FakeTI]:
    """Run against the local Glue, waiting in the worker or through the trigger (real aiobotocore clients);
    return (result or error, task instance)."""
    ti = FakeTI()
    try:
        if not deferrable:
            return op.execute({"ti": ti}), ti
        with pytest.raises(TaskDeferred) as deferred:
            op.execute({"ti": ti})
        trigger = GlueJobRunTrigger(**deferred.value.trigger.serialize()[1])
        event = asyncio.run(first_event_of(trigger))
        return op.execute_complete({"ti": ti}, event=event.payload), ti
    except GlueFlowError as error:
        return error, ti


@pytest.mark.slow
@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_local_glue_max_retries_chain_is_followed_to_its_last_attempt(local_job, capsys, deferrable):
    # Glue's MaxRetries: "The maximum number of times to retry this job after a JobRun fails"; each
    # retry is a new run with Attempt + 1 and PreviousRunId:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html
    create, glue = local_job
    job_name = create(FAILING_SCRIPT, MaxRetries=2)
    result, ti = run_local(local_operator(job_name, deferrable=deferrable), deferrable)
    runs = sorted(glue.get_job_runs(JobName=job_name)["JobRuns"], key=lambda r: r.get("Attempt", 0))
    assert [r.get("Attempt", 0) for r in runs] == [0, 1, 2]
    last = runs[-1]
    assert type(result) is GlueJobRunFailedError
    assert str(result) == f"Glue job {job_name!r} run {last['Id']} ended FAILED: ValueError: bad row 7"
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "FAILED"
    assert ti.xcom["glue_job_run_id"] == last["Id"]
    out = capsys.readouterr().out
    assert f"Glue ran job {job_name} 3 times (MaxRetries)" in out
    for run in runs:
        assert f"attempt {run.get('Attempt', 0)}: run {run['Id']} FAILED: ValueError: bad row 7" in out


@pytest.mark.slow
@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_local_glue_verbose_logs_over_several_pages_are_forwarded_once(local_job, capsys, deferrable):
    # GetLogEvents returns at most 1 MB per call and the same token at the end of the stream:
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
    create, _ = local_job
    script = b"for i in range(300):\n    print(f'line {i:05d} ' + 'x' * 8000)\n"
    result, ti = run_local(local_operator(create(script), deferrable=deferrable, verbose=True), deferrable)
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "SUCCEEDED", result
    out = capsys.readouterr().out
    assert [out.count(f"line {i:05d} ") for i in range(300)] == [1] * 300
