"""A Python-shell job's runtime in the local Glue over HTTP: awsglue, its environment, its processes."""

from __future__ import annotations

import io
import time
import uuid
import zipfile

import pytest
from local_glue_support import create_python_job, log_messages, process_gone, wait_for_run

from glue_flow_local import LocalGlueProcess
from glue_flow_local.glue.jobs.env import env_root

pytestmark = pytest.mark.slow

OUTPUT = "/aws-glue/python-jobs/output"
#: Long enough for a first run that builds its environment.
BUILD_TIMEOUT = 600

GLUE_ARGS = b"""
import sys
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "INPUT", "MODE"])
print("resolved", args["JOB_NAME"], args["INPUT"], args["MODE"], args["JOB_RUN_ID"], args["job_bookmark_option"])
print("keys", " ".join(sorted(args)))
"""
ISOLATION = b"""
import importlib.util, os
for module in ("airflow", "moto", "airflow_glue_flow", "boto3", "awsglue"):
    print(module, importlib.util.find_spec(module) is not None)
print("secret", any("s3cr3t" in value for value in os.environ.values()))
print("names", " ".join(sorted(os.environ)))
"""
DAEMON_TO_S3 = b"""
import os, sys, time
import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["BUCKET"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        boto3.client("s3").put_object(Bucket=args["BUCKET"], Key="daemon.pid", Body=str(os.getpid()).encode())
        time.sleep(300)  # holds the script's stdout and stderr open
    os._exit(0)
os.wait()
while True:
    try:
        boto3.client("s3").head_object(Bucket=args["BUCKET"], Key="daemon.pid")
        break
    except Exception:
        time.sleep(0.05)
print("script done")
if "--SLEEP" in sys.argv:
    time.sleep(300)
"""


def _run(glue, name: str, arguments: dict[str, str] | None = None) -> dict:
    run_id = glue.start_job_run(JobName=name, Arguments=arguments or {})["JobRunId"]
    return wait_for_run(glue, name, run_id, timeout=BUILD_TIMEOUT)


def _daemon_pid(s3, bucket: str) -> int:
    deadline = time.monotonic() + BUILD_TIMEOUT
    while True:
        try:
            return int(s3.get_object(Bucket=bucket, Key="daemon.pid")["Body"].read())
        except s3.exceptions.NoSuchKey:
            assert time.monotonic() < deadline, "the daemon never started"
            time.sleep(0.1)


def test_awsglue_resolves_arguments_as_glue_passes_them(glue_client, s3_client, logs_client, bucket, unique):
    name = unique("job")
    create_python_job(
        glue_client, s3_client, bucket, name, GLUE_ARGS, DefaultArguments={"--INPUT": "in0/", "--MODE": "d"}
    )

    run = _run(glue_client, name, {"--MODE": "override", "--UNUSED": "x"})

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    output = log_messages(logs_client, OUTPUT, run["Id"])
    assert f"resolved {name} in0/ override {run['Id']} job-bookmark-disable" in output
    # Only the requested names and Glue's reserved ones; --UNUSED is not returned.
    reserved = "JOB_ID JOB_RUN_ID RedshiftTempDir SECURITY_CONFIGURATION TempDir enable_data_lineage"
    bookmark = "encryption_type job_bookmark_from job_bookmark_option job_bookmark_to"
    assert sorted(f"INPUT JOB_NAME MODE {reserved} {bookmark}".split()) == sorted(output[1].split()[1:])


def test_a_missing_argument_fails_the_run_with_glues_error(glue_client, s3_client, bucket, unique):
    name = unique("job")
    create_python_job(glue_client, s3_client, bucket, name, GLUE_ARGS, DefaultArguments={"--INPUT": "in0/"})

    run = _run(glue_client, name)

    assert run["JobRunState"] == "FAILED"
    assert (
        run["ErrorMessage"] == "awsglue.utils.GlueArgumentError: the following arguments are required: --MODE"
    )


def test_a_job_sees_boto3_and_awsglue_only(glue_client, s3_client, logs_client, bucket, unique):
    name = unique("job")
    create_python_job(glue_client, s3_client, bucket, name, ISOLATION)

    run = _run(glue_client, name)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    output = log_messages(logs_client, OUTPUT, run["Id"])
    assert output[:5] == [
        "airflow False",
        "moto False",
        "airflow_glue_flow False",
        "boto3 True",
        "awsglue True",
    ]


