"""The job entry point: exit codes, the report line, the S3 endpoint, and no Airflow import."""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys

import boto3
import pytest
from moto import mock_aws

from airflow_glue_flow.encoding.bundle import JOB_ZIP_NAME, job_zip, write_job_zip
from airflow_glue_flow.encoding.job import main
from tests.conftest import REPO_ROOT
from tests.encoding.test_cli import ARGV


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--DECODE_LANG", "nope"], "unknown encoding 'nope'"),
        (["--ERRORS", "ignore"], "errors must be one of"),
        (["--MAX_WORKERS", "many"], "--MAX_WORKERS must be an integer"),
        (["--DELETE_SOURCE", "yes"], "--DELETE_SOURCE must be true or false"),
        (["--BUCKET_PATH_DECODE", "in/utf8/"], "--BUCKET_PATH_DECODE 'in/utf8/' overlaps source_prefix"),
        (["--BUCKET_PATH", "in"], "--BUCKET_PATH 'in' must end with '/'"),
        (["--BUCKET_PATH", ""], "--BUCKET_PATH '' must not be empty"),
        (["--BUCKET_NAME="], "--BUCKET_NAME must not be empty"),
        (["--REPLACE_TARGET", "maybe"], "--REPLACE_TARGET must be true or false"),
    ],
)
def test_bad_arguments_exit_2_without_touching_s3(extra, message, capsys):
    assert main([*ARGV, *extra], s3_client=object()) == 2
    assert message in capsys.readouterr().out


def test_missing_argument_exits_2(capsys):
    assert main(["script.py", "--BUCKET_NAME", "b"], s3_client=object()) == 2
    assert "missing required job argument(s): --BUCKET_PATH," in capsys.readouterr().out


def test_main_converts_and_exits_1_when_an_object_failed(capsys):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="cli-bucket")
        client.put_object(Bucket="cli-bucket", Key="in/", Body=b"")
        client.put_object(Bucket="cli-bucket", Key="in/good.csv", Body="①\r\n".encode("cp932"))
        # moto in-process cannot delete conditionally, so the sources stay (as --DELETE_SOURCE false).
        assert main([*ARGV, "--DELETE_SOURCE", "false"], s3_client=client) == 0
        assert client.get_object(Bucket="cli-bucket", Key="utf8/good.csv")["Body"].read() == "①\r\n".encode()
        client.put_object(Bucket="cli-bucket", Key="in/bad.csv", Body=b"\x82\n")
        assert main([*ARGV, "--DELETE_SOURCE", "false"], s3_client=client) == 1
    lines = capsys.readouterr().out.splitlines()
    report = json.loads([line for line in lines if line.startswith("{")][-1])
    assert lines[-1] == "[ERROR] 1 object(s) could not be converted"
    assert report["failed"][0]["key"] == "in/bad.csv"
    assert "byte offset 0" in report["failed"][0]["reason"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_python_dash_m_follows_aws_endpoint_url_s3():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        client.create_bucket(Bucket="cli-bucket")
        client.put_object(Bucket="cli-bucket", Key="in/a.csv", Body="髙橋,～\n".encode("cp932"))
        env = {**os.environ, "AWS_ENDPOINT_URL_S3": endpoint, "PYTHONPATH": str(REPO_ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "airflow_glue_flow.encoding", *ARGV[1:], "--DELETE_SOURCE=false"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "converted s3 key in/a.csv" in done.stdout
        assert client.get_object(Bucket="cli-bucket", Key="utf8/a.csv")["Body"].read() == "髙橋,～\n".encode()
        assert client.get_object(Bucket="cli-bucket", Key="shift_jis/a.csv")[
            "Body"
        ].read() == "髙橋,～\n".encode("cp932")
        assert client.get_object(Bucket="cli-bucket", Key="in/a.csv")["Body"].read() == "髙橋,～\n".encode(
            "cp932"
        )
    finally:
        server.stop()


def test_the_job_zip_alone_runs_without_airflow(tmp_path):
    # The --extra-py-files zip is all a Glue job gets of this project; Airflow is not importable there.
    archive = write_job_zip(tmp_path / JOB_ZIP_NAME)
    code = (
        "import sys, runpy\n"
        "sys.modules['airflow'] = None  # any Airflow import would fail\n"
        "import airflow_glue_flow.encoding.job as job\n"
        "print(job.__file__)\n"
        "sys.argv = ['job.py', '--BUCKET_NAME', 'b', '--JOB_NAME', 'j']\n"
        "runpy.run_module('airflow_glue_flow.encoding', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(archive)},
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout.startswith(f"{archive}/airflow_glue_flow/encoding/job.py")
    assert "missing required job argument(s): --BUCKET_PATH, --BUCKET_PATH_DECODE" in done.stdout


def test_job_zip_is_the_same_bytes_for_the_same_code():
    assert job_zip() == job_zip()


def test_the_package_parses_as_python_3_9():
    # Glue Python shell runs Python 3.9; the package must not use newer syntax.
    for path in (REPO_ROOT / "airflow_glue_flow" / "encoding").glob("*.py"):
        ast.parse(path.read_text("utf-8"), filename=str(path), feature_version=(3, 9))
