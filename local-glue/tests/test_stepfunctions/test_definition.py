"""What the local Glue refuses at CreateStateMachine, naming the state and the construct."""

from __future__ import annotations

import json
from typing import Any

import pytest

from glue_flow_local.stepfunctions.definition import DefinitionRefused, parse


def one_task(resource: str, **extra: Any) -> str:
    return json.dumps(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **extra}}}
    )


@pytest.mark.parametrize(
    ("definition", "named"),
    [
        (one_task("arn:aws:states:::sns:publish"), "arn:aws:states:::sns:publish"),
        (one_task("arn:aws:states:::glue:startCrawler"), "glue:startCrawler"),
        (one_task("arn:aws:states:::lambda:invoke.waitForTaskToken"), ".waitForTaskToken"),
        (one_task("arn:aws:states:::states:startExecution.sync:2"), "states:startExecution.sync:2"),
        (one_task("arn:aws:states:us-east-1:123456789012:activity:a"), "activity"),
        (one_task("${FunctionArn}"), "${FunctionArn}"),
        (
            json.dumps(
                {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
            ),
            "JSONata",
        ),
        (
            json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"a": 1}, "End": True}}}),
            "Assign",
        ),
        (
            json.dumps(
                {
                    "StartAt": "P",
                    "States": {
                        "P": {"Type": "Pass", "Parameters": {"h.$": "States.Hash($.a, 'MD5')"}, "End": True}
                    },
                }
            ),
            "States.Hash",
        ),
        (
            json.dumps(
                {
                    "StartAt": "M",
                    "States": {
                        "M": {
                            "Type": "Map",
                            "ItemProcessor": {
                                "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                                "StartAt": "P",
                                "States": {"P": {"Type": "Pass", "End": True}},
                            },
                            "End": True,
                        }
                    },
                }
            ),
            "DISTRIBUTED",
        ),
        (json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}), "Nowhere"),
        # Timeouts the interpreter would not enforce are refused, not ignored:
        # https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html (TimeoutSeconds, HeartbeatSeconds)
        (one_task("arn:aws:states:::lambda:invoke", TimeoutSeconds=30), "TimeoutSeconds"),
        (one_task("arn:aws:states:::glue:startJobRun.sync", HeartbeatSeconds=30), "HeartbeatSeconds"),
        (one_task("arn:aws:states:::glue:startJobRun.sync", TimeoutSecondsPath="$.t"), "TimeoutSecondsPath"),
    ],
)
def test_refused_naming_the_construct(definition: str, named: str) -> None:
    with pytest.raises(DefinitionRefused) as refused:
        parse(definition)
    assert named in str(refused.value)


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::glue:startJobRun.sync",
        "arn:aws:states:::glue:startJobRun",
        "arn:aws:states:::aws-sdk:glue:startCrawler",
        "arn:aws:states:::lambda:invoke",
        "arn:aws:lambda:ap-northeast-1:123456789012:function:glue-test1-cr1",
    ],
)
def test_runs_the_integrations_that_reach_the_local_glue(resource: str) -> None:
    assert parse(one_task(resource))["States"]["T"]["Resource"] == resource


def test_a_sync_glue_task_keeps_its_timeout() -> None:
    definition = parse(one_task("arn:aws:states:::glue:startJobRun.sync", TimeoutSeconds=60))
    assert definition["States"]["T"]["TimeoutSeconds"] == 60
