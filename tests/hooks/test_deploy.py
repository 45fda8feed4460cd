from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from airflow_glue_flow.hooks.deploy import GlueDeployHook

CRAWLER = {
    "Name": "se2_in0",
    "Role": "arn:aws:iam::123456789012:role/glue",
    "DatabaseName": "se2",
    "Targets": {"S3Targets": [{"Path": "s3://bucket/se2/utf8/"}]},
}
JOB = {
    "Name": "se2_job0",
    "Role": "arn:aws:iam::123456789012:role/glue",
    "Command": {
        "Name": "pythonshell",
        "ScriptLocation": "s3://bucket/scripts/job.py",
        "PythonVersion": "3.9",
    },
    "DefaultArguments": {"--OUTPUT": "s3://bucket/out0/"},
}


@pytest.fixture
def hook(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", '{"conn_type": "aws"}')
    with mock_aws():
        yield GlueDeployHook(aws_conn_id="aws_default", region_name="us-east-1")


def test_database_is_created_once(hook):
    assert hook.ensure_database("se2") == "created"
    assert hook.ensure_database("se2") == "unchanged"
    assert hook.conn.get_database(Name="se2")["Database"]["Name"] == "se2"


def test_crawler_created_then_unchanged_then_updated(hook):
    hook.ensure_database("se2")
    assert hook.ensure_crawler(dict(CRAWLER)) == "created"
    assert hook.ensure_crawler(dict(CRAWLER)) == "unchanged"
    current = hook.conn.get_crawler(Name="se2_in0")["Crawler"]
    changed = {**CRAWLER, "TablePrefix": "se2_"}
    # moto has no UpdateCrawler: script that one response.
    with Stubber(hook.conn) as stub:
        stub.add_response("get_crawler", {"Crawler": current}, {"Name": "se2_in0"})
        stub.add_response("update_crawler", {}, changed)
        assert hook.ensure_crawler(changed) == "updated"
        stub.assert_no_pending_responses()


def test_job_created_then_unchanged_then_updated(hook):
    assert hook.ensure_job(dict(JOB)) == "created"
    assert hook.ensure_job(dict(JOB)) == "unchanged"
    current = hook.conn.get_job(JobName="se2_job0")["Job"]
    changed = {**JOB, "DefaultArguments": {"--OUTPUT": "s3://bucket/out1/"}}
    update = {k: v for k, v in changed.items() if k != "Name"}
    # moto has no UpdateJob: script that one response.
    with Stubber(hook.conn) as stub:
        stub.add_response("get_job", {"Job": current}, {"JobName": "se2_job0"})
        stub.add_response("update_job", {"JobName": "se2_job0"}, {"JobName": "se2_job0", "JobUpdate": update})
        assert hook.ensure_job(changed) == "updated"
        stub.assert_no_pending_responses()


def test_script_uploaded_only_when_bytes_differ(hook):
    assert hook.ensure_bucket("bucket") == "created"
    assert hook.ensure_bucket("bucket") == "unchanged"
    assert hook.ensure_object(b"print('v1')\n", "s3://bucket/scripts/job.py") == "created"
    assert hook.ensure_object(b"print('v1')\n", "s3://bucket/scripts/job.py") == "unchanged"
    assert hook.ensure_object(b"print('v2')\n", "s3://bucket/scripts/job.py") == "updated"
    body = boto3.client("s3", region_name="us-east-1").get_object(Bucket="bucket", Key="scripts/job.py")[
        "Body"
    ]
    assert body.read() == b"print('v2')\n"
