"""The encoding job: its arguments checked, exit codes, the report line, and its script run without Airflow."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import boto3
import pytest
from moto import mock_aws

from airflow_glue_flow.encoding.bundle import JOB_ZIP_NAME, job_zip, write_job_zip
from airflow_glue_flow.encoding.job import ArgumentError, job_options, run
from glue_flow_local.glue.jobs.args import GLUE_LIB
from tests.conftest import REPO_ROOT

#: The job's arguments as getResolvedOptions returns them (names without ``--``).
ARGS = {
    "BUCKET_NAME": "cli-bucket",
    "BUCKET_PATH": "in/",
    "BUCKET_PATH_DECODE": "utf8/",
    "BUCKET_PATH_ORG": "shift_jis/",
    "DECODE_LANG": "cp932",
}
ARGV = [arg for name, value in ARGS.items() for arg in (f"--{name}", value)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"DECODE_LANG": "nope"}, "unknown encoding 'nope'"),
        ({"ERRORS": "ignore"}, "errors must be one of"),
        ({"MAX_WORKERS": "many"}, "--MAX_WORKERS must be an integer"),
        ({"DELETE_SOURCE": "yes"}, "--DELETE_SOURCE must be true or false"),
        ({"BUCKET_PATH_DECODE": "in/utf8/"}, "--BUCKET_PATH_DECODE 'in/utf8/' overlaps source_prefix"),
        ({"BUCKET_PATH": "in"}, "--BUCKET_PATH 'in' must end with '/'"),
        ({"BUCKET_PATH": ""}, "--BUCKET_PATH '' must not be empty"),
        ({"BUCKET_NAME": ""}, "--BUCKET_NAME must not be empty"),
        ({"REPLACE_TARGET": "maybe"}, "--REPLACE_TARGET must be true or false"),
    ],
)
def test_bad_arguments_exit_2_without_touching_s3(extra, message, caplog):
    assert run({**ARGS, **extra}, make_s3_client=lambda config: object()) == 2
    assert message in caplog.text


def test_missing_arguments_are_named():
    with pytest.raises(
        ArgumentError, match=r"missing required job argument\(s\): --BUCKET_PATH_ORG, --DECODE_LANG"
    ):
        job_options({k: v for k, v in ARGS.items() if k not in ("BUCKET_PATH_ORG", "DECODE_LANG")})


def test_optional_arguments_take_their_defaults():
    opts = job_options(ARGS)
    assert (opts.target_encoding, opts.errors, opts.max_workers) == ("utf-8", "strict", 8)
    assert (opts.delete_source, opts.replace_target) == (True, False)


def test_run_converts_and_exits_1_when_an_object_failed(capsys, caplog):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="cli-bucket")
        client.put_object(Bucket="cli-bucket", Key="in/", Body=b"")
        client.put_object(Bucket="cli-bucket", Key="in/good.csv", Body="①\r\n".encode("cp932"))
        # moto in-process cannot delete conditionally, so the sources stay (as --DELETE_SOURCE false).
        assert run({**ARGS, "DELETE_SOURCE": "false"}, make_s3_client=lambda config: client) == 0
        assert client.get_object(Bucket="cli-bucket", Key="utf8/good.csv")["Body"].read() == "①\r\n".encode()
        client.put_object(Bucket="cli-bucket", Key="in/bad.csv", Body=b"\x82\n")
        assert run({**ARGS, "DELETE_SOURCE": "false"}, make_s3_client=lambda config: client) == 1
    lines = capsys.readouterr().out.splitlines()
    report = json.loads([line for line in lines if line.startswith("{")][-1])
    assert caplog.records[-1].getMessage() == "1 object(s) could not be converted"
    assert report["failed"][0]["key"] == "in/bad.csv"
    assert "byte offset 0" in report["failed"][0]["reason"]


JOB_SCRIPT = REPO_ROOT / "dags" / "scripts" / "convert_encoding.py"


def _run_job_script(tmp_path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the job script as Glue does: the package from its --extra-py-files zip, awsglue on the path,
    and Airflow not importable (a Glue job has none)."""
    archive = write_job_zip(tmp_path / JOB_ZIP_NAME)
    code = (
        "import runpy, sys\n"
        "sys.modules['airflow'] = None  # any Airflow import would fail\n"
        "import airflow_glue_flow.encoding.job as job\n"
        "print(job.__file__, flush=True)\n"
        f"sys.argv = {[str(JOB_SCRIPT), *argv]!r}\n"
        f"runpy.run_path({str(JOB_SCRIPT)!r}, run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(archive), str(GLUE_LIB)])},
    )


def test_the_job_script_imports_the_package_from_its_zip_and_fails_as_glue_does(tmp_path):
    done = _run_job_script(tmp_path, ["--JOB_NAME", "j", "--BUCKET_NAME", "b"])

    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"{tmp_path / JOB_ZIP_NAME}/airflow_glue_flow/encoding/job.py")
    # getResolvedOptions' own error, the last line of the traceback (the run's ErrorMessage on Glue).
    assert done.stderr.strip().splitlines()[-1] == (
        "awsglue.utils.GlueArgumentError: the following arguments are required: "
        "--BUCKET_PATH, --BUCKET_PATH_DECODE, --BUCKET_PATH_ORG, --DECODE_LANG"
    )


def test_the_job_script_exits_2_on_a_bad_optional_argument(tmp_path):
    done = _run_job_script(tmp_path, [*ARGV, "--MAX_WORKERS=many", "--JOB_NAME", "j"])

    assert done.returncode == 2, done.stderr
    assert "[ERROR] bad job arguments: --MAX_WORKERS must be an integer, not 'many'" in done.stdout


def test_job_zip_is_the_same_bytes_for_the_same_code():
    assert job_zip() == job_zip()


def test_the_package_parses_as_python_3_9():
    # Glue Python shell runs Python 3.9; the package must not use newer syntax.
    for path in (REPO_ROOT / "airflow_glue_flow" / "encoding").glob("*.py"):
        ast.parse(path.read_text("utf-8"), filename=str(path), feature_version=(3, 9))
