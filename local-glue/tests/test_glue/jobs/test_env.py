"""The job-side runtime of the local Glue without a server: awsglue, environments, arguments, supervisor."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from local_glue_support import process_gone

from glue_flow_local.glue.jobs import env as job_env
from glue_flow_local.glue.jobs import supervisor as job_supervisor
from glue_flow_local.glue.jobs.args import GLUE_LIB, job_environment, merged_arguments, script_argv
from glue_flow_local.glue.jobs.env import Interpreter, JobEnvironmentError
from glue_flow_local.settings import Credentials, Settings


@pytest.fixture(scope="module")
def glue_utils():
    """awsglue/utils.py loaded under another name: the test process itself never imports ``awsglue``."""
    spec = importlib.util.spec_from_file_location("_glue_utils_under_test", GLUE_LIB / "awsglue" / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_awsglue_is_not_importable_in_the_airflow_environment():
    # The job-side library goes on a job's path only; a top-level awsglue here would shadow AWS's own.
    # A fresh interpreter of this environment: other tests may put the library on this process's path.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "import importlib.util; print(importlib.util.find_spec('awsglue'))"

    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "None"
    assert (GLUE_LIB / "awsglue" / "utils.py").is_file()


# getResolvedOptions as in awslabs/aws-glue-libs awsglue/utils.py and
# https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-get-resolved-options.html
def test_get_resolved_options_returns_the_requested_names_and_glue_reserved_ones(glue_utils):
    argv = ["script.py", "--A", "1", "--B=two", "--C", "3", "--JOB_RUN_ID", "jr_1", "--JOB_NAME", "j"]

    args = glue_utils.getResolvedOptions(argv, ["JOB_NAME", "A", "B"])

    assert (args["JOB_NAME"], args["A"], args["B"]) == ("j", "1", "two")
    assert "C" not in args  # not asked for
    assert args["JOB_RUN_ID"] == "jr_1"
    assert args["job_bookmark_option"] == "job-bookmark-disable"
    assert args["TempDir"] is None


def test_get_resolved_options_missing_name_raises_argparse_error(glue_utils):
    with pytest.raises(glue_utils.GlueArgumentError, match="the following arguments are required: --B"):
        glue_utils.getResolvedOptions(["script.py", "--A", "1"], ["A", "B"])


def test_get_resolved_options_temp_dir_is_optional_and_mirrored(glue_utils):
    args = glue_utils.getResolvedOptions(["s.py", "--TempDir", "s3://b/tmp/"], ["TempDir"])

    assert args["TempDir"] == args["RedshiftTempDir"] == "s3://b/tmp/"
    assert glue_utils.getResolvedOptions(["s.py"], ["TempDir"])["TempDir"] is None


def test_get_resolved_options_refuses_reserved_names_and_bad_bookmark_values(glue_utils):
    with pytest.raises(RuntimeError, match="Using reserved arguments job-bookmark-option"):
        glue_utils.getResolvedOptions(["s.py"], ["job-bookmark-option"])
    with pytest.raises(glue_utils.GlueArgumentError, match="invalid choice"):
        glue_utils.getResolvedOptions(["s.py", "--job-bookmark-option", "on"], [])


def test_requirements_of_no_library_set_is_boto3_and_the_jobs_modules():
    assert job_env.requirements("", (3, 9), (3, 9), "") == ["boto3"]
    assert job_env.requirements("none", (3, 9), (3, 9), "tomli==2.0.1, six") == [
        "boto3",
        "six",
        "tomli==2.0.1",
    ]


def test_requirements_of_the_analytics_set_pin_aws_versions_on_the_declared_python():
    # https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html#python-shell-supported-library
    wanted = job_env.requirements("analytics", (3, 9), (3, 9), "")

    assert {"pandas==1.4.2", "numpy==1.22.3", "awswrangler==2.15.1", "scikit-learn==1.0.2"} <= set(wanted)
    assert "boto3" in wanted  # unpinned: it must honour AWS_ENDPOINT_URL


def test_requirements_of_the_analytics_set_on_another_python_are_unpinned_and_overridable():
    wanted = job_env.requirements("analytics", (3, 11), (3, 9), "pandas==2.2.3")

    assert "numpy" in wanted and "awswrangler" in wanted
    assert "pandas==2.2.3" in wanted and "pandas" not in wanted


def test_requirements_refuse_an_unknown_library_set():
    with pytest.raises(JobEnvironmentError, match="Invalid library-set 'science'"):
        job_env.requirements("science", (3, 9), (3, 9), "")


def test_syntax_of_a_newer_python_is_rejected_for_the_declared_version():
    source = b"match 1:\n    case 1:\n        pass\n"

    error = job_env.syntax_error(source, "/runs/jr_1/job.py", (3, 9))

    assert error is not None and error[-1].startswith("SyntaxError: ")
    assert 'File "/runs/jr_1/job.py", line ' in error[0]
    assert job_env.syntax_error(source, "job.py", (3, 10)) is None


def test_closest_interpreter_prefers_the_declared_version_then_the_nearest(monkeypatch):
    found = [Interpreter("/p38", (3, 8)), Interpreter("/p310", (3, 10)), Interpreter("/p311", (3, 11))]
    monkeypatch.setattr(job_env, "interpreters", lambda: found)

    assert job_env.closest_interpreter((3, 10)).path == "/p310"
    assert job_env.closest_interpreter((3, 9)).path == "/p310"  # a tie goes to the newer one
    assert job_env.closest_interpreter((3, 6)).path == "/p38"


def test_an_environment_is_built_once_and_then_reused(tmp_path, monkeypatch):
    interpreter = Interpreter(sys.executable, sys.version_info[:2])

    python = job_env.ensure_environment(interpreter, ["boto3"], root=tmp_path)

    def no_install(*args):
        raise AssertionError(f"installed again: {args}")

    monkeypatch.setattr(job_env, "_uv_run", no_install)
    assert job_env.ensure_environment(interpreter, ["boto3"], root=tmp_path) == python
    # The environment has boto3 but not the server's packages.
    probe = "import boto3, importlib.util as u; print([u.find_spec(m) is None for m in ('airflow', 'moto')])"
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[True, True]"


def test_an_older_boto3_in_a_job_still_calls_the_local_glue(tmp_path):
    # boto3 < 1.28 ignores AWS_ENDPOINT_URL (the analytics set's s3fs pins such a botocore).
    interpreter = Interpreter(sys.executable, sys.version_info[:2])
    python = job_env.ensure_environment(interpreter, ["boto3==1.26.0"], root=tmp_path)
    env = job_environment(Settings("http://127.0.0.1:9", tmp_path), "us-east-1", python, tmp_path, [])
    probe = (
        "import boto3; print(boto3.__version__, boto3.client('s3').meta.endpoint_url,"
        " boto3.client('s3', endpoint_url='http://elsewhere:1').meta.endpoint_url)"
    )

    out = subprocess.run([python, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout

    assert out.split() == ["1.26.0", "http://127.0.0.1:9", "http://elsewhere:1"]


def test_an_environment_that_cannot_be_built_names_the_module(tmp_path):
    interpreter = Interpreter(sys.executable, sys.version_info[:2])

    with pytest.raises(JobEnvironmentError, match="no-such-module-glue-flow-test"):
        job_env.ensure_environment(
            interpreter, ["boto3", "no-such-module-glue-flow-test==0.0.1"], root=tmp_path
        )
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []  # nothing half-built is kept


def test_arguments_reach_the_script_as_glue_passes_them(tmp_path):
    job = {"DefaultArguments": {"--A": "default", "--B": "b", "library-set": "analytics"}}

    merged = merged_arguments(job, {"--A": "run"})
    argv = script_argv(tmp_path / "s.py", "s3://b/s.py", merged, "us-east-1", "job1", "jr_1")

    assert merged == {"--A": "run", "--B": "b", "--library-set": "analytics"}
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert pairs["--A"] == "run" and pairs["--JOB_NAME"] == "job1" and pairs["--JOB_RUN_ID"] == "jr_1"
    assert pairs["--job-bookmark-option"] == "job-bookmark-disable"
    assert pairs["--scriptLocation"] == "s3://b/s.py"
    assert pairs["--JOB_ID"].startswith("j_")
    assert argv[1] == "--JOB_NAME" and argv[-4:] == ["--B", "b", "--library-set", "analytics"]


def test_job_environment_holds_nothing_of_the_servers(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "postgres://user:secret@db/prod")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "server-token")

    settings = Settings("http://127.0.0.1:1", tmp_path, credentials=Credentials("AKLOCAL", "local-key"))

    env = job_environment(settings, "eu-west-1", tmp_path / "bin" / "python", tmp_path, [])

    assert not any("secret" in value or "server-token" in value for value in env.values())
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AKLOCAL", "local-key")
    assert "AIRFLOW_CONN_WAREHOUSE" not in env and "AWS_SESSION_TOKEN" not in env
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" and env["AWS_REGION"] == "eu-west-1"


DAEMON = textwrap.dedent(
    """
    import os, sys, time
    # A double-forked daemon in its own session that keeps the script's stdout open.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(sys.argv[1], "w") as f:
                f.write(str(os.getpid()))
            time.sleep(120)
        os._exit(0)
    os.wait()
    while not os.path.exists(sys.argv[1]) or not open(sys.argv[1]).read():
        time.sleep(0.01)
    print("script done", flush=True)
    sys.exit(3)
    """
)


def _supervise(tmp_path: Path, script: str) -> subprocess.Popen[bytes]:
    (tmp_path / "job.py").write_text(script)
    command = [sys.executable, "-I", job_supervisor.__file__, sys.executable, str(tmp_path / "job.py")]
    return subprocess.Popen([*command, str(tmp_path / "pid")], stdout=subprocess.PIPE, start_new_session=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child subreaper is Linux-only")
def test_supervisor_ends_a_daemon_holding_stdout_when_the_script_exits(tmp_path):
    process = _supervise(tmp_path, DAEMON)

    # Reading to EOF returns only once nothing holds the pipe: the daemon is gone too.
    output = process.stdout.read()

    assert output == b"script done\n"
    assert process.wait(timeout=30) == 3
    assert process_gone(int((tmp_path / "pid").read_text()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child subreaper is Linux-only")
def test_supervisor_stopped_ends_the_script_and_its_daemon(tmp_path):
    process = _supervise(tmp_path, DAEMON.replace('print("script done"', 'time.sleep(120); print("x"'))
    deadline = time.monotonic() + 30
    while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text():
        assert time.monotonic() < deadline, "the daemon never started"
        time.sleep(0.05)

    os.kill(process.pid, signal.SIGTERM)

    assert process.stdout.read() == b""
    assert process.wait(timeout=30) == 128 + signal.SIGKILL
    assert process_gone(int((tmp_path / "pid").read_text()))
