"""GlueJobRunCleanupOperator as a teardown, run with dag.test() against the local Glue."""

from __future__ import annotations

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_glue_flow.operators.job import RUN_ID_XCOM_KEY, GlueJobRunOperator
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator
from tests.conftest import task_states
from tests.local_glue import create_python_job, wait_for_run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("local_aws_default")]

QUICK_SCRIPT = b'print("done", flush=True)\n'
#: Runs until stopped, however long the DAG run takes on a loaded machine (the test stops it at the end).
UNTIL_STOPPED_SCRIPT = b"import time\ntime.sleep(3600)\n"


def _job(glue, s3, bucket: str, name: str, script: bytes) -> str:
    create_python_job(glue, s3, bucket, name, script, ExecutionProperty={"MaxConcurrentRuns": 3})
    return name


def test_teardown_stops_only_the_runs_a_task_left_without_a_result(
    run_dag, glue_client, s3_client, bucket, unique
):
    sleeping = _job(glue_client, s3_client, bucket, unique("sleeping"), UNTIL_STOPPED_SCRIPT)
    quick = _job(glue_client, s3_client, bucket, unique("quick"), QUICK_SCRIPT)
    # A run of the same job that no task of the DAG run started: not the teardown's to stop.
    foreign = glue_client.start_job_run(JobName=sleeping)["JobRunId"]
    with DAG(unique("cleanup"), schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        # Returns right after StartJobRun with no glue_state: the state a deferred task is left in
        # when it is marked failed before its trigger ran.
        left = GlueJobRunOperator(task_id="left", job_name=sleeping, wait_for_completion=False)
        done = GlueJobRunOperator(task_id="done", job_name=quick, poll_interval=0.2)
        cleanup = GlueJobRunCleanupOperator(task_id="cleanup", jobs={"left": sleeping, "done": quick})
        [left, done] >> cleanup.as_teardown()

    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"left": "success", "done": "success", "cleanup": "success"}
    left_run = dag_run.get_task_instance("left").xcom_pull(task_ids="left", key=RUN_ID_XCOM_KEY)
    assert wait_for_run(glue_client, sleeping, left_run)["JobRunState"] == "STOPPED"
    assert dag_run.get_task_instance("cleanup").xcom_pull(task_ids="cleanup") == {"left": [left_run]}
    assert glue_client.get_job_run(JobName=sleeping, RunId=foreign)["JobRun"]["JobRunState"] == "RUNNING"
    [done_run] = glue_client.get_job_runs(JobName=quick)["JobRuns"]
    assert done_run["JobRunState"] == "SUCCEEDED"
    glue_client.batch_stop_job_run(JobName=sleeping, JobRunIds=[foreign])
