"""iam/glue-flow-policy.json grants what the package and its DAGs call, on the resources they call it on.

Every AWS call the package makes in this test session is recorded (tests/support/aws_calls.py). Each one maps
to the IAM actions and resource ARNs AWS authorizes it against, and the policy must allow every pair.
Sources for the action and resource of each operation:
- Glue: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html and
  https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
- S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
- CloudWatch Logs: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
- SQS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html (DeleteMessageBatch
  is authorized as sqs:DeleteMessage, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html)
- iam:PassRole for the role a crawler or job runs as:
  https://docs.aws.amazon.com/glue/latest/dg/attach-policy-iam-user.html
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support import aws_calls
from tests.support.aws_calls import CALLS, AwsCall

POLICY = json.loads((REPO_ROOT / "iam" / "glue-flow-policy.json").read_text())
#: The account the local Glue and moto answer for.
ACCOUNT = "123456789012"
#: Glue actions with no resource-level permissions: AWS requires ``"Resource": "*"`` for them.
GLUE_ACTIONS_WITHOUT_RESOURCES = frozenset({"glue:GetCrawlerMetrics"})
#: Calls that need no permission at all (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})

Need = tuple[str, str]  # (action, resource ARN)


def _glue(region: str, kind: str, *names: str) -> str:
    return f"arn:aws:glue:{region}:{ACCOUNT}:{kind}" + "".join(f"/{n}" for n in names)


def _glue_needs(call: AwsCall) -> list[Need]:
    p, r, action = call.params, call.region, f"glue:{call.operation}"
    catalog = _glue(r, "catalog")
    role_needs = [("iam:PassRole", _role_arn(p["Role"]))] if "Role" in p else []
    job_update_role = (p.get("JobUpdate") or {}).get("Role")
    if job_update_role:
        role_needs.append(("iam:PassRole", _role_arn(job_update_role)))
    if call.operation in ("GetCrawler", "StartCrawler", "StopCrawler", "CreateCrawler", "UpdateCrawler"):
        return [(action, _glue(r, "crawler", p["Name"])), *role_needs]
    if call.operation == "BatchGetCrawlers":
        return [(action, _glue(r, "crawler", name)) for name in p["CrawlerNames"]]
    if call.operation in GLUE_OPERATIONS_ON_JOBS:
        return [(action, _glue(r, "job", p.get("JobName") or p["Name"])), *role_needs]
    if call.operation in ("GetDatabase", "CreateDatabase"):
        name = p.get("Name") or p["DatabaseInput"]["Name"]
        return [(action, catalog), (action, _glue(r, "database", name))]
    if call.operation in ("GetTable", "GetTables", "GetPartitions"):
        database, table = p["DatabaseName"], p.get("TableName") or p.get("Name") or "*"
        return [
            (action, catalog),
            (action, _glue(r, "database", database)),
            (action, _glue(r, "table", database, table)),
        ]
    if call.operation in ("GetTags", "TagResource", "UntagResource"):
        return [(action, p["ResourceArn"])]
    if f"glue:{call.operation}" in GLUE_ACTIONS_WITHOUT_RESOURCES:
        return [(action, "*")]
    raise KeyError(call.operation)


GLUE_OPERATIONS_ON_JOBS = frozenset(
    {"GetJob", "CreateJob", "UpdateJob", "StartJobRun", "GetJobRun", "GetJobRuns", "BatchStopJobRun"}
)


def _role_arn(role: str) -> str:
    return role if role.startswith("arn:") else f"arn:aws:iam::{ACCOUNT}:role/{role}"


def _s3_needs(call: AwsCall) -> list[Need]:
    p = call.params
    bucket = f"arn:aws:s3:::{p.get('Bucket', '')}"
    obj = f"{bucket}/{p.get('Key', '')}"
    on_bucket = {
        "ListObjectsV2": "s3:ListBucket",
        "ListObjects": "s3:ListBucket",
        "HeadBucket": "s3:ListBucket",
        "ListMultipartUploads": "s3:ListBucketMultipartUploads",
        "CreateBucket": "s3:CreateBucket",
        "GetBucketLocation": "s3:GetBucketLocation",
        "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
        "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    }
    on_object = {
        "GetObject": "s3:GetObject",
        "HeadObject": "s3:GetObject",
        "PutObject": "s3:PutObject",
        "CreateMultipartUpload": "s3:PutObject",
        "UploadPart": "s3:PutObject",
        "CompleteMultipartUpload": "s3:PutObject",
        "DeleteObject": "s3:DeleteObject",
        "AbortMultipartUpload": "s3:AbortMultipartUpload",
        "ListParts": "s3:ListMultipartUploadParts",
    }
    if call.operation in on_bucket:
        return [(on_bucket[call.operation], bucket)]
    if call.operation in on_object:
        return [(on_object[call.operation], obj)]
    if call.operation in ("CopyObject", "UploadPartCopy"):
        source = p["CopySource"]
        if isinstance(source, dict):
            source = f"{source['Bucket']}/{source['Key']}"
        return [("s3:GetObject", f"arn:aws:s3:::{source.split('?')[0]}"), ("s3:PutObject", obj)]
    if call.operation == "DeleteObjects":
        return [("s3:DeleteObject", f"{bucket}/{o['Key']}") for o in p["Delete"]["Objects"]]
    raise KeyError(call.operation)


def _logs_needs(call: AwsCall) -> list[Need]:
    p, action = call.params, f"logs:{call.operation}"
    group = f"arn:aws:logs:{call.region}:{ACCOUNT}:log-group:{p.get('logGroupName', '')}"
    if call.operation == "GetLogEvents":
        return [(action, f"{group}:log-stream:{p['logStreamName']}")]
    if call.operation in ("FilterLogEvents", "DescribeLogStreams"):
        return [(action, group)]
    raise KeyError(call.operation)


def _sqs_needs(call: AwsCall) -> list[Need]:
    p = call.params
    name = p.get("QueueName") or str(p.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
    queue = f"arn:aws:sqs:{call.region}:{ACCOUNT}:{name}"
    actions = {
        "DeleteMessageBatch": "sqs:DeleteMessage",
        "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    }
    return [(actions.get(call.operation, f"sqs:{call.operation}"), queue)]


NEEDS: dict[str, Callable[[AwsCall], list[Need]]] = {
    "glue": _glue_needs,
    "s3": _s3_needs,
    "logs": _logs_needs,
    "sqs": _sqs_needs,
}


def needs(call: AwsCall) -> list[Need]:
    """The (action, resource) pairs IAM checks for one call."""
    if (call.service, call.operation) in NO_PERMISSION:
        return []
    try:
        return NEEDS[call.service](call)
    except KeyError:
        pytest.fail(f"No IAM mapping for {call.service}:{call.operation}; add it to tests/test_iam_policy.py")


def _names_are_the_users(arn: str) -> str:
    """Glue ARNs and SQS queue ARNs with their names replaced by ``*``: the policy lists the DAGs' default
    names, the tests use names of their own, and what must match is the action, the resource type,
    account and region."""
    queue = re.match(r"^(arn:aws:sqs:[^:]*:[^:]*:)[^:]+$", arn)
    if queue:
        return queue.group(1) + "*"
    match = re.match(r"^(arn:aws:glue:[^:]*:[^:]*:)(crawler|job|database|table|trigger|workflow)/(.+)$", arn)
    if not match:
        return arn
    return match.group(1) + match.group(2) + "".join("/*" for _ in match.group(3).split("/"))


def _placeholders(value: str, region: str) -> str:
    value = value.replace("YOUR-ACCOUNT-ID", ACCOUNT).replace("YOUR-REGION", region)
    value = value.replace("YOUR-FLOW-BUCKET", "*").replace("YOUR-GLUE-SERVICE-ROLE", "*")
    return _names_are_the_users(value)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allowed(action: str, resource: str, region: str) -> bool:
    """Whether an Allow statement of the policy grants ``action`` on ``resource``."""
    resource = _names_are_the_users(resource)
    for statement in POLICY["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement["Action"])):
            continue
        if any(
            fnmatch.fnmatchcase(resource, _placeholders(r, region)) for r in _listed(statement["Resource"])
        ):
            return True
    return False


def test_glue_statements_name_their_resources():
    for statement in POLICY["Statement"]:
        if "*" in _listed(statement["Resource"]):
            assert set(_listed(statement["Action"])) <= GLUE_ACTIONS_WITHOUT_RESOURCES, statement["Sid"]


def test_the_checker_refuses_what_the_policy_does_not_grant():
    region = "us-east-1"
    assert not allowed("glue:DeleteJob", _glue(region, "job", "any"), region)
    assert not allowed("s3:GetObject", "arn:aws:s3:::bucket", region)  # an object action on a bucket ARN
    assert not allowed("glue:StartJobRun", _glue(region, "crawler", "c"), region)
    assert allowed("glue:StartJobRun", _glue(region, "job", "any"), region)


@pytest.mark.aws_calls_check
def test_every_recorded_aws_call_is_allowed_by_the_policy():
    """Runs last (tests/support/aws_calls.py orders it): checks the calls of every test before it."""
    if not CALLS:
        pytest.skip("no test in this run made an AWS call through the package")
    denied = sorted(
        {
            f"{action} on {resource} (from {call.service}:{call.operation})"
            for call in CALLS
            for action, resource in needs(call)
            if not allowed(action, resource, call.region)
        }
    )
    assert not denied, "iam/glue-flow-policy.json does not allow:\n" + "\n".join(denied)
    if aws_calls.FULL_RUN:
        # Every flow ran: each action the policy grants must have been needed, or it is an open door.
        used = {action.lower() for call in CALLS for action, _ in needs(call)}
        granted = {
            a.lower()
            for s in POLICY["Statement"]
            if not s["Sid"].startswith("Optional")  # SSE-KMS buckets, tagged specs: see docs/iam.md
            for a in _listed(s["Action"])
        }
        assert granted - used == set(), "granted but never used"
