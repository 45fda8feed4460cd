"""Step Functions and Lambda on a running local Glue: the APIs, refusals and Lambda's error shape.

Lambda Invoke: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (FunctionError, and the
errorMessage / errorType / stackTrace payload: https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html).
"""

from __future__ import annotations

import json
import time
from typing import Any

import botocore.exceptions
import pytest

from glue_flow_local.testing import LocalGlue, create_python_job, log_messages, process_gone
from test_stepfunctions.support import create_function, history, role, wait_for_execution, zipped

pytestmark = pytest.mark.slow

FAILING = """
import os
def lambda_handler(event, context):
    print("got", event["x"], os.environ["COLOUR"], "secret" in str(os.environ))
    raise ValueError("bad input " + str(event["x"]))
"""
ECHO = """
import os, boto3
def lambda_handler(event, context):
    boto3.client("glue").get_databases()  # the local endpoint and credentials reach the local Glue
    return {"echo": event, "name": context.function_name, "region": os.environ["AWS_REGION"]}
"""


@pytest.fixture
def clients(local_glue: LocalGlue) -> dict[str, Any]:
    return {name: local_glue.client(name) for name in ("lambda", "iam", "stepfunctions", "logs")}


def test_invoke_returns_the_handler_result_and_aws_error_shape(clients: dict[str, Any], unique: Any) -> None:
    lam, iam = clients["lambda"], clients["iam"]
    echo, failing = unique("echo"), unique("failing")
    create_function(lam, iam, echo, ECHO)
    create_function(lam, iam, failing, FAILING, Environment={"Variables": {"COLOUR": "blue"}})
    answer = lam.invoke(FunctionName=echo, Payload=json.dumps({"a": 1}))
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert json.loads(answer["Payload"].read()) == {"echo": {"a": 1}, "name": echo, "region": "us-east-1"}
    failed = lam.invoke(FunctionName=failing, Payload=b'{"x": 7}')
    assert failed["FunctionError"] == "Unhandled"
    payload = json.loads(failed["Payload"].read())
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "bad input 7"
    assert payload["stackTrace"]
    group = f"/aws/lambda/{failing}"
    stream = clients["logs"].describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    assert "got 7 blue False" in log_messages(clients["logs"], group, stream)
    assert lam.get_function(FunctionName=failing)["Configuration"]["Runtime"] == "python3.11"


def test_create_function_refusals(clients: dict[str, Any], unique: Any) -> None:
    lam, iam = clients["lambda"], clients["iam"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="nodejs20.x"):
        create_function(lam, iam, unique("node"), "", Runtime="nodejs20.x")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="cannot be assumed"):
        lam.create_function(
            FunctionName=unique("norole"),
            Runtime="python3.11",
            Role="arn:aws:iam::123456789012:role/missing",
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": b"PK"},
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="AWS_REGION"):
        create_function(lam, iam, unique("reserved"), ECHO, Environment={"Variables": {"AWS_REGION": "x"}})
    with pytest.raises(botocore.exceptions.ClientError, match="not run by the local Glue"):
        lam.list_layers()


def test_other_services_are_refused_naming_service_and_operation(local_glue: LocalGlue) -> None:
    sns = local_glue.client("sns")
    with pytest.raises(botocore.exceptions.ClientError, match="sns CreateTopic"):
        sns.create_topic(Name="t")
    events = local_glue.client("events")
    with pytest.raises(botocore.exceptions.ClientError, match="events PutRule"):
        events.put_rule(Name="r", ScheduleExpression="rate(1 minute)")
    sfn = local_glue.client("stepfunctions")
    with pytest.raises(botocore.exceptions.ClientError, match="CreateActivity is not run"):
        sfn.create_activity(name="a")


