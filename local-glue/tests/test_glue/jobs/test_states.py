"""Job-run state machine of the local Glue: MaxRetries chains, STOPPING, ExecutionTime and CompletedOn.

AWS facts these tests rely on:
- JobRun fields Attempt ("The number of the attempt to run this job"), PreviousRunId, ExecutionTime
  ("The amount of time (in seconds) that the job run consumed resources"), CompletedOn, ErrorMessage:
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html
- Job.MaxRetries, "The maximum number of times to retry this job after a JobRun fails":
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html
- Run states STARTING, RUNNING, STOPPING, STOPPED, SUCCEEDED, FAILED, ERROR, WAITING, TIMEOUT:
  https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from local_glue_support import JOB_DONE, SLEEPING_SCRIPT, log_messages, wait_for_run

pytestmark = pytest.mark.slow

FAILING = b'raise RuntimeError("attempt failed")\n'
SUCCEEDING = b'print("fine")\n'


def _job(glue: Any, s3: Any, bucket: str, name: str, script: bytes, **fields: Any) -> None:
    s3.put_object(Bucket=bucket, Key=f"scripts/{name}.py", Body=script)
    command = {"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/{name}.py"}
    glue.create_job(Name=name, Role="glue-role", Command=command, **fields)


def _wait_runs(glue: Any, name: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """GetJobRuns until ``count`` runs exist and all have ended; oldest first."""
    deadline = time.monotonic() + timeout
    while True:
        runs = glue.get_job_runs(JobName=name)["JobRuns"]
        if len(runs) >= count and all(r["JobRunState"] in JOB_DONE for r in runs):
            return runs[::-1]
        assert time.monotonic() < deadline, f"runs of {name}: {[r['JobRunState'] for r in runs]}"
        time.sleep(0.1)


def _wait_state(glue: Any, name: str, run_id: str, state: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (run := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] != state:
        assert time.monotonic() < deadline, f"run never reached {state}"
        time.sleep(0.05)
    return run


def test_failed_run_is_retried_max_retries_times_as_a_chain(
    glue_client, s3_client, logs_client, bucket, unique
):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, FAILING, MaxRetries=2, DefaultArguments={"--A": "1"})

    first = glue_client.start_job_run(JobName=name, Arguments={"--B": "2"})["JobRunId"]
    runs = _wait_runs(glue_client, name, 3)

    assert [r["Id"] for r in runs] == [first, f"{first}_attempt_1", f"{first}_attempt_2"]
    assert [r["Attempt"] for r in runs] == [0, 1, 2]
    assert [r.get("PreviousRunId") for r in runs] == [None, first, f"{first}_attempt_1"]
    assert {r["JobRunState"] for r in runs} == {"FAILED"}
    assert {r["ErrorMessage"] for r in runs} == {"RuntimeError: attempt failed"}
    assert all(r["Arguments"] == {"--B": "2"} for r in runs)
    # The first run stays FAILED and the chain stops at MaxRetries.
    assert glue_client.get_job_run(JobName=name, RunId=first)["JobRun"]["JobRunState"] == "FAILED"
    time.sleep(1)
    assert len(glue_client.get_job_runs(JobName=name)["JobRuns"]) == 3
    # Each attempt logs to its own streams, named by its run id.
    for run in runs:
        assert log_messages(logs_client, "/aws-glue/python-jobs/error", run["Id"])[-1] == run["ErrorMessage"]


def test_succeeded_stopped_and_no_retry_runs_are_not_retried(glue_client, s3_client, bucket, unique):
    ok, stopped, plain = unique("job"), unique("job"), unique("job")
    _job(glue_client, s3_client, bucket, ok, SUCCEEDING, MaxRetries=3)
    _job(glue_client, s3_client, bucket, stopped, SLEEPING_SCRIPT, MaxRetries=3)
    _job(glue_client, s3_client, bucket, plain, FAILING)

    ok_run = glue_client.start_job_run(JobName=ok)["JobRunId"]
    stop_run = glue_client.start_job_run(JobName=stopped)["JobRunId"]
    plain_run = glue_client.start_job_run(JobName=plain)["JobRunId"]
    _wait_state(glue_client, stopped, stop_run, "RUNNING")
    glue_client.batch_stop_job_run(JobName=stopped, JobRunIds=[stop_run])

    assert wait_for_run(glue_client, ok, ok_run)["JobRunState"] == "SUCCEEDED"
    assert wait_for_run(glue_client, stopped, stop_run)["JobRunState"] == "STOPPED"
    assert wait_for_run(glue_client, plain, plain_run)["JobRunState"] == "FAILED"
    time.sleep(1)
    for name in (ok, stopped, plain):
        assert len(glue_client.get_job_runs(JobName=name)["JobRuns"]) == 1


def test_running_run_has_no_completed_on_and_zero_execution_time(glue_client, s3_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, SLEEPING_SCRIPT)
    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]

    running = _wait_state(glue_client, name, run_id, "RUNNING")
    time.sleep(1.5)
    still = glue_client.get_job_run(JobName=name, RunId=run_id)["JobRun"]
    answer = glue_client.batch_stop_job_run(JobName=name, JobRunIds=[run_id])
    after_stop = glue_client.get_job_run(JobName=name, RunId=run_id)["JobRun"]
    stopped = wait_for_run(glue_client, name, run_id)

    assert "CompletedOn" not in running and running["ExecutionTime"] == 0
    assert still["ExecutionTime"] == 0
    assert answer["SuccessfulSubmissions"] == [{"JobName": name, "JobRunId": run_id}]
    assert after_stop["JobRunState"] in {"STOPPING", "STOPPED"}
    assert stopped["JobRunState"] == "STOPPED"
    assert "ErrorMessage" not in stopped
    assert stopped["CompletedOn"] >= stopped["StartedOn"]
    assert stopped["ExecutionTime"] >= 1


def test_start_job_run_with_job_run_id_records_the_previous_run(glue_client, s3_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, FAILING)
    first = glue_client.start_job_run(JobName=name)["JobRunId"]
    wait_for_run(glue_client, name, first)

    again = glue_client.start_job_run(JobName=name, JobRunId=first)["JobRunId"]

    run = wait_for_run(glue_client, name, again)
    assert run["PreviousRunId"] == first
    assert again != first


def test_job_run_shows_the_capacity_it_ran_with(glue_client, s3_client, bucket, unique):
    shell, spark = unique("job"), unique("job")
    _job(glue_client, s3_client, bucket, shell, SUCCEEDING, MaxCapacity=1.0)
    command = {"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/{spark}.py"}
    glue_client.create_job(
        Name=spark, Role="r", Command=command, GlueVersion="4.0", WorkerType="G.1X", NumberOfWorkers=10
    )

    default_run = wait_for_run(glue_client, shell, glue_client.start_job_run(JobName=shell)["JobRunId"])
    small_run = wait_for_run(
        glue_client, shell, glue_client.start_job_run(JobName=shell, MaxCapacity=0.0625)["JobRunId"]
    )
    spark_run = wait_for_run(
        glue_client, spark, glue_client.start_job_run(JobName=spark, NumberOfWorkers=2)["JobRunId"]
    )

    assert default_run["MaxCapacity"] == 1.0
    assert small_run["MaxCapacity"] == 0.0625
    assert (spark_run["WorkerType"], spark_run["NumberOfWorkers"]) == ("G.1X", 2)
