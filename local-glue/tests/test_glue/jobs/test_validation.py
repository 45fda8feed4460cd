"""Job definitions are checked where AWS checks them: CreateJob, UpdateJob and StartJobRun.

AWS facts these tests rely on:
- Job.MaxCapacity, WorkerType, NumberOfWorkers, Timeout, GlueVersion and JobCommand.Name, and the
  InvalidInputException that CreateJob/UpdateJob/StartJobRun declare:
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html
  ("When you specify a Python shell job (JobCommand.Name="pythonshell"), you can allocate either 0.0625 or
  1 DPU"; Spark: "from 2 to 100 DPUs ... cannot have a fractional DPU allocation"; "Do not set Max
  Capacity if using WorkerType and NumberOfWorkers"; Timeout: "Jobs must have timeout values less than
  7 days or 10080 minutes. Otherwise, the jobs will throw an exception.")
- "PythonShell v3.6 is supported in Glue version 1.0. PythonShell v3.9 is supported in Glue version 3.0.":
  https://docs.aws.amazon.com/glue/latest/dg/release-notes.html
- StartJobRun's MaxCapacity/WorkerType/NumberOfWorkers/Timeout override the job's:
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html
"""

from __future__ import annotations

from typing import Any

import pytest
from local_glue_support import wait_for_run

pytestmark = pytest.mark.slow


def _command(bucket: str, kind: str = "pythonshell") -> dict[str, str]:
    return {"Name": kind, "ScriptLocation": f"s3://{bucket}/scripts/job.py"}


def _create(glue: Any, name: str, bucket: str, kind: str = "pythonshell", **fields: Any) -> None:
    glue.create_job(Name=name, Role="glue-role", Command=_command(bucket, kind), **fields)


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("pythonshell", {"MaxCapacity": 10.0}, "MaxCapacity 10.0 is not valid for Job Command pythonshell"),
        ("pythonshell", {"MaxCapacity": 0.5}, "use 0.0625 or 1 DPU"),
        (
            "pythonshell",
            {"WorkerType": "G.1X", "NumberOfWorkers": 2},
            "Worker Type is not supported for Job Command pythonshell",
        ),
        ("pythonshell", {"NumberOfWorkers": 2}, "Number of Workers is not supported"),
        ("pythonshell", {"GlueVersion": "2.0"}, "Glue version 2.0 is not supported"),
        (
            "pythonshell",
            {"GlueVersion": "4.0"},
            "Glue version 4.0 is not supported for Job Command pythonshell",
        ),
        ("glueray", {"GlueVersion": "3.0"}, "Glue version 3.0 is not supported for Job Command glueray"),
        ("glueetl", {"GlueVersion": "9.9"}, "Glue version 9.9 is not supported for Job Command glueetl"),
        ("glueetl", {"MaxCapacity": 1.0}, "whole number of DPUs from 2 to 100"),
        ("glueetl", {"MaxCapacity": 2.5}, "whole number of DPUs from 2 to 100"),
        # AWS's text, as CloudFormation relays it (aws/aws-cdk pull request 26241).
        (
            "glueetl",
            {"WorkerType": "G.1X"},
            r"operation: Please set both Worker Type and Number of Workers\.$",
        ),
        (
            "glueetl",
            {"WorkerType": "G.1X", "NumberOfWorkers": 2, "MaxCapacity": 10.0},
            "Do not set Max Capacity if using Worker Type",
        ),
        (
            "glueetl",
            {"AllocatedCapacity": 10, "MaxCapacity": 10.0},
            "Please set only Allocated Capacity or Max",
        ),
        ("pythonshell", {"Timeout": 10081}, "Timeout must be from 1 to 10080 minutes"),
        ("pythonshell", {"MaxRetries": -1}, "MaxRetries must be at least 0"),
        (
            "pythonshell",
            {"ExecutionProperty": {"MaxConcurrentRuns": 0}},
            "MaxConcurrentRuns must be at least 1",
        ),
        ("pythonjob", {}, "Invalid Command.Name 'pythonjob'"),
    ],
)
def test_create_job_refuses_what_aws_refuses(glue_client, bucket, unique, kind, fields, message):
    name = unique("job")

    with pytest.raises(glue_client.exceptions.InvalidInputException, match=message):
        _create(glue_client, name, bucket, kind, **fields)

    # Nothing was stored.
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_job(JobName=name)


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("pythonshell", {"MaxCapacity": 0.0625, "GlueVersion": "3.0", "Timeout": 10080, "MaxRetries": 3}),
        ("pythonshell", {"MaxCapacity": 1.0, "GlueVersion": "1.0"}),
        ("pythonshell", {}),
        ("glueetl", {"GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": 10}),
        ("glueetl", {"GlueVersion": "4.0", "MaxCapacity": 10.0}),
        ("gluestreaming", {"GlueVersion": "4.0", "WorkerType": "G.025X", "NumberOfWorkers": 2}),
        ("glueray", {"GlueVersion": "4.0", "WorkerType": "Z.2X", "NumberOfWorkers": 5}),
    ],
)
def test_create_job_accepts_what_aws_accepts(glue_client, bucket, unique, kind, fields):
    name = unique("job")

    _create(glue_client, name, bucket, kind, **fields)

    job = glue_client.get_job(JobName=name)["Job"]
    assert job["Command"]["Name"] == kind
    for key, value in fields.items():
        assert job[key] == value


def test_update_job_refuses_an_invalid_definition_and_keeps_the_old_one(glue_client, bucket, unique):
    name = unique("job")
    _create(glue_client, name, bucket, MaxCapacity=1.0)

    with pytest.raises(glue_client.exceptions.InvalidInputException, match="Worker Type is not supported"):
        glue_client.update_job(
            JobName=name,
            JobUpdate={"Role": "r", "Command": _command(bucket), "WorkerType": "G.1X", "NumberOfWorkers": 2},
        )

    job = glue_client.get_job(JobName=name)["Job"]
    assert job["MaxCapacity"] == 1.0
    assert "WorkerType" not in job or job["WorkerType"] is None


def test_start_job_run_refuses_invalid_overrides(glue_client, bucket, unique):
    name = unique("job")
    _create(glue_client, name, bucket)

    with pytest.raises(glue_client.exceptions.InvalidInputException, match="use 0.0625 or 1 DPU"):
        glue_client.start_job_run(JobName=name, MaxCapacity=5.0)
    with pytest.raises(glue_client.exceptions.InvalidInputException, match="Worker Type is not supported"):
        glue_client.start_job_run(JobName=name, WorkerType="G.1X", NumberOfWorkers=2)
    with pytest.raises(glue_client.exceptions.InvalidInputException, match="Timeout must be from 1 to 10080"):
        glue_client.start_job_run(JobName=name, Timeout=20000)

    assert glue_client.get_job_runs(JobName=name)["JobRuns"] == []


def test_start_job_run_workers_replace_the_job_capacity(glue_client, bucket, unique):
    name = unique("job")
    _create(glue_client, name, bucket, "glueetl", GlueVersion="4.0", MaxCapacity=10.0)

    # On AWS a run's WorkerType + NumberOfWorkers replace the job's MaxCapacity; the run then fails only
    # because Spark does not run on the local Glue.
    run_id = glue_client.start_job_run(JobName=name, WorkerType="G.1X", NumberOfWorkers=2)["JobRunId"]

    assert wait_for_run(glue_client, name, run_id)["JobRunState"] == "FAILED"
