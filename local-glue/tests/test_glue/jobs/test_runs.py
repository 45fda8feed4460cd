"""Python-shell job runs in the local Glue, through plain boto3 clients: states, logs, limits."""

from __future__ import annotations

import time

import pytest
from local_glue_support import SLEEPING_SCRIPT, log_messages, wait_for_run

pytestmark = pytest.mark.slow

PRINT_ARGS = b"""
import sys
print("argv", " ".join(sys.argv[1:]))
print("done")
"""
FAILING = b"""
import sys
print("about to fail")
sys.stderr.write("a warning on stderr\\n")
raise ValueError("bad row 7 in s3://bucket/in0/csvlog.csv")
"""
#: Fails, then a finalizer raises while the interpreter shuts down ("Exception ignored in ..." on stderr),
#: and a helper process it started outlives it holding its stderr open.
FAILING_NOISILY = b"""
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

class Closer:
    def __del__(self):
        raise RuntimeError("noise at exit")

closer = Closer()
raise KeyError("uuid")
"""


def _job(glue, s3, bucket: str, name: str, script: bytes, **extra) -> None:
    s3.put_object(Bucket=bucket, Key=f"scripts/{name}.py", Body=script)
    command = {
        "Name": "pythonshell",
        "ScriptLocation": f"s3://{bucket}/scripts/{name}.py",
        "PythonVersion": "3.9",
    }
    glue.create_job(Name=name, Role="glue-role", Command=extra.pop("Command", command), **extra)


def _wait_state(glue, job: str, run_id: str, state: str) -> None:
    deadline = time.monotonic() + 30
    while glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"] != state:
        assert time.monotonic() < deadline, f"run never reached {state}"
        time.sleep(0.05)


def _wait_log(logs, run_id: str, line: str) -> None:
    deadline = time.monotonic() + 30
    while line not in log_messages(logs, "/aws-glue/python-jobs/output", run_id):
        assert time.monotonic() < deadline, f"{line!r} never logged"
        time.sleep(0.05)


def test_run_succeeds_with_run_arguments_overriding_defaults(
    glue_client, s3_client, logs_client, bucket, unique
):
    name = unique("job")
    _job(
        glue_client,
        s3_client,
        bucket,
        name,
        PRINT_ARGS,
        DefaultArguments={"--INPUT": "in0/", "--MODE": "default"},
    )

    run_id = glue_client.start_job_run(JobName=name, Arguments={"--MODE": "override"})["JobRunId"]
    run = wait_for_run(glue_client, name, run_id)

    assert run["JobRunState"] == "SUCCEEDED"
    assert run["LogGroupName"] == "/aws-glue/python-jobs"
    assert run["Arguments"] == {"--MODE": "override"}
    output = log_messages(logs_client, "/aws-glue/python-jobs/output", run_id)
    # Glue's reserved arguments first (see test_runtime.py), then the job's, run overriding default.
    assert output[0].startswith(f"argv --JOB_NAME {name} --JOB_ID j_")
    assert output[0].endswith(
        f"--JOB_RUN_ID {run_id} --job-bookmark-option job-bookmark-disable "
        f"--scriptLocation s3://{bucket}/scripts/{name}.py --INPUT in0/ --MODE override"
    )
    assert output[1:] == ["done"]


def test_failing_script_fails_with_its_last_error_line(glue_client, s3_client, logs_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, FAILING)

    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]
    run = wait_for_run(glue_client, name, run_id)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: bad row 7 in s3://bucket/in0/csvlog.csv"
    errors = log_messages(logs_client, "/aws-glue/python-jobs/error", run_id)
    assert "a warning on stderr" in errors
    assert errors[-1] == run["ErrorMessage"]


def test_error_message_is_the_exception_line_and_the_run_ends_with_its_leftovers(
    glue_client, s3_client, logs_client, bucket, unique
):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, FAILING_NOISILY)

    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]
    started = time.monotonic()
    run = wait_for_run(glue_client, name, run_id)

    # Not the finalizer's noise, which comes last; and not a wait for the helper's 60 s.
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "KeyError: 'uuid'"
    assert time.monotonic() - started < 30
    errors = log_messages(logs_client, "/aws-glue/python-jobs/error", run_id)
    assert "KeyError: 'uuid'" in errors
    assert errors[-1] == "RuntimeError: noise at exit"


