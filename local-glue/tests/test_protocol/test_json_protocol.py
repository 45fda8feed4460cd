"""The Glue and CloudWatch Logs JSON protocols' errors, as AWS sends them, from the local Glue.

AWS's JSON protocol answers a body it cannot read with SerializationException, an operation it does not
know with UnknownOperationException, and a token it did not issue with InvalidInputException (Glue) or
InvalidParameterException (CloudWatch Logs), all HTTP 400 with ``__type``:
https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-common.html (InvalidInputException)
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html#API_DescribeLogStreams_Errors
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from glue_flow_local import LocalGlueProcess
from glue_flow_local.protocol.json_protocol import JsonProtocol

TARGETS = {"glue": "AWSGlue", "logs": "Logs_20140328"}


def _signed_post(glue: LocalGlueProcess, service: str, operation: str, body: bytes) -> requests.Response:
    """A correctly signed raw request, so that only its body or operation is wrong."""
    headers = {
        "X-Amz-Target": f"{TARGETS[service]}.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest("POST", glue.endpoint_url + "/", data=body, headers=headers)
    credentials = BotoCredentials(glue.credentials.access_key_id, glue.credentials.secret_access_key)
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return requests.post(glue.endpoint_url + "/", data=body, headers=dict(request.headers), timeout=30)


def _error(answer: requests.Response) -> tuple[int, str]:
    assert answer.headers["Content-Type"].startswith("application/x-amz-json")
    return answer.status_code, answer.json()["__type"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "operation"),
    [("glue", "GetJobRuns"), ("glue", "GetDatabases"), ("logs", "DescribeLogGroups")],
)
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_serialization_exception(
    local_glue: LocalGlueProcess, service: str, operation: str, body: bytes
) -> None:
    assert _error(_signed_post(local_glue, service, operation, body)) == (400, "SerializationException")


@pytest.mark.slow
@pytest.mark.parametrize("service", ["glue", "logs"])
def test_an_unknown_operation_is_an_unknown_operation_exception(
    local_glue: LocalGlueProcess, service: str
) -> None:
    assert _error(_signed_post(local_glue, service, "StartTimeTravel", b"{}")) == (
        400,
        "UnknownOperationException",
    )


@pytest.mark.slow
def test_glue_refuses_tokens_it_did_not_issue(glue_client: Any, unique: Any) -> None:
    for call in (
        lambda: glue_client.get_databases(NextToken="garbage"),
        lambda: glue_client.get_crawlers(NextToken="7"),
        lambda: glue_client.get_jobs(NextToken="garbage"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["Error"]["Code"] == "InvalidInputException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    names = sorted(unique("db") for _ in range(3))
    for name in names:
        glue_client.create_database(DatabaseInput={"Name": name})
    seen = []
    for page in glue_client.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 1}):
        seen += [d["Name"] for d in page["DatabaseList"]]
    assert set(names) <= set(seen)


@pytest.mark.slow
def test_logs_refuses_tokens_it_did_not_issue_and_follows_its_own(logs_client: Any, unique: Any) -> None:
    group = unique("/test/group")
    logs_client.create_log_group(logGroupName=group)
    for n in range(3):
        logs_client.create_log_stream(logGroupName=group, logStreamName=f"s{n}")
    with pytest.raises(ClientError) as excinfo:
        logs_client.describe_log_streams(logGroupName=group, nextToken="garbage")
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
    pages = logs_client.get_paginator("describe_log_streams").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 1}
    )
    assert [s["logStreamName"] for page in pages for s in page["logStreams"]] == ["s0", "s1", "s2"]
    events = logs_client.get_log_events(logGroupName=group, logStreamName="s0", startFromHead=True)
    again = logs_client.get_log_events(
        logGroupName=group, logStreamName="s0", nextToken=events["nextForwardToken"], startFromHead=True
    )
    assert again["events"] == []


def _call(app: JsonProtocol, operation: str, body: bytes = b"{}") -> tuple[str, dict[str, Any]]:
    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_X_AMZ_TARGET": f"AWSGlue.{operation}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    captured: dict[str, str] = {}
    answer = b"".join(app(environ, lambda status, headers, exc_info=None: captured.update(status=status)))
    return captured["status"], json.loads(answer)


def test_a_crash_behind_the_api_is_a_json_internal_error_not_an_html_page() -> None:
    def crashing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise KeyError("boom")

    status, answer = _call(JsonProtocol(crashing), "GetDatabases")
    assert status.startswith("500")
    assert answer["__type"] == "InternalServiceException"
    assert "GetDatabases" in answer["message"]


def test_an_operation_aws_has_but_the_local_glue_lacks_is_refused_by_name() -> None:
    def moto_without_it(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise NotImplementedError("The create_ml_transform action has not been implemented")

    status, answer = _call(JsonProtocol(moto_without_it), "CreateMLTransform")
    assert status.startswith("501")
    assert "CreateMLTransform" in answer["message"]


def test_moto_html_errors_become_json() -> None:
    def html(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 NOT FOUND", [("Content-Type", "text/html")])
        return [b"<html>not found</html>"]

    status, answer = _call(JsonProtocol(html), "GetDatabases")
    assert status.startswith("404")
    assert "__type" in answer