def test_execution_with_sdk_glue_error_catch_wait_and_stop(clients: dict[str, Any], unique: Any) -> None:
    sfn, iam = clients["stepfunctions"], clients["iam"]
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                "Parameters": {"Name.$": "$.crawler"},
                "Catch": [
                    {"ErrorEquals": ["Glue.EntityNotFoundException"], "ResultPath": "$.error", "Next": "Wait"}
                ],
                "End": True,
            },
            "Wait": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    arn = sfn.create_state_machine(
        name=unique("m"), definition=json.dumps(definition), roleArn=role(iam, "sfn")
    )["stateMachineArn"]
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="sns:publish"):
        sfn.create_state_machine(
            name=unique("bad"),
            definition=json.dumps(
                {
                    "StartAt": "T",
                    "States": {
                        "T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}
                    },
                }
            ),
            roleArn=role(iam, "sfn"),
        )
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"crawler": unique("missing")}))[
        "executionArn"
    ]
    for _ in range(100):
        if any(e["type"] == "WaitStateEntered" for e in history(sfn, execution)):
            break
    sfn.stop_execution(executionArn=execution, error="Stopped", cause="by the test")
    ended = wait_for_execution(sfn, execution, timeout=10)
    assert ended["status"] == "ABORTED"
    events = history(sfn, execution)
    failed = next(e for e in events if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "Glue.EntityNotFoundException"
    assert events[-1]["type"] == "ExecutionAborted"
    listed = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [e["status"] for e in listed] == ["ABORTED"]


def test_invoke_past_the_function_timeout_is_killed(clients: dict[str, Any], unique: Any) -> None:
    lam = clients["lambda"]
    name = unique("slow")
    create_function(
        lam, clients["iam"], name, "import time\ndef lambda_handler(e, c):\n    time.sleep(30)\n", Timeout=1
    )
    answer = lam.invoke(FunctionName=name, Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorMessage"] == "Task timed out after 1.00 seconds"


def test_glue_start_job_run_request_response_and_sync(
    local_glue: LocalGlue, clients: dict[str, Any], unique: Any
) -> None:
    glue, s3, sfn = local_glue.client("glue"), local_glue.client("s3"), clients["stepfunctions"]
    job, bucket = unique("job"), unique("bucket").replace("_", "-")
    s3.create_bucket(Bucket=bucket)
    # Two runs at once: the request-response run may still be going when the .sync one starts.
    create_python_job(glue, s3, bucket, job, b"print('ran')\n", ExecutionProperty={"MaxConcurrentRuns": 2})
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun",
                "Parameters": {"JobName": job},
                "ResultPath": "$.started",
                "Next": "Sync",
            },
            "Sync": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": job, "Arguments": {"--x": "1"}},
                "ResultPath": "$.synced",
                "End": True,
            },
        },
    }
    arn = sfn.create_state_machine(
        name=unique("jobs"), definition=json.dumps(definition), roleArn=role(clients["iam"], "sfn")
    )["stateMachineArn"]
    ended = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    output = json.loads(ended["output"])
    assert output["started"]["JobName"] == job and output["started"]["JobRunId"]
    assert output["synced"]["JobRunState"] == "SUCCEEDED" and output["synced"]["Arguments"] == {"--x": "1"}


def test_stopping_the_server_ends_running_invokes(tmp_path: Any) -> None:
    sleeper = "import os, time\ndef lambda_handler(e, c):\n    print('pid', os.getpid(), flush=True)\n    time.sleep(120)\n"
    with LocalGlue(state_dir=tmp_path) as server:
        lam, logs = server.client("lambda"), server.client("logs")
        create_function(lam, server.client("iam"), "sleeper", sleeper, Timeout=300)
        assert lam.invoke(FunctionName="sleeper", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
        pid = 0
        for _ in range(300):
            groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/sleeper")["logGroups"]
            streams = (
                logs.describe_log_streams(logGroupName=groups[0]["logGroupName"])["logStreams"]
                if groups
                else []
            )
            lines = log_messages(logs, "/aws/lambda/sleeper", streams[0]["logStreamName"]) if streams else []
            pid = next((int(line.split()[1]) for line in lines if line.startswith("pid ")), 0)
            if pid:
                break
            time.sleep(0.2)
        assert pid
    assert process_gone(pid)


def test_create_function_from_s3_code(local_glue: LocalGlue, clients: dict[str, Any], unique: Any) -> None:
    s3, lam = local_glue.client("s3"), clients["lambda"]
    bucket, name = unique("code").replace("_", "-"), unique("from_s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket, Key="f.zip", Body=zipped("def lambda_handler(event, context):\n    return 41 + 1\n")
    )
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role(clients["iam"], "lambda-role"),
        Handler="lambda_function.lambda_handler",
        Code={"S3Bucket": bucket, "S3Key": "f.zip"},
        Timeout=30,
    )
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == 42
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="NoSuchKey"):
        lam.create_function(
            FunctionName=unique("missing"),
            Runtime="python3.12",
            Role=role(clients["iam"], "lambda-role"),
            Handler="lambda_function.lambda_handler",
            Code={"S3Bucket": bucket, "S3Key": "missing.zip"},
        )