def test_script_that_outlives_its_timeout_ends_timeout(glue_client, s3_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, SLEEPING_SCRIPT, Timeout=1)

    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]
    run = wait_for_run(glue_client, name, run_id)

    assert run["JobRunState"] == "TIMEOUT"
    assert run["Timeout"] == 1
    assert "timed out" in run["ErrorMessage"]


def test_run_timeout_argument_overrides_the_job_timeout(glue_client, s3_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, SLEEPING_SCRIPT, Timeout=600)

    run_id = glue_client.start_job_run(JobName=name, Timeout=1)["JobRunId"]

    assert wait_for_run(glue_client, name, run_id)["JobRunState"] == "TIMEOUT"


def test_batch_stop_job_run_stops_the_script(glue_client, s3_client, logs_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, SLEEPING_SCRIPT)
    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]
    _wait_state(glue_client, name, run_id, "RUNNING")
    # The output streams while the script runs.
    _wait_log(logs_client, run_id, "sleeping")

    answer = glue_client.batch_stop_job_run(JobName=name, JobRunIds=[run_id, "jr_unknown"])
    run = wait_for_run(glue_client, name, run_id)

    assert answer["SuccessfulSubmissions"] == [{"JobName": name, "JobRunId": run_id}]
    assert [e["JobRunId"] for e in answer["Errors"]] == ["jr_unknown"]
    assert run["JobRunState"] == "STOPPED"


def test_max_concurrent_runs_is_enforced(glue_client, s3_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, SLEEPING_SCRIPT, ExecutionProperty={"MaxConcurrentRuns": 2})
    runs = [glue_client.start_job_run(JobName=name)["JobRunId"] for _ in range(2)]

    with pytest.raises(glue_client.exceptions.ConcurrentRunsExceededException) as refused:
        glue_client.start_job_run(JobName=name)

    # AWS's message, as a StartJobRun refusal shows it (aws-solutions/amazon-marketing-cloud-uploader-from-aws
    # issue 51: "Concurrent runs exceeded for iantest06-...-amc-transformation-job").
    assert refused.value.response["Error"]["Message"] == f"Concurrent runs exceeded for {name}"

    glue_client.batch_stop_job_run(JobName=name, JobRunIds=runs)
    assert {wait_for_run(glue_client, name, r)["JobRunState"] for r in runs} == {"STOPPED"}
    listed = glue_client.get_job_runs(JobName=name)["JobRuns"]
    assert [r["Id"] for r in listed] == runs[::-1]


def test_default_max_concurrent_runs_is_one(glue_client, s3_client, bucket, unique):
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, SLEEPING_SCRIPT)
    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]

    with pytest.raises(glue_client.exceptions.ConcurrentRunsExceededException):
        glue_client.start_job_run(JobName=name)
    glue_client.batch_stop_job_run(JobName=name, JobRunIds=[run_id])
    wait_for_run(glue_client, name, run_id)

    second = glue_client.start_job_run(JobName=name)["JobRunId"]
    glue_client.batch_stop_job_run(JobName=name, JobRunIds=[second])
    assert wait_for_run(glue_client, name, second)["JobRunState"] == "STOPPED"


def test_streaming_job_fails_saying_it_does_not_run_locally(glue_client, s3_client, bucket, unique):
    name = unique("job")
    command = {"Name": "gluestreaming", "ScriptLocation": f"s3://{bucket}/scripts/{name}.py"}
    _job(glue_client, s3_client, bucket, name, PRINT_ARGS, Command=command, GlueVersion="4.0")

    run = wait_for_run(glue_client, name, glue_client.start_job_run(JobName=name)["JobRunId"])

    assert run["JobRunState"] == "FAILED"
    assert "streaming and Ray jobs don't run in the local Glue" in run["ErrorMessage"]


def test_missing_script_fails_the_run(glue_client, bucket, unique):
    name = unique("job")
    glue_client.create_job(
        Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/nothing.py"}
    )

    run = wait_for_run(glue_client, name, glue_client.start_job_run(JobName=name)["JobRunId"])

    assert run["JobRunState"] == "FAILED"
    assert f"s3://{bucket}/nothing.py" in run["ErrorMessage"]


def test_unknown_job_and_run_are_entity_not_found(glue_client, s3_client, bucket, unique):
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.start_job_run(JobName="no-such-job")
    name = unique("job")
    _job(glue_client, s3_client, bucket, name, PRINT_ARGS)
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_job_run(JobName=name, RunId="jr_missing")
