from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from airflow_glue_flow.hooks.deploy import GlueDeployHook, changed_fields

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
def hook(aws_default):
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


# What GetJob / GetCrawler return on AWS for the specs above: Glue fills in defaults the caller never
# set (Timeout 2880, MaxCapacity, ExecutionProperty, GlueVersion, Exclusions: [], the schema change
# and recrawl policies...). Shapes from the GetJob and GetCrawler response syntax:
# https://docs.aws.amazon.com/glue/latest/webapi/API_GetJob.html
# https://docs.aws.amazon.com/glue/latest/webapi/API_GetCrawler.html
AWS_JOB = {
    "Name": "se2_job0",
    "JobMode": "SCRIPT",
    "Role": "arn:aws:iam::123456789012:role/glue",
    "CreatedOn": "2026-11-01T00:00:00Z",
    "LastModifiedOn": "2026-11-01T00:00:00Z",
    "ExecutionProperty": {"MaxConcurrentRuns": 1},
    "Command": {
        "Name": "pythonshell",
        "ScriptLocation": "s3://bucket/scripts/job.py",
        "PythonVersion": "3.9",
        "Runtime": "",
    },
    "DefaultArguments": {"--OUTPUT": "s3://bucket/out0/"},
    "MaxRetries": 0,
    "AllocatedCapacity": 0,
    "Timeout": 2880,
    "MaxCapacity": 0.0625,
    "GlueVersion": "3.0",
    "ExecutionClass": "STANDARD",
}
AWS_CRAWLER = {
    "Name": "se2_in0",
    "Role": "glue",
    "Targets": {
        "S3Targets": [{"Path": "s3://bucket/se2/utf8/", "Exclusions": []}],
        "JdbcTargets": [],
        "MongoDBTargets": [],
        "DynamoDBTargets": [],
        "CatalogTargets": [],
        "DeltaTargets": [],
    },
    "DatabaseName": "se2",
    "Classifiers": [],
    "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
    "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
    "LineageConfiguration": {"CrawlerLineageSettings": "DISABLE"},
    "State": "READY",
    "CrawlElapsedTime": 0,
    "CreationTime": "2026-11-01T00:00:00Z",
    "LastUpdated": "2026-11-01T00:00:00Z",
    "Version": 1,
    "LakeFormationConfiguration": {"UseLakeFormationCredentials": False, "AccountId": ""},
}
JOB_ARN = "arn:aws:glue:us-east-1:123456789012:job/se2_job0"


def test_job_with_aws_defaults_is_unchanged_and_not_updated(hook):
    with Stubber(hook.conn) as stub:
        stub.add_response("get_job", {"Job": AWS_JOB}, {"JobName": "se2_job0"})
        assert hook.ensure_job(dict(JOB)) == "unchanged"
        stub.assert_no_pending_responses()


def test_crawler_with_aws_defaults_is_unchanged_and_not_updated(hook):
    with Stubber(hook.conn) as stub:
        stub.add_response("get_crawler", {"Crawler": AWS_CRAWLER}, {"Name": "se2_in0"})
        # The spec names the role by ARN and AWS answers with its name: the same role.
        assert hook.ensure_crawler(dict(CRAWLER)) == "unchanged"
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"DefaultArguments": {}}, "DefaultArguments"),  # a removed argument must go in Glue too
        ({"Command": {**JOB["Command"], "PythonVersion": "3"}}, "Command"),
        ({"MaxCapacity": 1}, "MaxCapacity"),
        ({"Role": "arn:aws:iam::123456789012:role/other"}, "Role"),
    ],
)
def test_job_field_the_user_set_and_changed_is_updated(hook, change, field):
    changed = {**JOB, **change}
    assert changed_fields(changed, AWS_JOB) == [field]
    update = {k: v for k, v in changed.items() if k != "Name"}
    with Stubber(hook.conn) as stub:
        stub.add_response("get_job", {"Job": AWS_JOB}, {"JobName": "se2_job0"})
        stub.add_response("update_job", {"JobName": "se2_job0"}, {"JobName": "se2_job0", "JobUpdate": update})
        assert hook.ensure_job(changed) == "updated"
        stub.assert_no_pending_responses()


def test_tags_are_kept_in_step_with_tag_and_untag_resource(hook):
    hook.__dict__["account_id"] = "123456789012"  # what STS answers; AwsBaseHook caches it here
    tagged = {**JOB, "Tags": {"team": "data", "env": "prod"}}
    with Stubber(hook.conn) as stub:
        stub.add_response("get_job", {"Job": AWS_JOB}, {"JobName": "se2_job0"})
        stub.add_response(
            "get_tags", {"Tags": {"team": "data", "env": "dev", "old": "x"}}, {"ResourceArn": JOB_ARN}
        )
        stub.add_response("tag_resource", {}, {"ResourceArn": JOB_ARN, "TagsToAdd": {"env": "prod"}})
        stub.add_response("untag_resource", {}, {"ResourceArn": JOB_ARN, "TagsToRemove": ["old"]})
        assert hook.ensure_job(tagged) == "updated"
        stub.assert_no_pending_responses()


def test_matching_tags_and_definition_make_no_write(hook):
    hook.__dict__["account_id"] = "123456789012"
    tagged = {**JOB, "Tags": {"team": "data"}}
    with Stubber(hook.conn) as stub:
        stub.add_response("get_job", {"Job": AWS_JOB}, {"JobName": "se2_job0"})
        stub.add_response("get_tags", {"Tags": {"team": "data"}}, {"ResourceArn": JOB_ARN})
        assert hook.ensure_job(tagged) == "unchanged"
        stub.assert_no_pending_responses()


def test_tags_survive_a_round_trip_through_glue(hook):
    tagged = {**JOB, "Tags": {"team": "data"}}
    assert hook.ensure_job(dict(tagged)) == "created"
    assert hook.ensure_job({**tagged, "Tags": {"team": "platform"}}) == "updated"
    assert hook.conn.get_tags(ResourceArn=JOB_ARN)["Tags"] == {"team": "platform"}
    assert hook.ensure_job({**tagged, "Tags": {"team": "platform"}}) == "unchanged"
