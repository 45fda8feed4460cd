"""The Glue Python-shell script form: argument parsing like getResolvedOptions, exit codes, endpoint."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import boto3
import pytest
from moto import mock_aws

from airflow_glue_flow.encoding import REQUIRED_ARGS, ArgumentError, main, resolve_options
from tests.conftest import REPO_ROOT

ARGV = [
    "script.py",
    "--JOB_NAME",
    "convert",
    "--BUCKET_NAME",
    "cli-bucket",
    "--BUCKET_PATH=in/",
    "--job-bookmark-option",
    "job-bookmark-disable",
    "--BUCKET_PATH_DECODE",
    "utf8/",
    "--JOB_RUN_ID",
    "jr_123",
    "--BUCKET_PATH_ORG",
    "shift_jis/",
    "--scriptLocation",
    "s3://scripts/encoding.py",
    "--DECODE_LANG",
    "cp932",
]


def test_resolves_both_forms_and_ignores_unknown_arguments():
    assert resolve_options(ARGV, REQUIRED_ARGS) == {
        "BUCKET_NAME": "cli-bucket",
        "BUCKET_PATH": "in/",
        "BUCKET_PATH_DECODE": "utf8/",
        "BUCKET_PATH_ORG": "shift_jis/",
        "DECODE_LANG": "cp932",
    }


def test_argv0_is_skipped_even_when_it_looks_like_an_argument():
    assert resolve_options(["--DECODE_LANG", "--BUCKET_NAME", "b"], ["BUCKET_NAME"]) == {"BUCKET_NAME": "b"}


def test_last_occurrence_wins_and_values_may_contain_equals():
    argv = ["s", "--BUCKET_NAME", "a", "--BUCKET_NAME=b=c"]
    assert resolve_options(argv, ["BUCKET_NAME"]) == {"BUCKET_NAME": "b=c"}


def test_optional_arguments_are_returned_when_given():
    argv = [*ARGV, "--ERRORS", "replace", "--MAX_WORKERS=3"]
    opts = resolve_options(argv, REQUIRED_ARGS)
    assert opts["ERRORS"] == "replace" and opts["MAX_WORKERS"] == "3"


def test_missing_required_arguments_are_named():
    with pytest.raises(
        ArgumentError, match="missing required job argument\\(s\\): --BUCKET_PATH_ORG, --DECODE_LANG"
    ):
        resolve_options(ARGV[:-6], REQUIRED_ARGS)


def test_argument_without_value_is_an_error():
    with pytest.raises(ArgumentError, match="--DECODE_LANG expects a value"):
        resolve_options([*ARGV[:-1]], REQUIRED_ARGS)
    with pytest.raises(ArgumentError, match="--BUCKET_NAME expects a value"):
        resolve_options(["s", "--BUCKET_NAME", "--DECODE_LANG", "cp932"], ["BUCKET_NAME"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--DECODE_LANG", "nope"], "unknown encoding 'nope'"),
        (["--ERRORS", "ignore"], "errors must be one of"),
        (["--MAX_WORKERS", "many"], "--MAX_WORKERS must be an integer"),
        (["--DELETE_SOURCE", "yes"], "--DELETE_SOURCE must be true or false"),
        (["--BUCKET_PATH_DECODE", "in/utf8/"], "overlaps source_prefix"),
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
        assert main(ARGV, s3_client=client) == 0
        assert client.get_object(Bucket="cli-bucket", Key="utf8/good.csv")["Body"].read() == "①\r\n".encode()
        client.put_object(Bucket="cli-bucket", Key="in/bad.csv", Body=b"\x82\n")
        assert main(ARGV, s3_client=client) == 1
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
            [sys.executable, "-m", "airflow_glue_flow.encoding", *ARGV[1:]],
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
        assert "Contents" not in client.list_objects_v2(Bucket="cli-bucket", Prefix="in/")
    finally:
        server.stop()


def test_the_file_alone_runs_without_airflow_or_the_package(tmp_path):
    script = tmp_path / "encoding.py"
    script.write_bytes((REPO_ROOT / "airflow_glue_flow" / "encoding.py").read_bytes())
    code = (
        "import sys, runpy\n"
        "sys.modules['airflow'] = None  # any Airflow import would fail\n"
        f"sys.argv = [{str(script)!r}, '--BUCKET_NAME', 'b', '--JOB_NAME', 'j']\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert done.returncode == 2, done.stderr
    assert "missing required job argument(s): --BUCKET_PATH, --BUCKET_PATH_DECODE" in done.stdout
