"""Whether a queue policy lets Amazon S3 send a bucket's event notifications.

S3 sends as the service principal ``s3.amazonaws.com`` with ``aws:SourceArn`` (the bucket ARN) and
``aws:SourceAccount`` (the bucket owner) in the request context; the documented queue policy:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
IAM evaluation (an explicit Deny wins, no Allow means denied):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from glue_flow_local.sqs.policy import UnsupportedPolicy, s3_may_send

QUEUE = "arn:aws:sqs:us-east-1:123456789012:landing"
BUCKET = "arn:aws:s3:::landing-bucket"
ACCOUNT = "123456789012"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(**overrides: Any) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "SQS:SendMessage",
        "Resource": QUEUE,
        "Condition": {"ArnLike": {"aws:SourceArn": BUCKET}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    statement.update(overrides)
    return statement


def test_the_documented_policy_allows_s3():
    assert s3_may_send(_policy(_allow()), QUEUE, BUCKET, ACCOUNT)


@pytest.mark.parametrize("policy", [None, "", "not json", _policy()])
def test_no_policy_or_no_statement_denies(policy):
    assert not s3_may_send(policy, QUEUE, BUCKET, ACCOUNT)


@pytest.mark.parametrize(
    "overrides",
    [
        {"Principal": {"Service": "lambda.amazonaws.com"}},
        {"Action": "sqs:ReceiveMessage"},
        {"Resource": "arn:aws:sqs:us-east-1:123456789012:other"},
        {"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::other-bucket"}}},
        {"Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}}},
        {"Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::landing-*"}}},
    ],
)
def test_a_statement_for_someone_or_something_else_does_not_allow(overrides):
    assert not s3_may_send(_policy(_allow(**overrides)), QUEUE, BUCKET, ACCOUNT)


@pytest.mark.parametrize(
    "overrides",
    [
        {"Principal": "*"},
        {"Principal": {"AWS": "*"}},
        {"Action": ["sqs:*"]},
        {"Resource": "arn:aws:sqs:*:123456789012:land*"},
        {"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::landing-*"}}},
        {"Condition": {"StringNotEquals": {"aws:SourceAccount": "999999999999"}}},
        {"Condition": {}},
    ],
)
def test_wildcards_and_negated_conditions_allow(overrides):
    assert s3_may_send(_policy(_allow(**overrides)), QUEUE, BUCKET, ACCOUNT)


def test_an_explicit_deny_wins_over_an_allow():
    deny = _allow(Effect="Deny", Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    assert not s3_may_send(_policy(_allow(), deny), QUEUE, BUCKET, ACCOUNT)


@pytest.mark.parametrize(
    ("condition", "named"),
    [
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "IpAddress"),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, "aws:PrincipalOrgID"),
    ],
)
def test_conditions_it_cannot_evaluate_are_refused_by_name(condition, named):
    with pytest.raises(UnsupportedPolicy, match=named):
        s3_may_send(_policy(_allow(Condition=condition)), QUEUE, BUCKET, ACCOUNT)