def test_extra_py_files_and_additional_modules_are_importable(
    glue_client, s3_client, logs_client, bucket, unique
):
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("helpers/__init__.py", "GREETING = 'from the zip'\n")
    s3_client.put_object(Bucket=bucket, Key="lib/helpers.zip", Body=archive.getvalue())
    s3_client.put_object(Bucket=bucket, Key="lib/single.py", Body=b"VALUE = 'from the py file'\n")
    script = (
        b"import helpers, single, tomli\nprint(helpers.GREETING, '|', single.VALUE, '|', tomli.__name__)\n"
    )
    name = unique("job")
    arguments = {
        "--extra-py-files": f"s3://{bucket}/lib/helpers.zip,s3://{bucket}/lib/single.py",
        "--additional-python-modules": "tomli==2.0.1",
    }
    create_python_job(glue_client, s3_client, bucket, name, script, DefaultArguments=arguments)

    first = _run(glue_client, name)
    before = {p: (p / ".complete").stat().st_mtime_ns for p in env_root().iterdir() if p.is_dir()}
    second = _run(glue_client, name)

    assert first["JobRunState"] == second["JobRunState"] == "SUCCEEDED", first.get("ErrorMessage")
    assert log_messages(logs_client, OUTPUT, second["Id"]) == ["from the zip | from the py file | tomli"]
    # The second run reused the environment the first one built: nothing new, nothing rebuilt.
    after = {p: (p / ".complete").stat().st_mtime_ns for p in env_root().iterdir() if p.is_dir()}
    assert after == before


def test_extra_files_is_refused_for_python_shell(glue_client, s3_client, bucket, unique):
    # https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html ("Limitations": --extra-files cannot be used)
    name = unique("job")
    create_python_job(glue_client, s3_client, bucket, name, b"print('x')\n")

    run = _run(glue_client, name, {"--extra-files": f"s3://{bucket}/conf.json"})

    assert run["JobRunState"] == "FAILED"
    assert "--extra-files option cannot be used with Python shell jobs" in run["ErrorMessage"]


def test_syntax_the_declared_python_rejects_fails_the_run(glue_client, s3_client, bucket, unique):
    name = unique("job")
    create_python_job(
        glue_client, s3_client, bucket, name, b"match 1:\n    case 1:\n        print('3.10+ only')\n"
    )

    run = _run(glue_client, name)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("SyntaxError: ")


def test_a_daemon_holding_stdout_ends_with_the_run(glue_client, s3_client, logs_client, bucket, unique):
    name = unique("job")
    create_python_job(
        glue_client, s3_client, bucket, name, DAEMON_TO_S3, DefaultArguments={"--BUCKET": bucket}
    )

    # Before, the run stayed RUNNING for 60 s after the script exited, waiting for the daemon's pipe.
    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]
    pid = _daemon_pid(s3_client, bucket)
    run = wait_for_run(glue_client, name, run_id, timeout=30)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert log_messages(logs_client, OUTPUT, run_id) == ["script done"]
    assert process_gone(pid)


def test_a_dedicated_server_hides_its_environment_and_ends_every_process_when_stopped(
    tmp_path, monkeypatch, unique
):
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "postgres://etl:s3cr3t@db:5432/prod")
    monkeypatch.setenv("GITHUB_TOKEN", "s3cr3t")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "s3cr3t")
    with LocalGlueProcess.start(state_dir=tmp_path / "glue") as glue:
        s3, logs, jobs = glue.client("s3"), glue.client("logs"), glue.client("glue")
        bucket = f"test-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        name = unique("job")
        create_python_job(jobs, s3, bucket, name, ISOLATION)
        run = _run(jobs, name)
        output = log_messages(logs, OUTPUT, run["Id"])
        daemon = unique("daemon")
        create_python_job(
            jobs, s3, bucket, daemon, DAEMON_TO_S3, DefaultArguments={"--BUCKET": bucket, "--SLEEP": "1"}
        )
        jobs.start_job_run(JobName=daemon)
        pid = _daemon_pid(s3, bucket)
        assert not process_gone(pid)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert "secret False" in output
    names = next(line for line in output if line.startswith("names ")).split()[1:]
    assert not {"AIRFLOW_CONN_WAREHOUSE", "GITHUB_TOKEN", "AWS_SESSION_TOKEN"} & set(names)
    assert {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= set(names)
    deadline = time.monotonic() + 30
    while not process_gone(pid):  # the supervisor finishes its kill after the server is gone
        assert time.monotonic() < deadline, f"daemon {pid} outlived the server"
        time.sleep(0.1)
